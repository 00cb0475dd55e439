// Host-side drivers of the eigen kernels (jacobi.ts): the symmetric eigendecomposition `eigh`, the
// thin SVD `svd` (one-sided Jacobi) and top-k eigenpairs `eighTopK` (eigentopk.ts).
// eigh has two methods. 'tridiagonal' (the default): Householder reduction A = Q·T·Qᵀ on the GPU (3
// dispatches a column, no read-back), the tridiagonal T solved on the host in float64 (implicit QL for
// the values, inverse iteration for the vectors: O(n²) but for clusters), and V = Q·Z by blocked
// (compact WY) reflectors with the GEMM kernel. 'jacobi': parallel two-sided block Jacobi, all on the
// GPU with one read-back a sweep; ~20× the flops of the tridiagonal route at n = 784.
// The GPU does all the O(n³) work. Reference: jacobi.ref.ts.
//
// Flushing note: the device batches 64 dispatches a submit and recycles its uniform arena on every
// flush; a dispatch whose uniform was taken just before the batch-limit flush can find its Params
// overwritten by the next batch (device.ts, computePass()/uniform()). Long dispatch loops here flush
// explicitly every few dispatches so that the batch limit is never reached.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { reduce } from './reduce.ts';
import { gemm } from './gemm.ts';
import { JACOBI_TILE, jacobiLayout, jacobiTiles, jacobiSymStep, jacobiOneSidedStep, offdiagRows, colSumsq, extractDiagonal, padMatrix, setIdentity, gatherCols, transposeMatrix, tridiagonalize, type JacobiLayout, type PairSolve } from './jacobi.ts';

export interface JacobiOptions {
  /** Stop when the convergence measure ≤ tol: eigh: ‖off(VᵀAV)‖_F/‖A‖_F; svd: max column cosine. */
  tol?: number;
  /** Upper bound on sweeps (default 30). */
  maxSweeps?: number;
  /** Upper bound on the sweeps of each 16×16 pair solve (default 12). */
  innerSweeps?: number;
}

export type EighMethod = 'auto' | 'tridiagonal' | 'jacobi';

