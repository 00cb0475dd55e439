// Top-k eigenpairs of a large symmetric matrix: randomised subspace iteration with the GEMM wrapper,
// Cholesky-QR2 orthonormalisation (the l×l Gram is factored on the host in float64) and Rayleigh–Ritz
// with eigh (eigen.ts) on the small projected matrix. Reference: jacobi.ref.ts (eighTopKRef).
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { gemm } from './gemm.ts';
import { randomNormal } from './random.ts';
import { gatherCols } from './jacobi.ts';
import { eigh, type JacobiOptions } from './eigen.ts';

export interface TopKOptions extends JacobiOptions {
  /** Extra basis vectors beyond k (default min(n − k, max(16, k/8))). */
  oversample?: number;
  /** Power (subspace) iterations A·Q (default 4). */
  iterations?: number;
  /** Seed of the random start block (default: from Math.random). */
  seed?: number;
}

export interface TopKResult {
  n: number;
  k: number;
  /** The k largest eigenvalues (Ritz values), descending. */
  values: Float32Array;
  /** n×k row-major: column j is the Ritz vector of values[j]. */
  vectors: GpuBuffer;
  /** Subspace dimension k + oversample. */
  basis: number;
  iterations: number;
  /** Sweeps (0 for eigh's tridiagonal method) and final off-norm/residual of the projected matrix's eigh. */
  sweeps: number;
  offNorm: number;
  ms: number;
  release(): void;
}

/** Upper-triangular R with RᵀR = G + shift·I (float64, row-major l×l), or null if not positive definite. */
function cholesky(g: Float64Array, l: number, shift: number): Float64Array | null {
  const r = new Float64Array(l * l);
  for (let j = 0; j < l; j++) {
    let d = g[j * l + j] + shift;
    for (let k = 0; k < j; k++) d -= r[k * l + j] ** 2;
    if (!(d > 0)) return null;
    const rjj = Math.sqrt(d);
    r[j * l + j] = rjj;
    for (let i = j + 1; i < l; i++) {
      let s = g[j * l + i];
      for (let k = 0; k < j; k++) s -= r[k * l + j] * r[k * l + i];
      r[j * l + i] = s / rjj;
    }
  }
  return r;
}

/** R⁻¹ of an upper-triangular R (float64). */
function invUpper(r: Float64Array, l: number): Float64Array {
  const x = new Float64Array(l * l);
  for (let j = l - 1; j >= 0; j--) {
    x[j * l + j] = 1 / r[j * l + j];
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r[i * l + k] * x[k * l + j];
      x[i * l + j] = -s / r[i * l + i];
    }
  }
  return x;
}

/**
 * Y (n×l) ← Y·R⁻¹ with RᵀR = YᵀY (+ a small shift on the first pass), twice (Cholesky-QR2): the
 * columns of Y become orthonormal. `tmp` is an n×l scratch buffer; returns the buffer now holding Q.
 */
async function cholQR2(gpu: Gpu, y: GpuBuffer, tmp: GpuBuffer, n: number, l: number): Promise<{ q: GpuBuffer; spare: GpuBuffer }> {
  const gram = gpu.alloc(l * l, 'topk-gram');
  let src = y;
  let dst = tmp;
  for (let pass = 0; pass < 2; pass++) {
    gemm(gpu, { a: src, b: src, c: gram, m: l, n: l, k: n, transA: true });
    const g32 = await gpu.read(gram, l * l);
    const g = new Float64Array(l * l);
    let trace = 0;
    for (let i = 0; i < l; i++) {
      trace += g32[i * l + i];
      for (let j = 0; j < l; j++) g[i * l + j] = 0.5 * (g32[i * l + j] + g32[j * l + i]);
    }
    // Float32 Grams lose directions below ~1e-7·‖Y‖²: the first pass is shifted to stay definite.
    let shift = pass === 0 ? 1e-6 * trace : 0;
    let r = cholesky(g, l, shift);
    while (!r) {
      shift = Math.max(shift * 10, 1e-7 * trace);
      r = cholesky(g, l, shift);
    }
    const rinv = gpu.upload(Float32Array.from(invUpper(r, l)), 'topk-rinv');
    gemm(gpu, { a: src, b: rinv, c: dst, m: n, n: l, k: l });
    rinv.release();
    [src, dst] = [dst, src];
  }
  gram.release();
  return { q: src, spare: dst };
}

/**
 * The k largest eigenpairs of the symmetric n×n row-major A by randomised subspace iteration:
 * Q ← orth(A·Q) `iterations` times from a Gaussian start block of l = k + oversample columns, then
 * Rayleigh–Ritz: B = Qᵀ·A·Q (l×l), B = W·Θ·Wᵀ by eigh, U = Q·W[:, :k]. Accurate when the
 * spectrum decays past k (error ~ (λ_{l+1}/λ_k)^(2·iterations+1) in the values).
 */
export async function eighTopK(gpu: Gpu, a: GpuBuffer, n: number, k: number, opts: TopKOptions = {}): Promise<TopKResult> {
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`eighTopK: k = ${k} must be an integer in [1, n = ${n}]`);
  if (a.length < n * n) throw new RangeError(`eighTopK: '${a.label}' holds ${a.length} elements, fewer than n² = ${n * n}`);
  const t0 = performance.now();
  const l = Math.min(n, k + (opts.oversample ?? Math.max(16, Math.ceil(k / 8))));
  const iterations = opts.iterations ?? 4;
  let q = gpu.alloc(n * l, 'topk-q');
  let y = gpu.alloc(n * l, 'topk-y');
  randomNormal(gpu, q, { seed: opts.seed ?? Math.floor(Math.random() * 2 ** 32) }, n * l);
  ({ q, spare: y } = await cholQR2(gpu, q, y, n, l));
  for (let it = 0; it < iterations; it++) {
    gemm(gpu, { a, b: q, c: y, m: n, n: l, k: n });
    ({ q, spare: y } = await cholQR2(gpu, y, q, n, l));
  }
  // Rayleigh–Ritz.
  gemm(gpu, { a, b: q, c: y, m: n, n: l, k: n });
  const bmat = gpu.alloc(l * l, 'topk-b');
  gemm(gpu, { a: q, b: y, c: bmat, m: l, n: l, k: n, transA: true });
  const small = await eigh(gpu, bmat, l, opts);
  gemm(gpu, { a: q, b: small.vectors, c: y, m: n, n: l, k: l });
  const vectors = gpu.alloc(n * k, 'topk-vectors');
  const perm = gpu.upload(Uint32Array.from({ length: k }, (_, i) => i), 'topk-perm');
  const ones = gpu.upload(new Float32Array(k).fill(1), 'topk-ones');
  gatherCols(gpu, y, l, n, k, perm, ones, vectors);
  for (const b of [q, y, bmat, perm, ones]) b.release();
  small.release();
  await gpu.sync();
  return {
    n,
    k,
    values: small.values.slice(0, k),
    vectors,
    basis: l,
    iterations,
    sweeps: small.sweeps,
    offNorm: small.offNorm,
    ms: performance.now() - t0,
    release() {
      vectors.release();
    },
  };
}
