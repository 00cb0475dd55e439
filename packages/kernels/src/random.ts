// Seeded counter-based random numbers (shaders/random.wgsl, Philox4x32-10). Reference: random.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';

const params = ['n', 'seed_lo', 'seed_hi', 'offset', 'mean', 'scale'] as const;
const normalKernel = defineKernel({ name: 'random_normal', file: 'random', entry: 'sample_normal', bindings: { out: 'read_write' }, params, workgroupSize: [64, 1, 1] });
const uniformKernel = defineKernel({ name: 'random_uniform', file: 'random', entry: 'sample_uniform', bindings: { out: 'read_write' }, params, workgroupSize: [64, 1, 1] });

export interface RandomArgs {
  seed: number; // 0 ≤ seed < 2^53: the stream's key
  offset?: number; // 0 ≤ offset < 2^32: advances the stream (a new offset per call gives fresh numbers)
  mean?: number; // location
  std?: number; // scale (for uniform: width of the interval)
}

function run(gpu: Gpu, normal: boolean, out: GpuBuffer, a: RandomArgs, n: number): void {
  if (!Number.isSafeInteger(a.seed) || a.seed < 0) throw new RangeError(`random: seed must be a non-negative integer, got ${a.seed}`);
  const offset = a.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError(`random: offset must be a u32, got ${offset}`);
  const p = { n, seed_lo: a.seed >>> 0, seed_hi: Math.floor(a.seed / 2 ** 32) >>> 0, offset, mean: a.mean ?? 0, scale: a.std ?? 1 };
  (normal ? normalKernel : uniformKernel).run(gpu, { bind: { out }, params: p, workgroups: Math.ceil(n / 4 / 64) });
}

/** out ← mean + std·N(0, 1), n values. */
export function randomNormal(gpu: Gpu, out: GpuBuffer, args: RandomArgs, n = out.length): void {
  run(gpu, true, out, args, n);
}

/** out ← mean + std·U(0, 1), n values. */
export function randomUniform(gpu: Gpu, out: GpuBuffer, args: RandomArgs, n = out.length): void {
  run(gpu, false, out, args, n);
}
