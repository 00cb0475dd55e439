import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, gemm, gemmRef, gemmFlops, type GemmOptions } from '@gausslens/kernels';
import { gemmRel } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

interface Case {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  batch?: number;
  alpha?: number;
  beta?: number;
  bias?: 'col' | 'row';
  strideA?: number;
  strideB?: number;
  strideC?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
}

/**
 * Runs one GEMM on fresh random inputs and compares it with the float64 reference. C is poisoned with NaN
 * when beta = 0 (so every output must be written and C must not be read); elements of the C buffer outside
 * the outputs must come back untouched.
 */
async function check(c: Case, options: GemmOptions = {}): Promise<void> {
  const batch = c.batch ?? 1;
  const sA = c.strideA ?? c.m * c.k;
  const sB = c.strideB ?? c.k * c.n;
  const sC = c.strideC ?? c.m * c.n;
  const oA = c.offsetA ?? 0;
  const oB = c.offsetB ?? 0;
  const oC = c.offsetC ?? 0;
  const A = randomArray(oA + (batch - 1) * sA + c.m * c.k);
  const B = randomArray(oB + (batch - 1) * sB + c.k * c.n);
  const lenC = oC + (batch - 1) * sC + c.m * c.n + 5;
  const beta = c.beta ?? 0;
  const C0 = beta !== 0 ? randomArray(lenC) : new Float32Array(lenC).fill(POISON);
  const bias = c.bias ? randomArray(c.bias === 'col' ? c.n : c.m) : undefined;
  const a = gpu.upload(A);
  const b = gpu.upload(B);
  const out = gpu.alloc(lenC);
  if (beta !== 0) gpu.write(out, C0);
  else gpu.fill(out, POISON);
  const bb = bias ? gpu.upload(bias) : undefined;
  gemm(gpu, { a, b, c: out, m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta, bias: bb, biasAxis: c.bias, batch, strideA: c.strideA, strideB: c.strideB, strideC: c.strideC, offsetA: oA, offsetB: oB, offsetC: oC }, options);
  const got = await gpu.read(out);
  const ref = gemmRef({ a: A, b: B, c: C0, m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta, bias, biasAxis: c.bias, batch, strideA: c.strideA, strideB: c.strideB, offsetA: oA, offsetB: oB, offsetC: oC });
  const outputs = new Float32Array(batch * c.m * c.n);
  const isOutput = new Uint8Array(lenC);
  for (let z = 0; z < batch; z++)
    for (let e = 0; e < c.m * c.n; e++) {
      outputs[z * c.m * c.n + e] = got[oC + z * sC + e];
      isOutput[oC + z * sC + e] = 1;
    }
  const what = `${c.m}×${c.n}×${c.k}${c.transA ? ' Aᵀ' : ''}${c.transB ? ' Bᵀ' : ''}${batch > 1 ? ` batch ${batch}` : ''} ${options.path ?? 'auto'}`;
  expectClose(outputs, ref, gemmRel(c.k), what);
  for (let i = 0; i < lenC; i++) {
    if (!isOutput[i] && !Object.is(got[i], C0[i]) && !(Number.isNaN(got[i]) && Number.isNaN(C0[i]))) throw new Error(`${what}: C[${i}] outside the outputs was overwritten (${C0[i]} → ${got[i]})`);
  }
  for (const x of [a, b, out, bb]) x?.release();
}

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const tag = (tA: boolean, tB: boolean) => `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'}`;

