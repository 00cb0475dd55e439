// Row softmax forward and backward (shaders/softmax.wgsl), for the U-Net's self-attention.
// Reference: softmax.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';

const params = ['rows', 'n', 'alpha'] as const;
const WG = 64;
const forwardKernel = defineKernel({ name: 'softmax_forward', file: 'softmax', entry: 'forward', bindings: { x: 'read', out: 'read_write' }, params, overrides: { WG }, workgroupSize: (o) => [o.WG, 1, 1] });
const backwardKernel = defineKernel({ name: 'softmax_backward', file: 'softmax', entry: 'backward', bindings: { y: 'read', dy: 'read', out: 'read_write' }, params, overrides: { WG }, workgroupSize: (o) => [o.WG, 1, 1] });

const forwardRowsKernel = defineKernel({ name: 'softmax_forward_rows', file: 'softmax', entry: 'forward_rows', bindings: { x: 'read', out: 'read_write' }, params, workgroupSize: [64, 1, 1] });
const backwardRowsKernel = defineKernel({ name: 'softmax_backward_rows', file: 'softmax', entry: 'backward_rows', bindings: { y: 'read', dy: 'read', out: 'read_write' }, params, workgroupSize: [64, 1, 1] });

/** From this many rows on, one thread a row (no barriers) beats a workgroup a row on CPU rasterisers. */
const ROWS_PER_THREAD_FROM = 256;

function check(what: string, rows: number, n: number, bufs: Record<string, GpuBuffer>): void {
  for (const [k, v] of Object.entries({ rows, n })) if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what}: ${k} = ${v} must be a positive integer`);
  for (const [k, b] of Object.entries(bufs)) if (b.length < rows * n) throw new RangeError(`${what}: '${k}' (${b.label}) holds ${b.length} elements, needs rows·n = ${rows * n}`);
}

/** Threads a row: the power of two ≤ 256 nearest above n/2 (short rows waste fewer threads). */
function threads(n: number): number {
  let t = 32;
  while (t < 256 && t < n) t *= 2;
  return t;
}

/** out[r, :] = softmax(alpha·x[r, :]) for rows × n, row-major. */
export function softmaxRows(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, rows: number, n: number, alpha = 1): void {
  check('softmaxRows', rows, n, { x, out });
  if (rows >= ROWS_PER_THREAD_FROM) return forwardRowsKernel.run(gpu, { bind: { x, out }, params: { rows, n, alpha }, workgroups: Math.ceil(rows / 64) });
  forwardKernel.run(gpu, { bind: { x, out }, params: { rows, n, alpha }, overrides: { WG: threads(n) }, workgroups: rows });
}

/** dx = alpha·y ⊙ (dy − rowsum(dy ⊙ y)), y = softmaxRows(x, alpha): the gradient at x. */
export function softmaxRowsBackward(gpu: Gpu, y: GpuBuffer, dy: GpuBuffer, dx: GpuBuffer, rows: number, n: number, alpha = 1): void {
  check('softmaxRowsBackward', rows, n, { y, dy, dx });
  if (rows >= ROWS_PER_THREAD_FROM) return backwardRowsKernel.run(gpu, { bind: { y, dy, out: dx }, params: { rows, n, alpha }, workgroups: Math.ceil(rows / 64) });
  backwardKernel.run(gpu, { bind: { y, dy, out: dx }, params: { rows, n, alpha }, overrides: { WG: threads(n) }, workgroups: rows });
}
