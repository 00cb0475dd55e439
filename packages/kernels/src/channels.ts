// Broadcasts, channel copies and outer sums for NCHW tensors (shaders/channels.wgsl).
// Reference: channels.ref.ts. The autograd's bias, per-sample scale, concat and bias-gradient ops.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';
import { prefix } from './panels.ts';

const PARAMS = ['n', 'inner', 'm', 'alpha', 'beta', 'count', 'src_c', 'dst_c', 'src_off', 'dst_off', 'outer', 'in_h', 'in_w', 'out_h', 'out_w', 'off_y', 'off_x'] as const;
const WG = 256;
const mulKernel = defineKernel({ name: 'channels_mul', file: 'channels', entry: 'mul', bindings: { x: 'read', v: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const addKernel = defineKernel({ name: 'channels_add', file: 'channels', entry: 'add', bindings: { x: 'read', v: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const copyKernel = defineKernel({ name: 'channels_copy', file: 'channels', entry: 'copy', bindings: { x: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
// vec4 variants (a thread 4 consecutive elements: lavapipe scalarises every storage load, so a vec4 load moves 4× the data).
const mul4Kernel = defineKernel({ name: 'channels_mul4', file: 'channels', entry: 'mul4', bindings: { x4: 'read', v: 'read', out4: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const add4Kernel = defineKernel({ name: 'channels_add4', file: 'channels', entry: 'add4', bindings: { x4: 'read', v: 'read', out4: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const copy4Kernel = defineKernel({ name: 'channels_copy4', file: 'channels', entry: 'copy4', bindings: { x4: 'read', out4: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const expandKernel = defineKernel({ name: 'channels_expand', file: 'channels', entry: 'expand', bindings: { v: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const fillKernel = defineKernel({ name: 'channels_fill', file: 'channels', entry: 'fill', bindings: { out: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const windowKernel = defineKernel({ name: 'channels_crop_pad', file: 'channels', entry: 'crop_pad', bindings: { x: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });
const sumPlanesKernel = defineKernel({ name: 'channels_sum_planes', file: 'channels', entry: 'sum_planes', bindings: { x: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [64, 1, 1] });
const sumOuterKernel = defineKernel({ name: 'channels_sum_outer', file: 'channels', entry: 'sum_outer', bindings: { x: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [WG, 1, 1] });

// shaders/channels_sg.wgsl needs `enable subgroups`: defined on first use, only on devices that have them.
let sumPlanesSg: ReturnType<typeof defineSumPlanesSg> | null = null;
function defineSumPlanesSg() {
  return defineKernel({ name: 'channels_sum_planes4_sg', file: 'channels_sg', entry: 'sum_planes4', bindings: { x4: 'read', out: 'read_write' }, params: ['m', 'inner', 'outer'], overrides: { SG: 16 }, workgroupSize: (v: { SG: number }): [number, number, number] => [v.SG, 1, 1] });
}

type P = Record<(typeof PARAMS)[number], number>;
const ZERO: P = { n: 0, inner: 1, m: 1, alpha: 1, beta: 0, count: 1, src_c: 1, dst_c: 1, src_off: 0, dst_off: 0, outer: 1, in_h: 1, in_w: 1, out_h: 1, out_w: 1, off_y: 0, off_x: 0 };

function need(b: GpuBuffer, n: number, what: string): void {
  if (b.length < n) throw new RangeError(`${what}: buffer '${b.label}' holds ${b.length} elements, fewer than ${n}`);
}

/** A kernel family of broadcastMul, broadcastAdd and copyChannels: 'vec4' (a thread 4 consecutive elements) or 'scalar'. */
export type ChannelsPath = 'vec4' | 'scalar';

export interface ChannelsOptions {
  path?: ChannelsPath; // force a kernel family (tests, benchmarks; default: vec4 when the shape allows it)
}

/**
 * The kernel family a call with `inner` elements a broadcast index / channel plane and n elements takes: vec4 when
 * inner % 4 = 0 and n % 4 = 0, n > 0 (a vec4 never straddles two v entries or channels; bindings start at element 0, so
 * every vec4 is aligned), else scalar. Forcing 'vec4' on a shape that does not allow it throws.
 */
export function channelsPath(inner: number, n: number, opts: ChannelsOptions = {}, what = 'channels'): ChannelsPath {
  const fits = inner % 4 === 0 && n % 4 === 0 && n > 0;
  if (opts.path === 'vec4' && !fits) throw new RangeError(`${what}: the vec4 path needs inner (${inner}) and n (${n}) to be positive multiples of 4; use path 'scalar' or leave it unset`);
  return opts.path ?? (fits ? 'vec4' : 'scalar');
}

/** Where a broadcast vector v of length m sits: element i of x uses v[(i / inner) % m]. */
export interface Broadcast {
  inner: number; // elements sharing one v entry (H·W for channels, c·h·w for per-sample)
  m: number; // length of v
  n?: number; // elements of x (default x.length)
}

function broadcast(x: GpuBuffer, v: GpuBuffer, out: GpuBuffer, b: Broadcast, what: string): number {
  const n = b.n ?? x.length;
  if (!(b.inner >= 1 && b.m >= 1 && Number.isInteger(b.inner) && Number.isInteger(b.m))) throw new RangeError(`${what}: inner = ${b.inner} and m = ${b.m} must be positive integers`);
  need(x, n, what);
  need(out, n, what);
  need(v, b.m, what);
  return n;
}

/** out[i] = alpha·x[i]·v[(i / inner) % m]: per-sample (inner = c·h·w, m = N), per-(n,c) or per-channel scales. */
export function broadcastMul(gpu: Gpu, x: GpuBuffer, v: GpuBuffer, out: GpuBuffer, b: Broadcast, alpha = 1, opts: ChannelsOptions = {}): void {
  const n = broadcast(x, v, out, b, 'broadcastMul');
  if (channelsPath(b.inner, n, opts, 'broadcastMul') === 'vec4') {
    mul4Kernel.run(gpu, { bind: { x4: prefix(x, n), v, out4: prefix(out, n) }, params: { ...ZERO, n: n / 4, inner: b.inner / 4, m: b.m, alpha }, workgroups: Math.ceil(n / 4 / WG) });
  } else mulKernel.run(gpu, { bind: { x, v, out }, params: { ...ZERO, n, inner: b.inner, m: b.m, alpha }, workgroups: Math.ceil(n / WG) });
}

/** out[i] = alpha·x[i] + beta·v[(i / inner) % m]: a bias broadcast over inner elements. */
export function broadcastAdd(gpu: Gpu, alpha: number, x: GpuBuffer, beta: number, v: GpuBuffer, out: GpuBuffer, b: Broadcast, opts: ChannelsOptions = {}): void {
  const n = broadcast(x, v, out, b, 'broadcastAdd');
  if (channelsPath(b.inner, n, opts, 'broadcastAdd') === 'vec4') {
    add4Kernel.run(gpu, { bind: { x4: prefix(x, n), v, out4: prefix(out, n) }, params: { ...ZERO, n: n / 4, inner: b.inner / 4, m: b.m, alpha, beta }, workgroups: Math.ceil(n / 4 / WG) });
  } else addKernel.run(gpu, { bind: { x, v, out }, params: { ...ZERO, n, inner: b.inner, m: b.m, alpha, beta }, workgroups: Math.ceil(n / WG) });
}

export interface ChannelCopy {
  batch: number; // N
  inner: number; // H·W
  count: number; // channels copied
  srcChannels: number; // channels of x
  dstChannels: number; // channels of out
  srcOffset?: number; // first channel read from x
  dstOffset?: number; // first channel written in out
}

/** out[b, dstOffset + c, :] = x[b, srcOffset + c, :] for c < count: channel concat and split. */
export function copyChannels(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, c: ChannelCopy, opts: ChannelsOptions = {}): void {
  const so = c.srcOffset ?? 0;
  const dof = c.dstOffset ?? 0;
  if (so + c.count > c.srcChannels || dof + c.count > c.dstChannels) throw new RangeError(`copyChannels: channels [${so}, ${so + c.count}) of ${c.srcChannels} → [${dof}, ${dof + c.count}) of ${c.dstChannels} are out of range`);
  need(x, c.batch * c.srcChannels * c.inner, 'copyChannels');
  need(out, c.batch * c.dstChannels * c.inner, 'copyChannels');
  const n = c.batch * c.count * c.inner;
  // inner % 4 = 0 makes every plane offset (b·C + off + c)·inner, and both bound lengths, multiples of 4.
  if (channelsPath(c.inner, n, opts, 'copyChannels') === 'vec4') {
    const [x4, out4] = [prefix(x, c.batch * c.srcChannels * c.inner), prefix(out, c.batch * c.dstChannels * c.inner)];
    copy4Kernel.run(gpu, { bind: { x4, out4 }, params: { ...ZERO, n: n / 4, inner: c.inner / 4, count: c.count, src_c: c.srcChannels, dst_c: c.dstChannels, src_off: so, dst_off: dof }, workgroups: Math.ceil(n / 4 / WG) });
  } else copyKernel.run(gpu, { bind: { x, out }, params: { ...ZERO, n, inner: c.inner, count: c.count, src_c: c.srcChannels, dst_c: c.dstChannels, src_off: so, dst_off: dof }, workgroups: Math.ceil(n / WG) });
}

/** out[j] = Σ_{o < outer} x[o·m + j]: the column sums of an outer×m matrix, summed in order. */
export function sumOuter(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, outer: number, m: number): void {
  need(x, outer * m, 'sumOuter');
  need(out, m, 'sumOuter');
  sumOuterKernel.run(gpu, { bind: { x, out }, params: { ...ZERO, m, outer }, workgroups: Math.ceil(m / WG) });
}

/** out[i] = alpha·v[(i / inner) % m] for i < n: a vector broadcast to a tensor (the gradient of a sum). */
export function expand(gpu: Gpu, v: GpuBuffer, out: GpuBuffer, b: Broadcast, alpha = 1): void {
  const n = b.n ?? out.length;
  need(out, n, 'expand');
  need(v, b.m, 'expand');
  expandKernel.run(gpu, { bind: { v, out }, params: { ...ZERO, n, inner: b.inner, m: b.m, alpha }, workgroups: Math.ceil(n / WG) });
}

/** out[i] = value for i < n, in stream order (unlike gpu.fill, no host write and no flush). */
export function fillValue(gpu: Gpu, out: GpuBuffer, value: number, n = out.length): void {
  need(out, n, 'fillValue');
  fillKernel.run(gpu, { bind: { out }, params: { ...ZERO, n, alpha: value }, workgroups: Math.ceil(n / WG) });
}

/** A window of `planes` H×W planes: out[p, i, j] = x[p, i + offY, j + offX], 0 outside x (crops and zero-pads). */
export interface Window {
  planes: number; // N·C
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  offY: number; // may be negative (zero-padding before)
  offX: number;
}

export function window2d(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, w: Window): void {
  for (const k of ['planes', 'inH', 'inW', 'outH', 'outW'] as const) if (!Number.isInteger(w[k]) || w[k] < 1) throw new RangeError(`window2d: ${k} = ${w[k]} must be a positive integer`);
  need(x, w.planes * w.inH * w.inW, 'window2d');
  need(out, w.planes * w.outH * w.outW, 'window2d');
  const total = w.planes * w.outH * w.outW;
  windowKernel.run(gpu, { bind: { x, out }, params: { ...ZERO, n: w.planes, in_h: w.inH, in_w: w.inW, out_h: w.outH, out_w: w.outW, off_y: w.offY, off_x: w.offX }, workgroups: Math.ceil(total / WG) });
}

/** out[j] = Σ_{o < outer} Σ_{p < inner} x[(o·m + j)·inner + p]: per-channel sums of NCHW (outer = N, inner = H·W), or per-(n, c) sums (outer = 1). */
export function sumPlanes(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, outer: number, m: number, inner: number, opts: ChannelsOptions = {}): void {
  need(x, outer * m * inner, 'sumPlanes');
  need(out, m, 'sumPlanes');
  // Software adapters with fixed-size subgroups and inner % 4 = 0: a subgroup a j, vec4 loads, one subgroupAdd.
  const SG = gpu.fixedSubgroupSize;
  const vec4 = opts.path === 'vec4' || (opts.path === undefined && gpu.subgroupKernelSize > 0 && inner % 4 === 0);
  if (vec4) {
    if (!SG || inner % 4 !== 0) throw new RangeError(`sumPlanes: the vec4 path needs inner % 4 = 0 (inner = ${inner}) and fixed-size subgroups`);
    sumPlanesSg ??= defineSumPlanesSg();
    sumPlanesSg.run(gpu, { bind: { x4: prefix(x, outer * m * inner), out }, params: { m, inner, outer }, overrides: { SG }, workgroups: m });
    return;
  }
  sumPlanesKernel.run(gpu, { bind: { x, out }, params: { ...ZERO, m, outer, inner }, workgroups: m });
}
