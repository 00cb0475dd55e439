// 2× down/up-sampling of NCHW tensors, box ([1,1]: 2×2 mean / nearest) or FIR ([1,3,3,1], NCSN++),
// forward and backward (shaders/resample.wgsl). Reference: resample.ref.ts.
// Matches NVlabs/edm Conv2d(kernel=0, down/up=True, resample_filter=f): f ⊗ f / (Σf)², padding
// (len(f) − 1) // 2, down = depthwise conv stride 2, up = depthwise transposed conv stride 2 with 4·filter.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';
import { bindingElements, itemChunks } from './panels.ts';

const WG = 256;
const params = ['planes', 'in_h', 'in_w', 'out_h', 'out_w', 'taps', 'pad', 'w'] as const;
const downKernel = defineKernel({ name: 'resample_down', file: 'resample', entry: 'down', bindings: { x: 'read', out: 'read_write' }, params, workgroupSize: [WG, 1, 1] });
const upKernel = defineKernel({ name: 'resample_up', file: 'resample', entry: 'up', bindings: { x: 'read', out: 'read_write' }, params, workgroupSize: [WG, 1, 1] });

/** A 1-D resampling filter of 1–4 taps with a non-zero sum: [1, 1] (DDPM++, the default) or [1, 3, 3, 1] (NCSN++). */
export type ResampleFilter = readonly number[];
export const BOX_FILTER: ResampleFilter = [1, 1];
export const FIR_FILTER: ResampleFilter = [1, 3, 3, 1];

/** NCHW shape of the forward op's input. */
export interface ResampleShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export interface ResampleOptions {
  panelElements?: number; // bind at most this many elements at once (tests; default: the device's binding limit)
}

function taps(f: ResampleFilter): { taps: number; pad: number; sum: number } {
  const sum = f.reduce((a, b) => a + b, 0);
  if (f.length < 1 || f.length > 4 || !f.every(Number.isFinite) || sum === 0) throw new RangeError(`resample: filter [${f.join(', ')}] must have 1–4 finite taps with a non-zero sum`);
  return { taps: f.length, pad: (f.length - 1) >> 1, sum };
}

/** Output size of downsample2x along one axis: ⌊(n + 2·pad − taps)/2⌋ + 1 (⌊n/2⌋ for [1,1] and [1,3,3,1]). */
export function downsampledSize(n: number, filter: ResampleFilter = BOX_FILTER): number {
  const t = taps(filter);
  return Math.floor((n + 2 * t.pad - t.taps) / 2) + 1;
}

/** Output size of upsample2x along one axis: 2(n − 1) − 2·pad + taps (2n for [1,1] and [1,3,3,1]). */
export function upsampledSize(n: number, filter: ResampleFilter = BOX_FILTER): number {
  const t = taps(filter);
  return 2 * (n - 1) - 2 * t.pad + t.taps;
}

function dispatch(gpu: Gpu, up: boolean, x: GpuBuffer, out: GpuBuffer, planes: number, inH: number, inW: number, outH: number, outW: number, filter: ResampleFilter, gain: number, what: string, panelElements?: number): void {
  for (const [k, v] of Object.entries({ planes, inH, inW })) if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what}: ${k} = ${v} must be a positive integer`);
  if (outH < 1 || outW < 1) throw new RangeError(`${what}: a ${inH}×${inW} input gives an empty ${outH}×${outW} output`);
  if (x.length < planes * inH * inW) throw new RangeError(`${what}: input '${x.label}' holds ${x.length} elements, needs ${planes * inH * inW}`);
  if (out.length < planes * outH * outW) throw new RangeError(`${what}: output '${out.label}' holds ${out.length} elements, needs ${planes * outH * outW}`);
  const t = taps(filter);
  const w = [0, 1, 2, 3].map((k) => (k < t.taps ? (gain * filter[k]) / t.sum : 0));
  const [pin, pout] = [inH * inW, outH * outW];
  // Planes are independent: tensors over the binding limit run in panels of whole planes.
  for (const [p0, pc] of itemChunks(planes, [pin, pout], bindingElements(gpu, panelElements), what)) {
    (up ? upKernel : downKernel).run(gpu, {
      bind: { x: { buffer: x, offset: p0 * pin, length: pc * pin }, out: { buffer: out, offset: p0 * pout, length: pc * pout } },
      params: { planes: pc, in_h: inH, in_w: inW, out_h: outH, out_w: outW, taps: t.taps, pad: t.pad, w },
      workgroups: Math.ceil((pc * pout) / WG),
    });
  }
}

/** out (B×C×⌊H/2⌋×⌊W/2⌋ for the two standard filters) = depthwise stride-2 filter of x (B×C×H×W). */
export function downsample2x(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, s: ResampleShape, filter: ResampleFilter = BOX_FILTER, opts: ResampleOptions = {}): void {
  dispatch(gpu, false, x, out, s.batch * s.channels, s.height, s.width, downsampledSize(s.height, filter), downsampledSize(s.width, filter), filter, 1, 'downsample2x', opts.panelElements);
}

/** dx (B×C×H×W, the forward input's shape) from dy of downsample2x. */
export function downsample2xBackward(gpu: Gpu, dy: GpuBuffer, dx: GpuBuffer, s: ResampleShape, filter: ResampleFilter = BOX_FILTER, opts: ResampleOptions = {}): void {
  dispatch(gpu, true, dy, dx, s.batch * s.channels, downsampledSize(s.height, filter), downsampledSize(s.width, filter), s.height, s.width, filter, 1, 'downsample2xBackward', opts.panelElements);
}

/** out (B×C×2H×2W for the two standard filters) = zero insertion, then 4·filter (nearest for [1,1]). */
export function upsample2x(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, s: ResampleShape, filter: ResampleFilter = BOX_FILTER, opts: ResampleOptions = {}): void {
  dispatch(gpu, true, x, out, s.batch * s.channels, s.height, s.width, upsampledSize(s.height, filter), upsampledSize(s.width, filter), filter, 2, 'upsample2x', opts.panelElements);
}

/** dx (B×C×H×W, the forward input's shape) from dy of upsample2x. */
export function upsample2xBackward(gpu: Gpu, dy: GpuBuffer, dx: GpuBuffer, s: ResampleShape, filter: ResampleFilter = BOX_FILTER, opts: ResampleOptions = {}): void {
  dispatch(gpu, false, dy, dx, s.batch * s.channels, upsampledSize(s.height, filter), upsampledSize(s.width, filter), s.height, s.width, filter, 2, 'upsample2xBackward', opts.panelElements);
}