export interface EighOptions extends JacobiOptions {
  /** Caller-owned outputs (else pooled buffers are allocated): vectors n×n, values n. */
  out?: { vectors?: GpuBuffer; values?: GpuBuffer };
  /** 'auto' (default): tridiagonal for n ≥ 2; 'jacobi' keeps the block Jacobi sweeps (tol, maxSweeps apply). */
  method?: EighMethod;
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
  /** Jacobi sweeps (0 for the tridiagonal method). */
  sweeps: number;
  /**
   * Jacobi: final ‖off(UᵀAU)‖_F/‖A‖_F. Tridiagonal: ‖AU − UΛ‖_F/‖A‖_F measured on the GPU in float32
   * (for orthonormal U the same quantity plus the diagonal's error; its float32 floor is ~1e-7·√n).
   */
  offNorm: number;
  /** Jacobi: offNorm ≤ tol. Tridiagonal: the QL iteration converged for every eigenvalue. */
  converged: boolean;
  /** Wall-clock time of the decomposition, ms (upload of A excluded). */
  ms: number;
  /** Which method ran. */
  method: 'tridiagonal' | 'jacobi';
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
 * Symmetric eigendecomposition of the n×n row-major A (only (A + Aᵀ)/2 is used): values descending,
 * U (n×n row-major) with column k the eigenvector of values[k]. A is not modified.
 * Method 'tridiagonal' (default, see the file header) or 'jacobi': parallel two-sided block Jacobi,
 * a round-robin over 8-index blocks, each step diagonalising all disjoint 16×16 pair tiles at once and
 * applying their rotations to A and V. n ≤ jacobiMaxSize(gpu) (5792 on a 128 MiB binding limit).
 */
export async function eigh(gpu: Gpu, a: GpuBuffer, n: number, opts: EighOptions = {}): Promise<EighResult> {
  const method = opts.method ?? 'auto';
  if (method !== 'auto' && method !== 'tridiagonal' && method !== 'jacobi') throw new RangeError(`eigh: unknown method '${String(method)}'`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`eigh: size must be a positive integer, got ${n}`);
  return method === 'jacobi' || n === 1 ? eighJacobi(gpu, a, n, opts) : eighTridiagonal(gpu, a, n, opts);
}

async function eighJacobi(gpu: Gpu, a: GpuBuffer, n: number, opts: EighOptions): Promise<EighResult> {
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
      gpu.flush();
      for (let step = 0; step < L.steps; step++) {
        jacobiSymStep(gpu, L, A, V, q, step, solve);
        gpu.flush(); // 4 dispatches a step: never reach the device's 64-dispatch batch limit (see the flushing note)
      }
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
    method: 'jacobi',
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
    gpu.flush();
    for (let step = 0; step < L.steps; step++) {
      jacobiOneSidedStep(gpu, L, W, mpad, V, q, g, meas, step, solve);
      gpu.flush(); // see the flushing note
    }
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

// ---- tridiagonal method ----------------------------------------------------------------------------

/** Reflectors a compact-WY block of the back-transformation V = Q·Z. */
const WY_BLOCK = 32;

async function eighTridiagonal(gpu: Gpu, a: GpuBuffer, n: number, opts: EighOptions): Promise<EighResult> {
  if (n * n * 4 > gpu.limits.maxStorageBufferBindingSize) throw new RangeError(`eigh: the ${n}×${n} matrix is over this device's maxStorageBufferBindingSize; use eighTopK or a smaller problem`);
  if (a.length < n * n) throw new RangeError(`eigh: '${a.label}' holds ${a.length} elements, fewer than n² = ${n * n}`);
  const t0 = performance.now();
  const ld = Math.ceil(n / 4) * 4;
  const hvLen = Math.ceil((n * ld) / 64) * 64;
  const S = gpu.alloc(n * n, 'eigh-sym'); // (A + Aᵀ)/2, kept for the residual
  const W = gpu.alloc(n * ld, 'eigh-work');
  const hvTri = gpu.alloc(hvLen + 3 * ld, 'eigh-reflectors'); // u_k rows, then d, e, τ (one read-back)
  const tri = gpu.alloc(3 * ld, 'eigh-tri');
  const pv = gpu.alloc(ld, 'eigh-p');
  const wv = gpu.alloc(ld, 'eigh-w');
  const scal = gpu.alloc(2, 'eigh-norms');
  padMatrix(gpu, a, n, n, S, n, true);
  padMatrix(gpu, S, n, n, W, ld);
  reduce(gpu, 'sumsq', S, scal, n * n);
  tridiagonalize(gpu, W, n, ld, { hv: { buffer: hvTri, offset: 0, length: n * ld }, p: pv, w: wv, tri });
  gpu.copy(tri, hvTri, 3 * ld, 0, hvLen);
  const host = await gpu.read(hvTri, hvLen + 3 * ld);
  for (const b of [W, pv, wv, tri, hvTri]) b.release();
  const d = host.subarray(hvLen, hvLen + n);
  const e = host.subarray(hvLen + ld, hvLen + ld + n - 1);
  const tau = host.subarray(hvLen + 2 * ld, hvLen + 2 * ld + Math.max(0, n - 2));
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(d[i]) || (i + 1 < n && !Number.isFinite(e[i]))) {
      for (const b of [S, scal]) b.release();
      throw new RangeError('eigh: A has non-finite entries');
    }
  }
  // T = Z·Λ·Zᵀ on the host (float64), values descending, Z's columns in that order.
  const te = tridiagonalEig(d, e, n);
  const values = new Float32Array(n);
  const z = new Float32Array(n * n);
  for (let c = 0; c < n; c++) {
    const r = n - 1 - c;
    values[c] = te.values[r];
    for (let i = 0; i < n; i++) z[i * n + c] = te.vectors[r * n + i];
  }
  const vectors = output(gpu, opts.out?.vectors, n * n, 'eigh-vectors');
  gpu.write(vectors, z);
  backTransform(gpu, host, ld, tau, n, vectors);
  gpu.flush();
  // Residual R = S·V − V·Λ.
  const R = gpu.alloc(n * n, 'eigh-residual');
  const ident = gpu.upload(Uint32Array.from({ length: n }, (_, i) => i), 'eigh-perm');
  const negValues = gpu.upload(values.map((v) => -v), 'eigh-neg-values');
  gatherCols(gpu, vectors, n, n, n, ident, negValues, R);
  gemm(gpu, { a: S, b: vectors, c: R, m: n, n, k: n, beta: 1 });
  const rsq = gpu.alloc(1, 'eigh-residual-norm');
  reduce(gpu, 'sumsq', R, rsq, n * n);
  gpu.copy(rsq, scal, 1, 0, 1);
  const norms = await gpu.read(scal, 2);
  rsq.release();
  const valuesBuffer = output(gpu, opts.out?.values, n, 'eigh-values');
  gpu.write(valuesBuffer, values);
  for (const b of [S, scal, R, ident, negValues]) b.release();
  await gpu.sync();
  const fro = Math.sqrt(norms[0]);
  return {
    n,
    values,
    valuesBuffer,
    vectors,
    sweeps: 0,
    offNorm: fro > 0 ? Math.sqrt(norms[1]) / fro : 0,
    converged: te.ok,
    ms: performance.now() - t0,
    method: 'tridiagonal',
    release() {
      valuesBuffer.release();
      vectors.release();
    },
  };
}

