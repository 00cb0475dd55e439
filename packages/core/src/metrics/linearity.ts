// The linearity score (Section 3.1 and Appendix A, eqs 11–12) of a denoiser at one σ, over pairs
// x_1, x_2 drawn from p(x; σ) (clean images plus noise of std σ), α, β > 0 with α² + β² = 1 (so
// αx_1 + βx_2 also carries noise of std σ):
//   cosine: LS = E |cos(D(αx_1 + βx_2), αD(x_1) + βD(x_2))|
//   NMSE:   E ‖D(αx_1 + βx_2) − (αD(x_1) + βD(x_2))‖ / ‖D(αx_1 + βx_2)‖.
// Consequence of this definition: for an affine D(x) = Wx + b the two sides differ by (1 − α − β)·b,
// so only b = 0 scores exactly 1 (cosine) and 0 (NMSE); the Gaussian denoiser of data with mean μ ≠ 0
// has b_G = (I − W_G)μ ≠ 0 and scores slightly off. opts.affine compares against
// αD(x_1) + βD(x_2) + (1 − α − β)D(0) instead, which is exact for every affine D.
import type { Gpu } from '@gausslens/kernels';
import type { Denoiser } from '../denoisers/types.ts';
import { checkMetricArgs, denoiseRows, noisyInputs, METRIC_CHUNK, METRIC_TAGS } from './evaluate.ts';

export interface LinearityOptions {
  pairs?: number; // pairs (x_1, x_2) averaged over [100]
  alpha?: number; // α in (0, 1); β = √(1 − α²) [1/√2]
  seed?: number; // image choice and noise [0]
  affine?: boolean; // add (1 − α − β)·D(0) to the linear combination (exact for affine D) [false: the paper's definition]
  chunk?: number; // rows a denoiser call [256]
}

export interface LinearityResult {
  cosine: number; // E |cos(·, ·)| (eq 11)
  nmse: number; // E ‖difference‖/‖D(αx_1 + βx_2)‖ (eq 12)
  cosines: Float64Array; // per pair
  ratios: Float64Array; // per pair
}

export async function linearityScore(gpu: Gpu, denoiser: Denoiser, images: Float32Array, n: number, sigma: number, opts: LinearityOptions = {}): Promise<LinearityResult> {
  const d = denoiser.d;
  checkMetricArgs('linearity score', d, images, n, sigma);
  const P = opts.pairs ?? 100;
  const alpha = opts.alpha ?? Math.SQRT1_2;
  if (!Number.isInteger(P) || P < 1) throw new RangeError(`linearity score: pairs = ${P} must be a positive integer`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`linearity score: α = ${alpha} must be in (0, 1) (β = √(1 − α²) > 0)`);
  const beta = Math.sqrt(1 - alpha * alpha);
  // Rows: [x_1 (P); x_2 (P); αx_1 + βx_2 (P); 0 (1, with affine)].
  const rows = 3 * P + (opts.affine ? 1 : 0);
  const pair = noisyInputs(gpu, images, n, d, 2 * P, sigma, opts.seed ?? 0, METRIC_TAGS.linearity);
  const inputs = gpu.alloc(rows * d, 'linearity-inputs');
  const outputs = gpu.alloc(rows * d, 'linearity-outputs');
  try {
    gpu.copy(pair, inputs, 2 * P * d);
    const host = await gpu.read(pair, 2 * P * d);
    const mix = new Float32Array((rows - 2 * P) * d);
    for (let k = 0; k < P * d; k++) mix[k] = alpha * host[k] + beta * host[P * d + k];
    gpu.write(inputs, mix, 2 * P * d);
    denoiseRows(gpu, denoiser, inputs, rows, sigma, outputs, opts.chunk ?? METRIC_CHUNK);
    const y = await gpu.read(outputs, rows * d);
    const gamma = 1 - alpha - beta;
    const cosines = new Float64Array(P);
    const ratios = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      let dot = 0;
      let zz = 0;
      let ll = 0;
      let ee = 0;
      for (let j = 0; j < d; j++) {
        const z = y[(2 * P + p) * d + j];
        let l = alpha * y[p * d + j] + beta * y[(P + p) * d + j];
        if (opts.affine) l += gamma * y[3 * P * d + j];
        dot += z * l;
        zz += z * z;
        ll += l * l;
        ee += (z - l) * (z - l);
      }
      cosines[p] = zz > 0 && ll > 0 ? Math.abs(dot) / Math.sqrt(zz * ll) : zz === ll ? 1 : 0;
      ratios[p] = zz > 0 ? Math.sqrt(ee / zz) : ee > 0 ? Infinity : 0;
    }
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    return { cosine: mean(cosines), nmse: mean(ratios), cosines, ratios };
  } finally {
    for (const b of [pair, inputs, outputs]) b.release();
  }
}
