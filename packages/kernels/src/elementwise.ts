// Elementwise kernels (shaders/elementwise.wgsl): map, axpby, mul. Reference: elementwise.ref.ts.
// n % 4 = 0 runs the vec4 entry points (a thread 4 elements) over panels of exactly n elements.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';
import { prefix } from './panels.ts';

/** Unary functions of `map`, by their override code in the WGSL. */
export const MAP_OPS = { identity: 0, square: 1, sqrt: 2, exp: 3, log: 4, tanh: 5, silu: 6, sigmoid: 7, abs: 8, clamp1: 9, relu: 10 } as const;
export type MapOp = keyof typeof MAP_OPS;

const WG = 256;
const P = ['n', 'cols', 'alpha', 'beta'] as const;
const mapKernel = defineKernel({ name: 'elementwise_map', file: 'elementwise', entry: 'map', bindings: { x: 'read', out: 'read_write' }, params: P, overrides: { OP: 0 }, workgroupSize: [WG, 1, 1] });
const axpbyKernel = defineKernel({ name: 'elementwise_axpby', file: 'elementwise', entry: 'axpby', bindings: { x: 'read', y: 'read', out: 'read_write' }, params: P, workgroupSize: [WG, 1, 1] });
const axpbyRowKernel = defineKernel({ name: 'elementwise_axpby_row', file: 'elementwise', entry: 'axpby_row', bindings: { x: 'read', y: 'read', out: 'read_write' }, params: P, workgroupSize: [WG, 1, 1] });
const mulRowKernel = defineKernel({ name: 'elementwise_mul_row', file: 'elementwise', entry: 'mul_row', bindings: { x: 'read', y: 'read', out: 'read_write' }, params: P, workgroupSize: [WG, 1, 1] });
const mulKernel = defineKernel({ name: 'elementwise_mul', file: 'elementwise', entry: 'mul', bindings: { x: 'read', y: 'read', out: 'read_write' }, params: P, workgroupSize: [WG, 1, 1] });

const map4Kernel = defineKernel({ name: 'elementwise_map4', file: 'elementwise', entry: 'map4', bindings: { x4: 'read', out4: 'read_write' }, params: P, overrides: { OP: 0 }, workgroupSize: [WG, 1, 1] });
const axpby4Kernel = defineKernel({ name: 'elementwise_axpby4', file: 'elementwise', entry: 'axpby4', bindings: { x4: 'read', y4: 'read', out4: 'read_write' }, params: P, workgroupSize: [WG, 1, 1] });
const mul4Kernel = defineKernel({ name: 'elementwise_mul4', file: 'elementwise', entry: 'mul4', bindings: { x4: 'read', y4: 'read', out4: 'read_write' }, params: P, workgroupSize: [WG, 1, 1] });

/** Tests: false forces the scalar entry points even when n % 4 = 0. */
export const elementwiseOptions = { vec4: true };

const useVec4 = (n: number): boolean => elementwiseOptions.vec4 && n % 4 === 0 && n > 0;

function count(n: number, ...bufs: GpuBuffer[]): number {
  for (const b of bufs) if (b.length < n) throw new RangeError(`buffer '${b.label}' holds ${b.length} elements, fewer than n = ${n}`);
  return Math.ceil(n / WG);
}

/** out = f(alpha·x + beta) elementwise. */
export function map(gpu: Gpu, op: MapOp, x: GpuBuffer, out: GpuBuffer, alpha = 1, beta = 0, n = x.length): void {
  if (useVec4(n)) {
    map4Kernel.run(gpu, { bind: { x4: prefix(x, n), out4: prefix(out, n) }, params: { n, cols: 1, alpha, beta }, overrides: { OP: MAP_OPS[op] }, workgroups: Math.ceil(count(n, x, out) / 4) });
    return;
  }
  mapKernel.run(gpu, { bind: { x, out }, params: { n, cols: 1, alpha, beta }, overrides: { OP: MAP_OPS[op] }, workgroups: count(n, x, out) });
}

/** out = alpha·x (a scale). */
export function scale(gpu: Gpu, x: GpuBuffer, alpha: number, out: GpuBuffer, n = x.length): void {
  map(gpu, 'identity', x, out, alpha, 0, n);
}

/** out = alpha·x + beta·y; axpy is (alpha, 1). */
export function axpby(gpu: Gpu, alpha: number, x: GpuBuffer, beta: number, y: GpuBuffer, out: GpuBuffer, n = x.length): void {
  if (useVec4(n)) {
    axpby4Kernel.run(gpu, { bind: { x4: prefix(x, n), y4: prefix(y, n), out4: prefix(out, n) }, params: { n, cols: 1, alpha, beta }, workgroups: Math.ceil(count(n, x, y, out) / 4) });
    return;
  }
  axpbyKernel.run(gpu, { bind: { x, y, out }, params: { n, cols: 1, alpha, beta }, workgroups: count(n, x, y, out) });
}

/** out = alpha·x·y + beta elementwise. */
export function mul(gpu: Gpu, x: GpuBuffer, y: GpuBuffer, out: GpuBuffer, alpha = 1, beta = 0, n = x.length): void {
  if (useVec4(n)) {
    mul4Kernel.run(gpu, { bind: { x4: prefix(x, n), y4: prefix(y, n), out4: prefix(out, n) }, params: { n, cols: 1, alpha, beta }, workgroups: Math.ceil(count(n, x, y, out) / 4) });
    return;
  }
  mulKernel.run(gpu, { bind: { x, y, out }, params: { n, cols: 1, alpha, beta }, workgroups: count(n, x, y, out) });
}

function rowCount(x: GpuBuffer, v: GpuBuffer, out: GpuBuffer, rows: number, cols: number): number {
  if (v.length < cols) throw new RangeError(`row vector '${v.label}' holds ${v.length} elements, fewer than cols = ${cols}`);
  return count(rows * cols, x, out);
}

/** out = alpha·x + beta·v broadcast over the rows of x (rows×cols). */
export function axpbyRow(gpu: Gpu, alpha: number, x: GpuBuffer, beta: number, v: GpuBuffer, out: GpuBuffer, rows: number, cols: number): void {
  axpbyRowKernel.run(gpu, { bind: { x, y: v, out }, params: { n: rows * cols, cols, alpha, beta }, workgroups: rowCount(x, v, out, rows, cols) });
}

/** out = alpha·x·v + beta with v broadcast over the rows of x (rows×cols): scales columns. */
export function mulRow(gpu: Gpu, x: GpuBuffer, v: GpuBuffer, out: GpuBuffer, rows: number, cols: number, alpha = 1, beta = 0): void {
  mulRowKernel.run(gpu, { bind: { x, y: v, out }, params: { n: rows * cols, cols, alpha, beta }, workgroups: rowCount(x, v, out, rows, cols) });
}
