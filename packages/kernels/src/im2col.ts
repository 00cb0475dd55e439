// Convolution lowering (shaders/im2col.wgsl): im2col turns a stride-1, zero-padded k×k convolution
// into a GEMM (out[n] = W·cols[n], W as O×C·k²); col2im is its adjoint (the data gradient from
// Wᵀ·dy). Reference: im2col.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';

const params = ['nb', 'first', 'channels', 'h', 'w', 'k', 'pad', 'oh', 'ow'] as const;
const im2colKernel = defineKernel({ name: 'im2col', file: 'im2col', entry: 'im2col', bindings: { x: 'read', out: 'read_write' }, params, overrides: { WG: 32 }, workgroupSize: (o) => [o.WG, 1, 1] });
const col2imKernel = defineKernel({ name: 'im2col_col2im', file: 'im2col', entry: 'col2im', bindings: { x: 'read', out: 'read_write' }, params, overrides: { WG: 32 }, workgroupSize: (o) => [o.WG, 1, 1] });

/** A stride-1 convolution's input (NCHW), kernel side and zero padding. */
export interface ConvShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernel: number;
  pad: number;
}

/** Output side of a stride-1 convolution: n + 2·pad − kernel + 1. */
export function convOutSize(n: number, kernel: number, pad: number): number {
  return n + 2 * pad - kernel + 1;
}

/** Samples [first, first + count) of the batch (default: all). */
export interface SampleRange {
  first?: number;
  count?: number;
}

function plan(what: string, s: ConvShape, r: SampleRange): Record<(typeof params)[number], number> {
  for (const k of ['batch', 'channels', 'height', 'width', 'kernel'] as const) if (!Number.isInteger(s[k]) || s[k] < 1) throw new RangeError(`${what}: ${k} = ${s[k]} must be a positive integer`);
  if (!Number.isInteger(s.pad) || s.pad < 0) throw new RangeError(`${what}: pad = ${s.pad} must be a non-negative integer`);
  const first = r.first ?? 0;
  const nb = r.count ?? s.batch - first;
  if (first < 0 || nb < 1 || first + nb > s.batch) throw new RangeError(`${what}: samples [${first}, ${first + nb}) outside the batch of ${s.batch}`);
  const oh = convOutSize(s.height, s.kernel, s.pad);
  const ow = convOutSize(s.width, s.kernel, s.pad);
  if (oh < 1 || ow < 1) throw new RangeError(`${what}: a ${s.kernel}×${s.kernel} kernel with pad ${s.pad} leaves no output of a ${s.height}×${s.width} input`);
  return { nb, first, channels: s.channels, h: s.height, w: s.width, k: s.kernel, pad: s.pad, oh, ow };
}

/** Lanes a workgroup: the power of two ≥ the row width, 8 … 64 (lanes stride along x). */
function lanes(width: number): number {
  let t = 8;
  while (t < 64 && t < width) t *= 2;
  return t;
}

/** cols [count][C·k²][OH·OW] from samples [first, first + count) of x. */
export function im2col(gpu: Gpu, x: GpuBuffer, cols: GpuBuffer, s: ConvShape, r: SampleRange = {}): void {
  const p = plan('im2col', s, r);
  const n = p.nb * p.channels * p.k * p.k * p.oh * p.ow;
  if (x.length < s.batch * s.channels * s.height * s.width) throw new RangeError(`im2col: x '${x.label}' holds ${x.length} elements, fewer than the batch`);
  if (cols.length < n) throw new RangeError(`im2col: cols '${cols.label}' holds ${cols.length} elements, needs ${n}`);
  im2colKernel.run(gpu, { bind: { x, out: cols }, params: p, overrides: { WG: lanes(p.ow) }, workgroups: p.nb * p.channels });
}

/** dx samples [first, first + count) (NCHW, all C·H·W written) from dcols [count][C·k²][OH·OW]. */
export function col2im(gpu: Gpu, cols: GpuBuffer, dx: GpuBuffer, s: ConvShape, r: SampleRange = {}): void {
  const p = plan('col2im', s, r);
  if (cols.length < p.nb * p.channels * p.k * p.k * p.oh * p.ow) throw new RangeError(`col2im: cols '${cols.label}' is too short`);
  if (dx.length < s.batch * s.channels * s.height * s.width) throw new RangeError(`col2im: dx '${dx.label}' holds ${dx.length} elements, fewer than the batch`);
  col2imKernel.run(gpu, { bind: { x: cols, out: dx }, params: p, overrides: { WG: lanes(p.w) }, workgroups: p.nb * p.channels });
}
