import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, fillValue, mapRef, axpbyRef, mulRef, broadcastMulRef, broadcastAddRef, expandRef, reduceRowsRef, sumOuterRef, softmaxRowsRef, siluRef, dropoutRef, groupNormRef, downsample2xRef, upsample2xRef, window2dRef, FIR_FILTER, BOX_FILTER, gemmRef } from '@gausslens/kernels';
import * as ag from '../../packages/core/src/autograd/index.ts';
import { gradcheck, type GradCase } from './gradcheck.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

/** Σ over everything but the broadcast axis (float64). */
function sumToRef(x: Float64Array, inner: number, m: number): Float64Array {
  const outer = x.length / (inner * m);
  return sumOuterRef(reduceRowsRef('sum', x, inner, outer * m), outer, m);
}

function concatRef(a: Float64Array, b: Float64Array, N: number, Ca: number, Cb: number, inner: number): Float64Array {
  const out = new Float64Array(N * (Ca + Cb) * inner);
  for (let n = 0; n < N; n++) {
    out.set(a.subarray(n * Ca * inner, (n + 1) * Ca * inner), n * (Ca + Cb) * inner);
    out.set(b.subarray(n * Cb * inner, (n + 1) * Cb * inner), (n * (Ca + Cb) + Ca) * inner);
  }
  return out;
}

function sliceRef(x: Float64Array, N: number, C: number, off: number, count: number, inner: number): Float64Array {
  const out = new Float64Array(N * count * inner);
  for (let n = 0; n < N; n++) out.set(x.subarray((n * C + off) * inner, (n * C + off + count) * inner), n * count * inner);
  return out;
}

/** Single-head attention over qkv [N, 3C, HW] (blocks q, k, v), float64. */
function attentionRef(qkv: Float64Array, N: number, C: number, HW: number): Float64Array {
  const out = new Float64Array(N * C * HW);
  for (let n = 0; n < N; n++) {
    const base = n * 3 * C * HW;
    const q = (c: number, i: number) => qkv[base + c * HW + i];
    const k = (c: number, j: number) => qkv[base + (C + c) * HW + j];
    const v = (c: number, j: number) => qkv[base + (2 * C + c) * HW + j];
    for (let i = 0; i < HW; i++) {
      const s = new Float64Array(HW);
      for (let j = 0; j < HW; j++) for (let c = 0; c < C; c++) s[j] += (q(c, i) * k(c, j)) / Math.sqrt(C);
      const p = softmaxRowsRef(s, 1, HW);
      for (let c = 0; c < C; c++) for (let j = 0; j < HW; j++) out[(n * C + c) * HW + i] += v(c, j) * p[j];
    }
  }
  return out;
}

/** Stride-1 zero-padded NCHW convolution with OIHW weights (float64 loops). */
function conv2dRef(x: Float64Array, w: Float64Array, b: Float64Array | null, N: number, C: number, H: number, W: number, O: number, k: number, pad: number): Float64Array {
  const [OH, OW] = [H + 2 * pad - k + 1, W + 2 * pad - k + 1];
  const out = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let y = 0; y < OH; y++)
        for (let xx = 0; xx < OW; xx++) {
          let acc = b ? b[o] : 0;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const [sy, sx] = [y + ky - pad, xx + kx - pad];
                if (sy >= 0 && sx >= 0 && sy < H && sx < W) acc += w[((o * C + c) * k + ky) * k + kx] * x[((n * C + c) * H + sy) * W + sx];
              }
          out[((n * O + o) * OH + y) * OW + xx] = acc;
        }
  return out;
}

const [N, C, H, W] = [2, 3, 5, 3];
const HW = H * W;
const img = [N, C, H, W];

