// Backward-only computations that are not ops of their own.
import {
  gemm, conv2dBackwardData, conv2dBackwardWeight, sumOuter, softmaxRowsBackward, siluBackward, dropoutBackward, groupNormBackward, downsample2xBackward, upsample2xBackward, type DropoutArgs, type ResampleFilter,
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

/** [dx, dW] of linear: dx = g·W [N, in], dW = gᵀ·x [out, in]. */
export function linearGrads(g: Tensor, x: Tensor, w: Tensor, need: readonly boolean[]): [Tensor | null, Tensor | null] {
  const [N, inF] = x.shape;
  const outF = w.shape[0];
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  if (need[0]) {
    dx = empty(g.gpu, x.shape, 'linear-dx');
    gemm(g.gpu, { a: g.buf, b: w.buf, c: dx.buf, m: N, n: inF, k: outF });
  }
  if (need[1]) {
    dw = empty(g.gpu, w.shape, 'linear-dw');
    gemm(g.gpu, { a: g.buf, b: x.buf, c: dw.buf, m: outF, n: inF, k: N, transA: true });
  }
  return [dx, dw];
}

/** [dx, dW] of conv1x1: dx[n] = Wᵀ·g[n]; dW = Σ_n g[n]·x[n]ᵀ (summed over n in order). */
export function conv1x1Grads(g: Tensor, x: Tensor, w: Tensor, need: readonly boolean[]): [Tensor | null, Tensor | null] {
  const [N, C, H, W] = x.shape;
  const O = w.shape[0];
  const HW = H * W;
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  if (need[0]) {
    dx = empty(g.gpu, x.shape, 'conv1x1-dx');
    gemm(g.gpu, { a: w.buf, b: g.buf, c: dx.buf, m: C, n: HW, k: O, transA: true, batch: N, strideA: 0, strideB: O * HW, strideC: C * HW });
  }
  if (need[1]) {
    // Per-sample products g[n]·x[n]ᵀ in one batched GEMM, then their ordered sum over n.
    const parts = g.gpu.alloc(N * O * C, 'conv1x1-dw-parts');
    gemm(g.gpu, { a: g.buf, b: x.buf, c: parts, m: O, n: C, k: HW, transB: true, batch: N, strideA: O * HW, strideB: C * HW, strideC: O * C });
    dw = empty(g.gpu, w.shape, 'conv1x1-dw');
    sumOuter(g.gpu, parts, dw.buf, N, O * C);
    parts.release();
  }
  return [dx, dw];
}

/** d qkv of attention (see ops.ts): dv = G·P, dP = Gᵀ·v, dS = softmax′, dq = k·dSᵀ/√C, dk = q·dS/√C. */
export function attentionGrad(g: Tensor, qkv: Tensor, p: Tensor, a: { channels: number; hw: number }): Tensor {
  const gpu = g.gpu;
  const [N] = qkv.shape;
  const { channels: C, hw: HW } = a;
  const s3 = 3 * C * HW;
  const d = empty(gpu, qkv.shape, 'attention-dqkv');
  gemm(gpu, { a: g.buf, b: p.buf, c: d.buf, m: C, n: HW, k: HW, batch: N, strideA: C * HW, strideB: HW * HW, strideC: s3, offsetC: 2 * C * HW });
  const dp = gpu.alloc(N * HW * HW, 'attention-dP');
  gemm(gpu, { a: g.buf, b: qkv.buf, c: dp, m: HW, n: HW, k: C, transA: true, batch: N, strideA: C * HW, strideB: s3, strideC: HW * HW, offsetB: 2 * C * HW });
  const ds = gpu.alloc(N * HW * HW, 'attention-dS');
  softmaxRowsBackward(gpu, p.buf, dp, ds, N * HW, HW);
  dp.release();
  const alpha = 1 / Math.sqrt(C);
  gemm(gpu, { a: qkv.buf, b: ds, c: d.buf, m: C, n: HW, k: HW, transB: true, alpha, batch: N, strideA: s3, strideB: HW * HW, strideC: s3, offsetA: C * HW, offsetC: 0 });
  gemm(gpu, { a: qkv.buf, b: ds, c: d.buf, m: C, n: HW, k: HW, alpha, batch: N, strideA: s3, strideB: HW * HW, strideC: s3, offsetA: 0, offsetC: C * HW });
  ds.release();
  return d;
}

/** [dx, dW, db] of conv2d by the conv2d backward kernels (db with dW in one pass). */
export function conv2dGrads(g: Tensor, x: Tensor, w: Tensor, a: { pad: number }, need: readonly boolean[]): [Tensor | null, Tensor | null, Tensor | null] {
  const gpu = g.gpu;
  const [N, C, H, W] = x.shape;
  const [O, , k] = w.shape;
  const shape = { b: N, cin: C, cout: O, h: H, width: W, k, pad: a.pad };
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (need[0]) {
    dx = empty(gpu, x.shape, 'conv2d-dx');
    conv2dBackwardData(gpu, { ...shape, dy: g.buf, w: w.buf, dx: dx.buf });
  }
  if (need[1] || need[2]) {
    dw = empty(gpu, w.shape, 'conv2d-dw');
    db = need[2] ? empty(gpu, [O], 'conv2d-db') : null;
    conv2dBackwardWeight(gpu, { ...shape, x: x.buf, dy: g.buf, dw: dw.buf, dbias: db?.buf });
    if (!need[1]) {
      dw.dispose();
      dw = null;
    }
  }
  return [dx, dw, db];
}
