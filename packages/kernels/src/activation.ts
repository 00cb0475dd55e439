// SiLU forward/backward and counter-based dropout (shaders/activation.wgsl). Reference: activation.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';
import { bindingElements, itemChunks } from './panels.ts';

const WG = 256;
const params = ['n', 'base', 'seed_lo', 'seed_hi', 'offset', 'threshold', 'scale'] as const;
const siluKernel = defineKernel({ name: 'activation_silu', file: 'activation', entry: 'silu', bindings: { x: 'read', out: 'read_write' }, params, workgroupSize: [WG, 1, 1] });
const siluBackwardKernel = defineKernel({ name: 'activation_silu_backward', file: 'activation', entry: 'silu_backward', bindings: { x: 'read', dy: 'read', out: 'read_write' }, params, workgroupSize: [WG, 1, 1] });
const dropoutKernel = defineKernel({ name: 'activation_dropout', file: 'activation', entry: 'dropout', bindings: { x: 'read', out: 'read_write' }, params, workgroupSize: [WG, 1, 1] });

const NO_RANDOM = { n: 0, base: 0, seed_lo: 0, seed_hi: 0, offset: 0, threshold: 0, scale: 1 };

function need(what: string, n: number, bufs: Record<string, GpuBuffer>): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}: n = ${n} must be a non-negative integer`);
  for (const [k, b] of Object.entries(bufs)) if (b.length < n) throw new RangeError(`${what}: '${k}' (${b.label}) holds ${b.length} elements, fewer than n = ${n}`);
}

/** Runs `fn` on panels [base, base + len) of n elements within the binding limit (one panel when it fits). */
function panels(gpu: Gpu, n: number, what: string, panelElements: number | undefined, fn: (at: (b: GpuBuffer) => BindingValue, base: number, len: number) => void): void {
  for (const [base, len] of itemChunks(n, [1], bindingElements(gpu, panelElements), what)) fn((b) => ({ buffer: b, offset: base, length: len }), base, len);
}

export interface ActivationOptions {
  panelElements?: number; // bind at most this many elements at once (tests; default: the device's binding limit)
}

/** out = x·σ(x) (SiLU). */
export function silu(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, n = x.length, opts: ActivationOptions = {}): void {
  need('silu', n, { x, out });
  panels(gpu, n, 'silu', opts.panelElements, (at, base, len) => siluKernel.run(gpu, { bind: { x: at(x), out: at(out) }, params: { ...NO_RANDOM, n: len, base }, workgroups: Math.ceil(len / WG) }));
}

/** dx = dy·σ(x)·(1 + x·(1 − σ(x))), the gradient of SiLU at its input x. */
export function siluBackward(gpu: Gpu, x: GpuBuffer, dy: GpuBuffer, dx: GpuBuffer, n = x.length, opts: ActivationOptions = {}): void {
  need('siluBackward', n, { x, dy, dx });
  panels(gpu, n, 'siluBackward', opts.panelElements, (at, base, len) => siluBackwardKernel.run(gpu, { bind: { x: at(x), dy: at(dy), out: at(dx) }, params: { ...NO_RANDOM, n: len, base }, workgroups: Math.ceil(len / WG) }));
}

export interface DropoutArgs {
  p: number; // drop probability, 0 ≤ p < 1
  seed: number; // 0 ≤ seed < 2^53: the Philox key
  offset?: number; // u32 stream offset: use a new one for every call that needs a fresh mask
}

/** The 24-bit threshold of a drop probability: element i is dropped iff its 24 random bits are below it. */
export function dropoutThreshold(p: number): number {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p = ${p} must be in [0, 1)`);
  return Math.round(p * 2 ** 24);
}

function dropoutParams(n: number, a: DropoutArgs): Record<(typeof params)[number], number> {
  if (!Number.isSafeInteger(a.seed) || a.seed < 0) throw new RangeError(`dropout: seed must be a non-negative integer, got ${a.seed}`);
  const offset = a.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError(`dropout: offset must be a u32, got ${offset}`);
  return { n, base: 0, seed_lo: a.seed >>> 0, seed_hi: Math.floor(a.seed / 2 ** 32) >>> 0, offset, threshold: dropoutThreshold(a.p), scale: 1 / (1 - a.p) };
}

/**
 * out = x·mask/(1 − p): element i is kept iff the 24 high bits of Philox word i of (seed, offset)
 * are ≥ round(p·2^24), i.e. iff randomUniform(seed, offset)[i] > p up to that rounding. The mask is
 * never stored: dropoutBackward with the same args regenerates it.
 */
export function dropout(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, args: DropoutArgs, n = x.length, opts: ActivationOptions = {}): void {
  need('dropout', n, { x, out });
  const p = dropoutParams(n, args);
  panels(gpu, n, 'dropout', opts.panelElements, (at, base, len) => dropoutKernel.run(gpu, { bind: { x: at(x), out: at(out) }, params: { ...p, n: len, base }, workgroups: Math.ceil(len / 4 / WG) }));
}

/** dx = dy·mask/(1 − p) with the forward's mask (same seed, offset and p). */
export function dropoutBackward(gpu: Gpu, dy: GpuBuffer, dx: GpuBuffer, args: DropoutArgs, n = dy.length, opts: ActivationOptions = {}): void {
  dropout(gpu, dy, dx, args, n, opts);
}