const cases: GradCase[] = [
  { name: 'axpby', inputs: [{ shape: img }, { shape: img }], forward: ([a, b]) => ag.axpby(0.7, a, -1.3, b), reference: ([a, b]) => axpbyRef(0.7, a, -1.3, b) },
  { name: 'add', inputs: [{ shape: [7] }, { shape: [7] }], forward: ([a, b]) => ag.add(a, b), reference: ([a, b]) => axpbyRef(1, a, 1, b) },
  { name: 'scale', inputs: [{ shape: [11] }], forward: ([x]) => ag.scale(x, -2.5), reference: ([x]) => mapRef('identity', x, -2.5) },
  { name: 'mul', inputs: [{ shape: img }, { shape: img }], forward: ([a, b]) => ag.mul(a, b), reference: ([a, b]) => mulRef(a, b) },
  { name: 'silu', inputs: [{ shape: img, range: [-4, 4] }], forward: ([x]) => ag.silu(x), reference: ([x]) => mapRef('silu', x) },
  { name: 'mulBroadcast per sample', inputs: [{ shape: img }, { shape: [N] }], forward: ([x, v]) => ag.mulBroadcast(x, v, C * HW), reference: ([x, v]) => broadcastMulRef(x, v, { inner: C * HW, m: N }) },
  { name: 'mulBroadcast per (n, c)', inputs: [{ shape: img }, { shape: [N * C] }], forward: ([x, v]) => ag.mulBroadcast(x, v, HW), reference: ([x, v]) => broadcastMulRef(x, v, { inner: HW, m: N * C }) },
  { name: 'mulBroadcast per channel', inputs: [{ shape: img }, { shape: [C] }], forward: ([x, v]) => ag.mulBroadcast(x, v, HW), reference: ([x, v]) => broadcastMulRef(x, v, { inner: HW, m: C }) },
  { name: 'addBroadcast per channel', inputs: [{ shape: img }, { shape: [C] }], forward: ([x, v]) => ag.addBroadcast(x, v, HW), reference: ([x, v]) => broadcastAddRef(1, x, 1, v, { inner: HW, m: C }) },
  { name: 'addBroadcast per (n, c)', inputs: [{ shape: img }, { shape: [N * C] }], forward: ([x, v]) => ag.addBroadcast(x, v, HW), reference: ([x, v]) => broadcastAddRef(1, x, 1, v, { inner: HW, m: N * C }) },
  { name: 'expandTo', inputs: [{ shape: [C] }], forward: ([v]) => ag.expandTo(v, img, HW), reference: ([v]) => expandRef(v, { inner: HW, m: C, n: N * C * HW }) },
  { name: 'sumTo channels', inputs: [{ shape: img }], forward: ([x]) => ag.sumTo(x, HW, C), reference: ([x]) => sumToRef(x, HW, C) },
  { name: 'sum', inputs: [{ shape: img }], forward: ([x]) => ag.sum(x), reference: ([x]) => sumToRef(x, x.length, 1) },
  { name: 'sumRows', inputs: [{ shape: [4, 9] }], forward: ([x]) => ag.sumRows(x, 9), reference: ([x]) => reduceRowsRef('sum', x, 9, 4) },
  { name: 'sumTo columns', inputs: [{ shape: [6, 5] }], forward: ([x]) => ag.sumTo(x, 1, 5), reference: ([x]) => sumOuterRef(x, 6, 5) },
  { name: 'reshape', inputs: [{ shape: img }], forward: ([x]) => ag.mul(ag.reshape(x, [N, C * HW]), ag.reshape(x, [N, C * HW])), reference: ([x]) => mulRef(x, x) },
  { name: 'concat', inputs: [{ shape: [N, 2, H, W] }, { shape: [N, 3, H, W] }], forward: ([a, b]) => ag.concat(a, b), reference: ([a, b]) => concatRef(a, b, N, 2, 3, HW) },
  { name: 'sliceChannels', inputs: [{ shape: [N, 5, H, W] }], forward: ([x]) => ag.sliceChannels(x, 1, 3), reference: ([x]) => sliceRef(x, N, 5, 1, 3, HW) },
  { name: 'padChannels', inputs: [{ shape: [N, 2, H, W] }], forward: ([x]) => ag.padChannels(x, 3, 6), reference: ([x]) => concatRef(concatRef(new Float64Array(N * 3 * HW), x, N, 3, 2, HW), new Float64Array(N * HW), N, 5, 1, HW) },
  { name: 'softmax', inputs: [{ shape: [3, 4, 7], range: [-3, 3] }], forward: ([x]) => ag.softmax(x, 7, 0.8), reference: ([x]) => softmaxRowsRef(x, 12, 7, 0.8) },
  { name: 'silu (activation kernel)', inputs: [{ shape: [37], range: [-5, 5] }], forward: ([x]) => ag.silu(x), reference: ([x]) => siluRef(x) },
  { name: 'dropout p = 0.3', inputs: [{ shape: [N, C, 4, 4] }], forward: ([x]) => ag.dropout(x, { p: 0.3, seed: 11, offset: 5 }), reference: ([x]) => dropoutRef(x, 0.3, 11, 5) },
  ...[false, true].map((silu): GradCase => ({
    name: `groupNorm${silu ? ' + SiLU' : ''}, 2 groups`,
    inputs: [{ shape: [2, 4, 3, 5] }, { shape: [4], range: [0.5, 1.5] }, { shape: [4] }],
    forward: ([x, g, b]) => ag.groupNorm(x, g, b, { groups: 2, eps: 1e-6, silu }),
    reference: ([x, g, b]) => groupNormRef(x, g, b, { batch: 2, channels: 4, groups: 2, height: 3, width: 5 }, { eps: 1e-6, fuseSilu: silu }).out,
  })),
  ...([['box', BOX_FILTER], ['FIR', FIR_FILTER]] as const).flatMap(([fname, f]): GradCase[] => [
    { name: `downsample ${fname}`, inputs: [{ shape: [2, 3, 6, 4] }], forward: ([x]) => ag.downsample(x, f), reference: ([x]) => downsample2xRef(x, { batch: 2, channels: 3, height: 6, width: 4 }, f) },
    { name: `upsample ${fname}`, inputs: [{ shape: [2, 3, 3, 2] }], forward: ([x]) => ag.upsample(x, f), reference: ([x]) => upsample2xRef(x, { batch: 2, channels: 3, height: 3, width: 2 }, f) },
  ]),
  { name: 'window (crop)', inputs: [{ shape: [2, 3, 6, 5] }], forward: ([x]) => ag.window(x, 4, 3, 1, 1), reference: ([x]) => window2dRef(x, { planes: 6, inH: 6, inW: 5, outH: 4, outW: 3, offY: 1, offX: 1 }) },
  { name: 'window (zero-pad)', inputs: [{ shape: [2, 3, 3, 2] }], forward: ([x]) => ag.window(x, 5, 5, -1, -2), reference: ([x]) => window2dRef(x, { planes: 6, inH: 3, inW: 2, outH: 5, outW: 5, offY: -1, offX: -2 }) },
  {
    name: 'linear',
    inputs: [{ shape: [5, 7] }, { shape: [4, 7] }, { shape: [4] }],
    forward: ([x, w, b]) => ag.linear(x, w, b),
    reference: ([x, w, b]) => gemmRef({ a: x, b: w, m: 5, n: 4, k: 7, transB: true, bias: b }),
  },
  {
    name: 'conv1x1',
    inputs: [{ shape: [3, 5, 2, 3] }, { shape: [4, 5] }, { shape: [4] }],
    forward: ([x, w, b]) => ag.conv1x1(x, w, b),
    reference: ([x, w, b]) => gemmRef({ a: w, b: x, m: 4, n: 6, k: 5, batch: 3, strideA: 0, bias: b, biasAxis: 'row' }),
  },
  {
    name: 'conv2d 3×3 pad 1',
    inputs: [{ shape: [3, 2, 5, 4] }, { shape: [4, 2, 3, 3] }, { shape: [4] }],
    forward: ([x, w, b]) => ag.conv2d(x, w, b, 1),
    reference: ([x, w, b]) => conv2dRef(x, w, b, 3, 2, 5, 4, 4, 3, 1),
  },
  {
    name: 'conv2d 3×3 pad 3 (fused-resample padding), no bias',
    inputs: [{ shape: [2, 3, 4, 4] }, { shape: [2, 3, 3, 3] }],
    forward: ([x, w]) => ag.conv2d(x, w, null, 3),
    reference: ([x, w]) => conv2dRef(x, w, null, 2, 3, 4, 4, 2, 3, 3),
  },
  { name: 'attention (1 head)', inputs: [{ shape: [2, 3 * 4, 3, 3] }], forward: ([qkv]) => ag.attention(qkv, 4), reference: ([qkv]) => attentionRef(qkv, 2, 4, 9) },
  // A tensor feeding several ops (gradients summed), the same tensor twice in one op, a constant input.
  {
    name: 'fan-out x·x + silu(x)·y + x',
    inputs: [{ shape: img }, { shape: img, grad: false }],
    forward: ([x, y]) => ag.add(ag.add(ag.mul(x, x), ag.mul(ag.silu(x), y)), x),
    reference: ([x, y]) => axpbyRef(1, axpbyRef(1, mulRef(x, x), 1, mulRef(mapRef('silu', x), y)), 1, x),
  },
  { name: 'add(x, x)', inputs: [{ shape: [5] }], forward: ([x]) => ag.add(x, x), reference: ([x]) => axpbyRef(1, x, 1, x) },
];

