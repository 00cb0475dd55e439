// Fused Adam(W) step and EMA of the weights over flat parameter buffers (shaders/adam.wgsl).
// Reference: adam.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';
import { bindingElements, itemChunks } from './panels.ts';

const WG = 256;
const params = ['n', 'first', 'clip', 'sanitize', 'lr', 'beta1', 'beta2', 'one_minus_beta1', 'one_minus_beta2', 'eps', 'inv_bc1', 'inv_sqrt_bc2', 'grad_scale', 'max_norm', 'weight_decay', 'ema_weight'] as const;
type Params = Record<(typeof params)[number], number>;
const adamKernel = defineKernel({
  name: 'adam_step', file: 'adam', entry: 'adam',
  bindings: { out_param: 'read_write', grad: 'read', out_m: 'read_write', out_v: 'read_write', norm_sq: 'read' },
  params, workgroupSize: [WG, 1, 1],
});
const adam4Kernel = defineKernel({
  name: 'adam_step4', file: 'adam', entry: 'adam4',
  bindings: { out_param4: 'read_write', grad4: 'read', out_m4: 'read_write', out_v4: 'read_write', norm_sq: 'read' },
  params, workgroupSize: [WG, 1, 1],
});
const emaKernel = defineKernel({ name: 'adam_ema', file: 'adam', entry: 'ema', bindings: { param: 'read', out_ema: 'read_write' }, params, workgroupSize: [WG, 1, 1] });
const ema4Kernel = defineKernel({ name: 'adam_ema4', file: 'adam', entry: 'ema4', bindings: { param4: 'read', out_ema4: 'read_write' }, params, workgroupSize: [WG, 1, 1] });

const ZERO: Params = { n: 0, first: 0, clip: 0, sanitize: 0, lr: 0, beta1: 0, beta2: 0, one_minus_beta1: 0, one_minus_beta2: 0, eps: 0, inv_bc1: 0, inv_sqrt_bc2: 0, grad_scale: 1, max_norm: 0, weight_decay: 0, ema_weight: 0 };

export interface AdamBuffers {
  param: GpuBuffer; // updated in place
  grad: GpuBuffer; // read
  m: GpuBuffer; // first moment, updated in place (start at 0)
  v: GpuBuffer; // second moment, updated in place (start at 0)
}

export interface AdamOptions {
  step: number; // t ≥ 1, the 1-based index of this step (bias corrections 1 − β^t)
  lr: number;
  beta1?: number; // default 0.9
  beta2?: number; // default 0.999
  eps?: number; // default 1e-8 (added to the bias-corrected √v, as torch.optim.Adam)
  weightDecay?: number; // decoupled (AdamW) weight decay, default 0 (EDM uses plain Adam)
  gradScale?: number; // the gradient used is grad·gradScale (e.g. 1/loss-scale); default 1
  sanitize?: boolean; // NaN → 0, ±inf → ±1e5 after scaling (EDM's nan_to_num before every step)
  /** Clip by global norm: normSq[0] = Σ grad² of the raw gradient (e.g. reduce(gpu, 'sumsq', grad, normSq)); the
   *  scaled gradient is multiplied by min(1, maxNorm/(|gradScale|·√normSq + 1e-6)), as torch's clip_grad_norm_. */
  clip?: { normSq: GpuBuffer; maxNorm: number };
  n?: number; // elements (default param.length)
  panelElements?: number; // bind at most this many elements at once (tests; default: the device's binding limit)
}

/**
 * Splits n elements into panels within the binding limit (offsets multiples of 64 elements); in each, the
 * first ⌊len/4⌋·4 elements go to the vec4 entry (`vec`) and a tail of 1–3 elements to the scalar entry
 * (`tail`, from element `first` of the panel).
 */
function panels(gpu: Gpu, n: number, what: string, panelElements: number | undefined, vec: (at: (b: GpuBuffer) => BindingValue, quads: number) => void, tail: (at: (b: GpuBuffer) => BindingValue, first: number, len: number) => void): void {
  for (const [off, len] of itemChunks(n, [1], bindingElements(gpu, panelElements), what)) {
    const quads = Math.floor(len / 4);
    if (quads > 0) vec((b) => ({ buffer: b, offset: off, length: 4 * quads }), quads);
    if (4 * quads < len) tail((b) => ({ buffer: b, offset: off, length: len }), 4 * quads, len);
  }
}

