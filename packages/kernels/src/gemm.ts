// GEMM family (shaders/gemm.wgsl, shaders/gemm_subgroup.wgsl). Reference: gemm.ref.ts.
// C = alpha·op(A)·op(B) + beta·C (+ bias), row-major, batched with element strides (stride 0 broadcasts).
//
// Paths, chosen per call (GemmOptions.path forces one):
//   gemv      m = 1 or n = 1: one pass over the matrix operand, 4–8 outputs a thread (gemv_axpy / gemv_dot).
//   subgroup  software adapters with a fixed subgroup size of 8 or 16 (lavapipe): gemm_subgroup.wgsl. There a
//             lane's load is a scalar loop, and broadcasting A through the subgroup runs ~4× the tiled kernel.
//   tiled     everything else: workgroup-memory tiles with an 8×8 register tile a thread (gemm.wgsl `tiled`),
//             TX×TY×BK chosen from the device limits (tiledConfig).
// Split-K: when the output has too few workgroups to occupy the device and K is long, slices of K are summed
// into a pooled partial buffer and `reduce_splits` applies alpha, beta and bias (deterministic, no atomics).
// Panels: every binding is a panel { buffer, offset rounded down to 64 elements, length } with the remainder
// passed as an offset param, so no alignment is asked of callers. When an operand is over the binding limit
// (maxStorageBufferBindingSize, 128 MiB on lavapipe) the call is split into dispatches over:
//   batch items (when the batch as a whole does not fit),
//   row panels of A and C (A not transposed: A's rows are contiguous), and
//   column panels of B and C (B transposed: op(B)'s columns are B's contiguous rows).
// A transposed A, or a non-transposed B, over the limit throws a RangeError naming the layout to use, as does a
// single row of A, B or C over the limit.
import type { Gpu } from './device.ts';
import { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';

export interface GemmArgs {
  a: GpuBuffer;
  b: GpuBuffer;
  c: GpuBuffer; // the output (read_write); read too when beta ≠ 0
  m: number;
  n: number;
  k: number; // C is m×n; op(A) m×k; op(B) k×n
  transA?: boolean; // A stored k×m
  transB?: boolean; // B stored n×k
  alpha?: number;
  beta?: number; // defaults 1, 0 (beta = 0 never reads C)
  bias?: GpuBuffer;
  biasAxis?: 'col' | 'row'; // adds bias[j] (length n, 'col', default) or bias[i] (length m, 'row')
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number; // elements; default packed
  offsetA?: number;
  offsetB?: number;
  offsetC?: number; // element offsets into the buffers (default 0)
}

export type GemmPath = 'gemv' | 'subgroup' | 'tiled';

/** Optional knobs, for tests and benchmarks: force a path or a split-K count. */
export interface GemmOptions {
  path?: GemmPath;
  splits?: number;
  /** Largest binding in elements (default: the device's maxStorageBufferBindingSize / 4); tests lower it to exercise panels. */
  maxBindingElements?: number;
}

/** Floating-point operations of a GEMM: 2·m·n·k per batch item. */
export function gemmFlops(m: number, n: number, k: number, batch = 1): number {
  return 2 * m * n * k * batch;
}

// ---- kernels ---------------------------------------------------------------------------------------

const PARAMS = ['m', 'n', 'k', 'batch', 'lda', 'ldb', 'ldc', 'splits', 'stride_a', 'stride_b', 'stride_c', 'k_chunk', 'off_a', 'off_b', 'off_c', 'off_bias', 'alpha', 'beta', 'bias_mode'] as const;
type Param = (typeof PARAMS)[number];
type Params = Record<Param, number>;

const tiledKernel = defineKernel({
  name: 'gemm_tiled',
  file: 'gemm',
  entry: 'tiled',
  bindings: { a: 'read', b: 'read', out: 'read_write', bias: 'read', a4: 'read', b4: 'read' },
  params: PARAMS,
  overrides: { TX: 16, TY: 16, BK: 16, TRANS_A: 0, TRANS_B: 0, VEC_A: 0, VEC_B: 0 },
  workgroupSize: (o) => [o.TX, o.TY, 1],
});

const GEMV_BIND = { a: 'read', b: 'read', out: 'read_write', bias: 'read', a4: 'read', b4: 'read' } as const;
const gemvAxpyKernel = defineKernel({ name: 'gemm_gemv_axpy', file: 'gemm', entry: 'gemv_axpy', bindings: GEMV_BIND, params: PARAMS, overrides: { MAT_IS_B: 1, VEC: 0, GV: 2 }, workgroupSize: [64, 1, 1] });
const gemvDotKernel = defineKernel({ name: 'gemm_gemv_dot', file: 'gemm', entry: 'gemv_dot', bindings: GEMV_BIND, params: PARAMS, overrides: { MAT_IS_B: 1, VEC: 0 }, workgroupSize: [64, 1, 1] });
const reduceKernel = defineKernel({ name: 'gemm_reduce_splits', file: 'gemm', entry: 'reduce_splits', bindings: { a: 'read', out: 'read_write', bias: 'read' }, params: PARAMS, workgroupSize: [256, 1, 1] });

// The subgroup kernel's module needs `enable subgroups`: defined on first use, only on devices that have them.
type SubgroupKernel = ReturnType<typeof defineSubgroupKernel>;
function defineSubgroupKernel() {
  return defineKernel({
    name: 'gemm_subgroup',
    file: 'gemm_subgroup',
    entry: 'main',
    bindings: GEMV_BIND,
    params: PARAMS,
    overrides: { SG: 16, RG: 2, NV: 2, TRANS_A: 0, TRANS_B: 0, VEC_A: 0, VEC_B: 0 },
    workgroupSize: (o) => [o.SG, 1, 1],
  });
}
let subgroupKernel: SubgroupKernel | null = null;

// ---- device-dependent choices ----------------------------------------------------------------------

interface TiledConfig {
  TX: number;
  TY: number;
  BK: number;
}

/** The largest tiled configuration the device's limits allow (threads, workgroup size, workgroup memory). */
export function tiledConfig(limits: GPUSupportedLimits): TiledConfig {
  const candidates: TiledConfig[] = [
    { TX: 16, TY: 16, BK: 16 }, // 16 KiB of workgroup memory; BK = 16 measured best on lavapipe (8: −12 %, 32: −15 %)
    { TX: 16, TY: 16, BK: 8 },
    { TX: 8, TY: 8, BK: 8 },
    { TX: 4, TY: 4, BK: 4 },
  ];
  for (const c of candidates) {
    const shared = (c.TX + c.TY) * 2 * c.BK * 16; // As and Bs, vec4 entries
    if (c.TX * c.TY <= limits.maxComputeInvocationsPerWorkgroup && c.TX <= limits.maxComputeWorkgroupSizeX && c.TY <= limits.maxComputeWorkgroupSizeY && shared <= limits.maxComputeWorkgroupStorageSize) return c;
  }
  throw new RangeError('gemm: this device cannot run a 4×4-thread GEMM tile');
}

/** The fixed subgroup size the subgroup path can use (8 or 16), or 0 when it is unavailable. */
export function gemmSubgroupSize(gpu: Gpu): number {
  if (!gpu.features.has('subgroups')) return 0;
  const info = (gpu.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  const lo = gpu.adapter.subgroupMinSize ?? info?.subgroupMinSize;
  const hi = gpu.adapter.subgroupMaxSize ?? info?.subgroupMaxSize;
  return lo === hi && (lo === 8 || lo === 16) ? lo : 0;
}

// A 64-element stand-in for a4/b4 when a panel holds fewer than 4 elements (then no vec4 load reads it). Made
// outside the pool so that it never shows in the pool's live-byte accounting; it lives as long as the device.
const dummies = new WeakMap<Gpu, GpuBuffer>();
function dummy(gpu: Gpu): GpuBuffer {
  let d = dummies.get(gpu);
  if (!d) {
    const buffer = gpu.device.createBuffer({ label: 'gemm-dummy', size: 256, usage: GPUBufferUsage.STORAGE });
    dummies.set(gpu, (d = new GpuBuffer(buffer, 64, 'gemm-dummy', gpu.pool)));
  }
  return d;
}

// ---- planning --------------------------------------------------------------------------------------

interface Problem {
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  biasMode: 0 | 1 | 2;
  sA: number;
  sB: number;
  sC: number;
  oA: number;
  oB: number;
  oC: number;
  lda: number;
  ldb: number;
  ldc: number;
}

/** A rectangle of the output: batch items [b0, b1), rows [i0, i1), columns [j0, j1). */
interface Region {
  b0: number;
  b1: number;
  i0: number;
  i1: number;
  j0: number;
  j1: number;
}

type Range = [number, number];

function regionRanges(p: Problem, r: Region): { a: Range; b: Range; c: Range; bias: Range } {
  const bl = r.b1 - 1;
  const a: Range = p.transA
    ? [p.oA + r.b0 * p.sA + r.i0, p.oA + bl * p.sA + (p.k - 1) * p.lda + r.i1]
    : [p.oA + r.b0 * p.sA + r.i0 * p.lda, p.oA + bl * p.sA + (r.i1 - 1) * p.lda + p.k];
  const b: Range = p.transB
    ? [p.oB + r.b0 * p.sB + r.j0 * p.ldb, p.oB + bl * p.sB + (r.j1 - 1) * p.ldb + p.k]
    : [p.oB + r.b0 * p.sB + r.j0, p.oB + bl * p.sB + (p.k - 1) * p.ldb + r.j1];
  const c: Range = [p.oC + r.b0 * p.sC + r.i0 * p.ldc + r.j0, p.oC + bl * p.sC + (r.i1 - 1) * p.ldc + r.j1];
  const bias: Range = p.biasMode === 2 ? [r.i0, r.i1] : [r.j0, r.j1];
  return { a, b, c, bias };
}

/** Elements a binding of [lo, hi) spans once its start is rounded down to 64 elements (256 bytes). */
const span = ([lo, hi]: Range): number => hi - Math.floor(lo / 64) * 64;

function fits(p: Problem, r: Region, limit: number): boolean {
  const g = regionRanges(p, r);
  return span(g.a) <= limit && span(g.b) <= limit && span(g.c) <= limit;
}

/**
 * Splits the problem into regions whose bindings fit: all at once, else per batch item, else row panels
 * (needs A not transposed, or A whole) × column panels (needs B transposed, or B whole).
 */
function planRegions(p: Problem, limit: number, maxZ: number): Region[] {
  // Grids stay under maxZ workgroups a dimension: ≥ 8 rows and ≥ 32 columns a workgroup on every path.
  const capH = maxZ * 8;
  const capW = maxZ * 32;
  const whole: Region = { b0: 0, b1: p.batch, i0: 0, i1: p.m, j0: 0, j1: p.n };
  if (fits(p, whole, limit) && p.m <= capH && p.n <= capW) return chunkBatch(whole, maxZ);
  const one: Region = { b0: 0, b1: 1, i0: 0, i1: p.m, j0: 0, j1: p.n };
  const perItem = (h: number, w: number): Region[] => {
    const out: Region[] = [];
    for (let b0 = 0; b0 < p.batch; b0++)
      for (let i0 = 0; i0 < p.m; i0 += h) for (let j0 = 0; j0 < p.n; j0 += w) out.push({ b0, b1: b0 + 1, i0, i1: Math.min(p.m, i0 + h), j0, j1: Math.min(p.n, j0 + w) });
    return out;
  };
  if (fits(p, one, limit)) return perItem(Math.min(p.m, capH), Math.min(p.n, capW));
  const room = limit - 64; // a panel's start is rounded down by up to 63 elements
  const what = `gemm ${p.m}×${p.n}×${p.k}${p.transA ? ' transA' : ''}${p.transB ? ' transB' : ''}`;
  let w = p.n;
  const g = regionRanges(p, one);
  if (span(g.b) > limit) {
    if (!p.transB) throw new RangeError(`${what}: B (${span(g.b)} elements) is over the binding limit of ${limit}; column panels of B need transB (B stored n×k)`);
    w = Math.floor(room / p.k);
    w = w >= 256 ? w - (w % 256) : w - (w % 4) || w;
    if (w < 1) throw new RangeError(`${what}: one row of B (k = ${p.k}) is over the binding limit of ${limit} elements`);
  }
  let h = p.m;
  if (span(g.a) > limit) {
    if (p.transA) throw new RangeError(`${what}: A (${span(g.a)} elements) is over the binding limit of ${limit}; row panels of A need A not transposed (A stored m×k)`);
    h = Math.floor(room / p.k);
    if (h < 1) throw new RangeError(`${what}: one row of A (k = ${p.k}) is over the binding limit of ${limit} elements`);
  }
  if (w < p.n && p.n * (h - 1) + w > room) h = Math.floor((room - w) / p.n) + 1;
  else if (w === p.n && p.n * h > room) h = Math.floor(room / p.n);
  if (h < 1) throw new RangeError(`${what}: one row of C (n = ${p.n}) is over the binding limit of ${limit} elements`);
  if (h >= 64) h -= h % 64;
  const regions = perItem(Math.min(h, capH), Math.min(w, capW));
  for (const r of regions) if (!fits(p, r, limit)) throw new RangeError(`${what}: cannot bind the operands in panels under ${limit} elements`);
  return regions;
}

function chunkBatch(r: Region, maxZ: number): Region[] {
  if (r.b1 - r.b0 <= maxZ) return [r];
  const out: Region[] = [];
  for (let b0 = r.b0; b0 < r.b1; b0 += maxZ) out.push({ ...r, b0, b1: Math.min(r.b1, b0 + maxZ) });
  return out;
}

function panel(buf: GpuBuffer, [lo, hi]: Range): { buffer: GpuBuffer; offset: number; length: number; rel: number } {
  const offset = Math.floor(lo / 64) * 64;
  return { buffer: buf, offset, length: Math.max(1, hi - offset), rel: lo - offset };
}

/** The same panel viewed as vec4s (whole vec4s only), or a dummy when it holds fewer than 4 elements. */
function panel4(gpu: Gpu, p: { buffer: GpuBuffer; offset: number; length: number }): BindingValue {
  const length = p.length - (p.length % 4);
  return length >= 4 ? { buffer: p.buffer, offset: p.offset, length } : dummy(gpu);
}

const aligned = (...v: number[]): boolean => v.every((x) => x % 4 === 0);

// ---- the wrapper -----------------------------------------------------------------------------------

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`gemm: ${name} = ${v} must be an integer ≥ ${min}`);
}

