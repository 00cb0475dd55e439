// Block Jacobi kernels (shaders/jacobi.wgsl): the per-step dispatches of the two-sided symmetric
// eigensolver and of the one-sided (Hestenes) SVD, plus the small helpers they need (padding,
// column gathers, norms). The drivers that sweep them to convergence are in eigen.ts.
// Reference: jacobi.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel, type Vec3, type BindingValue } from './kernel.ts';

/** Index block width: a round-robin step pairs 8-index blocks, so one pair owns a 16×16 tile. */
export const JACOBI_BLOCK = 8;
export const JACOBI_TILE = 2 * JACOBI_BLOCK;

const params = ['n', 'ld', 'rows', 'nblk', 'step', 'inner', 'tiny', 'eps'] as const;
type P = (typeof params)[number];
const def = (entry: string, bindings: Record<string, 'read' | 'read_write'>, wg = 256) => defineKernel({ name: `jacobi_${entry}`, file: 'jacobi', entry, bindings, params, workgroupSize: [wg, 1, 1] as Vec3 });

const K = {
  solveSym: def('solve_sym', { a: 'read_write', q: 'read_write' }, 16),
  applyRows: def('apply_rows', { av: 'read_write', qv: 'read_write' }, 64),
  solveGram: def('solve_gram', { q: 'read_write', g: 'read_write', meas: 'read_write' }, 16),
    applyCols: def('apply_cols', { av: 'read_write', qv: 'read_write' }, 64),
  gramPairs: def('gram_pairs', { av: 'read_write', g: 'read_write' }, 16),
  offdiagRows: def('offdiag_rows', { a: 'read_write', meas: 'read_write' }),
  colSumsq: def('col_sumsq', { a: 'read_write', meas: 'read_write' }),
  diag: def('diag', { a: 'read_write', meas: 'read_write' }),
  pad: def('pad', { src: 'read', out: 'read_write' }),
  gatherCols: def('gather_cols', { src: 'read', out: 'read_write', perm: 'read', sc: 'read' }),
  transpose: def('transpose_rows', { src: 'read', out: 'read_write' }),
  triNext: def('tri_next', { av: 'read_write', hv: 'read_write', pvec: 'read_write', tri: 'read_write', wring: 'read_write', dots: 'read_write' }),
  scalePow2: def('scale_pow2', { src: 'read', out: 'read_write', meas: 'read_write' }),
  triFused: def('tri_fused', { av: 'read_write', hv4: 'read', wring4: 'read', pvec: 'read_write', tri: 'read_write', dots: 'read_write' }, 32),
};

/** Every kernel of the family, e.g. to compile them ahead of a timed run. */
export const jacobiKernels = Object.values(K);

/** Padded layout of an n-index problem: an even number of 16-blocks. */
export interface JacobiLayout {
  n: number; // logical size
  nblk: number; // number of 16-index blocks (even)
  npad: number; // nblk·16
  pairs: number; // nblk/2 block pairs per step
  steps: number; // nblk − 1 steps per sweep
}

export function jacobiLayout(n: number): JacobiLayout {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`jacobi: size must be a positive integer, got ${n}`);
  const nblk = 2 * Math.ceil(n / JACOBI_TILE);
  return { n, nblk, npad: nblk * JACOBI_BLOCK, pairs: nblk / 2, steps: nblk - 1 };
}

function p(v: Partial<Record<P, number>>): Record<P, number> {
  return { n: 0, ld: 0, rows: 0, nblk: 0, step: 0, inner: 0, tiny: 0, eps: 0, ...v };
}

const flat = (count: number) => Math.ceil(count / 256);
const flat16 = (count: number) => Math.ceil(count / 16);
const flat64 = (count: number) => Math.ceil(count / 64);
/** Elements of the rotation (and Gram) buffer: one 16×16 tile a pair. */
export const jacobiTiles = (L: JacobiLayout) => L.pairs * JACOBI_TILE * JACOBI_TILE;

/** Thresholds of the 32×32 pair solves: skip a rotation when |s_pq| ≤ max(tiny, eps·√|s_pp·s_qq|). */
export interface PairSolve {
  inner: number; // maximum inner sweeps
  tiny: number;
  eps: number;
}

