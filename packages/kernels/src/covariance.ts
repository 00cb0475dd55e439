// Mean, covariance and Gram matrix of a data set Y (N rows y_i ∈ R^d, row-major) on the GPU
// (shaders/covariance.wgsl, covariance_sg.wgsl). Reference: covariance.ref.ts.
//
//   covariance(gpu, { data, n, d, chunkRows?, panelRows?, path?, out? }) → { mean, cov, panels, panelRows, release }
//     μ = (1/N)·Σ y_i and Σ = (1/N)·Σ (y_i − μ)(y_i − μ)ᵀ (divides by N). `data` a GpuBuffer: two passes over it
//     (the mean, then centred products). `data` a Float32Array: streamed through a CovarianceAccumulator.
//   new CovarianceAccumulator(gpu, { d, panelRows?, chunkRows?, path?, out? }) · accumulate(chunk, rows?) … · finish()
//     Chunks handed one at a time (GpuBuffer or Float32Array, any number of rows, e.g. an uneven last one).
//     Each chunk is centred on its own mean and merged with the pairwise update of Chan, Golub & LeVeque:
//     M2 ← M2 + C_c + (n_a·n_c/(n_a + n_c))·δδᵀ, δ = m_c − m_a.
//   gram(gpu, { data, n, d, panelRows?, path?, out? }) → { mean, gram, panels, panelRows, release }:
//     G = (1/N)·Yc·Ycᵀ (N×N), for N < d.
//   gramToCovEigenvectors(gpu, { data, n, d, vectors, values, out? }) → U (m×d, row i = u_i = Ycᵀ·v_i / √(N·λ_i)):
//     unit covariance eigenvectors from unit eigenvectors v_i of G (rows of `vectors`, m×N) with eigenvalues λ_i > 0.
//   readSymmetric(gpu, result) → the whole matrix on the host; symmetricPanelRows(gpu, size, size) → default panels.
//   `out` takes caller-owned output buffers ({ mean, panels } or U); anything not given is allocated.
//
// Numerics: every pass subtracts a shift s = the first row of Y (the first row seen, when streamed) before summing, so a large common offset never
// enters a sum; the mean is kept as s + m_z with m_z the (small, accurate) mean of y − s, and the data are
// centred as (y − s) − m_z. Products accumulate in f32.
//
// Layout: Σ (d×d) and G (N×N) are symmetric, row-major, and come as row panels: panel p holds rows
// [p·panelRows, min((p+1)·panelRows, size)) in full width. When the whole matrix fits one storage binding
// (128 MiB on lavapipe: d ≤ 5792) the default is a single panel and `cov` / `gram` is that GpuBuffer; otherwise it
// is the GpuBuffer[] of panels (always available as `panels`). Only the upper triangle is computed (a SYRK: 64×64
// tiles wholly under the diagonal are skipped); a last pass scales by 1/N and mirrors it into the lower triangle.
// Y is bound in row chunks (≤ `chunkRows`), so Y itself may exceed one binding. The caller owns returned buffers.
//
// Kernels: each chunk is packed (centred, rows padded to a multiple of 4 floats) into a k-major scratch; C = Aᵀ·B
// runs on 64×64 tiles, either with subgroup broadcasts (adapters whose subgroups are exactly 16 wide, e.g. lavapipe
// with 512-bit vectors: no workgroup memory, each loaded float feeds 64 FMAs) or tiled through workgroup memory
// with 4×4 register blocks (every other adapter). `covariancePath(gpu)` tells which; `path` in the args forces one.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';
import { axpby } from './elementwise.ts';

const PARAMS = ['kl', 'm', 'n', 'lda', 'ldb', 'a_off', 'b_off', 'ldo', 'i0', 'j0', 'ca', 'cb', 'acc_in', 'tri', 'w', 's', 'epi', 'pk', 'pw', 'ld', 'p_off', 'ldp', 'trans', 'centred', 'frac', 'is_first', 'nblk', 'blk0'] as const;
const SG_PARAMS = ['kl', 'm', 'n', 'lda', 'ldb', 'a_off', 'b_off', 'ldo', 'i0', 'j0', 'ca', 'cb', 'acc_in', 'tri', 'w', 'epi'] as const;
type Param = (typeof PARAMS)[number];
function params(p: Partial<Record<Param, number>>): Record<Param, number> {
  const all = {} as Record<Param, number>;
  for (const k of PARAMS) all[k] = p[k] ?? 0;
  return all;
}

