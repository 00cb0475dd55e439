// Host-side drivers of the block Jacobi kernels (jacobi.ts): the symmetric eigendecomposition `eigh`,
// the thin SVD `svd` (one-sided Jacobi) and top-k eigenpairs `eighTopK` (randomised subspace iteration
// with Rayleigh–Ritz). The GPU does all the O(n³) work; the host reads back one number per sweep
// (the convergence measure) and, at the end, the n eigen/singular values to sort them.
// Reference: jacobi.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { reduce } from './reduce.ts';
import { JACOBI_TILE, jacobiLayout, jacobiTiles, jacobiSymStep, jacobiOneSidedStep, offdiagRows, colSumsq, extractDiagonal, padMatrix, setIdentity, gatherCols, transposeMatrix, type JacobiLayout, type PairSolve } from './jacobi.ts';

export interface JacobiOptions {
  /** Stop when the convergence measure ≤ tol: eigh: ‖off(VᵀAV)‖_F/‖A‖_F; svd: max column cosine. */
  tol?: number;
  /** Upper bound on sweeps (default 30). */
  maxSweeps?: number;
  /** Upper bound on the sweeps of each 16×16 pair solve (default 12). */
  innerSweeps?: number;
}

export interface EighOptions extends JacobiOptions {
  /** Caller-owned outputs (else pooled buffers are allocated): vectors n×n, values n. */
  out?: { vectors?: GpuBuffer; values?: GpuBuffer };
}

export interface SvdOptions extends JacobiOptions {
  /** Caller-owned outputs: u m×r, v n×r, values r (r = min(m, n)). */
  out?: { u?: GpuBuffer; v?: GpuBuffer; values?: GpuBuffer };
}

function output(gpu: Gpu, given: GpuBuffer | undefined, length: number, label: string): GpuBuffer {
  if (!given) return gpu.alloc(length, label);
  if (given.length < length) throw new RangeError(`${label}: output '${given.label}' holds ${given.length} elements, fewer than ${length}`);
  return given;
}

export interface EighResult {
  n: number;
  /** Eigenvalues, descending. */
  values: Float32Array;
  /** The same values on the GPU (n). */
  valuesBuffer: GpuBuffer;
  /** n×n row-major U with A = U·diag(values)·Uᵀ: column k is the eigenvector of values[k]. */
  vectors: GpuBuffer;
  sweeps: number;
  /** Final ‖off(UᵀAU)‖_F/‖A‖_F (the Jacobi residual). */
  offNorm: number;
  converged: boolean;
  /** Wall-clock time of the decomposition, ms (upload of A excluded). */
  ms: number;
  /** Releases valuesBuffer and vectors. */
  release(): void;
}

export interface SvdResult {
  m: number;
  n: number;
  /** r = min(m, n) singular values, descending. */
  values: Float32Array;
  valuesBuffer: GpuBuffer;
  /** m×r row-major, orthonormal columns (a column whose σ is 0 relative to σ₀ is left zero). */
  u: GpuBuffer;
  /** n×r row-major, orthonormal columns: A = U·diag(σ)·Vᵀ. */
  v: GpuBuffer;
  sweeps: number;
  /** Largest cosine between two columns of AV in the last sweep. */
  offNorm: number;
  converged: boolean;
  ms: number;
  release(): void;
}

/** Largest square problem whose padded n×n matrix fits one storage binding. */
export function jacobiMaxSize(gpu: Gpu): number {
  return Math.floor(Math.sqrt(gpu.limits.maxStorageBufferBindingSize / 4) / JACOBI_TILE) * JACOBI_TILE;
}

function checkSize(gpu: Gpu, what: string, L: JacobiLayout, rows = L.npad): void {
  const bytes = rows * L.npad * 4;
  const max = gpu.limits.maxStorageBufferBindingSize;
  if (bytes > max) {
    throw new RangeError(`${what}: the padded ${rows}×${L.npad} matrix needs ${(bytes / 2 ** 20).toFixed(1)} MiB, over this device's maxStorageBufferBindingSize ${(max / 2 ** 20).toFixed(0)} MiB (square n ≤ ${jacobiMaxSize(gpu)}); panel binding is not implemented: use eighTopK or a smaller problem`);
  }
}

const DEFAULTS = { tol: 1e-6, maxSweeps: 30, innerSweeps: 12 };

