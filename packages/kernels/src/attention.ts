// Multi-delta (empirical optimal) denoiser, eq 5 (shaders/attention.wgsl, shaders/attention_sg.wgsl). Reference: attention.ref.ts.
//
//   multiDelta(gpu, { x, train, b, n, d, sigma, out, lse?, maxWeight?, splits?, panelRows?, path? }): MultiDeltaPlan
//
//   x          GpuBuffer, B×d row-major queries (the first b·d elements are read)
//   train      the N×d training images y_i, row-major: one GpuBuffer, one { buffer, offset, length } binding, or a list of
//              them (row panels in order, each holding whole rows: length a multiple of d, any element offset). Anything
//              over maxStorageBufferBindingSize (128 MiB on lavapipe) is bound in panels automatically.
//   b, n, d    B queries, N training images, dimension d
//   sigma      noise level σ > 0 (temperature 2σ²)
//   out        GpuBuffer, B×d: D_M(x_b; σ) = Σ_i softmax_i(−‖x_b − y_i‖²/(2σ²))·y_i
//   lse        optional GpuBuffer, B: log Σ_i exp(−‖x_b − y_i‖²/(2σ²)) (natural log, logit units)
//   maxWeight  optional GpuBuffer, B: max_i softmax_i (1 when one training image takes all the weight)
//   splits     optional: force the number of N-splits S (flash-decoding: partial (min, sum, acc) merged by a second pass)
//   panelRows  optional: bind the training set in panels of at most this many rows (tests use it)
//   path       optional: 'auto' (default), 'portable' (workgroup-tiled) or 'subgroup' (needs d % 4 == 0 and 16-lane subgroups)
//
// Records the dispatches (no waiting) and returns the plan it used; scratch buffers are pooled and released.
// Numerics: the running maximum logit is kept as the running minimum squared distance dmin (exact differences
// dmin − ‖x − y‖² before scaling by 1/(2σ²)), squared distances are summed from direct differences in chunks of 16.
import type { Gpu } from './device.ts';
import { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';

const PARAMS = ['b', 'd', 'rows', 'y_off', 'per_split', 'splits', 'first', 'inv_two_s2'] as const;
const WG = 64;
const SG = 16;
const attendKernel = defineKernel({
  name: 'attention_attend',
  file: 'attention',
  entry: 'attend',
  bindings: { x: 'read', y: 'read', out_acc: 'read_write', out_state: 'read_write' },
  params: PARAMS,
  overrides: { BQ: 16, WG, DT: 2 },
  workgroupSize: (o) => [o.WG, 1, 1],
});
const attendSgKernel = defineKernel({
  name: 'attention_attend_sg',
  file: 'attention_sg',
  entry: 'attend',
  bindings: { x: 'read', y: 'read', out_acc: 'read_write', out_state: 'read_write' },
  params: PARAMS,
  overrides: { BQ: 16, KPL: 2 },
  workgroupSize: [SG, 1, 1],
});
const mergeKernel = defineKernel({
  name: 'attention_merge',
  file: 'attention',
  entry: 'merge',
  bindings: { acc: 'read', state: 'read', out: 'read_write', out_lse: 'read_write', out_maxw: 'read_write' },
  params: PARAMS,
  workgroupSize: [256, 1, 1],
});
const normalizeKernel = defineKernel({
  name: 'attention_normalize',
  file: 'attention',
  entry: 'normalize',
  bindings: { state: 'read', out: 'read_write', out_lse: 'read_write', out_maxw: 'read_write' },
  params: PARAMS,
  workgroupSize: [256, 1, 1],
});

export type MultiDeltaPath = 'auto' | 'portable' | 'subgroup';

export interface MultiDeltaArgs {
  x: GpuBuffer;
  train: BindingValue | readonly BindingValue[];
  b: number;
  n: number;
  d: number;
  sigma: number;
  out: GpuBuffer;
  lse?: GpuBuffer;
  maxWeight?: GpuBuffer;
  splits?: number;
  panelRows?: number;
  path?: MultiDeltaPath;
}

/** How multiDelta ran: kernel path and queries per workgroup, N-splits, rows of each training panel, attend workgroups. */
export interface MultiDeltaPlan {
  path: 'portable' | 'subgroup' | 'mixed';
  queriesPerGroup: number;
  splits: number;
  panels: number[];
  workgroups: number;
}

/** Workgroups the split heuristic aims for (fills a GPU; lavapipe, one workgroup per core at a time, needs few). */
const TARGET_GROUPS = 64;
/** Each split gets at least this many training rows of a panel, so the merge pass stays negligible. */
const MIN_ROWS_PER_SPLIT = 256;
/** Binding offsets must be multiples of this many elements (256 bytes). */
const ALIGN = 64;

interface Panel {
  buffer: GpuBuffer;
  offset: number; // aligned element offset of the binding
  yOff: number; // element offset of row 0 inside the binding
  rows: number;
}

function asBinding(v: BindingValue): { buffer: GpuBuffer; offset: number; length: number } {
  return v instanceof GpuBuffer ? { buffer: v, offset: 0, length: v.length } : v;
}

function panelsOf(train: MultiDeltaArgs['train'], n: number, d: number, maxRows: number): Panel[] {
  const isList = Array.isArray(train);
  const list = (isList ? train : [train]) as BindingValue[];
  const panels: Panel[] = [];
  let left = n;
  for (const v of list) {
    if (left === 0) break;
    const { buffer, offset, length } = asBinding(v);
    if (buffer.released) throw new Error(`multiDelta: training panel uses released buffer '${buffer.label}'`);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > buffer.length) {
      throw new RangeError(`multiDelta: panel [${offset}, ${offset + length}) is outside '${buffer.label}' (${buffer.length} elements)`);
    }
    if (isList && length % d !== 0) throw new RangeError(`multiDelta: a panel of '${buffer.label}' has length ${length}, not a multiple of d = ${d}`);
    const rowsHere = Math.min(left, Math.floor(length / d));
    for (let r = 0; r < rowsHere; r += maxRows) {
      const rows = Math.min(maxRows, rowsHere - r);
      const start = offset + r * d;
      const aligned = start - (start % ALIGN);
      panels.push({ buffer, offset: aligned, yOff: start - aligned, rows });
    }
    left -= rowsHere;
  }
  if (left > 0) throw new RangeError(`multiDelta: the training panels hold ${n - left} rows of d = ${d}, fewer than n = ${n}`);
  return panels;
}

