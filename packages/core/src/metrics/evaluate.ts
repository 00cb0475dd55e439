// Shared by the per-σ metrics: noisy inputs x = y + n from clean images and a denoiser applied to
// many rows in chunks (so large sample counts do not need one huge teacher batch).
import type { Gpu, GpuBuffer } from '@gausslens/kernels';
import type { Denoiser } from '../denoisers/types.ts';
import { ImageStream, NoisyBatch, philoxKey } from '../distill/sampling.ts';

/** Rows a denoiser call sees at most, unless the caller says otherwise. */
export const METRIC_CHUNK = 256;

/** Philox stream tags of the metrics (distillation uses tags < 1024, one per σ). */
export const METRIC_TAGS = { linearity: 1024, scoreField: 1025 } as const;

/** `rows` noisy inputs (rows×d on the GPU): clean images in a seeded order plus N(0, σ²) noise. */
export function noisyInputs(gpu: Gpu, images: Float32Array, n: number, d: number, rows: number, sigma: number, seed: number, tag: number): GpuBuffer {
  const stream = new ImageStream(images, n, d, seed * 4096 + tag);
  const batch = new NoisyBatch(gpu, rows, d);
  batch.draw(gpu, stream, rows, sigma, philoxKey(seed, tag), 0);
  const x = gpu.alloc(rows * d, 'metric-inputs');
  gpu.copy(batch.x, x, rows * d);
  batch.release();
  return x;
}

/** out ← D(x; σ) for `rows` rows of x, `chunk` rows a call (copies through chunk buffers when needed). */
export function denoiseRows(gpu: Gpu, den: Denoiser, x: GpuBuffer, rows: number, sigma: number, out: GpuBuffer, chunk = METRIC_CHUNK): void {
  const d = den.d;
  if (rows <= chunk) {
    den.denoise(gpu, x, rows, sigma, out);
    return;
  }
  const xi = gpu.alloc(chunk * d, 'metric-chunk-in');
  const yi = gpu.alloc(chunk * d, 'metric-chunk-out');
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const m = Math.min(chunk, rows - r0);
    gpu.copy(x, xi, m * d, r0 * d, 0);
    den.denoise(gpu, xi, m, sigma, yi);
    gpu.copy(yi, out, m * d, 0, r0 * d);
  }
  xi.release();
  yi.release();
}

/** Validates the arguments every metric shares. */
export function checkMetricArgs(what: string, d: number, images: Float32Array, n: number, sigma: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: need at least one clean image, got n = ${n}`);
  if (images.length < n * d) throw new Error(`${what}: images hold ${images.length} values, fewer than n·d = ${n}·${d}`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`${what}: σ = ${sigma} must be positive and finite`);
}