async function readScalar(gpu: Gpu, buf: GpuBuffer): Promise<number> {
  return (await gpu.read(buf, 1))[0];
}

/** Indices 0..n−1 ordered by descending value (NaN last). */
function descending(values: ArrayLike<number>, n: number): Uint32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(values[i]) ? -Infinity : values[i]);
  idx.sort((x, y) => key(y) - key(x));
  return Uint32Array.from(idx);
}

/**
 * Symmetric eigendecomposition of the n×n row-major A (only (A + Aᵀ)/2 is used) by parallel
 * two-sided block Jacobi: a round-robin over 16-index blocks, each step diagonalising all n/32
 * disjoint 32×32 pair tiles at once (in workgroup memory) and applying their rotations to A and V.
 * A is not modified. n ≤ jacobiMaxSize(gpu) (5792 on a 128 MiB binding limit).
 */
export async function eigh(gpu: Gpu, a: GpuBuffer, n: number, opts: EighOptions = {}): Promise<EighResult> {
  const o = { ...DEFAULTS, ...opts };
  const L = jacobiLayout(n);
  checkSize(gpu, 'eigh', L);
  if (a.length < n * n) throw new RangeError(`eigh: '${a.label}' holds ${a.length} elements, fewer than n² = ${n * n}`);
  const t0 = performance.now();
  const A = gpu.alloc(L.npad * L.npad, 'eigh-a');
  const V = gpu.alloc(L.npad * L.npad, 'eigh-v');
  const q = gpu.alloc(jacobiTiles(L), 'eigh-q');
  const meas = gpu.alloc(L.npad, 'eigh-meas');
  const scalar = gpu.alloc(1, 'eigh-scalar');
  padMatrix(gpu, a, n, n, A, L.npad, true);
  setIdentity(gpu, V, L.npad);
  reduce(gpu, 'sumsq', A, scalar, L.npad * L.npad);
  const fro = Math.sqrt(await readScalar(gpu, scalar));
  let sweeps = 0;
  let off = 0;
  if (!Number.isFinite(fro)) throw new RangeError(`eigh: A has non-finite entries (‖A‖_F = ${fro})`);
  if (fro > 0) {
    const solve: PairSolve = { inner: o.innerSweeps, tiny: Math.max(1e-35, 1e-2 * o.tol * fro / L.npad), eps: 1e-7 };
    offdiagRows(gpu, A, L.npad, L.npad, meas);
    reduce(gpu, 'sum', meas, scalar, L.npad);
    off = Math.sqrt(await readScalar(gpu, scalar)) / fro;
    let prev = Infinity;
    while (off > o.tol && sweeps < o.maxSweeps) {
      for (let step = 0; step < L.steps; step++) jacobiSymStep(gpu, L, A, V, q, step, solve);
      sweeps++;
      offdiagRows(gpu, A, L.npad, L.npad, meas);
      reduce(gpu, 'sum', meas, scalar, L.npad);
      prev = off;
      off = Math.sqrt(await readScalar(gpu, scalar)) / fro;
      // Rounding floor: a sweep that no longer halves a tiny off-norm will not reach tol.
      if (off < 1e-4 && off > 0.5 * prev) break;
    }
  }
  extractDiagonal(gpu, A, n, L.npad, meas);
  const diag = await gpu.read(meas, n);
  const order = descending(diag, n);
  const values = Float32Array.from(order, (i) => diag[i]);
  const perm = gpu.upload(order, 'eigh-perm');
  const ones = gpu.upload(new Float32Array(n).fill(1), 'eigh-ones');
  const vectors = output(gpu, opts.out?.vectors, n * n, 'eigh-vectors');
  gatherCols(gpu, V, L.npad, n, n, perm, ones, vectors);
  const valuesBuffer = output(gpu, opts.out?.values, n, 'eigh-values');
  gpu.write(valuesBuffer, values);
  for (const b of [A, V, q, meas, scalar, perm, ones]) b.release();
  await gpu.sync();
  return {
    n,
    values,
    valuesBuffer,
    vectors,
    sweeps,
    offNorm: off,
    converged: off <= o.tol,
    ms: performance.now() - t0,
    release() {
      valuesBuffer.release();
      vectors.release();
    },
  };
}

