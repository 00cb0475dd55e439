// The score-field approximation error between two denoisers at one σ (eq 10), on the same noisy
// inputs x = y + n for both (clean images y, n ∼ N(0, σ²I)):
//   RMSE = E √(‖D_1(x) − D_2(x)‖² / d),   NMSE = E ‖D_1(x) − D_2(x)‖ / ‖D_1(x)‖ (relative to D_1).
import type { Gpu } from '@gausslens/kernels';
import type { Denoiser } from '../denoisers/types.ts';
import { checkMetricArgs, denoiseRows, noisyInputs, METRIC_CHUNK, METRIC_TAGS } from './evaluate.ts';

export interface ScoreFieldOptions {
  samples?: number; // noisy inputs averaged over [100]
  seed?: number; // image choice and noise [0]
  chunk?: number; // rows a denoiser call [256]
}

export interface ScoreFieldResult {
  rmse: number; // E √(‖D_1 − D_2‖²/d)
  nmse: number; // E ‖D_1 − D_2‖/‖D_1‖
}

export async function scoreFieldError(gpu: Gpu, d1: Denoiser, d2: Denoiser, images: Float32Array, n: number, sigma: number, opts: ScoreFieldOptions = {}): Promise<ScoreFieldResult> {
  const d = d1.d;
  if (d2.d !== d) throw new Error(`score-field error: the denoisers have d = ${d} and ${d2.d}`);
  checkMetricArgs('score-field error', d, images, n, sigma);
  const S = opts.samples ?? 100;
  if (!Number.isInteger(S) || S < 1) throw new RangeError(`score-field error: samples = ${S} must be a positive integer`);
  const x = noisyInputs(gpu, images, n, d, S, sigma, opts.seed ?? 0, METRIC_TAGS.scoreField);
  const y1 = gpu.alloc(S * d, 'score-field-d1');
  const y2 = gpu.alloc(S * d, 'score-field-d2');
  try {
    denoiseRows(gpu, d1, x, S, sigma, y1, opts.chunk ?? METRIC_CHUNK);
    denoiseRows(gpu, d2, x, S, sigma, y2, opts.chunk ?? METRIC_CHUNK);
    const a = await gpu.read(y1, S * d);
    const b = await gpu.read(y2, S * d);
    let rmse = 0;
    let nmse = 0;
    for (let s = 0; s < S; s++) {
      let ee = 0;
      let aa = 0;
      for (let j = s * d; j < (s + 1) * d; j++) {
        const e = a[j] - b[j];
        ee += e * e;
        aa += a[j] * a[j];
      }
      rmse += Math.sqrt(ee / d);
      nmse += aa > 0 ? Math.sqrt(ee / aa) : ee > 0 ? Infinity : 0;
    }
    return { rmse: rmse / S, nmse: nmse / S };
  } finally {
    for (const t of [x, y1, y2]) t.release();
  }
}
