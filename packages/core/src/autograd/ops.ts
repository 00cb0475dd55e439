// Differentiable ops on tensors: each runs its forward kernels and records itself on the active
// tape (gradient rules: rules.ts). Shapes are NCHW for images, row-major [rows, cols] for matrices.
import { axpby as axpbyKernel, mul as mulKernel, map, reduceRows, broadcastMul, broadcastAdd, copyChannels, expand, sumOuter, fillValue, softmaxRows } from '@gausslens/kernels';
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

/** x·σ(x), through the elementwise map (the gradient uses σ; see rules.ts). */
export function silu(x: Tensor): Tensor {
  const out = empty(x.gpu, x.shape, 'silu');
  map(x.gpu, 'silu', x.buf, out.buf, 1, 0, x.size);
  return record('silu', [x], out, {});
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
  else if (outer === 1) reduceRows(gpu, 'sum', x.buf, out.buf, inner, m);
  else if (inner === 1) sumOuter(gpu, x.buf, out.buf, outer, m);
  else {
    const rows = gpu.alloc(outer * m, 'sum-to-rows');
    reduceRows(gpu, 'sum', x.buf, rows, inner, outer * m);
    sumOuter(gpu, rows, out.buf, outer, m);
    rows.release();
  }
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
