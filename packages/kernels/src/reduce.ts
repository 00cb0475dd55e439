// Segmented multi-pass reductions (shaders/reduce.wgsl). Reference: reduce.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';

export const REDUCE_OPS = { sum: 0, max: 1, min: 2, sumsq: 3, absmax: 4 } as const;
export type ReduceOp = keyof typeof REDUCE_OPS;

const ITEMS = 8;
const PER_GROUP = 256 * ITEMS;
const kernel = defineKernel({ name: 'reduce', bindings: { x: 'read', out: 'read_write' }, params: ['n', 'rows', 'groups'], overrides: { OP: 0, ITEMS }, workgroupSize: [256, 1, 1] });

/** After the first pass, sums of squares are summed and |x| maxima are maximised. */
const LATER: Record<ReduceOp, ReduceOp> = { sum: 'sum', max: 'max', min: 'min', sumsq: 'sum', absmax: 'max' };

/**
 * Reduces each of `rows` consecutive segments of length n of `x` to one value: out[row].
 * Multi-pass, any n up to the binding limit; intermediate buffers are pooled and released.
 */
export function reduceRows(gpu: Gpu, op: ReduceOp, x: GpuBuffer, out: GpuBuffer, n: number, rows = 1): void {
  if (n < 1 || rows < 1) throw new RangeError(`reduce: n = ${n} and rows = ${rows} must be ≥ 1`);
  if (x.length < n * rows) throw new RangeError(`reduce: '${x.label}' holds ${x.length} elements, fewer than rows·n = ${rows * n}`);
  if (out.length < rows) throw new RangeError(`reduce: '${out.label}' holds ${out.length} elements, fewer than rows = ${rows}`);
  let src = x;
  let len = n;
  let pass: ReduceOp = op;
  const temps: GpuBuffer[] = [];
  for (;;) {
    const groups = Math.ceil(len / PER_GROUP);
    const dst = groups === 1 ? out : gpu.alloc(rows * groups, 'reduce-partial');
    if (dst !== out) temps.push(dst);
    kernel.run(gpu, { bind: { x: src, out: dst }, params: { n: len, rows, groups }, overrides: { OP: REDUCE_OPS[pass] }, workgroups: rows * groups });
    if (groups === 1) break;
    src = dst;
    len = groups;
    pass = LATER[op];
  }
  for (const t of temps) t.release();
}

/** Reduces the first n elements of x to out[0]. */
export function reduce(gpu: Gpu, op: ReduceOp, x: GpuBuffer, out: GpuBuffer, n = x.length): void {
  reduceRows(gpu, op, x, out, n, 1);
}
