// Gradient rules, one line per op (tinygrad style): given the gradient g of an op's output and its
// tape node, the gradients of its inputs (null/false where an input needs none: `need[i]` says
// which are wanted). Rules are written with the ops themselves; backward runs with no tape, so
// what they return belongs to the backward pass, which sums and releases it.
import { siluGrad, softmaxGrad, dropoutGrad, groupNormGrads, resampleGrad, linearGrads, conv1x1Grads, attentionGrad, conv2dGrads } from './helpers.ts';
import type { Tensor, Node } from './tensor.ts';
import type { BroadcastAttrs, DropoutAttrs, GroupNormAttrs, ResampleAttrs, WindowAttrs, AttentionAttrs, Conv2dAttrs } from './ops.ts';
import { scale, mul, mulBroadcast, sumTo, expandTo, reshape, sliceChannels, padChannels, window } from './ops.ts';

export type Grad = Tensor | null | false;
export type Rule<A> = (g: Tensor, node: Node<A>, need: readonly boolean[]) => Grad[];

/** The attributes each op records (ops.ts), by op name. */
export interface OpAttrs {
  axpby: { alpha: number; beta: number };
  scale: { alpha: number };
  mul: Record<string, never>;
  silu: Record<string, never>;
  mulBroadcast: BroadcastAttrs;
  addBroadcast: BroadcastAttrs;
  expandTo: BroadcastAttrs;
  sumTo: { inner: number; m: number };
  reshape: { shape: readonly number[] };
  concat: { split: number };
  sliceChannels: { offset: number; channels: number };
  padChannels: { offset: number; count: number };
  softmax: { n: number; alpha: number };
  dropout: DropoutAttrs;
  groupNorm: GroupNormAttrs;
  downsample: ResampleAttrs;
  upsample: ResampleAttrs;
  window: WindowAttrs;
  linear: Record<string, never>;
  conv1x1: Record<string, never>;
  attention: AttentionAttrs;
  conv2d: Conv2dAttrs;
}

/** alpha·g, or g itself when alpha = 1 (the backward pass counts shared gradients). */
const scaled = (g: Tensor, alpha: number): Tensor => (alpha === 1 ? g : scale(g, alpha));

/** f(t), releasing the temporary t. */
function consume(t: Tensor, f: (t: Tensor) => Tensor): Tensor {
  const r = f(t);
  t.dispose();
  return r;
}

const x0 = (n: Node<unknown>): Tensor => n.inputs[0] as Tensor;
const x1 = (n: Node<unknown>): Tensor => n.inputs[1] as Tensor;

export const rules: { [K in keyof OpAttrs]: Rule<OpAttrs[K]> } = {
  axpby: (g, { attrs: a }, need) => [need[0] && scaled(g, a.alpha), need[1] && scaled(g, a.beta)],
  scale: (g, { attrs: a }) => [scaled(g, a.alpha)],
  mul: (g, n, need) => [need[0] && mul(g, x1(n)), need[1] && mul(g, x0(n))],
  silu: (g, n) => [siluGrad(g, x0(n))],
  dropout: (g, n) => [dropoutGrad(g, n.attrs)],
  mulBroadcast: (g, n, need) => [need[0] && mulBroadcast(g, x1(n), n.attrs.inner), need[1] && consume(mul(g, x0(n)), (p) => sumTo(p, n.attrs.inner, n.attrs.m))],
  addBroadcast: (g, n, need) => [need[0] && g, need[1] && sumTo(g, n.attrs.inner, n.attrs.m)],
  expandTo: (g, n) => [sumTo(g, n.attrs.inner, n.attrs.m)],
  sumTo: (g, n) => [expandTo(g, x0(n).shape, n.attrs.inner)],
  reshape: (g, n) => [reshape(g, n.attrs.shape)],
  concat: (g, n, need) => [need[0] && sliceChannels(g, 0, n.attrs.split), need[1] && sliceChannels(g, n.attrs.split, x1(n).shape[1])],
  sliceChannels: (g, n) => [padChannels(g, n.attrs.offset, n.attrs.channels)],
  padChannels: (g, n) => [sliceChannels(g, n.attrs.offset, n.attrs.count)],
  softmax: (g, n) => [softmaxGrad(g, n.out, n.attrs.n, n.attrs.alpha)],
  groupNorm: (g, n) => groupNormGrads(g, x0(n), x1(n), n.inputs[2] as Tensor, n.saved, n.attrs),
  downsample: (g, n) => [resampleGrad(g, n.attrs, false)],
  upsample: (g, n) => [resampleGrad(g, n.attrs, true)],
  linear: (g, n, need) => [...linearGrads(g, x0(n), x1(n), need), need[2] && sumTo(g, 1, x1(n).shape[0])],
  conv1x1: (g, n, need) => [...conv1x1Grads(g, x0(n), x1(n), need), need[2] && sumTo(g, x0(n).size / x0(n).shape[0] / x0(n).shape[1], x1(n).shape[0])],
  conv2d: (g, n, need) => conv2dGrads(g, x0(n), x1(n), n.attrs, need),
  attention: (g, n) => [attentionGrad(g, x0(n), n.saved[0], n.attrs)],
  window: (g, n) => [window(g, n.attrs.inH, n.attrs.inW, -n.attrs.offY, -n.attrs.offX)],
};

export type OpName = keyof OpAttrs;
