// Float64 references for shaders/adam.wgsl: torch.optim.Adam(W) semantics, one step at a time.
import type { AdamOptions } from './adam.ts';

export interface AdamRefState {
  param: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

function sanitize(g: number): number {
  if (Number.isNaN(g)) return 0;
  if (g === Infinity) return 1e5;
  if (g === -Infinity) return -1e5;
  return g;
}

/** One step in place on float64 state; `normSq` is Σ grad² when o.clip is set (the buffer's value). */
export function adamStepRef(s: AdamRefState, grad: ArrayLike<number>, o: Omit<AdamOptions, 'clip' | 'n'> & { clipMaxNorm?: number; normSq?: number }): void {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  const scale = o.gradScale ?? 1;
  const bc1 = 1 - b1 ** o.step;
  const bc2 = 1 - b2 ** o.step;
  const clip = o.clipMaxNorm !== undefined ? Math.min(1, o.clipMaxNorm / (Math.abs(scale) * Math.sqrt(o.normSq ?? 0) + 1e-6)) : 1;
  for (let i = 0; i < s.param.length; i++) {
    let g = grad[i] * scale;
    if (o.sanitize) g = sanitize(g);
    g *= clip;
    s.m[i] = b1 * s.m[i] + (1 - b1) * g;
    s.v[i] = b2 * s.v[i] + (1 - b2) * g * g;
    s.param[i] *= 1 - o.lr * wd;
    s.param[i] -= (o.lr * (s.m[i] / bc1)) / (Math.sqrt(s.v[i] / bc2) + eps);
  }
}

export function emaRef(ema: ArrayLike<number>, param: ArrayLike<number>, beta: number): Float64Array {
  const out = new Float64Array(ema.length);
  for (let i = 0; i < ema.length; i++) out[i] = beta * ema[i] + (1 - beta) * param[i];
  return out;
}