/** Records C = alpha·op(A)·op(B) + beta·C (+ bias) into the device's command stream (no waiting). */
export function gemm(gpu: Gpu, args: GemmArgs, options: GemmOptions = {}): void {
  const { m, n, k } = args;
  checkInt('m', m, 1);
  checkInt('n', n, 1);
  checkInt('k', k, 1);
  const batch = args.batch ?? 1;
  checkInt('batch', batch, 1);
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const sA = args.strideA ?? m * k;
  const sB = args.strideB ?? k * n;
  const sC = args.strideC ?? m * n;
  const oA = args.offsetA ?? 0;
  const oB = args.offsetB ?? 0;
  const oC = args.offsetC ?? 0;
  for (const [name, v] of [['strideA', sA], ['strideB', sB], ['strideC', sC], ['offsetA', oA], ['offsetB', oB], ['offsetC', oC]] as const) checkInt(name, v, 0);
  if (batch > 1 && sC < m * n) throw new RangeError(`gemm: strideC = ${sC} < m·n = ${m * n} would make batch items overwrite each other`);
  const need = (name: string, buf: GpuBuffer, end: number) => {
    if (buf.length < end) throw new RangeError(`gemm: ${name} '${buf.label}' holds ${buf.length} elements, the call reads up to ${end}`);
  };
  need('A', args.a, oA + (batch - 1) * sA + m * k);
  need('B', args.b, oB + (batch - 1) * sB + k * n);
  need('C', args.c, oC + (batch - 1) * sC + m * n);
  const biasAxis = args.biasAxis ?? 'col';
  if (args.bias) need('bias', args.bias, biasAxis === 'col' ? n : m);
  for (const [name, buf] of [['A', args.a], ['B', args.b], ['bias', args.bias]] as const) {
    if (buf && buf.buffer === args.c.buffer) throw new RangeError(`gemm: C '${args.c.label}' is also bound as ${name}; the output must be a separate buffer`);
  }
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) throw new RangeError(`gemm: alpha = ${alpha} and beta = ${beta} must be finite`);

  const p: Problem = {
    m, n, k, batch, transA, transB, alpha, beta,
    biasMode: args.bias ? (biasAxis === 'col' ? 1 : 2) : 0,
    sA: batch > 1 ? sA : 0, sB: batch > 1 ? sB : 0, sC: batch > 1 ? sC : 0,
    oA, oB, oC,
    lda: transA ? m : k, ldb: transB ? k : n, ldc: n,
  };
  const sg = gemmSubgroupSize(gpu);
  const path: GemmPath = options.path ?? (m === 1 || n === 1 ? 'gemv' : sg && gpu.adapter.isSoftware ? 'subgroup' : 'tiled');
  if (path === 'gemv' && m !== 1 && n !== 1) throw new RangeError(`gemm: the gemv path needs m = 1 or n = 1 (got ${m}×${n})`);
  if (path === 'subgroup' && !sg) throw new RangeError('gemm: the subgroup path needs the subgroups feature with a fixed subgroup size of 8 or 16');

  const limit = Math.min(options.maxBindingElements ?? Infinity, Math.floor(gpu.limits.maxStorageBufferBindingSize / 4));
  const maxZ = gpu.limits.maxComputeWorkgroupsPerDimension;
  for (const r of planRegions(p, limit, maxZ)) runRegion(gpu, args, p, r, path, sg, options.splits, limit, maxZ);
}

