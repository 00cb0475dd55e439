// Group norm over NCHW, optionally fused with SiLU, forward and backward (shaders/norm.wgsl; on software adapters
// with a fixed subgroup size and H·W % 4 = 0, shaders/norm_sg.wgsl: a subgroup a group, sums by subgroupAdd, 4–5×
// faster on lavapipe). Reference: norm.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';
import { bindingElements, itemChunks } from './panels.ts';

const params = ['batch', 'channels', 'groups', 'hw', 'eps', 'silu', 'accumulate'] as const;
const forwardKernel = defineKernel({
  name: 'group_norm_forward', file: 'norm', entry: 'forward',
  bindings: { x: 'read', gamma: 'read', beta: 'read', out: 'read_write', out_mean: 'read_write', out_rstd: 'read_write' },
  params, workgroupSize: [256, 1, 1],
});
const backwardKernel = defineKernel({
  name: 'group_norm_backward', file: 'norm', entry: 'backward',
  bindings: { x: 'read', dy: 'read', gamma: 'read', beta: 'read', mean: 'read', rstd: 'read', out: 'read_write', out_partial: 'read_write' },
  params, workgroupSize: [256, 1, 1],
});
const forward4Kernel = defineKernel({
  name: 'group_norm_forward4', file: 'norm', entry: 'forward4',
  bindings: { x4: 'read', gamma: 'read', beta: 'read', out4: 'read_write', out_mean: 'read_write', out_rstd: 'read_write' },
  params, workgroupSize: [256, 1, 1],
});
const backward4Kernel = defineKernel({
  name: 'group_norm_backward4', file: 'norm', entry: 'backward4',
  bindings: { x4: 'read', dy4: 'read', gamma: 'read', beta: 'read', mean: 'read', rstd: 'read', out4: 'read_write', out_partial: 'read_write' },
  params, workgroupSize: [256, 1, 1],
});
const paramGradKernel = defineKernel({
  name: 'group_norm_param_grad', file: 'norm', entry: 'param_grad',
  bindings: { partial: 'read', out_dgamma: 'read_write', out_dbeta: 'read_write' },
  params, workgroupSize: [64, 1, 1],
});

// The subgroup module needs `enable subgroups`: defined on first use, only on devices that have them.
function defineSubgroupKernels() {
  const ws = (v: { SG: number }): [number, number, number] => [v.SG, 1, 1];
  return {
    forward: defineKernel({
      name: 'group_norm_forward_sg', file: 'norm_sg', entry: 'forward_sg',
      bindings: { x4: 'read', gamma: 'read', beta: 'read', out4: 'read_write', out_mean: 'read_write', out_rstd: 'read_write' },
      params, overrides: { SG: 16 }, workgroupSize: ws,
    }),
    backward: defineKernel({
      name: 'group_norm_backward_sg', file: 'norm_sg', entry: 'backward_sg',
      bindings: { x4: 'read', dy4: 'read', gamma: 'read', beta: 'read', mean: 'read', rstd: 'read', out4: 'read_write', out_partial: 'read_write' },
      params, overrides: { SG: 16 }, workgroupSize: ws,
    }),
  };
}
let sgKernels: ReturnType<typeof defineSubgroupKernels> | null = null;

/** The subgroup size of the subgroup path for this call, or 0 for the workgroup kernels. */
function subgroupPath(gpu: Gpu, hw: number, opts: GroupNormOptions): number {
  if (hw % 4 !== 0 || opts.path === 'workgroup') return 0;
  const sg = gpu.fixedSubgroupSize;
  if (opts.path === 'subgroup' && !sg) throw new Error('groupNorm: the subgroup path needs the subgroups feature with a fixed subgroup size of 8 or 16');
  return opts.path === 'subgroup' ? sg : gpu.subgroupKernelSize;
}

/** An NCHW activation split into `groups` groups of channels (channels % groups === 0). */
export interface GroupNormShape {
  batch: number;
  channels: number;
  groups: number;
  height: number;
  width: number;
}

export interface GroupNormOptions {
  eps?: number; // added to the variance (default 1e-5, torch's; EDM's SongUNet blocks use 1e-6)
  fuseSilu?: boolean; // y = silu(groupnorm(x)) (the U-Net's GroupNorm → SiLU); the backward must be told too
  panelElements?: number; // bind at most this many elements at once (tests; default: the device's binding limit)
  path?: 'subgroup' | 'workgroup'; // force a kernel family (tests; default: subgroup on software adapters when H·W % 4 = 0)
}

export interface GroupNormBuffers {
  x: GpuBuffer; // B·C·H·W
  gamma: GpuBuffer; // C
  beta: GpuBuffer; // C
  out: GpuBuffer; // B·C·H·W (may not alias x)
  mean: GpuBuffer; // B·G, written: per-(b, g) mean, for the backward
  rstd: GpuBuffer; // B·G, written: per-(b, g) 1/√(var + eps), for the backward
}

export interface GroupNormBackwardBuffers {
  x: GpuBuffer; // the forward's input
  dy: GpuBuffer; // gradient of the forward's output
  gamma: GpuBuffer;
  beta: GpuBuffer; // needed with fuseSilu (z is recomputed), bound either way
  mean: GpuBuffer; // from the forward
  rstd: GpuBuffer; // from the forward
  dx: GpuBuffer; // written (may not alias x or dy)
  dgamma: GpuBuffer; // C: written, or added to with accumulate
  dbeta: GpuBuffer; // C: written, or added to with accumulate
}

export interface GroupNormBackwardOptions extends GroupNormOptions {
  accumulate?: boolean; // dgamma += …, dbeta += … (e.g. over micro-batches) instead of overwriting
}

