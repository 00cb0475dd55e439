// Splitting one logical dispatch over many independent items (samples, planes, elements) into panels whose
// bindings fit maxStorageBufferBindingSize and start at 256-byte (64-element) aligned offsets.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import type { BindingValue } from './kernel.ts';

/**
 * The first `length` elements of a buffer as a binding. The vec4 kernels bind only what they read: a whole number
 * of vec4s (a vec4 binding's byte size must be a multiple of 16) starting at element 0 (so every vec4 is aligned).
 */
export function prefix(buffer: GpuBuffer, length: number): BindingValue {
  return { buffer, offset: 0, length };
}

/** Elements one binding may hold on this device (or a smaller forced limit, for tests). */
export function bindingElements(gpu: Gpu, forced?: number): number {
  const limit = Math.floor(gpu.limits.maxStorageBufferBindingSize / 4);
  return forced === undefined ? limit : Math.min(limit, forced);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Chunks [first, count) of `count` items: item i occupies sizes[k] elements of binding k, so a chunk
 * starting at item `first` binds offsets first·sizes[k], which must be multiples of 64 elements; every
 * chunk also starts at a multiple of `align` items. One chunk [0, count] when everything fits.
 */
export function itemChunks(count: number, sizes: readonly number[], maxElements: number, what: string, align = 1): Array<[number, number]> {
  const largest = Math.max(...sizes);
  if (count * largest <= maxElements) return [[0, count]];
  const step = sizes.reduce((m, s) => Math.max(m, 64 / gcd(s, 64)), align); // powers of two: their lcm is the max
  const per = Math.floor(maxElements / largest / step) * step;
  if (per < 1) throw new RangeError(`${what}: ${step} item(s) of ${largest} elements (the smallest aligned panel) exceed the binding limit of ${maxElements} elements`);
  const out: Array<[number, number]> = [];
  for (let first = 0; first < count; first += per) out.push([first, Math.min(per, count - first)]);
  return out;
}