/** Two-sided step on the padded symmetric A (npad×npad): q[x] ← eig of each pair tile, A ← JᵀAJ, V ← VJ. */
export function jacobiSymStep(gpu: Gpu, L: JacobiLayout, a: GpuBuffer, v: GpuBuffer | null, q: GpuBuffer, step: number, s: PairSolve): void {
  const pr = p({ ld: L.npad, rows: L.npad, nblk: L.nblk, step, inner: s.inner, tiny: s.tiny, eps: s.eps });
  K.solveSym.run(gpu, { bind: { a, q }, params: pr, workgroups: flat16(L.pairs) });
  applyCols(gpu, L, a, L.npad, q, step);
  K.applyRows.run(gpu, { bind: { av: a, qv: q }, params: pr, workgroups: flat64(L.pairs * (L.npad / 4)) });
  if (v) applyCols(gpu, L, v, L.npad, q, step);
}

/** W[:, tile(x)] ← W[:, tile(x)]·q[x] for every pair x of `step`; W has `rows` rows (a multiple of 16) and leading dimension npad. */
export function applyCols(gpu: Gpu, L: JacobiLayout, w: GpuBuffer, rows: number, q: GpuBuffer, step: number): void {
  if (rows % JACOBI_TILE) throw new RangeError(`jacobi applyCols: rows = ${rows} must be a multiple of ${JACOBI_TILE}`);
  K.applyCols.run(gpu, { bind: { av: w, qv: q }, params: p({ ld: L.npad, rows, nblk: L.nblk, step }), workgroups: flat64(L.pairs * (rows / 4)) });
}

/**
 * One-sided step on W (rows × npad): the Gram of each pair's 32 columns, its eigenvectors q[x],
 * W ← WJ and V ← VJ; meas[x] keeps the largest column cosine seen by pair x this sweep.
 */
export function jacobiOneSidedStep(gpu: Gpu, L: JacobiLayout, w: GpuBuffer, rows: number, v: GpuBuffer, q: GpuBuffer, g: GpuBuffer, meas: GpuBuffer, step: number, s: PairSolve): void {
  const pr = p({ ld: L.npad, rows, nblk: L.nblk, step, inner: s.inner, tiny: s.tiny, eps: s.eps });
  K.gramPairs.run(gpu, { bind: { av: w, g }, params: pr, workgroups: L.pairs });
  K.solveGram.run(gpu, { bind: { q, g, meas }, params: pr, workgroups: flat16(L.pairs) });
  applyCols(gpu, L, w, rows, q, step);
  applyCols(gpu, L, v, L.npad, q, step);
}

/** meas[i] ← Σ_{j≠i} A[i, j]² for i < n (A with leading dimension ld). */
export function offdiagRows(gpu: Gpu, a: GpuBuffer, n: number, ld: number, meas: GpuBuffer): void {
  K.offdiagRows.run(gpu, { bind: { a, meas }, params: p({ n, ld }), workgroups: n });
}

/** meas[j] ← Σ_i W[i, j]² for j < n over `rows` rows (leading dimension ld). */
export function colSumsq(gpu: Gpu, w: GpuBuffer, rows: number, n: number, ld: number, meas: GpuBuffer): void {
  K.colSumsq.run(gpu, { bind: { a: w, meas }, params: p({ n, ld, rows }), workgroups: flat(n) });
}

/** meas[i] ← A[i, i] for i < n. */
export function extractDiagonal(gpu: Gpu, a: GpuBuffer, n: number, ld: number, meas: GpuBuffer): void {
  K.diag.run(gpu, { bind: { a, meas }, params: p({ n, ld }), workgroups: flat(n) });
}

/** out (outRows × ld) ← src (rows × n) zero-padded; `symmetrise` uses (S + Sᵀ)/2 of a square src. */
export function padMatrix(gpu: Gpu, src: GpuBuffer, rows: number, n: number, out: GpuBuffer, ld: number, symmetrise = false, outRows = rows): void {
  K.pad.run(gpu, { bind: { src, out }, params: p({ n, ld, rows: outRows, nblk: rows, step: symmetrise ? 1 : 0 }), workgroups: flat(outRows * ld) });
}

/**
 * One workgroup: out ← src·σ (count elements), σ the power of two bringing max|src| into [0.5, 1)
 * (1 when the maximum is 0 or not finite); meas[0] ← ‖out‖²_F, meas[1] ← σ.
 */
export function scaleToUnitMax(gpu: Gpu, src: GpuBuffer, out: GpuBuffer, count: number, meas: GpuBuffer): void {
  K.scalePow2.run(gpu, { bind: { src, out, meas }, params: p({ rows: 1, ld: count }), workgroups: 1 });
}

