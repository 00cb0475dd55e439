// Backward-only computations that are not ops of their own.
import {
  softmaxRowsBackward, siluBackward, dropoutBackward, groupNormBackward, downsample2xBackward, upsample2xBackward, type DropoutArgs, type ResampleFilter,
} from '@gausslens/kernels';
import { empty, type Tensor } from './tensor.ts';

/** g·σ(x)·(1 + x·(1 − σ(x))): the SiLU gradient at x. */
export function siluGrad(g: Tensor, x: Tensor): Tensor {
  const out = empty(g.gpu, g.shape, 'silu-grad');
  siluBackward(g.gpu, x.buf, g.buf, out.buf, x.size);
  return out;
}

/** g·mask/(1 − p) with the forward's Philox mask. */
export function dropoutGrad(g: Tensor, a: DropoutArgs): Tensor {
  const out = empty(g.gpu, g.shape, 'dropout-grad');
  dropoutBackward(g.gpu, g.buf, out.buf, a, g.size);
  return out;
}

/** [dx, dγ, dβ] of groupNorm (one backward computes all three). */
export function groupNormGrads(g: Tensor, x: Tensor, gamma: Tensor, beta: Tensor, saved: readonly Tensor[], a: { groups: number; eps: number; silu: boolean }): [Tensor, Tensor, Tensor] {
  const [N, C, H, W] = x.shape;
  const dx = empty(g.gpu, x.shape, 'group-norm-dx');
  const dgamma = empty(g.gpu, [C], 'group-norm-dgamma');
  const dbeta = empty(g.gpu, [C], 'group-norm-dbeta');
  groupNormBackward(
    g.gpu,
    { x: x.buf, dy: g.buf, gamma: gamma.buf, beta: beta.buf, mean: saved[0].buf, rstd: saved[1].buf, dx: dx.buf, dgamma: dgamma.buf, dbeta: dbeta.buf },
    { batch: N, channels: C, groups: a.groups, height: H, width: W },
    { eps: a.eps, fuseSilu: a.silu },
  );
  return [dx, dgamma, dbeta];
}

/** The adjoint of 2× down- (up = false) or up-sampling (up = true) of an input of shape inShape. */
export function resampleGrad(g: Tensor, a: { filter: ResampleFilter; inShape: readonly number[] }, up: boolean): Tensor {
  const [N, C, H, W] = a.inShape;
  const dx = empty(g.gpu, a.inShape, up ? 'upsample-grad' : 'downsample-grad');
  (up ? upsample2xBackward : downsample2xBackward)(g.gpu, g.buf, dx.buf, { batch: N, channels: C, height: H, width: W }, a.filter);
  return dx;
}

/** alpha·y ⊙ (g − rowsum(g ⊙ y)), y = softmax(alpha·x) over rows of n: the softmax gradient. */
export function softmaxGrad(g: Tensor, y: Tensor, n: number, alpha: number): Tensor {
  const out = empty(g.gpu, g.shape, 'softmax-grad');
  softmaxRowsBackward(g.gpu, y.buf, g.buf, out.buf, y.size / n, n, alpha);
  return out;
}