const file = 'covariance';
const colsumKernel = defineKernel({ name: 'covariance_colsum', file, entry: 'colsum', bindings: { ya: 'read', shift: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [64, 4, 1] });
const statsKernel = defineKernel({ name: 'covariance_chunk_stats', file, entry: 'chunk_stats', bindings: { partial: 'read', out_mean: 'read_write', out_centre: 'read_write', out_delta: 'read_write' }, params: PARAMS, workgroupSize: [256, 1, 1] });
const packKernel = defineKernel({ name: 'covariance_pack', file, entry: 'pack', bindings: { ya: 'read', shift: 'read', centre: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [64, 1, 1] });
const gemmKernel = defineKernel({ name: 'covariance_gemm', file, entry: 'gemm', bindings: { pa: 'read', pb: 'read', r: 'read', c: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [16, 16, 1] });
const gemmSgKernel = defineKernel({ name: 'covariance_gemm_sg', file: 'covariance_sg', entry: 'gemm', bindings: { pa: 'read', pb: 'read', r: 'read', c: 'read', out: 'read_write' }, params: SG_PARAMS, workgroupSize: [16, 1, 1] });
const mirrorKernel = defineKernel({ name: 'covariance_mirror', file, entry: 'mirror', bindings: { upper: 'read_write', out: 'read_write' }, params: PARAMS, workgroupSize: [16, 16, 1] });
const mirrorDiagKernel = defineKernel({ name: 'covariance_mirror_diag', file, entry: 'mirror_diag', bindings: { out: 'read_write' }, params: PARAMS, workgroupSize: [16, 16, 1] });

const TILE = 64; // gemm output tile
const COLSUM_ROWS = 256; // rows a colsum workgroup sums
const MAX_CHUNK_ROWS = 16384; // default cap on rows of Y bound per dispatch
const MAX_GRID = 65535;

// ---- GEMM path ---------------------------------------------------------------------------------

export type CovariancePath = 'subgroup' | 'tiled';

/** The GEMM variant this adapter runs: 'subgroup' when its subgroups are exactly 16 wide, else 'tiled'. */
export function covariancePath(gpu: Gpu): CovariancePath {
  const info = (gpu.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  return gpu.features.has('subgroups') && info?.subgroupMinSize === 16 && info?.subgroupMaxSize === 16 ? 'subgroup' : 'tiled';
}

/** `path` if this adapter runs it (throws otherwise), else covariancePath(gpu). */
export function resolveCovariancePath(gpu: Gpu, path?: CovariancePath): CovariancePath {
  if (path === 'subgroup' && covariancePath(gpu) !== 'subgroup') throw new RangeError('covariance: the subgroup GEMM needs the subgroups feature with 16-wide subgroups');
  return path ?? covariancePath(gpu);
}

/** Epilogues of the GEMM: 'store' acc + w·r[i]·c[j]; 'rowscale' r[i]·acc; 'distance' max(r[i] + c[j] − 2·acc, 0). */
export const COVARIANCE_EPILOGUES = { store: 0, rowscale: 1, distance: 2 } as const;

export interface CovarianceGemmArgs {
  path: CovariancePath;
  a: BindingValue; // packed A: kl rows of `lda` floats (k-major), C row i is column aCol + i
  b: BindingValue;
  lda: number; // floats, a multiple of 4
  ldb: number;
  aCol?: number; // multiple of 4
  bCol?: number;
  kl: number;
  m: number;
  n: number;
  out: BindingValue; // C(i, j) at out[i·ldo + j0 + j]
  ldo: number;
  i0?: number; // global row of C row 0 (triangle test)
  j0?: number; // global column of C column 0 (triangle test and out column)
  tri?: boolean; // skip 64×64 tiles wholly under the diagonal
  accumulate?: boolean; // out += epilogue (else out = epilogue)
  epilogue?: keyof typeof COVARIANCE_EPILOGUES;
  r?: BindingValue; // row vector of the epilogue, read at ca + i
  c?: BindingValue; // column vector, read at cb + j
  ca?: number;
  cb?: number;
  w?: number;
}

/** Records C = Aᵀ·B on packed operands with an epilogue (internal building block of covariance and neighbours). */
export function covarianceGemm(gpu: Gpu, g: CovarianceGemmArgs): void {
  const aCol = g.aCol ?? 0;
  const bCol = g.bCol ?? 0;
  if (g.lda % 4 || g.ldb % 4 || aCol % 4 || bCol % 4) throw new RangeError('covarianceGemm: packed strides and column offsets must be multiples of 4');
  if (Math.ceil(g.m / TILE) > MAX_GRID || Math.ceil(g.n / TILE) > MAX_GRID) throw new RangeError('covarianceGemm: too many tiles');
  const p = {
    kl: g.kl, m: g.m, n: g.n, lda: g.lda / 4, ldb: g.ldb / 4, a_off: aCol / 4, b_off: bCol / 4, ldo: g.ldo,
    i0: g.i0 ?? 0, j0: g.j0 ?? 0, ca: g.ca ?? 0, cb: g.cb ?? 0, acc_in: g.accumulate ? 1 : 0, tri: g.tri ? 1 : 0, w: g.w ?? 0,
    epi: COVARIANCE_EPILOGUES[g.epilogue ?? 'store'],
  };
  const bind = { pa: g.a, pb: g.b, r: g.r ?? g.a, c: g.c ?? g.r ?? g.a, out: g.out };
  const workgroups: [number, number, number] = [Math.ceil(g.n / TILE), Math.ceil(g.m / TILE), 1];
  if (g.path === 'subgroup') gemmSgKernel.run(gpu, { bind, params: p, workgroups });
  else gemmKernel.run(gpu, { bind, params: params(p), workgroups });
}

// ---- packing and centring -------------------------------------------------------------------------

const roundUp4 = (x: number): number => Math.ceil(x / 4) * 4;

export interface CovariancePackArgs {
  src: BindingValue;
  off: number; // element offset of Y(0, 0) in src
  ld: number; // row stride of Y in src
  rows: number; // rows of the packed matrix (K)
  width: number; // valid columns; the packed rows are roundUp4(width) wide, zero-padded
  trans: boolean; // false: P[k, i] = Y[k, i]; true: P[k, i] = Y[i, k]
  shift?: BindingValue; // centring (y − shift) − centre by the column of Y; none when omitted
  centre?: BindingValue;
  out: BindingValue;
}

/** P (rows × roundUp4(width)) ← centred, zero-padded, optionally transposed Y. */
export function covariancePack(gpu: Gpu, a: CovariancePackArgs): void {
  const ldp = roundUp4(a.width);
  const centred = a.shift !== undefined && a.centre !== undefined;
  // A thread per column of Y and 64 of its rows: trans 0 columns i < ldp, rows k < rows; trans 1 columns k, rows i.
  const [cols, rows] = a.trans ? [a.rows, ldp] : [ldp, a.rows];
  if (Math.ceil(rows / 64) > MAX_GRID || Math.ceil(cols / 64) > MAX_GRID) throw new RangeError(`pack: ${a.rows}×${a.width} is too large for one dispatch`);
  packKernel.run(gpu, {
    bind: { ya: a.src, shift: a.shift ?? a.src, centre: a.centre ?? a.src, out: a.out },
    params: params({ pk: a.rows, pw: a.width, ld: a.ld, p_off: a.off, ldp, trans: a.trans ? 1 : 0, centred: centred ? 1 : 0 }),
    workgroups: [Math.ceil(cols / 64), Math.ceil(rows / 64), 1],
  });
}

function maxBindingElements(gpu: Gpu): number {
  return Math.floor(gpu.limits.maxStorageBufferBindingSize / 4);
}

/** Most rows of a d-wide row-major matrix one binding holds (with 63 elements of alignment slack, and packed). */
function maxRowsPerBinding(gpu: Gpu, d: number): number {
  const rows = Math.floor((maxBindingElements(gpu) - 64) / roundUp4(d));
  if (rows < 1) throw new RangeError(`a row of ${d} floats does not fit one storage binding`);
  return rows;
}

/** A binding of rows [row0, row0 + rows) of a d-wide row-major buffer, and the element offset of its first row. */
export function rowPanelBinding(buf: GpuBuffer, row0: number, rows: number, d: number): { bind: BindingValue; fix: number } {
  const start = row0 * d;
  const aligned = Math.floor(start / 64) * 64;
  const fix = start - aligned;
  const length = fix + rows * d;
  if (aligned === 0 && length === buf.length) return { bind: buf, fix: 0 };
  return { bind: { buffer: buf, offset: aligned, length }, fix };
}

/** Column sums of (y − shift) over rows [row0, row0 + rows) into partial blocks blk0 … (one per 256 rows); returns the block count. */
function colsum(gpu: Gpu, src: BindingValue, fix: number, rows: number, d: number, shift: GpuBuffer, partial: GpuBuffer, blk0: number): number {
  const blocks = Math.ceil(rows / COLSUM_ROWS);
  colsumKernel.run(gpu, { bind: { ya: src, shift, out: partial }, params: params({ pk: rows, pw: d, ld: d, p_off: fix, blk0 }), workgroups: [Math.ceil(d / 64), blocks, 1] });
  return blocks;
}

/** Shift s (the first row) and m_z = mean of (y − s) over all n rows of a d-wide buffer. */
function centring(gpu: Gpu, data: GpuBuffer, n: number, d: number, chunkRows: number): { shift: GpuBuffer; centre: GpuBuffer } {
  const shift = gpu.alloc(d, 'cov-shift');
  gpu.copy(data, shift, d, 0, 0);
  let nblk = 0;
  for (let r0 = 0; r0 < n; r0 += chunkRows) nblk += Math.ceil(Math.min(chunkRows, n - r0) / COLSUM_ROWS);
  const partial = gpu.alloc(nblk * d, 'cov-partial');
  let blk0 = 0;
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const rc = Math.min(chunkRows, n - r0);
    const { bind, fix } = rowPanelBinding(data, r0, rc, d);
    blk0 += colsum(gpu, bind, fix, rc, d, shift, partial, blk0);
  }
  const centre = gpu.alloc(d, 'cov-centre');
  const meanZ = gpu.alloc(d, 'cov-mean-z');
  const delta = gpu.alloc(d, 'cov-delta');
  statsKernel.run(gpu, { bind: { partial, out_mean: meanZ, out_centre: centre, out_delta: delta }, params: params({ pw: d, nblk, s: 1 / n, frac: 1, is_first: 1 }), workgroups: Math.ceil(d / 256) });
  for (const b of [partial, meanZ, delta]) b.release();
  return { shift, centre };
}

// ---- symmetric panels ------------------------------------------------------------------------------

/** A symmetric matrix as row panels (one panel when it fits one binding). */
export interface SymmetricPanels {
  panels: GpuBuffer[]; // panel p: rows [p·panelRows, …) in full width
  panelRows: number;
  size: number; // matrix order (d for Σ, N for G)
}

export interface CovarianceResult extends SymmetricPanels {
  mean: GpuBuffer; // d
  cov: GpuBuffer | GpuBuffer[]; // d×d in one buffer, or its row panels
  n: number;
  d: number;
  release(): void;
}

export interface GramResult extends SymmetricPanels {
  mean: GpuBuffer; // d
  gram: GpuBuffer | GpuBuffer[]; // N×N in one buffer, or its row panels
  n: number;
  d: number;
  release(): void;
}

/** Rows of a `width`-wide matrix per panel: all of them if they fit one binding, else the most that fit (a multiple of 64). */
export function symmetricPanelRows(gpu: Gpu, rows: number, width: number): number {
  const fit = Math.floor(maxBindingElements(gpu) / width);
  if (fit >= rows) return rows;
  if (fit < TILE) throw new RangeError(`a row of ${width} floats is too wide for ${TILE}-row panels under maxStorageBufferBindingSize`);
  return Math.floor(fit / TILE) * TILE;
}

function checkPanelRows(gpu: Gpu, what: string, panelRows: number, width: number): void {
  if (!Number.isInteger(panelRows) || panelRows < 1) throw new RangeError(`${what}: panelRows = ${panelRows} must be a positive integer`);
  if (panelRows * width > maxBindingElements(gpu)) throw new RangeError(`${what}: panels of ${panelRows}×${width} floats exceed maxStorageBufferBindingSize; use at most ${Math.floor(maxBindingElements(gpu) / width)} rows`);
}

/** Output panels: the caller's (checked) or fresh ones. */
function allocPanels(gpu: Gpu, size: number, panelRows: number, label: string, given?: GpuBuffer[]): GpuBuffer[] {
  const count = Math.ceil(size / panelRows);
  if (given) {
    if (given.length !== count) throw new RangeError(`${label}: ${given.length} output panels given, ${count} needed for ${panelRows}-row panels of order ${size}`);
    given.forEach((b, p) => {
      if (b.length < Math.min(panelRows, size - p * panelRows) * size) throw new RangeError(`${label}: output panel ${p} ('${b.label}') holds ${b.length} elements, fewer than ${Math.min(panelRows, size - p * panelRows) * size}`);
    });
    return given;
  }
  const panels: GpuBuffer[] = [];
  for (let r = 0; r < size; r += panelRows) panels.push(gpu.alloc(Math.min(panelRows, size - r) * size, `${label}[${panels.length}]`));
  return panels;
}

/** Caller-owned outputs (e.g. to reuse buffers); any left out are allocated. */
export interface SymmetricOutputs {
  mean?: GpuBuffer; // d elements
  panels?: GpuBuffer[]; // one per panel, panel p ≥ (its rows)·size elements
}

function outMean(gpu: Gpu, d: number, given?: GpuBuffer): GpuBuffer {
  if (given && given.length < d) throw new RangeError(`output mean '${given.label}' holds ${given.length} elements, fewer than d = ${d}`);
  return given ?? gpu.alloc(d, 'mean');
}

/** Scales the computed upper triangle of a panelled symmetric matrix by s and mirrors it into the lower. */
function scaleAndMirror(gpu: Gpu, m: SymmetricPanels, s: number): void {
  const { panels, panelRows, size } = m;
  panels.forEach((panel, p) => {
    const i0 = p * panelRows;
    const mp = Math.min(panelRows, size - i0);
    const g = Math.ceil(mp / 16);
    mirrorDiagKernel.run(gpu, { bind: { out: panel }, params: params({ i0, m: mp, ldo: size, s }), workgroups: [g, g, 1] });
    for (let q = 0; q < p; q++) {
      mirrorKernel.run(gpu, { bind: { upper: panels[q], out: panel }, params: params({ i0, m: mp, j0: q * panelRows, n: panelRows, ldo: size, s }), workgroups: [g, Math.ceil(panelRows / 16), 1] });
    }
  });
}

function symmetricResult(gpu: Gpu, shift: GpuBuffer, meanZ: GpuBuffer, m: SymmetricPanels, n: number, d: number, out?: SymmetricOutputs): { mean: GpuBuffer; one: GpuBuffer | GpuBuffer[]; release: () => void } {
  scaleAndMirror(gpu, m, 1 / n);
  const mean = outMean(gpu, d, out?.mean);
  axpby(gpu, 1, shift, 1, meanZ, mean, d);
  return { mean, one: m.panels.length === 1 ? m.panels[0] : m.panels, release: () => [mean, ...m.panels].forEach((b) => b.release()) };
}

// ---- covariance ----------------------------------------------------------------------------------

function checkShape(what: string, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1) throw new RangeError(`${what}: n = ${n} and d = ${d} must be positive integers`);
}

function chunkRowsFor(gpu: Gpu, what: string, d: number, chunkRows?: number): number {
  if (chunkRows !== undefined && (!Number.isInteger(chunkRows) || chunkRows < 1)) throw new RangeError(`${what}: chunkRows = ${chunkRows} must be a positive integer`);
  return Math.min(chunkRows ?? MAX_CHUNK_ROWS, MAX_CHUNK_ROWS * 4, maxRowsPerBinding(gpu, d), MAX_GRID);
}

function covariancePanelRows(gpu: Gpu, d: number, panelRows?: number): number {
  const rows = panelRows ?? symmetricPanelRows(gpu, d, d);
  checkPanelRows(gpu, 'covariance', rows, d);
  if (rows % 4 !== 0 && rows < d) throw new RangeError(`covariance: panelRows = ${rows} must be a multiple of 4`);
  return rows;
}

interface ChunkProducts {
  path: CovariancePath;
  packed: GpuBuffer; // rc × roundUp4(d) scratch
  rows: number;
  d: number;
  delta?: GpuBuffer; // rank-1 term w·δδᵀ
  w: number;
  accumulate: boolean;
  panels: GpuBuffer[];
  panelRows: number;
}

/** Upper triangle of the Σ panels (+)= Pᵀ·P + w·δδᵀ for a packed, centred chunk P. */
function chunkProducts(gpu: Gpu, a: ChunkProducts): void {
  const ld = roundUp4(a.d);
  a.panels.forEach((out, p) => {
    const i0 = p * a.panelRows;
    covarianceGemm(gpu, {
      path: a.path, a: a.packed, b: a.packed, lda: ld, ldb: ld, aCol: i0, bCol: 0, kl: a.rows, m: Math.min(a.panelRows, a.d - i0), n: a.d,
      out, ldo: a.d, i0, j0: 0, tri: true, accumulate: a.accumulate, epilogue: 'store', r: a.delta, c: a.delta, ca: i0, cb: 0, w: a.delta ? a.w : 0,
    });
  });
}

export interface CovarianceArgs {
  data: GpuBuffer | Float32Array; // N×d row-major
  n: number;
  d: number;
  chunkRows?: number; // rows of Y bound per dispatch (default: ≤ 16384, as many as fit one binding)
  panelRows?: number; // rows of Σ per output panel (default: d when Σ fits one binding, else the most that fit); a multiple of 4
  path?: CovariancePath;
  out?: SymmetricOutputs;
}

/**
 * Streams Y through the GPU in chunks of rows and accumulates its mean and centred scatter;
 * `finish()` returns μ and Σ. Chunks may have any number of rows (larger ones are split to fit a binding).
 */
export class CovarianceAccumulator {
  readonly d: number;
  readonly panelRows: number;
  rows = 0; // rows accumulated so far
  private readonly path: CovariancePath;
  private readonly maxChunkRows: number;
  private readonly shift: GpuBuffer; // the first row seen
  private readonly meanZ: GpuBuffer; // running mean of y − shift
  private readonly centre: GpuBuffer; // the current chunk's mean of y − shift
  private readonly delta: GpuBuffer; // its difference from the running mean
  private readonly panels: GpuBuffer[];
  private readonly out?: SymmetricOutputs;
  private finished = false;

  constructor(
    private readonly gpu: Gpu,
    opts: { d: number; panelRows?: number; chunkRows?: number; path?: CovariancePath; out?: SymmetricOutputs },
  ) {
    const d = opts.d;
    checkShape('covariance', 1, d);
    this.d = d;
    this.path = resolveCovariancePath(gpu, opts.path);
    this.panelRows = covariancePanelRows(gpu, d, opts.panelRows);
    this.maxChunkRows = chunkRowsFor(gpu, 'covariance', d, opts.chunkRows);
    this.shift = gpu.alloc(d, 'cov-shift');
    this.meanZ = gpu.alloc(d, 'cov-mean-z');
    this.centre = gpu.alloc(d, 'cov-chunk-mean');
    this.delta = gpu.alloc(d, 'cov-chunk-delta');
    this.panels = allocPanels(gpu, d, this.panelRows, 'cov', opts.out?.panels);
    this.out = opts.out;
  }

  /** Adds `rows` rows of Y (default: all of `chunk`); a Float32Array is uploaded, a GpuBuffer read in place. */
  accumulate(chunk: GpuBuffer | Float32Array, rows?: number): void {
    if (this.finished) throw new Error('covariance: accumulate after finish');
    const d = this.d;
    const r = rows ?? Math.floor(chunk.length / d);
    if (!Number.isInteger(r) || r < 0 || r * d > chunk.length) throw new RangeError(`covariance: a chunk of ${chunk.length} elements does not hold ${rows} rows of ${d}`);
    for (let r0 = 0; r0 < r; r0 += this.maxChunkRows) {
      const rc = Math.min(this.maxChunkRows, r - r0);
      if (chunk instanceof Float32Array) {
        const buf = this.gpu.upload(chunk.subarray(r0 * d, (r0 + rc) * d), 'cov-chunk');
        this.accumulateRows(buf, 0, rc);
        buf.release();
      } else this.accumulateRows(chunk, r0, rc);
    }
  }

  private accumulateRows(buf: GpuBuffer, row0: number, rc: number): void {
    const { gpu, d } = this;
    const na = this.rows;
    if (na === 0) gpu.copy(buf, this.shift, d, row0 * d, 0);
    const { bind, fix } = rowPanelBinding(buf, row0, rc, d);
    const partial = gpu.alloc(Math.ceil(rc / COLSUM_ROWS) * d, 'cov-partial');
    const nblk = colsum(gpu, bind, fix, rc, d, this.shift, partial, 0);
    statsKernel.run(gpu, {
      bind: { partial, out_mean: this.meanZ, out_centre: this.centre, out_delta: this.delta },
      params: params({ pw: d, nblk, s: 1 / rc, frac: rc / (na + rc), is_first: na === 0 ? 1 : 0 }),
      workgroups: Math.ceil(d / 256),
    });
    partial.release();
    const packed = gpu.alloc(rc * roundUp4(d), 'cov-packed');
    covariancePack(gpu, { src: bind, off: fix, ld: d, rows: rc, width: d, trans: false, shift: this.shift, centre: this.centre, out: packed });
    const w = na === 0 ? 0 : (na * rc) / (na + rc);
    chunkProducts(gpu, { path: this.path, packed, rows: rc, d, delta: na === 0 ? undefined : this.delta, w, accumulate: na > 0, panels: this.panels, panelRows: this.panelRows });
    packed.release();
    this.rows += rc;
  }

  /** μ and Σ (divided by N); the accumulator is spent. */
  finish(): CovarianceResult {
    if (this.finished) throw new Error('covariance: finish called twice');
    if (this.rows === 0) throw new RangeError('covariance: no rows accumulated');
    this.finished = true;
    const m: SymmetricPanels = { panels: this.panels, panelRows: this.panelRows, size: this.d };
    const s = symmetricResult(this.gpu, this.shift, this.meanZ, m, this.rows, this.d, this.out);
    for (const b of [this.shift, this.meanZ, this.centre, this.delta]) b.release();
    return { ...m, mean: s.mean, cov: s.one, n: this.rows, d: this.d, release: s.release };
  }
}

/** μ and Σ of N rows of Y; see the file header. */
export function covariance(gpu: Gpu, args: CovarianceArgs): CovarianceResult {
  const { data, n, d } = args;
  checkShape('covariance', n, d);
  if (data.length < n * d) throw new RangeError(`covariance: data holds ${data.length} elements, fewer than n·d = ${n * d}`);
  if (data instanceof Float32Array) {
    const acc = new CovarianceAccumulator(gpu, { d, panelRows: args.panelRows, chunkRows: args.chunkRows, path: args.path, out: args.out });
    acc.accumulate(data, n);
    return acc.finish();
  }
  const path = resolveCovariancePath(gpu, args.path);
  const chunkRows = chunkRowsFor(gpu, 'covariance', d, args.chunkRows);
  const panelRows = covariancePanelRows(gpu, d, args.panelRows);
  // Pass 1: shift and mean. Pass 2: centred products, chunk by chunk, into the upper triangle of every panel.
  const { shift, centre } = centring(gpu, data, n, d, chunkRows);
  const panels = allocPanels(gpu, d, panelRows, 'cov', args.out?.panels);
  const packed = gpu.alloc(Math.min(chunkRows, n) * roundUp4(d), 'cov-packed');
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const rc = Math.min(chunkRows, n - r0);
    const { bind, fix } = rowPanelBinding(data, r0, rc, d);
    covariancePack(gpu, { src: bind, off: fix, ld: d, rows: rc, width: d, trans: false, shift, centre, out: packed });
    chunkProducts(gpu, { path, packed, rows: rc, d, w: 0, accumulate: r0 > 0, panels, panelRows });
  }
  packed.release();
  const m: SymmetricPanels = { panels, panelRows, size: d };
  const s = symmetricResult(gpu, shift, centre, m, n, d, args.out);
  shift.release();
  centre.release();
  return { ...m, mean: s.mean, cov: s.one, n, d, release: s.release };
}

// ---- Gram ---------------------------------------------------------------------------------------

export interface GramArgs {
  data: GpuBuffer | Float32Array; // N×d row-major
  n: number;
  d: number;
  panelRows?: number; // rows of G per panel (also rows of Y per block)
  path?: CovariancePath;
  out?: SymmetricOutputs;
}

/** G = (1/N)·Yc·Ycᵀ (N×N) and μ; see the file header. */
export function gram(gpu: Gpu, args: GramArgs): GramResult {
  const { n, d } = args;
  checkShape('gram', n, d);
  if (args.data.length < n * d) throw new RangeError(`gram: data holds ${args.data.length} elements, fewer than n·d = ${n * d}`);
  const path = resolveCovariancePath(gpu, args.path);
  const data = args.data instanceof Float32Array ? gpu.upload(args.data.subarray(0, n * d), 'gram-data') : args.data;
  // Panel p of G pairs with block p of Y (the same rows), packed transposed: d × roundUp4(rows) floats.
  const fitY = Math.min(maxRowsPerBinding(gpu, d), Math.floor((maxBindingElements(gpu) - 64) / d) - 4);
  let panelRows = args.panelRows ?? symmetricPanelRows(gpu, n, n);
  if (args.panelRows === undefined && panelRows > fitY) panelRows = Math.max(TILE, Math.floor(fitY / TILE) * TILE);
  checkPanelRows(gpu, 'gram', panelRows, n);
  if (panelRows > fitY) throw new RangeError(`gram: panelRows = ${panelRows} rows of Y (${d} wide) exceed one storage binding; use at most ${fitY}`);
  const { shift, centre } = centring(gpu, data, n, d, Math.min(maxRowsPerBinding(gpu, d), MAX_CHUNK_ROWS));
  const panels = allocPanels(gpu, n, panelRows, 'gram', args.out?.panels);
  const blockRows = (p: number): number => Math.min(panelRows, n - p * panelRows);
  const packBlock = (p: number, out: GpuBuffer): void => {
    const { bind, fix } = rowPanelBinding(data, p * panelRows, blockRows(p), d);
    covariancePack(gpu, { src: bind, off: fix, ld: d, rows: d, width: blockRows(p), trans: true, shift, centre, out });
  };
  const pa = gpu.alloc(d * roundUp4(panelRows), 'gram-packed-a');
  const pb = panels.length > 1 ? gpu.alloc(d * roundUp4(panelRows), 'gram-packed-b') : pa;
  panels.forEach((out, p) => {
    packBlock(p, pa);
    for (let q = p; q < panels.length; q++) {
      if (q !== p) packBlock(q, pb);
      covarianceGemm(gpu, {
        path, a: pa, b: q === p ? pa : pb, lda: roundUp4(blockRows(p)), ldb: roundUp4(blockRows(q)), kl: d, m: blockRows(p), n: blockRows(q),
        out, ldo: n, i0: p * panelRows, j0: q * panelRows, tri: true, epilogue: 'store',
      });
    }
  });
  pa.release();
  if (pb !== pa) pb.release();
  const m: SymmetricPanels = { panels, panelRows, size: n };
  const s = symmetricResult(gpu, shift, centre, m, n, d, args.out);
  shift.release();
  centre.release();
  if (data !== args.data) data.release();
  return { ...m, mean: s.mean, gram: s.one, n, d, release: s.release };
}

export interface GramEigenArgs {
  data: GpuBuffer | Float32Array; // Y, N×d
  n: number;
  d: number;
  vectors: GpuBuffer | Float32Array; // m×N row-major: row i a unit eigenvector v_i of G
  values: ArrayLike<number>; // λ_i > 0, m of them
  chunkRows?: number;
  path?: CovariancePath;
  out?: GpuBuffer; // m×d, caller-owned (allocated when left out)
}

/**
 * Covariance eigenvectors from Gram eigenpairs: U (m×d, row i) = Ycᵀ·v_i / √(N·λ_i), so Σ·u_i = λ_i·u_i and
 * ‖u_i‖ = 1. Centres Y itself (one pass for the mean), then streams it in chunks of rows, accumulating U.
 */
export function gramToCovEigenvectors(gpu: Gpu, args: GramEigenArgs): GpuBuffer {
  const { n, d, values } = args;
  checkShape('gramToCovEigenvectors', n, d);
  const m = values.length;
  if (m < 1) throw new RangeError('gramToCovEigenvectors: no eigenvalues');
  if (args.vectors.length < m * n) throw new RangeError(`gramToCovEigenvectors: vectors hold ${args.vectors.length} elements, fewer than m·N = ${m * n}`);
  if (args.data.length < n * d) throw new RangeError(`gramToCovEigenvectors: data holds ${args.data.length} elements, fewer than n·d = ${n * d}`);
  if (m * n > maxBindingElements(gpu) || m * d > maxBindingElements(gpu)) throw new RangeError(`gramToCovEigenvectors: ${m} vectors exceed one storage binding; map them in smaller groups`);
  const path = resolveCovariancePath(gpu, args.path);
  const scale = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    if (!(values[i] > 0)) throw new RangeError(`gramToCovEigenvectors: eigenvalue ${i} is ${values[i]}; only λ > 0 maps to a covariance eigenvector`);
    scale[i] = 1 / Math.sqrt(n * values[i]);
  }
  const data = args.data instanceof Float32Array ? gpu.upload(args.data.subarray(0, n * d), 'gram-eig-data') : args.data;
  const chunkRows = Math.min(chunkRowsFor(gpu, 'gramToCovEigenvectors', d, args.chunkRows), Math.floor(maxBindingElements(gpu) / roundUp4(m)));
  const { shift, centre } = centring(gpu, data, n, d, chunkRows);
  const scaleBuf = gpu.upload(scale, 'gram-eig-scale');
  const vectors = args.vectors instanceof Float32Array ? gpu.upload(args.vectors.subarray(0, m * n), 'gram-eig-v') : args.vectors;
  const vbind: BindingValue = vectors.length === m * n ? vectors : { buffer: vectors, offset: 0, length: m * n };
  if (args.out && args.out.length < m * d) throw new RangeError(`gramToCovEigenvectors: output '${args.out.label}' holds ${args.out.length} elements, fewer than m·d = ${m * d}`);
  const out = args.out ?? gpu.alloc(m * d, 'cov-eigenvectors');
  const pv = gpu.alloc(Math.min(chunkRows, n) * roundUp4(m), 'gram-eig-packed-v');
  const py = gpu.alloc(Math.min(chunkRows, n) * roundUp4(d), 'gram-eig-packed-y');
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const rc = Math.min(chunkRows, n - r0);
    const { bind, fix } = rowPanelBinding(data, r0, rc, d);
    covariancePack(gpu, { src: bind, off: fix, ld: d, rows: rc, width: d, trans: false, shift, centre, out: py });
    covariancePack(gpu, { src: vbind, off: r0, ld: n, rows: rc, width: m, trans: true, out: pv });
    covarianceGemm(gpu, { path, a: pv, b: py, lda: roundUp4(m), ldb: roundUp4(d), kl: rc, m, n: d, out, ldo: d, accumulate: r0 > 0, epilogue: 'rowscale', r: scaleBuf });
  }
  for (const b of [pv, py, scaleBuf, shift, centre]) b.release();
  if (vectors !== args.vectors) vectors.release();
  if (data !== args.data) data.release();
  return out;
}

/** Reads a panelled symmetric matrix back to the host as one row-major size×size array. */
export async function readSymmetric(gpu: Gpu, m: SymmetricPanels): Promise<Float32Array> {
  const out = new Float32Array(m.size * m.size);
  for (let p = 0; p < m.panels.length; p++) {
    const rows = Math.min(m.panelRows, m.size - p * m.panelRows);
    out.set(await gpu.read(m.panels[p], rows * m.size), p * m.panelRows * m.size);
  }
  return out;
}