function check(s: GroupNormShape, bufs: Record<string, GpuBuffer>): { n: number; p: Record<(typeof params)[number], number> } {
  const { batch, channels, groups, height, width } = s;
  for (const [k, v] of Object.entries(s)) if (!Number.isInteger(v) || v < 1) throw new RangeError(`groupNorm: ${k} = ${v} must be a positive integer`);
  if (channels % groups) throw new RangeError(`groupNorm: channels = ${channels} is not divisible by groups = ${groups}`);
  const n = batch * channels * height * width;
  const need: Record<string, number> = { x: n, dy: n, out: n, dx: n, gamma: channels, beta: channels, dgamma: channels, dbeta: channels, mean: batch * groups, rstd: batch * groups };
  for (const [k, b] of Object.entries(bufs)) if (b.length < need[k]) throw new RangeError(`groupNorm: '${k}' (${b.label}) holds ${b.length} elements, needs ${need[k]}`);
  return { n, p: { batch, channels, groups, hw: height * width, eps: 0, silu: 0, accumulate: 0 } };
}

/** A panel of `count` samples from sample `first` (sample = `per` elements): the whole buffer is never bound. */
const panel = (b: GpuBuffer, first: number, count: number, per: number): BindingValue => ({ buffer: b, offset: first * per, length: count * per });

/**
 * out = γ·(x − mean)/√(var + eps) + β per (b, group) (then SiLU if fuseSilu); writes mean and rstd for
 * the backward. A thread handles vec4s when H·W % 4 = 0. Batches over the binding limit run in panels of samples.
 */
export function groupNorm(gpu: Gpu, b: GroupNormBuffers, shape: GroupNormShape, opts: GroupNormOptions = {}): void {
  const { p } = check(shape, { ...b });
  p.eps = opts.eps ?? 1e-5;
  p.silu = opts.fuseSilu ? 1 : 0;
  const { channels: C, groups: G } = shape;
  const chw = C * p.hw;
  const SG = subgroupPath(gpu, p.hw, opts);
  if (SG) sgKernels ??= defineSubgroupKernels();
  for (const [b0, bc] of itemChunks(shape.batch, [chw, G], bindingElements(gpu, opts.panelElements), 'groupNorm')) {
    const common = { params: { ...p, batch: bc }, workgroups: bc * G };
    const stats = { gamma: b.gamma, beta: b.beta, out_mean: panel(b.mean, b0, bc, G), out_rstd: panel(b.rstd, b0, bc, G) };
    if (SG && sgKernels) sgKernels.forward.run(gpu, { bind: { x4: panel(b.x, b0, bc, chw), out4: panel(b.out, b0, bc, chw), ...stats }, overrides: { SG }, ...common });
    else if (p.hw % 4 === 0) forward4Kernel.run(gpu, { bind: { x4: panel(b.x, b0, bc, chw), out4: panel(b.out, b0, bc, chw), ...stats }, ...common });
    else forwardKernel.run(gpu, { bind: { x: panel(b.x, b0, bc, chw), out: panel(b.out, b0, bc, chw), ...stats }, ...common });
  }
}

/**
 * Gradients of groupNorm (with the same fuseSilu): dx, and dγ, dβ summed over batch and space.
 * Per-group dx plus per-(b, c) partial sums (a pooled scratch buffer), then one dispatch summing
 * them over b (deterministic, no atomics).
 */
export function groupNormBackward(gpu: Gpu, b: GroupNormBackwardBuffers, shape: GroupNormShape, opts: GroupNormBackwardOptions = {}): void {
  const { p } = check(shape, { ...b });
  p.eps = opts.eps ?? 1e-5;
  p.silu = opts.fuseSilu ? 1 : 0;
  p.accumulate = opts.accumulate ? 1 : 0;
  const { channels: C, groups: G } = shape;
  const chw = C * p.hw;
  const partial = gpu.alloc(2 * shape.batch * C, 'group-norm-partial');
  const SG = subgroupPath(gpu, p.hw, opts);
  if (SG) sgKernels ??= defineSubgroupKernels();
  for (const [b0, bc] of itemChunks(shape.batch, [chw, G, 2 * C], bindingElements(gpu, opts.panelElements), 'groupNormBackward')) {
    const common = { params: { ...p, batch: bc }, workgroups: bc * G };
    const stats = { gamma: b.gamma, beta: b.beta, mean: panel(b.mean, b0, bc, G), rstd: panel(b.rstd, b0, bc, G), out_partial: panel(partial, b0, bc, 2 * C) };
    if (SG && sgKernels) sgKernels.backward.run(gpu, { bind: { x4: panel(b.x, b0, bc, chw), dy4: panel(b.dy, b0, bc, chw), out4: panel(b.dx, b0, bc, chw), ...stats }, overrides: { SG }, ...common });
    else if (p.hw % 4 === 0) backward4Kernel.run(gpu, { bind: { x4: panel(b.x, b0, bc, chw), dy4: panel(b.dy, b0, bc, chw), out4: panel(b.dx, b0, bc, chw), ...stats }, ...common });
    else backwardKernel.run(gpu, { bind: { x: panel(b.x, b0, bc, chw), dy: panel(b.dy, b0, bc, chw), out: panel(b.dx, b0, bc, chw), ...stats }, ...common });
  }
  paramGradKernel.run(gpu, {
    bind: { partial, out_dgamma: b.dgamma, out_dbeta: b.dbeta },
    params: p, workgroups: Math.ceil(shape.channels / 64),
  });
  partial.release();
}
