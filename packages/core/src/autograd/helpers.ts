// Backward-only computations that are not ops of their own.
import { map, mul, axpby, softmaxRowsBackward } from '@gausslens/kernels';
import { empty, type Tensor } from './tensor.ts';

/** g·σ(x)·(1 + x·(1 − σ(x))) = g·(σ + y − y·σ) with y = silu(x): the SiLU gradient. */
export function sigmoidTimes(g: Tensor, x: Tensor, y: Tensor): Tensor {
  const gpu = g.gpu;
  const n = x.size;
  const s = gpu.alloc(n, 'silu-sigmoid');
  const t = gpu.alloc(n, 'silu-dydx');
  const u = gpu.alloc(n, 'silu-dydx');
  map(gpu, 'sigmoid', x.buf, s, 1, 0, n);
  mul(gpu, y.buf, s, t, -1, 0, n); // −y·σ
  axpby(gpu, 1, t, 1, s, u, n); // σ − y·σ
  axpby(gpu, 1, u, 1, y.buf, t, n); // σ + y − y·σ
  const out = empty(gpu, g.shape, 'silu-grad');
  mul(gpu, g.buf, t, out.buf, 1, 0, n);
  for (const b of [s, t, u]) b.release();
  return out;
}

/** alpha·y ⊙ (g − rowsum(g ⊙ y)), y = softmax(alpha·x) over rows of n: the softmax gradient. */
export function softmaxGrad(g: Tensor, y: Tensor, n: number, alpha: number): Tensor {
  const out = empty(g.gpu, g.shape, 'softmax-grad');
  softmaxRowsBackward(g.gpu, y.buf, g.buf, out.buf, y.size / n, n, alpha);
  return out;
}
