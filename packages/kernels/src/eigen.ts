// Host-side drivers of the eigen kernels (jacobi.ts): the symmetric eigendecomposition `eigh`, the
// thin SVD `svd` (one-sided Jacobi) and top-k eigenpairs `eighTopK` (eigentopk.ts).
// eigh has two methods. 'tridiagonal' (the default): Householder reduction A = Q·T·Qᵀ on the GPU (2
// dispatches a column, no read-back), the tridiagonal T solved on the host in float64 (implicit QL for
// the values, inverse iteration for the vectors: O(n²) but for clusters), and V = Q·Z by blocked
// (compact WY) reflectors with the GEMM kernel. 'jacobi': parallel two-sided block Jacobi, all on the
// GPU with one read-back a sweep: ~12n³ flops a sweep and ~9 sweeps against ~3.3n³ for the
// tridiagonal route (n = 784 on lavapipe: 42 CPU-s against ~2).
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
import { JACOBI_TILE, jacobiLayout, jacobiTiles, jacobiSymStep, jacobiOneSidedStep, offdiagRows, colSumsq, extractDiagonal, padMatrix, setIdentity, gatherCols, transposeMatrix, tridiagonalize, scaleToUnitMax, TRIDIAG_NB, type JacobiLayout, type PairSolve } from './jacobi.ts';

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
  padMatrix(gpu, a, n, n, A, L.npad, true, L.npad); // all npad rows: pooled buffers hold stale data
  setIdentity(gpu, V, L.npad);
  reduce(gpu, 'sumsq', A, scalar, L.npad * L.npad);
  const fro = Math.sqrt(await readScalar(gpu, scalar));
  let sweeps = 0;
  let off = 0;
  if (!Number.isFinite(fro)) {
    for (const b of [A, V, q, meas, scalar]) b.release();
    throw new RangeError(`eigh: A has non-finite entries (‖A‖_F = ${fro})`);
  }
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
// Three phases: (A) GPU, no waiting: S = σ·(A + Aᵀ)/2 zero-padded to n4 = ⌈n/4⌉·4 with σ a power of
// two bringing max|S| into [0.5, 1) (float32 squares in the reflector norms neither overflow nor
// underflow; exact, so the values scale back exactly), ‖S‖², Householder tridiagonalisation, and the
// reflectors, T and σ packed for one read-back; (B) host: T = Z·Λ·Zᵀ in float64 and the compact-WY
// factors of Q; (C) GPU, no waiting: V = Q·Z by GEMMs, the outputs and the residual ‖S·V − V·Λ‖.
// Everything is padded to multiples of 4 and blocks hold exactly WY_BLOCK reflectors (zero-padded), so
// the GEMMs of every block and the residual use one gemm pipeline (plus pad, scale_pow2, tri_next,
// tri_fused, gather_cols and reduce's sumsq/sum: 8 pipelines for eigh).

/** Reflectors a compact-WY block of the back-transformation V = Q·Z. */
const WY_BLOCK = 64;

/** GPU state between the phases of one tridiagonal eigh. */
export interface EighTridiagonalStage {
  n: number;
  n4: number;
  hvLen: number; // elements of the reflector rows in `packed` (a multiple of 64)
  s4: GpuBuffer; // S = σ·(A + Aᵀ)/2, n4×n4 zero-padded (kept for the residual)
  packed: GpuBuffer; // n4×n4 reflector rows u_k, then d, e, τ (3·n4), then σ: the one read-back
  norms: GpuBuffer; // [‖S‖_F², σ, ‖SV − VΛ_S‖_F²]
}

/** Host results of phase B. */
export interface EighTridiagonalSolve {
  values: Float32Array; // descending, of A
  scaled: Float32Array; // the same of S = σ·A (for the residual)
  z4: Float32Array; // n4×n4: column c is T's eigenvector of values[c] (zero-padded)
  yt: Float32Array; // per block: Yᵀ (WY_BLOCK × ms), packed at blocks[b].at
  m: Float32Array; // per block: M = Y·T (ms × WY_BLOCK), packed at blocks[b].at
  blocks: { r0: number; at: number }[]; // block b acts on rows r0 … n4−1 (ms = n4 − r0)
  ok: boolean; // QL converged for every eigenvalue
}