/**
 * V ← Q·V for Q = H₀H₁…H_{n−3} (reflectors u_k in the rows of hv, leading dimension ld), in blocks of
 * WY_BLOCK: Q_b = I − Y·T·Yᵀ (LAPACK dlarft, forward, columnwise; Y and T formed on the host in
 * float64, M = Y·T uploaded), applied last block first with two GEMMs on rows k0+1.. of V:
 * W = Yᵀ·V₂, V₂ ← V₂ − M·W.
 */
function backTransform(gpu: Gpu, hv: Float32Array, ld: number, tau: ArrayLike<number>, n: number, v: GpuBuffer): void {
  const nref = n - 2;
  if (nref <= 0) return;
  const blocks: { k0: number; nb: number; at: number }[] = [];
  let total = 0;
  for (let k0 = 0; k0 < nref; k0 += WY_BLOCK) {
    const nb = Math.min(WY_BLOCK, nref - k0);
    blocks.push({ k0, nb, at: total });
    total += Math.ceil(((n - k0 - 1) * nb) / 64) * 64;
  }
  const yAll = new Float32Array(total);
  const mAll = new Float32Array(total);
  for (const { k0, nb, at } of blocks) {
    const ms = n - k0 - 1; // rows k0+1 … n−1
    // Y (ms × nb): column t is u_{k0+t} restricted to rows k0+1…: zero above row t, 1 at row t.
    const y = new Float64Array(ms * nb);
    for (let t = 0; t < nb; t++) {
      const row = (k0 + t) * ld + k0 + 1;
      y[t * nb + t] = 1;
      for (let r = t + 1; r < ms; r++) y[r * nb + t] = hv[row + r];
    }
    // T (nb × nb upper): T[t][t] = τ_t, T[0:t, t] = −τ_t·T[0:t, 0:t]·(Y[:, 0:t]ᵀ·y_t).
    const g = new Float64Array(nb);
    const tm = new Float64Array(nb * nb);
    for (let t = 0; t < nb; t++) {
      const tt = tau[k0 + t];
      g.fill(0);
      for (let r = t; r < ms; r++) {
        const yrt = y[r * nb + t];
        if (yrt === 0) continue;
        const o = r * nb;
        for (let j = 0; j < t; j++) g[j] += y[o + j] * yrt;
      }
      for (let i = 0; i < t; i++) {
        let sacc = 0;
        for (let j = i; j < t; j++) sacc += tm[i * nb + j] * g[j];
        tm[i * nb + t] = -tt * sacc;
      }
      tm[t * nb + t] = tt;
    }
    // M = Y·T.
    for (let r = 0; r < ms; r++) {
      const o = r * nb;
      for (let c = 0; c < nb; c++) {
        let sacc = 0;
        for (let j = 0; j <= c; j++) sacc += y[o + j] * tm[j * nb + c];
        mAll[at + o + c] = sacc;
        yAll[at + o + c] = y[o + c];
      }
    }
  }
  const yBuf = gpu.upload(yAll, 'eigh-wy-y');
  const mBuf = gpu.upload(mAll, 'eigh-wy-m');
  const wBuf = gpu.alloc(WY_BLOCK * n, 'eigh-wy-w');
  for (let b = blocks.length - 1; b >= 0; b--) {
    const { k0, nb, at } = blocks[b];
    const ms = n - k0 - 1;
    gemm(gpu, { a: yBuf, offsetA: at, transA: true, b: v, offsetB: (k0 + 1) * n, c: wBuf, m: nb, n, k: ms });
    gemm(gpu, { a: mBuf, offsetA: at, b: wBuf, c: v, offsetC: (k0 + 1) * n, m: ms, n, k: nb, alpha: -1, beta: 1 });
    gpu.flush(); // see the flushing note
  }
  for (const b of [yBuf, mBuf, wBuf]) b.release();
}