/** out (n×n) ← I. */
export function setIdentity(gpu: Gpu, out: GpuBuffer, n: number): void {
  const unused = gpu.alloc(64, 'jacobi-unused'); // src is not read in this mode, but must not alias out
  K.pad.run(gpu, { bind: { src: unused, out }, params: p({ n, ld: n, rows: n, nblk: n, step: 2 }), workgroups: flat(n * n) });
  unused.release();
}

/** out[i, k] ← src[i, perm[k]]·sc[k], i < rows, k < cols; src has leading dimension ld. */
export function gatherCols(gpu: Gpu, src: GpuBuffer, ld: number, rows: number, cols: number, perm: GpuBuffer, sc: GpuBuffer, out: GpuBuffer): void {
  K.gatherCols.run(gpu, { bind: { src, out, perm, sc }, params: p({ n: cols, ld, rows }), workgroups: flat(rows * cols) });
}

/** out (cols × rows) ← srcᵀ, src rows × cols. */
export function transposeMatrix(gpu: Gpu, src: GpuBuffer, rows: number, cols: number, out: GpuBuffer): void {
  K.transpose.run(gpu, { bind: { src, out }, params: p({ n: cols, rows }), workgroups: flat(rows * cols) });
}

// ---- Householder tridiagonalisation ---------------------------------------------------------------

/** Scratch of the tridiagonalisation of an n×n matrix held with leading dimension ld (a multiple of 4). */
export interface TridiagonalBuffers {
  hv: BindingValue; // n×ld: row k holds the reflector u_k (1 at column k+1, zeros left of it)
  p: GpuBuffer; // ld
  w: GpuBuffer; // TRIDIAG_NB·ld: ring of the pending w_t
  dots: GpuBuffer; // 2·TRIDIAG_NB
  tri: GpuBuffer; // 3·ld: d (n), e (n − 1), τ (n − 1; τ_{n−2} = 0)
}

/** Rank-2 updates applied per pass over A (NB in shaders/jacobi.wgsl). */
export const TRIDIAG_NB = 4;

/** Dispatches between explicit flushes (the device batches 64 dispatches a submit; see eigen.ts). */
export const FLUSH_EVERY = 24;

/**
 * Reduces the symmetric A (n×n in ⌈n/4⌉·4 rows of ld, padding zero, full storage, overwritten) to tridiagonal T = QᵀAQ with
 * Q = H₀H₁…H_{n−3}, Hₖ = I − τₖuₖuₖᵀ: d, e and τ land in tri, the uₖ in hv. Two dispatches a
 * column (shaders/jacobi.wgsl: tri_next, tri_fused), no read-back.
 */
export function tridiagonalize(gpu: Gpu, a: GpuBuffer, n: number, ld: number, b: TridiagonalBuffers): void {
  if (ld % 4 || ld < n) throw new RangeError(`tridiagonalize: ld = ${ld} must be a multiple of 4 and ≥ n = ${n}`);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`tridiagonalize: n = ${n} must be an integer ≥ 2`);
  const quads = ld / 4;
  if (b.w.length < TRIDIAG_NB * ld || b.dots.length < 2 * TRIDIAG_NB) throw new RangeError(`tridiagonalize: w needs ${TRIDIAG_NB}·ld and dots ${2 * TRIDIAG_NB} elements`);
  if (a.length < ld * Math.ceil(n / 4) * 4) throw new RangeError(`tridiagonalize: A needs ⌈n/4⌉·4 = ${Math.ceil(n / 4) * 4} rows of ld = ${ld} (zero padding rows)`);
  const next = (s: number) => K.triNext.run(gpu, { bind: { av: a, hv: b.hv, pvec: b.p, tri: b.tri, wring: b.w, dots: b.dots }, params: p({ n, ld, step: s }), workgroups: 1 });
  gpu.flush(); // start a fresh batch (see the flushing note in eigen.ts)
  next(0);
  let since = 1;
  for (let k = 0; k + 2 < n; k++) {
    const groups = Math.ceil((quads - Math.floor((k + 1) / 4)) / 32);
    K.triFused.run(gpu, { bind: { av: a, hv4: b.hv, wring4: b.w, pvec: b.p, tri: b.tri, dots: b.dots }, params: p({ n, ld, step: k }), workgroups: groups });
    next(k + 1);
    since += 2;
    if (since >= FLUSH_EVERY) {
      gpu.flush();
      since = 0;
    }
  }
  gpu.flush();
}
