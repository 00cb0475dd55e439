// Differentiable ops on tensors: each runs its forward kernels and records itself on the active
// tape (gradient rules: rules.ts). Shapes are NCHW for images, row-major [rows, cols] for matrices.
import {
  axpby as axpbyKernel, mul as mulKernel, map, reduceRows, broadcastMul, broadcastAdd, copyChannels, expand, sumOuter, sumPlanes, fillValue, softmaxRows,
  silu as siluKernel, dropout as dropoutKernel, groupNorm as groupNormKernel, downsample2x, upsample2x, downsampledSize, upsampledSize, window2d,
  gemm, conv2d as conv2dKernel, conv2dOutSize, type ResampleFilter,
} from '@gausslens/kernels';
import { Tensor, empty, record, numel, type Shape } from './tensor.ts';

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new RangeError(`${op}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
}

// ---- elementwise ---------------------------------------------------------------------------

/** alpha·a + beta·b. */
export function axpby(alpha: number, a: Tensor, beta: number, b: Tensor): Tensor {
  sameShape('axpby', a, b);
  const out = empty(a.gpu, a.shape, 'axpby');
  axpbyKernel(a.gpu, alpha, a.buf, beta, b.buf, out.buf, a.size);
  return record('axpby', [a, b], out, { alpha, beta });
}

export function add(a: Tensor, b: Tensor): Tensor {
  return axpby(1, a, 1, b);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return axpby(1, a, -1, b);
}

/** alpha·x. */
export function scale(x: Tensor, alpha: number): Tensor {
  const out = empty(x.gpu, x.shape, 'scale');
  map(x.gpu, 'identity', x.buf, out.buf, alpha, 0, x.size);
  return record('scale', [x], out, { alpha });
}

/** a·b elementwise. */
export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape('mul', a, b);
  const out = empty(a.gpu, a.shape, 'mul');
  mulKernel(a.gpu, a.buf, b.buf, out.buf, 1, 0, a.size);
  return record('mul', [a, b], out, {});
}

/** x·σ(x). */
export function silu(x: Tensor): Tensor {
  const out = empty(x.gpu, x.shape, 'silu');
  siluKernel(x.gpu, x.buf, out.buf, x.size);
  return record('silu', [x], out, {});
}

/** Dropout with a Philox mask: x·mask/(1 − p), mask regenerated from (seed, offset) by the gradient. */
export interface DropoutAttrs {
  p: number; // drop probability
  seed: number; // Philox key
  offset: number; // Philox stream offset (a fresh one for every mask)
}

export function dropout(x: Tensor, attrs: DropoutAttrs): Tensor {
  const out = empty(x.gpu, x.shape, 'dropout');
  dropoutKernel(x.gpu, x.buf, out.buf, attrs, x.size);
  return record('dropout', [x], out, { ...attrs });
}

// ---- broadcasts and reductions -------------------------------------------------------------

/** How a vector v of length m spreads over x: element i of x uses v[(i / inner) % m]. */
export interface BroadcastAttrs {
  inner: number; // elements of x sharing one v entry
  m: number; // length of v
}

function broadcastAttrs(op: string, x: Tensor, v: Tensor, inner: number): BroadcastAttrs {
  const m = v.size;
  if (!Number.isInteger(inner) || inner < 1 || x.size % (inner * m) !== 0) throw new RangeError(`${op}: x [${x.shape.join(', ')}] is not a whole number of ${m}×${inner} blocks`);
  return { inner, m };
}

/**
 * x·v[(i / inner) % m]: per-sample (v [N], inner = c·h·w), per-(n, c) (v [N·C], inner = H·W)
 * or per-channel (v [C], inner = H·W) scales.
 */
export function mulBroadcast(x: Tensor, v: Tensor, inner: number): Tensor {
  const attrs = broadcastAttrs('mulBroadcast', x, v, inner);
  const out = empty(x.gpu, x.shape, 'mul-broadcast');
  broadcastMul(x.gpu, x.buf, v.buf, out.buf, { ...attrs, n: x.size });
  return record('mulBroadcast', [x, v], out, attrs);
}

/** x + v[(i / inner) % m]: a bias per channel or per (sample, channel). */
export function addBroadcast(x: Tensor, v: Tensor, inner: number): Tensor {
  const attrs = broadcastAttrs('addBroadcast', x, v, inner);
  const out = empty(x.gpu, x.shape, 'add-broadcast');
  broadcastAdd(x.gpu, 1, x.buf, 1, v.buf, out.buf, { ...attrs, n: x.size });
  return record('addBroadcast', [x, v], out, attrs);
}

/** v broadcast to `shape` (v[(i / inner) % m]): the gradient of sumTo. */
export function expandTo(v: Tensor, shape: Shape, inner: number): Tensor {
  const out = empty(v.gpu, shape, 'expand');
  const attrs = broadcastAttrs('expandTo', out, v, inner);
  expand(v.gpu, v.buf, out.buf, { ...attrs, n: out.size });
  return record('expandTo', [v], out, attrs);
}

/**
 * The sum of x over everything but the broadcast axis: out[j] = Σ_{i: (i / inner) % m = j} x[i],
 * shape [m] (row sums first, then ordered column sums: deterministic).
 */
export function sumTo(x: Tensor, inner: number, m: number): Tensor {
  if (!Number.isInteger(inner) || inner < 1 || x.size % (inner * m) !== 0) throw new RangeError(`sumTo: [${x.shape.join(', ')}] is not a whole number of ${m}×${inner} blocks`);
  const outer = x.size / (inner * m);
  const out = empty(x.gpu, [m], 'sum-to');
  const gpu = x.gpu;
  if (inner === 1 && outer === 1) gpu.copy(x.buf, out.buf, m);
  else if (inner === 1) sumOuter(gpu, x.buf, out.buf, outer, m);
  else if (m === 1 && outer === 1) reduceRows(gpu, 'sum', x.buf, out.buf, inner, 1);
  else sumPlanes(gpu, x.buf, out.buf, outer, m, inner);
  return record('sumTo', [x], out, { inner, m });
}

/** Σ x, shape [1]. */
export function sum(x: Tensor): Tensor {
  return sumTo(x, x.size, 1);
}

/** out[r] = Σ_j x[r·inner + j]: per-sample sums of [N, …] with inner = the per-sample size. */
export function sumRows(x: Tensor, inner: number): Tensor {
  return sumTo(x, inner, x.size / inner);
}

// ---- shapes --------------------------------------------------------------------------------

/** The same values with another shape of the same size (a view: no copy). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  return record('reshape', [x], x.viewAs(shape, 'reshape'), { shape: x.shape });
}

/** NCHW channel concatenation [N, Ca, …] ++ [N, Cb, …] → [N, Ca + Cb, …]. */
export function concat(a: Tensor, b: Tensor): Tensor {
  const [N, Ca] = a.shape;
  const Cb = b.shape[1];
  const inner = numel(a.shape.slice(2));
  if (b.shape[0] !== N || numel(b.shape.slice(2)) !== inner) throw new RangeError(`concat: [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ outside the channel axis`);
  const out = empty(a.gpu, [N, Ca + Cb, ...a.shape.slice(2)], 'concat');
  copyChannels(a.gpu, a.buf, out.buf, { batch: N, inner, count: Ca, srcChannels: Ca, dstChannels: Ca + Cb });
  copyChannels(a.gpu, b.buf, out.buf, { batch: N, inner, count: Cb, srcChannels: Cb, dstChannels: Ca + Cb, dstOffset: Ca });
  return record('concat', [a, b], out, { split: Ca });
}

/** Channels [offset, offset + count) of an NCHW tensor. */
export function sliceChannels(x: Tensor, offset: number, count: number): Tensor {
  const [N, C] = x.shape;
  const inner = numel(x.shape.slice(2));
  const out = empty(x.gpu, [N, count, ...x.shape.slice(2)], 'slice');
  copyChannels(x.gpu, x.buf, out.buf, { batch: N, inner, count, srcChannels: C, dstChannels: count, srcOffset: offset });
  return record('sliceChannels', [x], out, { offset, channels: C });
}

/** Zeros [N, channels, …] with x in channels [offset, offset + C_x): the adjoint of sliceChannels. */
export function padChannels(x: Tensor, offset: number, channels: number): Tensor {
  const [N, C] = x.shape;
  const inner = numel(x.shape.slice(2));
  const out = empty(x.gpu, [N, channels, ...x.shape.slice(2)], 'pad-channels');
  fillValue(x.gpu, out.buf, 0, out.size);
  copyChannels(x.gpu, x.buf, out.buf, { batch: N, inner, count: C, srcChannels: C, dstChannels: channels, dstOffset: offset });
  return record('padChannels', [x], out, { offset, count: C });
}

// ---- attention -----------------------------------------------------------------------------

/** softmax(alpha·x) over rows of length n (the last axis). */
export function softmax(x: Tensor, n: number, alpha = 1): Tensor {
  if (!Number.isInteger(n) || n < 1 || x.size % n !== 0) throw new RangeError(`softmax: rows of ${n} do not tile [${x.shape.join(', ')}]`);
  const out = empty(x.gpu, x.shape, 'softmax');
  softmaxRows(x.gpu, x.buf, out.buf, x.size / n, n, alpha);
  return record('softmax', [x], out, { n, alpha });
}

// ---- normalisation and resampling ---------------------------------------------------------

export interface GroupNormAttrs {
  groups: number; // channel groups (channels % groups = 0)
  eps: number; // added to the variance
  silu: boolean; // fused SiLU after the affine map
}

/** GroupNorm over NCHW x with per-channel γ, β (then SiLU if attrs.silu); mean and 1/σ are saved for the gradient. */
export function groupNorm(x: Tensor, gamma: Tensor, beta: Tensor, attrs: GroupNormAttrs): Tensor {
  const [N, C, H, W] = nchw('groupNorm', x);
  if (gamma.size !== C || beta.size !== C) throw new RangeError(`groupNorm: γ, β of sizes ${gamma.size}, ${beta.size} for ${C} channels`);
  const out = empty(x.gpu, x.shape, attrs.silu ? 'group-norm-silu' : 'group-norm');
  const mean = empty(x.gpu, [N, attrs.groups], 'group-norm-mean');
  const rstd = empty(x.gpu, [N, attrs.groups], 'group-norm-rstd');
  groupNormKernel(x.gpu, { x: x.buf, gamma: gamma.buf, beta: beta.buf, out: out.buf, mean: mean.buf, rstd: rstd.buf }, { batch: N, channels: C, groups: attrs.groups, height: H, width: W }, { eps: attrs.eps, fuseSilu: attrs.silu });
  return record('groupNorm', [x, gamma, beta], out, { ...attrs }, [mean, rstd]);
}

function nchw(op: string, x: Tensor): [number, number, number, number] {
  if (x.shape.length !== 4) throw new RangeError(`${op}: expects NCHW, got [${x.shape.join(', ')}]`);
  return x.shape as unknown as [number, number, number, number];
}

export interface ResampleAttrs {
  filter: ResampleFilter; // [1, 1] or [1, 3, 3, 1]
  inShape: readonly number[]; // NCHW of the input
}

/** 2× down-sampling of NCHW x by the depthwise stride-2 filter f⊗f/(Σf)² (EDM Conv2d down=True, kernel 0). */
export function downsample(x: Tensor, filter: ResampleFilter): Tensor {
  const [N, C, H, W] = nchw('downsample', x);
  const out = empty(x.gpu, [N, C, downsampledSize(H, filter), downsampledSize(W, filter)], 'downsample');
  downsample2x(x.gpu, x.buf, out.buf, { batch: N, channels: C, height: H, width: W }, filter);
  return record('downsample', [x], out, { filter, inShape: x.shape });
}

/** 2× up-sampling of NCHW x: zero insertion, then 4·f⊗f/(Σf)² (EDM Conv2d up=True, kernel 0). */
export function upsample(x: Tensor, filter: ResampleFilter): Tensor {
  const [N, C, H, W] = nchw('upsample', x);
  const out = empty(x.gpu, [N, C, upsampledSize(H, filter), upsampledSize(W, filter)], 'upsample');
  upsample2x(x.gpu, x.buf, out.buf, { batch: N, channels: C, height: H, width: W }, filter);
  return record('upsample', [x], out, { filter, inShape: x.shape });
}

export interface WindowAttrs {
  offY: number; // out[i, j] = x[i + offY, j + offX], zero outside x
  offX: number;
  inH: number;
  inW: number;
}

/** A window of every H×W plane of NCHW x: a crop (positive offsets, smaller out) or zero-padding (negative). */
export function window(x: Tensor, outH: number, outW: number, offY: number, offX: number): Tensor {
  const [N, C, H, W] = nchw('window', x);
  const out = empty(x.gpu, [N, C, outH, outW], 'window');
  window2d(x.gpu, x.buf, out.buf, { planes: N * C, inH: H, inW: W, outH, outW, offY, offX });
  return record('window', [x], out, { offY, offX, inH: H, inW: W });
}

// ---- matrix products -----------------------------------------------------------------------

/** y = x·Wᵀ + b for x [N, in], W [out, in], b [out] (torch.nn.Linear). */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [N, inF] = x.shape;
  const [outF, wIn] = w.shape;
  if (x.shape.length !== 2 || wIn !== inF || (b && b.size !== outF)) throw new RangeError(`linear: x [${x.shape.join(', ')}], W [${w.shape.join(', ')}], b [${b?.shape.join(', ') ?? ''}] do not match`);
  const out = empty(x.gpu, [N, outF], 'linear');
  gemm(x.gpu, { a: x.buf, b: w.buf, c: out.buf, m: N, n: outF, k: inF, transB: true, bias: b?.buf, biasAxis: 'col' });
  return record('linear', [x, w, b], out, {});
}

/**
 * y[n] = W·x[n] + b for NCHW x: a 1×1 convolution as a batched GEMM (W [out, in] or [out, in, 1, 1]).
 */
export function conv1x1(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [N, C, H, W] = nchw('conv1x1', x);
  const O = w.shape[0];
  if (w.size !== O * C || (b && b.size !== O)) throw new RangeError(`conv1x1: x [${x.shape.join(', ')}], W [${w.shape.join(', ')}] do not match`);
  const HW = H * W;
  const out = empty(x.gpu, [N, O, H, W], 'conv1x1');
  gemm(x.gpu, { a: w.buf, b: x.buf, c: out.buf, m: O, n: HW, k: C, batch: N, strideA: 0, strideB: C * HW, strideC: O * HW, bias: b?.buf, biasAxis: 'row' });
  return record('conv1x1', [x, w, b], out, {});
}

export interface AttentionAttrs {
  channels: number; // C: q, k, v are channel blocks [0, C), [C, 2C), [2C, 3C) of qkv
  hw: number; // positions H·W
}

/**
 * Single-head self-attention over the positions of qkv [N, 3C, H, W] (channel blocks q, k, v):
 * P = softmax(qᵀk/√C) [N, HW, HW] (saved), out[n] = v·Pᵀ [N, C, H, W] (NVlabs/edm UNetBlock with
 * num_heads = 1; EDM interleaves q, k, v per channel, we keep them in blocks).
 */
export function attention(qkv: Tensor, channels: number): Tensor {
  const [N, C3, H, W] = nchw('attention', qkv);
  const C = channels;
  if (C3 !== 3 * C) throw new RangeError(`attention: qkv has ${C3} channels, expected 3·${C}`);
  const HW = H * W;
  const gpu = qkv.gpu;
  const s = gpu.alloc(N * HW * HW, 'attention-scores');
  // S[n] = qᵀk/√C: q, k are C×HW blocks of qkv[n].
  gemm(gpu, { a: qkv.buf, b: qkv.buf, c: s, m: HW, n: HW, k: C, transA: true, alpha: 1 / Math.sqrt(C), batch: N, strideA: 3 * C * HW, strideB: 3 * C * HW, strideC: HW * HW, offsetA: 0, offsetB: C * HW });
  const p = empty(gpu, [N, HW, HW], 'attention-weights');
  softmaxRows(gpu, s, p.buf, N * HW, HW);
  s.release();
  const out = empty(gpu, [N, C, H, W], 'attention');
  // out[n] = v·Pᵀ: a[c, i] = Σ_j v[c, j]·P[i, j].
  gemm(gpu, { a: qkv.buf, b: p.buf, c: out.buf, m: C, n: HW, k: HW, transB: true, batch: N, strideA: 3 * C * HW, strideB: HW * HW, strideC: C * HW, offsetA: 2 * C * HW });
  return record('attention', [qkv], out, { channels: C, hw: HW }, [p]);
}

export interface Conv2dAttrs {
  pad: number; // zero padding on every side (stride 1)
}

/**
 * NCHW convolution, stride 1, zero padding `pad`: x [N, C, H, W], w [O, C, k, k] (OIHW), b [O]
 * (the conv2d kernels; their backward passes give the gradients).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, pad: number): Tensor {
  const [N, C, H, W] = nchw('conv2d', x);
  const [O, wc, k, k2] = w.shape;
  if (w.shape.length !== 4 || wc !== C || k !== k2 || (b && b.size !== O)) throw new RangeError(`conv2d: x [${x.shape.join(', ')}], w [${w.shape.join(', ')}], b [${b?.shape.join(', ') ?? ''}] do not match`);
  const shape = { b: N, cin: C, cout: O, h: H, width: W, k, pad };
  const { ho, wo } = conv2dOutSize(shape);
  const out = empty(x.gpu, [N, O, ho, wo], 'conv2d');
  conv2dKernel(x.gpu, { ...shape, x: x.buf, w: w.buf, bias: b?.buf, out: out.buf });
  return record('conv2d', [x, w, b], out, { pad });
}