describe('gemm', () => {
  it('exports the flop count', () => {
    expect(gemmFlops(2, 3, 4)).toBe(48);
    expect(gemmFlops(2, 3, 4, 5)).toBe(240);
  });

  for (const [tA, tB] of TRANSPOSES) {
    it(`${tag(tA, tB)} 17×33×65 on the default path and the tiled path`, async () => {
      await check({ m: 17, n: 33, k: 65, transA: tA, transB: tB });
      await check({ m: 17, n: 33, k: 65, transA: tA, transB: tB }, { path: 'tiled' });
    });
  }

  it('matrix-vector shapes, all transposes: 1×300×77 and 65×1×300', async () => {
    for (const [tA, tB] of TRANSPOSES) {
      await check({ m: 1, n: 300, k: 77, transA: tA, transB: tB });
      await check({ m: 65, n: 1, k: 300, transA: tA, transB: tB, bias: 'row' });
    }
  });

  it('odd and aligned shapes: 1×1×1, 1×4096×1, 2×2×3; 64×128×96 and 68×72×40 Aᵀ·Bᵀ (vec4 loads)', async () => {
    await check({ m: 1, n: 1, k: 1 });
    await check({ m: 1, n: 4096, k: 1 });
    await check({ m: 2, n: 2, k: 3, transA: true });
    await check({ m: 64, n: 128, k: 96 });
    await check({ m: 64, n: 128, k: 96 }, { path: 'tiled' });
    await check({ m: 68, n: 72, k: 40, transA: true, transB: true, batch: 2 });
    await check({ m: 68, n: 72, k: 40, transA: true, transB: true, batch: 2 }, { path: 'tiled' });
  });

  it('batched with broadcast operands (stride 0), alpha and beta ≠ 0, bias on both axes', async () => {
    await check({ m: 19, n: 35, k: 21, batch: 3, strideA: 0, alpha: 0.75, beta: -1.25, bias: 'col' });
    await check({ m: 19, n: 35, k: 21, batch: 4, strideB: 0, transB: true, alpha: -2, bias: 'row' });
    await check({ m: 19, n: 35, k: 21, batch: 3, strideA: 0, alpha: 0.75, beta: 0.5, bias: 'row' }, { path: 'tiled' });
    await check({ m: 1, n: 40, k: 33, batch: 3, strideA: 0, beta: 2, bias: 'col' });
    await check({ m: 30, n: 1, k: 33, batch: 2, strideB: 0, alpha: 3, bias: 'col' });
  });

  it('K = 100 000 on skinny shapes (split-K): 3×5, 1×9, 7×1 and the tiled path', async () => {
    await check({ m: 3, n: 5, k: 100_000, transA: true, beta: 1, bias: 'row' });
    await check({ m: 1, n: 9, k: 100_000 });
    await check({ m: 7, n: 1, k: 100_000, transA: true });
    await check({ m: 3, n: 5, k: 100_000, transB: true }, { path: 'tiled' });
  });

  it('offsets, strides with gaps and forced split counts', async () => {
    await check({ m: 17, n: 33, k: 65, offsetA: 3, offsetB: 70, offsetC: 129, batch: 2, strideC: 17 * 33 + 11 });
    await check({ m: 17, n: 33, k: 65, offsetA: 3, offsetB: 70, offsetC: 129 }, { splits: 3 });
    await check({ m: 17, n: 33, k: 65, transA: true, offsetA: 5, offsetC: 1 }, { path: 'tiled', splits: 5 });
  });

  it('binds operands over the binding limit in panels (limit lowered to 4096 elements)', async () => {
    const maxBindingElements = 4096;
    await check({ m: 200, n: 33, k: 65, offsetA: 7, offsetC: 3 }, { maxBindingElements }); // row panels of A and C
    await check({ m: 17, n: 120, k: 65, transB: true, bias: 'col' }, { maxBindingElements }); // column panels of B and C
    await check({ m: 40, n: 33, k: 65, batch: 3 }, { maxBindingElements }); // one batch item a dispatch
    await check({ m: 1, n: 300, k: 65, transB: true }, { maxBindingElements }); // gemv on column panels
    await check({ m: 200, n: 33, k: 65 }, { maxBindingElements, path: 'tiled' });
  });

  it('leaves the pool as it found it (split-K partials, tiny panels)', async () => {
    const a = gpu.upload(randomArray(3 * 3000));
    const b = gpu.upload(randomArray(3000 * 5));
    const c = gpu.alloc(15);
    const before = gpu.pool.bytesLive;
    gemm(gpu, { a, b, c, m: 1, n: 1, k: 1 });
    gemm(gpu, { a, b, c, m: 3, n: 5, k: 3000 }, { splits: 4 });
    gemm(gpu, { a, b, c, m: 1, n: 5, k: 3000 }, { splits: 4 });
    await gpu.sync();
    expect(gpu.pool.bytesLive).toBe(before);
    for (const x of [a, b, c]) x.release();
  });

  it('throws a clear error for layouts it cannot panel, aliasing and short buffers', () => {
    const a = gpu.alloc(200 * 65);
    const b = gpu.alloc(65 * 300);
    const c = gpu.alloc(200 * 300);
    const opts = { maxBindingElements: 4096 };
    expect(() => gemm(gpu, { a, b, c, m: 200, n: 33, k: 65, transA: true }, opts)).toThrow(/row panels of A need A not transposed/);
    expect(() => gemm(gpu, { a, b, c, m: 17, n: 300, k: 65 }, opts)).toThrow(/column panels of B need transB/);
    expect(() => gemm(gpu, { a, b: a, c: a, m: 2, n: 2, k: 2 })).toThrow(/separate buffer/);
    expect(() => gemm(gpu, { a, b, c, m: 201, n: 65, k: 65 })).toThrow(/holds 13000 elements/);
    expect(() => gemm(gpu, { a, b, c, m: 2, n: 2, k: 2, batch: 2, strideC: 1 })).toThrow(/overwrite/);
    for (const x of [a, b, c]) x.release();
  });

  it('a real over-limit A (134 MB > 128 MiB) in row panels', async () => {
    const limit = gpu.limits.maxStorageBufferBindingSize / 4;
    const k = 4099;
    const m = Math.ceil((limit + 4096) / k); // A is just over one binding
    const n = 3;
    const A = randomArray(m * k);
    const B = randomArray(k * n);
    const a = gpu.upload(A);
    const b = gpu.upload(B);
    const out = gpu.alloc(m * n);
    gpu.fill(out, POISON);
    gemm(gpu, { a, b, c: out, m, n, k });
    const got = await gpu.read(out);
    // Reference on a sample of rows (the whole float64 product is 100M multiply-adds).
    const rows = [0, 1, m >> 1, m - 2, m - 1, ...Array.from({ length: 27 }, () => Math.floor(Math.random() * m))];
    const sub = new Float64Array(rows.length * n);
    const gotSub = new Float32Array(rows.length * n);
    rows.forEach((i, r) => {
      const ref = gemmRef({ a: A.subarray(i * k, (i + 1) * k), b: B, m: 1, n, k });
      sub.set(ref, r * n);
      gotSub.set(got.subarray(i * n, (i + 1) * n), r * n);
    });
    expectClose(gotSub, sub, gemmRel(k), `${m}×${n}×${k} over the binding limit`);
    for (let i = 0; i < got.length; i++) if (!Number.isFinite(got[i])) throw new Error(`row ${Math.floor(i / n)} not written`);
    for (const x of [a, b, out]) x.release();
  });
});