/** True when this device runs attention_sg.wgsl: the subgroups feature with exactly 16 lanes (lavapipe on AVX-512). */
export function multiDeltaHasSubgroupPath(gpu: Gpu): boolean {
  const info = (gpu.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  return gpu.features.has('subgroups') && info?.subgroupMinSize === SG && info?.subgroupMaxSize === SG;
}

/** Records D_M(x; σ) for B queries against N training images into out (and optionally lse and maxWeight). */
export function multiDelta(gpu: Gpu, args: MultiDeltaArgs): MultiDeltaPlan {
  const { x, b, n, d, sigma, out } = args;
  for (const [k, v] of Object.entries({ b, n, d })) if (!Number.isInteger(v) || v < 1) throw new RangeError(`multiDelta: ${k} = ${v} must be a positive integer`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`multiDelta: sigma = ${sigma} must be positive and finite`);
  if (x.length < b * d) throw new RangeError(`multiDelta: x '${x.label}' holds ${x.length} elements, fewer than b·d = ${b * d}`);
  if (out.length < b * d) throw new RangeError(`multiDelta: out '${out.label}' holds ${out.length} elements, fewer than b·d = ${b * d}`);
  for (const [k, v] of [['lse', args.lse], ['maxWeight', args.maxWeight]] as const) if (v && v.length < b) throw new RangeError(`multiDelta: ${k} '${v.label}' holds ${v.length} elements, fewer than b = ${b}`);
  const outputs = [out, args.lse, args.maxWeight].filter((v): v is GpuBuffer => v !== undefined);
  const inputs = [x, ...((Array.isArray(args.train) ? args.train : [args.train]) as BindingValue[]).map((v) => asBinding(v).buffer)];
  if (new Set(outputs).size < outputs.length || outputs.some((o) => inputs.includes(o))) {
    throw new RangeError('multiDelta: out, lse and maxWeight must be distinct buffers, none of them x or a training buffer (WebGPU forbids aliasing a written binding)');
  }
  const path = args.path ?? 'auto';
  const hasSg = multiDeltaHasSubgroupPath(gpu);
  if (path === 'subgroup' && !hasSg) throw new Error('multiDelta: path "subgroup" needs the subgroups feature with 16-lane subgroups');
  if (path === 'subgroup' && d % 4 !== 0) throw new RangeError(`multiDelta: path "subgroup" needs d % 4 == 0, got d = ${d}`);

  const maxElems = Math.floor(gpu.limits.maxStorageBufferBindingSize / 4);
  const fitRows = Math.floor((maxElems - ALIGN) / d);
  if (fitRows < 1) throw new RangeError(`multiDelta: one row of d = ${d} does not fit a storage binding`);
  if (args.panelRows !== undefined && (!Number.isInteger(args.panelRows) || args.panelRows < 1)) throw new RangeError(`multiDelta: panelRows = ${args.panelRows} must be a positive integer`);
  const panels = panelsOf(args.train, n, d, Math.min(fitRows, args.panelRows ?? Infinity));
  const fast = panels.map((p) => path !== 'portable' && hasSg && d % 4 === 0 && p.yOff % 4 === 0);
  if (path === 'subgroup' && fast.some((f) => !f)) throw new RangeError('multiDelta: path "subgroup" needs every panel to start at a multiple of 4 elements');

  // Queries per workgroup (each a pipeline variant): subgroup path 8 for B ≤ 8, else 16; portable path 4 for B ≤ 4, else 16.
  const bqPortable = b <= 4 ? 4 : 16;
  const bqSg = b <= 8 ? 8 : 16;
  const bq = fast.every((f) => f) ? bqSg : bqPortable;
  const qblocks = Math.ceil(b / bq);
  const biggest = Math.max(...panels.map((p) => p.rows));
  let splits = args.splits ?? Math.max(1, Math.min(Math.ceil(TARGET_GROUPS / qblocks), Math.floor(biggest / MIN_ROWS_PER_SPLIT)));
  if (!Number.isInteger(splits) || splits < 1) throw new RangeError(`multiDelta: splits = ${splits} must be a positive integer`);
  // The partial accumulators (S·B·d) must fit one binding.
  splits = Math.max(1, Math.min(splits, Math.floor(maxElems / (b * d))));

  const acc = splits > 1 ? gpu.alloc(splits * b * d, 'multidelta-acc') : out;
  const state = gpu.alloc(splits * b * 2, 'multidelta-state');
  const inv = 1 / (2 * sigma * sigma);
  const xView = { buffer: x, offset: 0, length: b * d };
  const accView = { buffer: acc, offset: 0, length: splits * b * d };
  panels.forEach((p, i) => {
    const perSplit = Math.ceil(Math.ceil(p.rows / splits) / WG) * WG;
    const params = { b, d, rows: p.rows, y_off: p.yOff, per_split: perSplit, splits, first: i === 0 ? 1 : 0, inv_two_s2: inv };
    const bind = { x: xView, y: { buffer: p.buffer, offset: p.offset, length: p.yOff + p.rows * d }, out_acc: accView, out_state: state };
    if (fast[i]) attendSgKernel.run(gpu, { bind, params, overrides: { BQ: bqSg }, workgroups: Math.ceil(b / bqSg) * splits });
    else attendKernel.run(gpu, { bind, params, overrides: { BQ: bqPortable }, workgroups: Math.ceil(b / bqPortable) * splits });
  });

  const lse = args.lse ?? gpu.alloc(b, 'multidelta-lse');
  const maxw = args.maxWeight ?? gpu.alloc(b, 'multidelta-maxw');
  const params = { b, d, rows: 0, y_off: 0, per_split: 0, splits, first: 0, inv_two_s2: inv };
  const finishGroups = b * Math.ceil(d / 256);
  const outView = { buffer: out, offset: 0, length: b * d };
  const lseView = { buffer: lse, offset: 0, length: b };
  const maxwView = { buffer: maxw, offset: 0, length: b };
  if (splits > 1) mergeKernel.run(gpu, { bind: { acc: accView, state, out: outView, out_lse: lseView, out_maxw: maxwView }, params, workgroups: finishGroups });
  else normalizeKernel.run(gpu, { bind: { state, out: outView, out_lse: lseView, out_maxw: maxwView }, params, workgroups: finishGroups });

  if (acc !== out) acc.release();
  state.release();
  if (lse !== args.lse) lse.release();
  if (maxw !== args.maxWeight) maxw.release();
  const kinds = new Set(fast);
  return {
    path: kinds.size === 2 ? 'mixed' : fast[0] ? 'subgroup' : 'portable',
    queriesPerGroup: bq,
    splits,
    panels: panels.map((p) => p.rows),
    workgroups: qblocks * splits,
  };
}