describe('autograd: gradient checks (float64 central differences)', () => {
  for (const c of cases) it(c.name, () => gradcheck(gpu, c), 600_000);
});

describe('autograd: long op chains', () => {
  it('300 ops between syncs give exact results', async () => {
    const x = ag.fromArray(gpu, new Float32Array([1, 2, 3, 4]), [4]);
    let y = x;
    for (let i = 0; i < 300; i++) {
      const next = ag.scale(y, i % 2 ? 0.5 : 2);
      if (y !== x) y.dispose();
      y = next;
    }
    expect(Array.from(await y.read())).toEqual([1, 2, 3, 4]);
    y.dispose();
    x.dispose();
  });

  // Runtime bug (packages/kernels/src/device.ts, reported): the dispatch that triggers the automatic
  // flush at 64 dispatches reads its Params from a uniform arena that the next batch rewrites.
  // Fixed in the runtime (Gpu.dispatch orders submit, Params write and pass); kept as a regression test.
  it('runtime: 200 raw dispatches without a submit keep their Params', async () => {
    const bufs = Array.from({ length: 200 }, (_, i) => gpu.alloc(4, `arena-${i}`));
    bufs.forEach((b, i) => fillValue(gpu, b, i + 1));
    const got: number[] = [];
    for (const b of bufs) got.push((await gpu.read(b))[0]);
    bufs.forEach((b) => b.release());
    expect(got).toEqual(bufs.map((_, i) => i + 1));
  });
});

