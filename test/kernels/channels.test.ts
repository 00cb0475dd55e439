import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, broadcastMul, broadcastAdd, copyChannels, sumOuter, broadcastMulRef, broadcastAddRef, copyChannelsRef, sumOuterRef, expand, expandRef, fillValue, window2d, window2dRef, sumPlanes, sumPlanesRef } from '@gausslens/kernels';
import { ELEMENTWISE_REL, REDUCE_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

describe('channels', () => {
  // [N, C, HW] with broadcasts per sample (inner = C·HW, m = N), per (n, c) and per channel.
  for (const [N, C, HW] of [[1, 1, 1], [3, 5, 7], [2, 17, 65]] as const) {
    it(`broadcast mul/add, ${N}×${C}×${HW}`, async () => {
      const n = N * C * HW;
      const x = randomArray(n);
      const bx = gpu.upload(x);
      const out = gpu.alloc(n);
      for (const b of [{ inner: C * HW, m: N }, { inner: HW, m: N * C }, { inner: HW, m: C }]) {
        const v = randomArray(b.m);
        const bv = gpu.upload(v);
        gpu.fill(out, POISON);
        broadcastMul(gpu, bx, bv, out, b, 0.75);
        expectClose(await gpu.read(out), broadcastMulRef(x, v, b, 0.75), ELEMENTWISE_REL, `mul inner=${b.inner} m=${b.m}`);
        gpu.fill(out, POISON);
        broadcastAdd(gpu, 1.5, bx, -0.5, bv, out, b);
        expectClose(await gpu.read(out), broadcastAddRef(1.5, x, -0.5, v, b), ELEMENTWISE_REL, `add inner=${b.inner} m=${b.m}`);
        bv.release();
      }
      bx.release();
      out.release();
    });
  }

  it('copyChannels concatenates and splits', async () => {
    const [N, Ca, Cb, HW] = [3, 5, 2, 9];
    const a = randomArray(N * Ca * HW);
    const b = randomArray(N * Cb * HW);
    const [ba, bb, out] = [gpu.upload(a), gpu.upload(b), gpu.alloc(N * (Ca + Cb) * HW)];
    gpu.fill(out, POISON);
    copyChannels(gpu, ba, out, { batch: N, inner: HW, count: Ca, srcChannels: Ca, dstChannels: Ca + Cb });
    copyChannels(gpu, bb, out, { batch: N, inner: HW, count: Cb, srcChannels: Cb, dstChannels: Ca + Cb, dstOffset: Ca });
    const ref = new Float64Array(N * (Ca + Cb) * HW);
    copyChannelsRef(a, ref, { batch: N, inner: HW, count: Ca, srcChannels: Ca, dstChannels: Ca + Cb });
    copyChannelsRef(b, ref, { batch: N, inner: HW, count: Cb, srcChannels: Cb, dstChannels: Ca + Cb, dstOffset: Ca });
    expectClose(await gpu.read(out), ref, 0, 'concat');
    const back = gpu.alloc(N * Cb * HW);
    gpu.fill(back, POISON);
    copyChannels(gpu, out, back, { batch: N, inner: HW, count: Cb, srcChannels: Ca + Cb, dstChannels: Cb, srcOffset: Ca });
    expectClose(await gpu.read(back), b, 0, 'split');
    for (const t of [ba, bb, out, back]) t.release();
  });

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

  for (const [outer, m, inner] of [[1, 1, 1], [3, 5, 7], [16, 8, 1024], [1, 300, 65]] as const) {
    it(`sumPlanes ${outer}×${m}×${inner}`, async () => {
      const x = randomArray(outer * m * inner);
      const [bx, out] = [gpu.upload(x), gpu.alloc(m)];
      gpu.fill(out, POISON);
      sumPlanes(gpu, bx, out, outer, m, inner);
      expectClose(await gpu.read(out), sumPlanesRef(x, outer, m, inner), REDUCE_REL, 'sumPlanes');
      bx.release();
      out.release();
    });
  }
});