interface Launch {
  /** Workgroups along x and y for the region (z is batch·splits). */
  grid: (rm: number, rn: number) => [number, number];
  /** Multiple of k_chunk required by the kernel (vec4 loads along k). */
  kAlign: number;
  run: (bind: Record<'a' | 'b' | 'out' | 'bias' | 'a4' | 'b4', BindingValue>, params: Params, workgroups: [number, number, number]) => void;
}

function runRegion(gpu: Gpu, args: GemmArgs, p: Problem, r: Region, path: GemmPath, sg: number, forcedSplits: number | undefined, limit: number, maxZ: number): void {
  const rm = r.i1 - r.i0;
  const rn = r.j1 - r.j0;
  const nb = r.b1 - r.b0;
  const g = regionRanges(p, r);
  const pa = panel(args.a, g.a);
  const pb = panel(args.b, g.b);
  const pc = panel(args.c, g.c);
  const pbias = args.bias ? panel(args.bias, g.bias) : pa;
  const launch = makeLaunch(gpu, p, path, sg, rm, rn, pa.rel, pb.rel);
  let [gx, gy] = launch.grid(rm, rn);
  if (gx > maxZ && gy === 1) [gx, gy] = [Math.ceil(gx / Math.ceil(gx / maxZ)), Math.ceil(gx / maxZ)]; // gemv: folded 1-D grid

  // Split-K when the region has few workgroups and K is long enough to share out.
  const target = gpu.adapter.isSoftware ? 16 : 128;
  const minChunk = path === 'gemv' ? 1024 : 256;
  let splits = forcedSplits ?? 1;
  if (forcedSplits === undefined && gx * gy * nb < target && p.k >= 2 * minChunk) {
    splits = Math.min(Math.ceil(target / (gx * gy * nb)) * (path === 'gemv' ? 4 : 1), Math.floor(p.k / minChunk), 256);
  }
  splits = Math.max(1, Math.min(splits, Math.floor(maxZ / nb), Math.floor(limit / (nb * rm * rn)) || 1));
  let kChunk = Math.ceil(p.k / splits / launch.kAlign) * launch.kAlign;
  splits = Math.ceil(p.k / kChunk);
  if (splits === 1) kChunk = p.k;

  const base: Params = {
    m: rm, n: rn, k: p.k, batch: nb, lda: p.lda, ldb: p.ldb, ldc: p.ldc, splits, stride_a: p.sA, stride_b: p.sB, stride_c: p.sC, k_chunk: kChunk,
    off_a: pa.rel, off_b: pb.rel, off_c: pc.rel, off_bias: args.bias ? pbias.rel : 0, alpha: p.alpha, beta: p.beta, bias_mode: p.biasMode,
  };
  const bindA = { buffer: pa.buffer, offset: pa.offset, length: pa.length };
  const bindB = { buffer: pb.buffer, offset: pb.offset, length: pb.length };
  const bind = { a: bindA, b: bindB, bias: { buffer: pbias.buffer, offset: pbias.offset, length: pbias.length }, a4: panel4(gpu, bindA), b4: panel4(gpu, bindB) };
  if (splits === 1) {
    launch.run({ ...bind, out: { buffer: pc.buffer, offset: pc.offset, length: pc.length } }, base, [gx, gy, nb]);
    return;
  }
  const part = gpu.alloc(nb * splits * rm * rn, 'gemm-splitk');
  launch.run({ ...bind, out: part }, { ...base, ldc: rn, stride_c: rm * rn, off_c: 0, alpha: 1, beta: 0, bias_mode: 0 }, [gx, gy, nb * splits]);
  reduceKernel.run(gpu, {
    bind: { a: part, out: { buffer: pc.buffer, offset: pc.offset, length: pc.length }, bias: bind.bias },
    params: { ...base, off_a: 0 },
    workgroups: Math.ceil((nb * rm * rn) / 256),
  });
  part.release();
}