function need(what: string, n: number, bufs: Record<string, GpuBuffer>): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what}: n = ${n} must be a positive integer`);
  for (const [k, b] of Object.entries(bufs)) if (b.length < n) throw new RangeError(`${what}: '${k}' (${b.label}) holds ${b.length} elements, fewer than n = ${n}`);
}

/**
 * One Adam step, in place: m, v ← moments of g; param ← param − lr·m̂/(√v̂ + eps), m̂ = m/(1 − β1^t),
 * v̂ = v/(1 − β2^t), with g the scaled (optionally sanitised, clipped) gradient. Buffers over the
 * binding limit are updated in panels.
 */
export function adamStep(gpu: Gpu, b: AdamBuffers, o: AdamOptions): void {
  const n = o.n ?? b.param.length;
  need('adamStep', n, { ...b });
  const beta1 = o.beta1 ?? 0.9;
  const beta2 = o.beta2 ?? 0.999;
  if (!Number.isInteger(o.step) || o.step < 1) throw new RangeError(`adamStep: step = ${o.step} must be an integer ≥ 1`);
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new RangeError(`adamStep: betas (${beta1}, ${beta2}) must be in [0, 1)`);
  if (o.clip && !(o.clip.maxNorm > 0)) throw new RangeError(`adamStep: clip.maxNorm = ${o.clip.maxNorm} must be positive`);
  const p: Params = {
    ...ZERO,
    lr: o.lr,
    beta1,
    beta2,
    one_minus_beta1: 1 - beta1,
    one_minus_beta2: 1 - beta2,
    eps: o.eps ?? 1e-8,
    inv_bc1: 1 / (1 - beta1 ** o.step),
    inv_sqrt_bc2: 1 / Math.sqrt(1 - beta2 ** o.step),
    grad_scale: o.gradScale ?? 1,
    max_norm: o.clip?.maxNorm ?? 0,
    weight_decay: o.weightDecay ?? 0,
    clip: o.clip ? 1 : 0,
    sanitize: o.sanitize ? 1 : 0,
  };
  const normSq = (at: (b: GpuBuffer) => BindingValue): BindingValue => (o.clip ? o.clip.normSq : at(b.grad)); // unused without clipping
  panels(
    gpu, n, 'adamStep', o.panelElements,
    (at, quads) => adam4Kernel.run(gpu, { bind: { out_param4: at(b.param), grad4: at(b.grad), out_m4: at(b.m), out_v4: at(b.v), norm_sq: normSq(at) }, params: { ...p, n: 4 * quads }, workgroups: Math.ceil(quads / WG) }),
    (at, first, len) => adamKernel.run(gpu, { bind: { out_param: at(b.param), grad: at(b.grad), out_m: at(b.m), out_v: at(b.v), norm_sq: normSq(at) }, params: { ...p, n: len, first }, workgroups: 1 }),
  );
}

/** ema ← β·ema + (1 − β)·param (1 − β taken in float64), in place; in panels over the binding limit. */
export function emaUpdate(gpu: Gpu, ema: GpuBuffer, param: GpuBuffer, beta: number, n = ema.length, opts: { panelElements?: number } = {}): void {
  need('emaUpdate', n, { ema, param });
  if (!(beta >= 0 && beta <= 1)) throw new RangeError(`emaUpdate: beta = ${beta} must be in [0, 1]`);
  const w = 1 - beta;
  panels(
    gpu, n, 'emaUpdate', opts.panelElements,
    (at, quads) => ema4Kernel.run(gpu, { bind: { param4: at(param), out_ema4: at(ema) }, params: { ...ZERO, n: 4 * quads, ema_weight: w }, workgroups: Math.ceil(quads / WG) }),
    (at, first, len) => emaKernel.run(gpu, { bind: { param: at(param), out_ema: at(ema) }, params: { ...ZERO, n: len, first, ema_weight: w }, workgroups: 1 }),
  );
}

/**
 * EDM's EMA decay for one step of `batchSize` images: β = 0.5^(batch / halflife) with halflife =
 * halflifeKimg·1000 images, capped at curNimg·rampupRatio when a ramp-up ratio is given (EDM: 0.05).
 */
export function emaBeta(batchSize: number, halflifeKimg: number, opts: { curNimg?: number; rampupRatio?: number } = {}): number {
  let halflife = halflifeKimg * 1000;
  if (opts.rampupRatio !== undefined) halflife = Math.min(halflife, (opts.curNimg ?? 0) * opts.rampupRatio);
  return 0.5 ** (batchSize / Math.max(halflife, 1e-8));
}
