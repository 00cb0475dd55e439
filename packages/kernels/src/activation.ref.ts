// Float64 references for shaders/activation.wgsl.
import { philox4x32 } from './random.ref.ts';
import { dropoutThreshold } from './activation.ts';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export function siluRef(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => v * sigmoid(v));
}

export function siluBackwardRef(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const s = sigmoid(x[i]);
    out[i] = dy[i] * s * (1 + x[i] * (1 - s));
  }
  return out;
}

/** The keep mask of dropout(seed, offset, p) over n elements: 1 kept, 0 dropped. */
export function dropoutMaskRef(n: number, p: number, seed: number, offset = 0): Uint8Array {
  const thr = dropoutThreshold(p);
  const key: [number, number] = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  const mask = new Uint8Array(n);
  for (let t = 0; 4 * t < n; t++) {
    const r = philox4x32([t, offset, 0, 0], key);
    for (let j = 0; j < 4 && 4 * t + j < n; j++) mask[4 * t + j] = r[j] >>> 8 >= thr ? 1 : 0;
  }
  return mask;
}

/** x·mask/(1 − p); also the backward (on dy). */
export function dropoutRef(x: ArrayLike<number>, p: number, seed: number, offset = 0): Float64Array {
  const mask = dropoutMaskRef(x.length, p, seed, offset);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = mask[i] ? x[i] / (1 - p) : 0;
  return out;
}
