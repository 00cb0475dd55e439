// Multi-delta (empirical optimal) denoiser, eq 5: GPU streaming softmax vs the float64 log-sum-exp reference.
import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, type GpuBuffer, multiDelta, multiDeltaRef, multiDeltaHasSubgroupPath, type MultiDeltaArgs, type MultiDeltaPath } from '@gausslens/kernels';
import { ATTENTION_REL, ATTENTION_NEAREST_REL, ATTENTION_MEAN_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, randomNormalArray, relError, POISON } from '../support/check.ts';

let gpu: Gpu;
let hasSg = false;
beforeAll(async () => {
  gpu = await getDevice();
  hasSg = multiDeltaHasSubgroupPath(gpu);
});

const SIGMAS = [0.002, 0.02, 1.5, 80];

/** Training images uniform in [-1, 1]; even queries are a random training image + σ·N(0, 1), odd ones pure noise in [-1, 1]. */
function problem(b: number, n: number, d: number, sigma: number) {
  const y = randomArray(n * d);
  const x = randomArray(b * d);
  const near: number[] = [];
  for (let q = 0; q < b; q += 2) {
    const i = Math.floor(Math.random() * n);
    near.push(i);
    const noise = randomNormalArray(d, sigma);
    for (let j = 0; j < d; j++) x[q * d + j] = y[i * d + j] + noise[j];
  }
  return { x, y, near };
}

interface Run {
  out: Float32Array;
  lse: Float32Array;
  maxWeight: Float32Array;
  plan: ReturnType<typeof multiDelta>;
}

/** Runs multiDelta with NaN-poisoned outputs; `train` defaults to one buffer holding y. */
async function run(x: Float32Array, y: Float32Array, b: number, n: number, d: number, sigma: number, extra: Partial<MultiDeltaArgs> = {}, train?: (ybuf: GpuBuffer) => MultiDeltaArgs['train']): Promise<Run> {
  const bx = gpu.upload(x);
  const by = gpu.upload(y);
  const out = gpu.alloc(b * d);
  const lse = gpu.alloc(b);
  const maxWeight = gpu.alloc(b);
  for (const buf of [out, lse, maxWeight]) gpu.fill(buf, POISON);
  const plan = multiDelta(gpu, { x: bx, train: train ? train(by) : by, b, n, d, sigma, out, lse, maxWeight, ...extra });
  const r = { out: await gpu.read(out), lse: await gpu.read(lse), maxWeight: await gpu.read(maxWeight), plan };
  for (const buf of [bx, by, out, lse, maxWeight]) buf.release();
  return r;
}

function expectMatchesRef(r: Run, x: Float32Array, y: Float32Array, b: number, n: number, d: number, sigma: number, what: string): void {
  const ref = multiDeltaRef(x, y, b, n, d, sigma);
  expectClose(r.out, ref.out, ATTENTION_REL, `${what}: out`);
  expectClose(r.lse, ref.lse, ATTENTION_REL, `${what}: lse`);
  expectClose(r.maxWeight, ref.maxWeight, ATTENTION_REL, `${what}: maxWeight`);
}

describe('multiDelta vs float64', () => {
  // (B, N, d, path): odd sizes; d = 784 runs the subgroup path under 'auto' where the device has one.
  const shapes: [number, number, number, MultiDeltaPath][] = [
    [1, 1, 1, 'auto'],
    [1, 7, 5, 'auto'],
    [3, 1001, 97, 'auto'],
    [17, 300, 784, 'auto'],
    [5, 150, 784, 'portable'],
  ];
  for (const [b, n, d, path] of shapes) {
    it(`B = ${b}, N = ${n}, d = ${d}, path ${path}, σ ∈ {${SIGMAS.join(', ')}}`, async () => {
      for (const sigma of SIGMAS) {
        const { x, y } = problem(b, n, d, sigma);
        const r = await run(x, y, b, n, d, sigma, { path });
        expectMatchesRef(r, x, y, b, n, d, sigma, `B ${b} N ${n} d ${d} σ ${sigma} (${r.plan.path})`);
      }
    });
  }

  it('the subgroup path on a 16-lane device, d % 4 == 0, every σ', async () => {
    if (!hasSg) return; // no subgroups of 16 lanes here: 'auto' takes the portable path everywhere
    const [b, n, d] = [3, 200, 12];
    for (const sigma of SIGMAS) {
      const { x, y } = problem(b, n, d, sigma);
      const r = await run(x, y, b, n, d, sigma, { path: 'subgroup' });
      expect(r.plan.path).toBe('subgroup');
      expectMatchesRef(r, x, y, b, n, d, sigma, `subgroup σ ${sigma}`);
    }
  });

  it('B = 64, N = 100000: many tiles and splits, no B×N matrix', async () => {
    const [b, n, d, sigma] = [64, 100_000, 4, 0.3];
    const { x, y } = problem(b, n, d, sigma);
    const r = await run(x, y, b, n, d, sigma);
    expect(r.plan.splits).toBeGreaterThan(1);
    expectMatchesRef(r, x, y, b, n, d, sigma, 'B 64 N 100000');
  });
});