/** Phase A: records the reduction of the n×n A (only (A + Aᵀ)/2 is used) to tridiagonal form. */
export function eighTridiagonalRecord(gpu: Gpu, a: GpuBuffer, n: number): EighTridiagonalStage {
  if (n < 2) throw new RangeError(`eigh: the tridiagonal method needs n ≥ 2 (got ${n})`);
  const n4 = Math.ceil(n / 4) * 4;
  if (n4 * n4 * 4 > gpu.limits.maxStorageBufferBindingSize) throw new RangeError(`eigh: the ${n}×${n} matrix (padded ${n4}×${n4}) is over this device's maxStorageBufferBindingSize; use eighTopK or a smaller problem`);
  if (a.length < n * n) throw new RangeError(`eigh: '${a.label}' holds ${a.length} elements, fewer than n² = ${n * n}`);
  const hvLen = Math.ceil((n4 * n4) / 64) * 64;
  const s4 = gpu.alloc(n4 * n4, 'eigh-sym');
  const w = gpu.alloc(n4 * n4, 'eigh-work');
  const packed = gpu.alloc(hvLen + 3 * n4 + 1, 'eigh-reflectors');
  const tri = gpu.alloc(3 * n4, 'eigh-tri');
  const p = gpu.alloc(n4, 'eigh-p');
  const wv = gpu.alloc(TRIDIAG_NB * n4, 'eigh-w');
  const dots = gpu.alloc(2 * TRIDIAG_NB, 'eigh-dots');
  const norms = gpu.alloc(3, 'eigh-norms');
  padMatrix(gpu, a, n, n, w, n4, true, n4);
  scaleToUnitMax(gpu, w, s4, n4 * n4, norms);
  gpu.copy(s4, w, n4 * n4);
  tridiagonalize(gpu, w, n, n4, { hv: { buffer: packed, offset: 0, length: n4 * n4 }, p, w: wv, dots, tri });
  gpu.copy(tri, packed, 3 * n4, 0, hvLen);
  gpu.copy(norms, packed, 1, 1, hvLen + 3 * n4);
  for (const b of [w, tri, p, wv, dots]) b.release();
  return { n, n4, hvLen, s4, packed, norms };
}

/**
 * Phase B (host, float64): T's eigendecomposition (values descending, Z's columns in that order) and
 * the compact-WY blocks of Q = H₀…H_{n−3} from the read-back `host` (layout of stage.packed):
 * Q_b = I − Y·T_b·Yᵀ (LAPACK dlarft, forward, columnwise), uploaded as Yᵀ and M = Y·T_b. Blocks are
 * aligned to end at the last reflector; the first is zero-padded to WY_BLOCK columns.
 */