/**
 * Thin SVD of the m×n row-major A by one-sided block Jacobi (Hestenes): column pairs of W = A·V are
 * rotated until orthogonal, σ_j = ‖W e_j‖, U = W·diag(1/σ). m < n goes through Aᵀ. A is not modified.
 */
export async function svd(gpu: Gpu, a: GpuBuffer, m: number, n: number, opts: SvdOptions = {}): Promise<SvdResult> {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`svd: m must be a positive integer, got ${m}`);
  if (a.length < m * n) throw new RangeError(`svd: '${a.label}' holds ${a.length} elements, fewer than m·n = ${m * n}`);
  if (m < n) {
    const at = gpu.alloc(m * n, 'svd-transpose');
    transposeMatrix(gpu, a, m, n, at);
    try {
      const r = await svd(gpu, at, n, m, { ...opts, out: opts.out && { u: opts.out.v, v: opts.out.u, values: opts.out.values } });
      return { ...r, m, n, u: r.v, v: r.u };
    } finally {
      at.release();
    }
  }
  const o = { ...DEFAULTS, ...opts };
  const L = jacobiLayout(n);
  checkSize(gpu, 'svd', L, Math.max(Math.ceil(m / JACOBI_TILE) * JACOBI_TILE, L.npad));
  const t0 = performance.now();
  const mpad = Math.ceil(m / JACOBI_TILE) * JACOBI_TILE;
  const W = gpu.alloc(mpad * L.npad, 'svd-w');
  const V = gpu.alloc(L.npad * L.npad, 'svd-v');
  const q = gpu.alloc(jacobiTiles(L), 'svd-q');
  const g = gpu.alloc(jacobiTiles(L), 'svd-g');
  const meas = gpu.alloc(Math.max(L.npad, L.pairs), 'svd-meas');
  const scalar = gpu.alloc(1, 'svd-scalar');
  padMatrix(gpu, a, m, n, W, L.npad, false, mpad);
  setIdentity(gpu, V, L.npad);
  colSumsq(gpu, W, m, n, L.npad, meas);
  reduce(gpu, 'max', meas, scalar, n);
  const maxsq = await readScalar(gpu, scalar);
  if (!Number.isFinite(maxsq)) throw new RangeError(`svd: A has non-finite entries`);
  const solve: PairSolve = { inner: o.innerSweeps, tiny: Math.max(1e-37, maxsq * 1e-14), eps: 1e-7 };
  let sweeps = 0;
  let off = maxsq > 0 ? Infinity : 0;
  while (off > o.tol && sweeps < o.maxSweeps) {
    for (let step = 0; step < L.steps; step++) jacobiOneSidedStep(gpu, L, W, mpad, V, q, g, meas, step, solve);
    sweeps++;
    reduce(gpu, 'max', meas, scalar, L.pairs);
    const prev = off;
    off = await readScalar(gpu, scalar);
    if (off < 1e-4 && off > 0.5 * prev) break;
  }
  colSumsq(gpu, W, m, n, L.npad, meas);
  const sq = await gpu.read(meas, n);
  const order = descending(sq, n);
  const values = Float32Array.from(order, (i) => Math.sqrt(Math.max(0, sq[i])));
  const cut = (values[0] ?? 0) * 1e-30;
  const inv = Float32Array.from(values, (s) => (s > cut && s > 0 ? 1 / s : 0));
  const perm = gpu.upload(order, 'svd-perm');
  const scale = gpu.upload(inv, 'svd-scale');
  const ones = gpu.upload(new Float32Array(n).fill(1), 'svd-ones');
  const u = output(gpu, opts.out?.u, m * n, 'svd-u');
  const v = output(gpu, opts.out?.v, n * n, 'svd-v');
  gatherCols(gpu, W, L.npad, m, n, perm, scale, u);
  gatherCols(gpu, V, L.npad, n, n, perm, ones, v);
  const valuesBuffer = output(gpu, opts.out?.values, n, 'svd-values');
  gpu.write(valuesBuffer, values);
  for (const b of [W, V, q, g, meas, scalar, perm, scale, ones]) b.release();
  await gpu.sync();
  return {
    m,
    n,
    values,
    valuesBuffer,
    u,
    v,
    sweeps,
    offNorm: off,
    converged: off <= o.tol,
    ms: performance.now() - t0,
    release() {
      valuesBuffer.release();
      u.release();
      v.release();
    },
  };
}