// ---- host tridiagonal eigensolver (float64) -----------------------------------------------------

const EPS64 = 2 ** -52;

/** Eigenvalues of the symmetric tridiagonal (d: n, e: n − 1) by implicit QL (EISPACK tql1). */
export function tridiagonalValues(dIn: ArrayLike<number>, eIn: ArrayLike<number>, n: number): { values: Float64Array; ok: boolean } {
  const d = Float64Array.from({ length: n }, (_, i) => dIn[i]);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = eIn[i];
  let f = 0;
  let tst1 = 0;
  let ok = true;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > EPS64 * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) {
          ok = false;
          break;
        }
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        let s = 0;
        let s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > EPS64 * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return { values: d, ok };
}

/**
 * Eigenvectors (rows, values.length × n) of one unreduced tridiagonal block (d, e) for its ascending
 * eigenvalues, by inverse iteration: LU of T − λI with partial pivoting (tiny pivots set to eps·‖T‖),
 * three solves from a fixed pseudo-random start, and modified Gram–Schmidt against the earlier vectors
 * of a cluster (eigenvalues closer than ortol; equal ones are separated by 10·eps·‖T‖ first).
 */
export function inverseIteration(d: ArrayLike<number>, e: ArrayLike<number>, n: number, values: ArrayLike<number>, tnorm: number, ortol: number, seed = 1): Float64Array {
  const k = values.length;
  const out = new Float64Array(k * n);
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const mult = new Float64Array(n);
  const swap = new Uint8Array(n);
  const x = new Float64Array(n);
  const tol = EPS64 * Math.max(tnorm, Number.MIN_VALUE);
  const pertol = 10 * tol;
  let rng = seed >>> 0;
  const rand = () => {
    rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0;
    return rng / 2 ** 32 - 0.5;
  };
  let clusterStart = 0;
  let lamPrev = -Infinity;
  for (let j = 0; j < k; j++) {
    if (j > 0 && values[j] - values[j - 1] > ortol) clusterStart = j;
    let lam = values[j];
    if (j > clusterStart && lam - lamPrev < pertol) lam = lamPrev + pertol;
    lamPrev = lam;
    let p0 = d[0] - lam;
    let p1 = n > 1 ? e[0] : 0;
    let p2 = 0;
    for (let i = 0; i + 1 < n; i++) {
      const c = e[i];
      const a1 = d[i + 1] - lam;
      const b1 = i + 2 < n ? e[i + 1] : 0;
      if (Math.abs(p0) >= Math.abs(c)) {
        const m = p0 === 0 ? 0 : c / p0;
        swap[i] = 0;
        u0[i] = p0;
        u1[i] = p1;
        u2[i] = p2;
        mult[i] = m;
        p0 = a1 - m * p1;
        p1 = b1 - m * p2;
      } else {
        const m = p0 / c;
        swap[i] = 1;
        u0[i] = c;
        u1[i] = a1;
        u2[i] = b1;
        mult[i] = m;
        p0 = p1 - m * a1;
        p1 = p2 - m * b1;
      }
      p2 = 0;
      if (Math.abs(u0[i]) < tol) u0[i] = u0[i] < 0 ? -tol : tol;
    }
    u0[n - 1] = Math.abs(p0) < tol ? (p0 < 0 ? -tol : tol) : p0;
    for (let i = 0; i < n; i++) x[i] = rand();
    const inCluster = j > clusterStart;
    for (let it = 0; it < 3; it++) {
      for (let i = 0; i + 1 < n; i++) {
        if (swap[i]) {
          const t = x[i];
          x[i] = x[i + 1];
          x[i + 1] = t;
        }
        x[i + 1] -= mult[i] * x[i];
      }
      x[n - 1] /= u0[n - 1];
      if (n > 1) x[n - 2] = (x[n - 2] - u1[n - 2] * x[n - 1]) / u0[n - 2];
      for (let i = n - 3; i >= 0; i--) x[i] = (x[i] - u1[i] * x[i + 1] - u2[i] * x[i + 2]) / u0[i];
      if (inCluster) orthogonalizeRows(x, out, n, clusterStart, j);
      normalize(x, n);
    }
    if (inCluster) {
      orthogonalizeRows(x, out, n, clusterStart, j);
      normalize(x, n);
    }
    out.set(x, j * n);
  }
  return out;
}

