import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, type ChannelsPath, channelsPath, broadcastMul, broadcastAdd, copyChannels, sumOuter, broadcastMulRef, broadcastAddRef, copyChannelsRef, sumOuterRef, expand, expandRef, fillValue, window2d, window2dRef, sumPlanes, sumPlanesRef } from '@gausslens/kernels';
import { ELEMENTWISE_REL, REDUCE_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

describe('channels', () => {
  // The kernel families to run: both forced when inner and n are multiples of 4, else the default (which must be scalar).
  const pathsFor = (inner: number, n: number): Array<ChannelsPath | undefined> => (inner % 4 === 0 && n % 4 === 0 ? ['scalar', 'vec4'] : [undefined]);
  const label = (path: ChannelsPath | undefined): string => path ?? 'default (scalar)';

  it('the vec4 path is the default exactly when inner % 4 = 0 and n % 4 = 0, and cannot be forced otherwise', () => {
    for (const [inner, n] of [[12, 36], [1024, 4096], [4, 4]] as const) expect(channelsPath(inner, n)).toBe('vec4');
    for (const [inner, n] of [[7, 35], [9, 36], [6, 36], [12, 38], [4, 0]] as const) {
      expect(channelsPath(inner, n)).toBe('scalar');
      expect(() => channelsPath(inner, n, { path: 'vec4' })).toThrow(/vec4 path needs/);
    }
    expect(channelsPath(12, 36, { path: 'scalar' })).toBe('scalar');
  });

  // [N, C, HW] with broadcasts per sample (inner = C·HW, m = N), per (n, c) and per channel; n = N·C·HW (and its vec4
  // count) not a multiple of 256 except 1×1×… . Both buffers hold 3 elements more than n, which must stay unwritten.
  for (const [N, C, HW] of [[1, 1, 1], [3, 5, 7], [2, 17, 65], [3, 4, 9], [3, 5, 12], [2, 33, 68]] as const) {
    it(`broadcast mul/add, ${N}×${C}×${HW}, every kernel path`, async () => {
      const n = N * C * HW;
      const x = randomArray(n + 3);
      const bx = gpu.upload(x);
      const out = gpu.alloc(n + 3);
      const xs = x.subarray(0, n);
      for (const b of [{ inner: C * HW, m: N, n }, { inner: HW, m: N * C, n }, { inner: HW, m: C, n }]) {
        const v = randomArray(b.m);
        const bv = gpu.upload(v);
        for (const path of pathsFor(b.inner, n)) {
          const what = `inner=${b.inner} m=${b.m}, ${label(path)}`;
          gpu.fill(out, POISON);
          broadcastMul(gpu, bx, bv, out, b, 0.75, { path });
          let got = await gpu.read(out);
          expectClose(got.subarray(0, n), broadcastMulRef(xs, v, b, 0.75), ELEMENTWISE_REL, `mul ${what}`);
          expect(Array.from(got.subarray(n)).every(Number.isNaN), `mul ${what}: wrote past n`).toBe(true);
          gpu.fill(out, POISON);
          broadcastAdd(gpu, 1.5, bx, -0.5, bv, out, b, { path });
          got = await gpu.read(out);
          expectClose(got.subarray(0, n), broadcastAddRef(1.5, xs, -0.5, v, b), ELEMENTWISE_REL, `add ${what}`);
          expect(Array.from(got.subarray(n)).every(Number.isNaN), `add ${what}: wrote past n`).toBe(true);
        }
        bv.release();
      }
      bx.release();
      out.release();
    });
  }

  // [N, Ca, Cb, HW]: HW = 9 (scalar only), 12 and 68 (vec4 too; 5·10·68 = 3400 elements, 850 vec4s, not multiples of 256).
  for (const [N, Ca, Cb, HW] of [[3, 5, 2, 9], [3, 5, 2, 12], [5, 3, 7, 68]] as const) {
    it(`copyChannels concatenates and splits, ${N}×(${Ca}+${Cb})×${HW}, every kernel path`, async () => {
      const C = Ca + Cb;
      for (const path of pathsFor(HW, N * Ca * HW)) {
        const a = randomArray(N * Ca * HW);
        const b = randomArray(N * Cb * HW);
        const [ba, bb, out] = [gpu.upload(a), gpu.upload(b), gpu.alloc(N * C * HW)];
        gpu.fill(out, POISON);
        copyChannels(gpu, ba, out, { batch: N, inner: HW, count: Ca, srcChannels: Ca, dstChannels: C }, { path });
        copyChannels(gpu, bb, out, { batch: N, inner: HW, count: Cb, srcChannels: Cb, dstChannels: C, dstOffset: Ca }, { path });
        const ref = new Float64Array(N * C * HW);
        copyChannelsRef(a, ref, { batch: N, inner: HW, count: Ca, srcChannels: Ca, dstChannels: C });
        copyChannelsRef(b, ref, { batch: N, inner: HW, count: Cb, srcChannels: Cb, dstChannels: C, dstOffset: Ca });
        expectClose(await gpu.read(out), ref, 0, `concat, ${label(path)}`);
        // A split from the middle: channels [1, 1 + Cb) of the concatenation.
        const back = gpu.alloc(N * Cb * HW);
        gpu.fill(back, POISON);
        copyChannels(gpu, out, back, { batch: N, inner: HW, count: Cb, srcChannels: C, dstChannels: Cb, srcOffset: 1 }, { path });
        const refBack = new Float64Array(N * Cb * HW);
        copyChannelsRef(Float32Array.from(ref), refBack, { batch: N, inner: HW, count: Cb, srcChannels: C, dstChannels: Cb, srcOffset: 1 });
        expectClose(await gpu.read(back), refBack, 0, `split, ${label(path)}`);
        for (const t of [ba, bb, out, back]) t.release();
      }
    });
  }

  for (const [outer, m] of [[1, 1], [7, 300], [64, 13]] as const) {
    it(`sumOuter ${outer}×${m}`, async () => {
      const x = randomArray(outer * m);
      const [bx, out] = [gpu.upload(x), gpu.alloc(m)];
      gpu.fill(out, POISON);
      sumOuter(gpu, bx, out, outer, m);
      expectClose(await gpu.read(out), sumOuterRef(x, outer, m), REDUCE_REL, 'sumOuter');
      bx.release();
      out.release();
    });
  }

  it('expand and fillValue', async () => {
    const v = randomArray(6);
    const [bv, out] = [gpu.upload(v), gpu.alloc(2 * 6 * 5)];
    gpu.fill(out, POISON);
    expand(gpu, bv, out, { inner: 5, m: 6 }, -2);
    expectClose(await gpu.read(out), expandRef(v, { inner: 5, m: 6, n: 60 }, -2), ELEMENTWISE_REL, 'expand');
    gpu.fill(out, POISON);
    fillValue(gpu, out, 0.25, 59);
    const got = await gpu.read(out);
    expectClose(got.subarray(0, 59), new Float64Array(59).fill(0.25), 0, 'fill');
    expect(Number.isNaN(got[59])).toBe(true);
    bv.release();
    out.release();
  });

  for (const w of [
    { planes: 3, inH: 7, inW: 5, outH: 5, outW: 3, offY: 1, offX: 1 },
    { planes: 2, inH: 4, inW: 6, outH: 7, outW: 9, offY: -2, offX: -1 },
    { planes: 1, inH: 1, inW: 1, outH: 1, outW: 1, offY: 0, offX: 0 },
  ]) {
    it(`window2d ${w.inH}×${w.inW} → ${w.outH}×${w.outW} at (${w.offY}, ${w.offX})`, async () => {
      const x = randomArray(w.planes * w.inH * w.inW);
      const [bx, out] = [gpu.upload(x), gpu.alloc(w.planes * w.outH * w.outW)];
      gpu.fill(out, POISON);
      window2d(gpu, bx, out, w);
      expectClose(await gpu.read(out), window2dRef(x, w), 0, 'window2d');
      bx.release();
      out.release();
    });
  }

  // inner % 4 = 0 also takes (and is tested on) the subgroup vec4 kernel where subgroups have a fixed size.
  for (const [outer, m, inner] of [[1, 1, 1], [3, 5, 7], [2, 3, 4], [5, 7, 36], [3, 70, 100], [16, 8, 1024], [1, 300, 65]] as const) {
    it(`sumPlanes ${outer}×${m}×${inner}`, async () => {
      const x = randomArray(outer * m * inner);
      const [bx, out] = [gpu.upload(x), gpu.alloc(m)];
      const paths: ChannelsPath[] = inner % 4 === 0 && gpu.fixedSubgroupSize ? ['vec4', 'scalar'] : ['scalar'];
      for (const path of paths) {
        gpu.fill(out, POISON);
        sumPlanes(gpu, bx, out, outer, m, inner, { path });
        expectClose(await gpu.read(out), sumPlanesRef(x, outer, m, inner), REDUCE_REL, `sumPlanes (${path})`);
      }
      bx.release();
      out.release();
    });
  }
});