describe('multiDelta limits in σ', () => {
  it('σ = 0.002: a query next to a training image returns that image, max weight 1', async () => {
    const [b, n, d, sigma] = [8, 333, 97, 0.002];
    for (const path of ['portable', 'auto'] as const) {
      const dd = path === 'auto' ? 96 : d;
      const { x, y, near } = problem(b, n, dd, sigma);
      const r = await run(x, y, b, n, dd, sigma, { path });
      near.forEach((i, k) => {
        const q = 2 * k;
        expectClose(r.out.subarray(q * dd, (q + 1) * dd), y.subarray(i * dd, (i + 1) * dd), ATTENTION_NEAREST_REL, `${path}: query ${q} vs training image ${i}`);
        expect(Math.abs(r.maxWeight[q] - 1), `${path}: max weight of query ${q}`).toBeLessThanOrEqual(ATTENTION_NEAREST_REL);
      });
    }
  });

  it('σ = 80: the output is the training mean, max weight ≈ 1/N', async () => {
    const [b, n, d, sigma] = [5, 1001, 64, 80];
    const y = randomArray(n * d);
    const x = randomArray(b * d);
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += y[i * d + j] / n;
    const r = await run(x, y, b, n, d, sigma);
    for (let q = 0; q < b; q++) {
      expect(relError(r.out.subarray(q * d, (q + 1) * d), mean), `query ${q}: ‖D_M − mean‖/‖mean‖`).toBeLessThanOrEqual(ATTENTION_MEAN_REL);
      expect(Math.abs(r.maxWeight[q] * n - 1), `query ${q}: N·max weight`).toBeLessThanOrEqual(ATTENTION_MEAN_REL);
    }
  });
});

describe('multiDelta split-N and panelled training sets', () => {
  it('forced splits (flash-decoding merge) match the single-pass result and the reference', async () => {
    const [b, n, d, sigma] = [6, 777, 97, 1.5];
    const { x, y } = problem(b, n, d, sigma);
    const one = await run(x, y, b, n, d, sigma, { splits: 1 });
    expect(one.plan.splits).toBe(1);
    for (const splits of [2, 7, 40]) {
      const r = await run(x, y, b, n, d, sigma, { splits });
      expect(r.plan.splits).toBe(splits);
      expectClose(r.out, one.out, ATTENTION_REL, `splits ${splits} vs 1`);
      expectMatchesRef(r, x, y, b, n, d, sigma, `splits ${splits}`);
    }
  });

  it('one buffer bound in small forced panels (offsets not multiples of 64 elements), with splits', async () => {
    for (const [d, path] of [[97, 'portable'], [100, 'auto']] as const) {
      const [b, n, sigma] = [5, 301, 1.0];
      const { x, y } = problem(b, n, d, sigma);
      const r = await run(x, y, b, n, d, sigma, { panelRows: 37, splits: 3, path });
      expect(r.plan.panels).toEqual([...Array(8).fill(37), 5]);
      expectMatchesRef(r, x, y, b, n, d, sigma, `d ${d} in panels of 37 rows`);
    }
  });

  it('a list of row panels from separate buffers and odd offsets (mixed paths)', async () => {
    const [b, n, d, sigma] = [4, 250, 48, 0.5];
    const { x, y } = problem(b, n, d, sigma);
    // Rows [0, 100) in their own buffer; rows [100, 250) inside a larger buffer at element offset 2 (not a multiple of 4).
    const first = gpu.upload(y.subarray(0, 100 * d));
    const host = new Float32Array(2 + 150 * d + 7).fill(Number.NaN);
    host.set(y.subarray(100 * d), 2);
    const second = gpu.upload(host);
    const r = await run(x, y, b, n, d, sigma, {}, () => [first, { buffer: second, offset: 2, length: 150 * d }]);
    expect(r.plan.panels).toEqual([100, 150]);
    if (hasSg) expect(r.plan.path).toBe('mixed');
    expectMatchesRef(r, x, y, b, n, d, sigma, 'panel list');
    first.release();
    second.release();
  });

  it('50 calls recorded back to back (past the 64-dispatch automatic submit) each keep their own σ', async () => {
    const [b, n, d] = [2, 50, 12];
    const { x, y } = problem(b, n, d, 0.5);
    const bx = gpu.upload(x);
    const by = gpu.upload(y);
    const sigmas = Array.from({ length: 50 }, (_, i) => 0.05 + 0.05 * i);
    const outs = sigmas.map(() => gpu.alloc(b * d));
    for (const o of outs) gpu.fill(o, POISON);
    sigmas.forEach((sigma, i) => multiDelta(gpu, { x: bx, train: by, b, n, d, sigma, out: outs[i], splits: 1 + (i % 3) }));
    for (let i = 0; i < sigmas.length; i++) expectClose(await gpu.read(outs[i]), multiDeltaRef(x, y, b, n, d, sigmas[i]).out, ATTENTION_REL, `call ${i}, σ ${sigmas[i]}`);
    for (const buf of [bx, by, ...outs]) buf.release();
  });

  it('rejects panels that do not hold whole rows or too few rows, σ ≤ 0 and aliased outputs', () => {
    const buf = gpu.alloc(100);
    const out = gpu.alloc(10);
    expect(() => multiDelta(gpu, { x: buf, train: [{ buffer: buf, offset: 0, length: 15 }], b: 1, n: 1, d: 10, sigma: 1, out })).toThrow(/not a multiple of d/);
    expect(() => multiDelta(gpu, { x: buf, train: buf, b: 1, n: 11, d: 10, sigma: 1, out })).toThrow(/fewer than n = 11/);
    expect(() => multiDelta(gpu, { x: buf, train: buf, b: 1, n: 5, d: 10, sigma: 0, out })).toThrow(/sigma/);
    expect(() => multiDelta(gpu, { x: buf, train: out, b: 1, n: 1, d: 10, sigma: 1, out })).toThrow(/distinct buffers/);
    buf.release();
    out.release();
  });
});