function orthogonalizeRows(x: Float64Array, rows: Float64Array, n: number, from: number, to: number): void {
  for (let r = from; r < to; r++) {
    const o = r * n;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += rows[o + i] * x[i];
    for (let i = 0; i < n; i++) x[i] -= dot * rows[o + i];
  }
}

function normalize(x: Float64Array, n: number): void {
  let mx = 0;
  for (let i = 0; i < n; i++) mx = Math.max(mx, Math.abs(x[i]));
  if (!(mx > 0) || !Number.isFinite(mx)) {
    x.fill(0);
    x[0] = 1;
    return;
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    x[i] /= mx;
    s += x[i] * x[i];
  }
  s = 1 / Math.sqrt(s);
  for (let i = 0; i < n; i++) x[i] *= s;
}

/**
 * Eigendecomposition of the symmetric tridiagonal T (d: n, e: n − 1) in float64: values ascending,
 * vectors as rows (row j ↔ values[j]). T is split into unreduced blocks where
 * |e_i| ≤ eps·(|d_i| + |d_{i+1}|); each block: tridiagonalValues, then inverseIteration with clusters
 * of relative width ortolRel·‖T‖₁. ok: QL converged for every eigenvalue.
 */
export function tridiagonalEig(d: ArrayLike<number>, e: ArrayLike<number>, n: number, ortolRel = 1e-7): { values: Float64Array; vectors: Float64Array; ok: boolean } {
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  let ok = true;
  let tnorm = 0;
  for (let i = 0; i < n; i++) tnorm = Math.max(tnorm, Math.abs(d[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0) + (i + 1 < n ? Math.abs(e[i]) : 0));
  const blocks: { at: number; len: number; values: Float64Array; vecs: Float64Array }[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && Math.abs(e[i]) > EPS64 * (Math.abs(d[i]) + Math.abs(d[i + 1]))) continue;
    const len = i + 1 - start;
    const db = Float64Array.from({ length: len }, (_, t) => d[start + t]);
    const eb = Float64Array.from({ length: len - 1 }, (_, t) => e[start + t]);
    let vals = new Float64Array(1).fill(db[0]);
    let vecs = new Float64Array(1).fill(1);
    if (len > 1) {
      const r = tridiagonalValues(db, eb, len);
      ok &&= r.ok;
      vals = new Float64Array(r.values).sort();
      vecs = new Float64Array(inverseIteration(db, eb, len, vals, tnorm, ortolRel * tnorm, 12345 + start));
    }
    blocks.push({ at: start, len, values: vals, vecs });
    start = i + 1;
  }
  const all: { v: number; b: number; j: number }[] = [];
  blocks.forEach((bl, b) => bl.values.forEach((v, j) => all.push({ v, b, j })));
  all.sort((x, y) => x.v - y.v);
  all.forEach((t, r) => {
    values[r] = t.v;
    const bl = blocks[t.b];
    vectors.set(bl.vecs.subarray(t.j * bl.len, (t.j + 1) * bl.len), r * n + bl.at);
  });
  return { values, vectors, ok };
}