function makeLaunch(gpu: Gpu, p: Problem, path: GemmPath, sg: number, rm: number, rn: number, relA: number, relB: number): Launch {
  const batched = p.batch > 1;
  if (path === 'gemv') {
    const matIsB = rm === 1;
    const transM = matIsB ? p.transB : !p.transA; // true: the matrix is read along k (dot form)
    const relM = matIsB ? relB : relA;
    const relV = matIsB ? relA : relB;
    const ldm = matIsB ? p.ldb : p.lda;
    const sM = matIsB ? p.sB : p.sA;
    const sV = matIsB ? p.sA : p.sB;
    if (transM) {
      const vec = aligned(relM, ldm, relV, batched ? sM : 0, batched ? sV : 0);
      return {
        grid: (_m, _n) => [Math.ceil((matIsB ? rn : rm) / 256), 1],
        kAlign: 4,
        run: (bind, params, workgroups) => gemvDotKernel.run(gpu, { bind, params, workgroups, overrides: { MAT_IS_B: matIsB ? 1 : 0, VEC: vec ? 1 : 0 } }),
      };
    }
    const vec = aligned(relM, ldm, batched ? sM : 0);
    const outputs = matIsB ? rn : rm;
    const gv = outputs <= 4 ? 1 : 2;
    return {
      grid: () => [Math.ceil(outputs / (64 * 4 * gv)), 1],
      kAlign: 1,
      run: (bind, params, workgroups) => gemvAxpyKernel.run(gpu, { bind, params, workgroups, overrides: { MAT_IS_B: matIsB ? 1 : 0, VEC: vec ? 1 : 0, GV: gv } }),
    };
  }
  if (path === 'subgroup') {
    subgroupKernel ??= defineSubgroupKernel();
    const kernel = subgroupKernel;
    const rg = rm <= sg ? 1 : 2;
    const nv = rn <= sg * 4 ? 1 : 2;
    const vecA = !p.transA && aligned(relA, p.lda, batched ? p.sA : 0);
    const vecB = aligned(relB, p.ldb, batched ? p.sB : 0); // along n, or along k when B is transposed
    return {
      grid: (m, n) => [Math.ceil(n / (sg * 4 * nv)), Math.ceil(m / (sg * rg))],
      kAlign: 4,
      run: (bind, params, workgroups) =>
        kernel.run(gpu, { bind, params, workgroups, overrides: { SG: sg, RG: rg, NV: nv, TRANS_A: p.transA ? 1 : 0, TRANS_B: p.transB ? 1 : 0, VEC_A: vecA ? 1 : 0, VEC_B: vecB ? 1 : 0 } }),
    };
  }
  const cfg = tiledConfig(gpu.limits);
  const vecA = aligned(relA, p.lda, batched ? p.sA : 0); // along k, or along m when A is transposed
  const vecB = aligned(relB, p.ldb, batched ? p.sB : 0); // along n, or along k when B is transposed
  return {
    grid: (m, n) => [Math.ceil(n / (8 * cfg.TX)), Math.ceil(m / (8 * cfg.TY))],
    kAlign: cfg.BK,
    run: (bind, params, workgroups) =>
      tiledKernel.run(gpu, { bind, params, workgroups, overrides: { ...cfg, TRANS_A: p.transA ? 1 : 0, TRANS_B: p.transB ? 1 : 0, VEC_A: vecA ? 1 : 0, VEC_B: vecB ? 1 : 0 } }),
  };
}