describe('autograd: tape and memory', () => {
  it('leaf gradients accumulate across backward calls; zeroGrad releases them', async () => {
    const x = ag.fromArray(gpu, new Float32Array([1, 2, 3]), [3], { requiresGrad: true });
    for (let k = 0; k < 2; k++) {
      const tape = new ag.Tape();
      const loss = tape.run(() => ag.sum(ag.mul(x, x)));
      ag.backward(loss);
    }
    expect(Array.from(await x.grad!.read())).toEqual([4, 8, 12]);
    ag.zeroGrad([x]);
    expect(x.grad).toBeNull();
    x.dispose();
  });

  it('retained outputs survive backward; everything else is released', async () => {
    await gpu.sync();
    const live0 = gpu.pool.bytesLive;
    const x = ag.fromArray(gpu, new Float32Array(64).fill(0.5), [4, 16], { requiresGrad: true });
    const tape = new ag.Tape();
    const loss = tape.run(() => ag.sum(ag.silu(ag.scale(x, 3))));
    ag.backward(loss, { retain: [loss] });
    expect((await loss.read())[0]).toBeCloseTo(64 * (1.5 / (1 + Math.exp(-1.5))), 4);
    loss.dispose();
    x.dispose();
    expect(gpu.pool.bytesLive).toBe(live0);
  });

  it('no-grad results belong to the caller and are not recorded', () => {
    const x = ag.fromArray(gpu, new Float32Array([1, 2]), [2], { requiresGrad: true });
    const y = ag.noGrad(() => ag.scale(x, 2));
    expect(y.node).toBeNull();
    expect(y.requiresGrad).toBe(false);
    y.dispose();
    x.dispose();
    expect(() => y.buf).toThrow(/disposed/);
  });
});