export function eighTridiagonalSolve(host: Float32Array, n: number, n4: number, hvLen: number): EighTridiagonalSolve {
  const sigma = host[hvLen + 3 * n4];
  const d = host.subarray(hvLen, hvLen + n);
  const e = host.subarray(hvLen + n4, hvLen + n4 + n - 1);
  const tau = host.subarray(hvLen + 2 * n4, hvLen + 2 * n4 + n);
  for (let i = 0; i < n; i++) if (!Number.isFinite(d[i]) || (i + 1 < n && !Number.isFinite(e[i]))) throw new RangeError('eigh: A has non-finite entries');
  const te = tridiagonalEig(d, e, n);
  const values = new Float32Array(n);
  const scaled = new Float32Array(n);
  const z4 = new Float32Array(n4 * n4);
  for (let c = 0; c < n; c++) {
    const r = n - 1 - c;
    values[c] = te.values[r] / sigma;
    scaled[c] = te.values[r];
    const o = r * n;
    for (let i = 0; i < n; i++) {
      // Eigenvector entries decay exponentially along T; below 1e-30 they would be float32 denormals,
      // which cost lavapipe's GEMM ~5× (seen: 10% of Z at n = 784).
      const x = te.vectors[o + i];
      z4[i * n4 + c] = Math.abs(x) < 1e-30 ? 0 : x;
    }
  }
  const nb = WY_BLOCK;
  const nref = n - 2;
  const blocks: { r0: number; at: number }[] = [];
  const starts: number[] = [];
  for (let k1 = nref; k1 > 0; k1 -= nb) starts.unshift(k1 - nb); // block covers reflectors k0 … k0+nb−1 (k < 0: zero)
  let total = 0;
  for (const k0 of starts) {
    const r0 = Math.floor((Math.max(k0, 0) + 1) / 4) * 4;
    blocks.push({ r0, at: total });
    total += Math.ceil(((n4 - r0) * nb) / 64) * 64;
  }
  const yt = new Float32Array(total);
  const m = new Float32Array(total);
  const g = new Float64Array(nb);
  const tm = new Float64Array(nb * nb);
  const yrow = new Float64Array(n4 * nb); // Yᵀ of the block in float64, row t = u_{k0+t}[r0 …]
  const macc = new Float64Array(n4 * nb);
  starts.forEach((k0, b) => {
    const { r0, at } = blocks[b];
    const ms = n4 - r0;
    yrow.fill(0, 0, nb * ms);
    for (let t = 0; t < nb; t++) {
      const k = k0 + t;
      if (k < 0) continue;
      const src = k * n4 + r0;
      const dst = t * ms;
      for (let r = k + 1 - r0; r < n - r0; r++) yrow[dst + r] = host[src + r];
    }
    tm.fill(0);
    for (let t = 0; t < nb; t++) {
      const k = k0 + t;
      if (k < 0) continue;
      const tt = tau[k];
      // g_j = y_jᵀ·y_t (y_t vanishes above row k+1).
      const lo = k + 1 - r0;
      const ot = t * ms;
      for (let j = 0; j < t; j++) {
        const oj = j * ms;
        let sacc = 0;
        for (let r = lo; r < ms; r++) sacc += yrow[oj + r] * yrow[ot + r];
        g[j] = sacc;
      }
      for (let i = 0; i < t; i++) {
        let sacc = 0;
        for (let j = i; j < t; j++) sacc += tm[i * nb + j] * g[j];
        tm[i * nb + t] = -tt * sacc;
      }
      tm[t * nb + t] = tt;
    }
    for (let i = 0; i < nb * ms; i++) yt[at + i] = yrow[i];
    // M = Y·T: M[r][c] = Σ_{j ≤ c} Y[r][j]·T[j][c] (accumulated row-major in float64).
    macc.fill(0, 0, ms * nb);
    for (let j = 0; j < nb; j++) {
      const oj = j * ms;
      const tj = j * nb;
      for (let r = 0; r < ms; r++) {
        const y = yrow[oj + r];
        if (y === 0) continue;
        const o = r * nb;
        for (let c = j; c < nb; c++) macc[o + c] += y * tm[tj + c];
      }
    }
    for (let i = 0; i < nb * ms; i++) m[at + i] = macc[i];
  });
  return { values, scaled, z4, yt, m, blocks, ok: te.ok };
}

/**
 * Phase C: V = Q·Z on the GPU (two GEMMs a block, last block first: W = Yᵀ·V₂, V₂ ← V₂ − M·W on
 * rows r0… of V), U (n×n) and the values into the outputs, and ‖S·V − V·Λ_S‖_F² into stage.norms[2].
 * Releases the stage's buffers except `norms`.
 */
export function eighTridiagonalFinish(gpu: Gpu, st: EighTridiagonalStage, sol: EighTridiagonalSolve, vectors: GpuBuffer, valuesOut: GpuBuffer): void {
  const { n, n4 } = st;
  const nb = WY_BLOCK;
  const v4 = gpu.upload(sol.z4, 'eigh-v');
  if (sol.blocks.length) {
    const ytBuf = gpu.upload(sol.yt, 'eigh-wy-yt');
    const mBuf = gpu.upload(sol.m, 'eigh-wy-m');
    const wBuf = gpu.alloc(nb * n4, 'eigh-wy-w');
    for (let b = sol.blocks.length - 1; b >= 0; b--) {
      const { r0, at } = sol.blocks[b];
      const ms = n4 - r0;
      gemm(gpu, { a: ytBuf, offsetA: at, b: v4, offsetB: r0 * n4, c: wBuf, m: nb, n: n4, k: ms }, { splits: 1 });
      gemm(gpu, { a: mBuf, offsetA: at, b: wBuf, c: v4, offsetC: r0 * n4, m: ms, n: n4, k: nb, alpha: -1, beta: 1 }, { splits: 1 });
      gpu.flush(); // see the flushing note
    }
    for (const x of [ytBuf, mBuf, wBuf]) x.release();
  }
  const ident = gpu.upload(Uint32Array.from({ length: n4 }, (_, i) => i), 'eigh-perm');
  const ones = gpu.upload(new Float32Array(n4).fill(1), 'eigh-ones');
  gatherCols(gpu, v4, n4, n, n, ident, ones, vectors);
  gpu.write(valuesOut, sol.values);
  // Residual R = S·V − V·Λ (padded rows and columns are zero).
  const negValues = new Float32Array(n4);
  for (let c = 0; c < n; c++) negValues[c] = -sol.scaled[c];
  const neg = gpu.upload(negValues, 'eigh-neg-values');
  const r4 = gpu.alloc(n4 * n4, 'eigh-residual');
  gatherCols(gpu, v4, n4, n4, n4, ident, neg, r4);
  gemm(gpu, { a: st.s4, b: v4, c: r4, m: n4, n: n4, k: n4, beta: 1 }, { splits: 1 });
  const rsq = gpu.alloc(1, 'eigh-residual-norm');
  reduce(gpu, 'sumsq', r4, rsq, n4 * n4);
  gpu.copy(rsq, st.norms, 1, 0, 2);
  gpu.flush();
  for (const x of [v4, ident, ones, neg, r4, rsq, st.s4, st.packed]) x.release();
}

async function eighTridiagonal(gpu: Gpu, a: GpuBuffer, n: number, opts: EighOptions): Promise<EighResult> {
  const t0 = performance.now();
  const st = eighTridiagonalRecord(gpu, a, n);
  const host = await gpu.read(st.packed, st.hvLen + 3 * st.n4 + 1);
  let sol: EighTridiagonalSolve;
  try {
    sol = eighTridiagonalSolve(host, n, st.n4, st.hvLen);
  } catch (err) {
    for (const x of [st.s4, st.packed, st.norms]) x.release();
    throw err;
  }
  const vectors = output(gpu, opts.out?.vectors, n * n, 'eigh-vectors');
  const valuesBuffer = output(gpu, opts.out?.values, n, 'eigh-values');
  eighTridiagonalFinish(gpu, st, sol, vectors, valuesBuffer);
  const norms = await gpu.read(st.norms, 3);
  st.norms.release();
  const fro = Math.sqrt(norms[0]);
  return {
    n,
    values: sol.values,
    valuesBuffer,
    vectors,
    sweeps: 0,
    offNorm: fro > 0 ? Math.sqrt(norms[2]) / fro : 0,
    converged: sol.ok,
    ms: performance.now() - t0,
    method: 'tridiagonal',
    release() {
      valuesBuffer.release();
      vectors.release();
    },
  };
}

// ---- host tridiagonal eigensolver (float64) -----------------------------------------------------

const EPS64 = 2 ** -52;

/** √(x² + y²) without overflow (Math.hypot is several times slower in V8). */
function hypot(x: number, y: number): number {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const m = ax > ay ? ax : ay;
  if (m > 1e150 || (m < 1e-150 && m > 0)) {
    const u = ax / m;
    const v = ay / m;
    return m * Math.sqrt(u * u + v * v);
  }
  return Math.sqrt(ax * ax + ay * ay);
}

/** Eigenvalues of the symmetric tridiagonal (d: n, e: n − 1) by implicit QL (EISPACK tql1). */
export function tridiagonalValues(dIn: ArrayLike<number>, eIn: ArrayLike<number>, n: number): { values: Float64Array; ok: boolean } {
  const d = Float64Array.from({ length: n }, (_, i) => dIn[i]);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = eIn[i];
  const ok = tridiagonalQL(d, e, n);
  return { values: d, ok };
}

/**
 * Implicit QL with Wilkinson shifts on the symmetric tridiagonal in place (EISPACK tql1/tql2): d (n) becomes the
 * eigenvalues (unsorted), e (n; e[i] couples i and i + 1, e[n − 1] = 0) is destroyed. With `rows` (n×n, row-major),
 * each plane rotation is applied to rows i and i + 1 (eigenvectors as rows: contiguous memory), so rows that start
 * as the transform to tridiagonal form end as the eigenvectors. False if an eigenvalue took over 60 iterations.
 */
export function tridiagonalQL(d: Float64Array, e: Float64Array, n: number, rows?: Float64Array): boolean {
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
        let r = hypot(p, 1);
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
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (rows) {
            const ri = i * n;
            const rj = (i + 1) * n;
            for (let k = 0; k < n; k++) {
              const hk = rows[rj + k];
              const wk = rows[ri + k];
              rows[rj + k] = s * wk + c * hk;
              rows[ri + k] = c * wk - s * hk;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > EPS64 * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return ok;
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
