// What the sweeps and `analyze` measure on one trained network D_θ: per σ, its score-field distance
// (eq 10) to the Gaussian denoiser D_G and to the multi-delta denoiser D_M, its linearity score, and
// the images it generates from shared noise (with D_G's from the same noise and GL, eq 14).
import { join } from 'node:path';
import type { Gpu } from '@gausslens/kernels';
import { loadDataset, loadNetwork, openDenoiser, scoreFieldError, linearityScore, generalisation, writeImageGrid, writeNpy, type Dataset, type Denoiser } from '@gausslens/core';
import { startingNoise, generate } from '../commands/sample.ts';
import type { MeasureConfig } from './sweep_spec.ts';

/** σ range over which the paper compares D_θ with D_G (the regime where D_θ is least linear). */
export const GAP_RANGE: [number, number] = [0.1, 20];

export interface SigmaMetrics {
  sigma: number;
  rmseGaussian: number; // RMSE(D_θ, D_G), eq 10
  nmseGaussian: number; // ‖D_θ − D_G‖/‖D_θ‖
  rmseMultiDelta: number; // RMSE(D_θ, D_M)
  rmseGaussianMultiDelta: number; // RMSE(D_G, D_M): how far apart the two references are
  linearity: number; // cosine linearity score of D_θ (α = β = 1/√2)
  linearityNmse: number; // its NMSE form
}

export interface NetworkMetrics {
  checkpoint: string;
  data: string; // the training set (D_G and D_M are built from it)
  n: number; // training images
  evalImages: 'held-out' | 'training'; // where the clean images y of y + n came from
  perSigma: SigmaMetrics[];
  gapGaussian: number; // mean RMSE(D_θ, D_G) over σ ∈ GAP_RANGE
  gapMultiDelta: number; // mean RMSE(D_θ, D_M) over σ ∈ GAP_RANGE
  gl: number; // generalisation score of D_θ's samples (eq 14)
  glGaussian: number; // of D_G's samples from the same noise
  sampleRmseGaussian: number; // RMSE between D_θ's and D_G's samples from the same noise
  seconds: number;
}

export function meanOverRange(rows: SigmaMetrics[], key: keyof SigmaMetrics, [lo, hi] = GAP_RANGE): number {
  const sel = rows.filter((r) => r.sigma >= lo && r.sigma <= hi);
  return sel.reduce((a, r) => a + r[key], 0) / Math.max(1, sel.length);
}

export function rmseOf(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/** Clean images to add noise to: the held-out set when the spec has one, else the training images. */
export function evalSet(ds: Dataset): { images: Float32Array; n: number; from: 'held-out' | 'training' } {
  if (ds.heldOut && ds.heldOut.length >= ds.d) return { images: ds.heldOut, n: ds.heldOut.length / ds.d, from: 'held-out' };
  return { images: ds.images, n: ds.n, from: 'training' };
}

/**
 * Measures a checkpoint against D_G and D_M of its training set; writes samples.npy and grids into
 * `dir` (samples from x_T = 80·n with n from Philox(measure.seed), the same in every cell).
 */
export async function measureNetwork(gpu: Gpu, opts: { checkpoint: string; data: string; dir: string; measure: MeasureConfig; cacheDir: string | null; log?: (msg: string) => void }): Promise<NetworkMetrics> {
  const t0 = performance.now();
  const { measure: m, log = () => undefined } = opts;
  const ds = await loadDataset(opts.data);
  const net = await loadNetwork(gpu, opts.checkpoint);
  if (net.d !== ds.d) throw new Error(`${opts.checkpoint}: the network takes d = ${net.d} values, ${opts.data} has d = ${ds.d}`);
  const gaussian = await openDenoiser('gaussian', { gpu, data: ds, cacheDir: opts.cacheDir, onPhase: log });
  const multiDelta = await openDenoiser('multi-delta', { gpu, data: ds, cacheDir: opts.cacheDir });
  try {
    const ev = evalSet(ds);
    const perSigma: SigmaMetrics[] = [];
    for (const [i, sigma] of m.sigmas.entries()) {
      log(`σ = ${+sigma.toPrecision(4)} (${i + 1}/${m.sigmas.length}): RMSE to D_G and D_M, linearity`);
      const seed = m.seed + 1000 * (i + 1);
      const g = await scoreFieldError(gpu, net, gaussian.denoiser, ev.images, ev.n, sigma, { samples: m.samples, seed });
      const md = await scoreFieldError(gpu, net, multiDelta.denoiser, ev.images, ev.n, sigma, { samples: m.samples, seed });
      const gm = await scoreFieldError(gpu, gaussian.denoiser, multiDelta.denoiser, ev.images, ev.n, sigma, { samples: m.samples, seed });
      const ls = await linearityScore(gpu, net, ev.images, ev.n, sigma, { pairs: m.pairs, seed });
      perSigma.push({ sigma, rmseGaussian: g.rmse, nmseGaussian: g.nmse, rmseMultiDelta: md.rmse, rmseGaussianMultiDelta: gm.rmse, linearity: ls.cosine, linearityNmse: ls.nmse });
    }
    log(`generating ${m.generate} images from shared noise with D_θ and D_G`);
    const samples = await sampleSide(gpu, [net, gaussian.denoiser], m, ds);
    const nnNet = await generalisation(gpu, samples[0], ds.images, m.generate, ds.n, ds.d);
    const nnG = await generalisation(gpu, samples[1], ds.images, m.generate, ds.n, ds.d);
    const shape = { n: m.generate, c: ds.c, h: ds.h, w: ds.w };
    const scale = ds.h < 24 ? 4 : ds.h < 48 ? 2 : 1;
    await writeNpy(join(opts.dir, 'samples.npy'), samples[0], [m.generate, ds.c, ds.h, ds.w]);
    await writeImageGrid(join(opts.dir, 'samples-network.png'), samples[0], shape, { cols: 8, scale });
    await writeImageGrid(join(opts.dir, 'samples-gaussian.png'), samples[1], shape, { cols: 8, scale });
    return {
      checkpoint: opts.checkpoint,
      data: ds.spec,
      n: ds.n,
      evalImages: ev.from,
      perSigma,
      gapGaussian: meanOverRange(perSigma, 'rmseGaussian'),
      gapMultiDelta: meanOverRange(perSigma, 'rmseMultiDelta'),
      gl: nnNet.gl,
      glGaussian: nnG.gl,
      sampleRmseGaussian: rmseOf(samples[0], samples[1]),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    net.release();
    gaussian.close();
    multiDelta.close();
  }
}

/** Euler samples (the paper's 10 σ) of each denoiser from the same x_T. */
export async function sampleSide(gpu: Gpu, denoisers: Denoiser[], m: Pick<MeasureConfig, 'generate' | 'seed'>, ds: Dataset): Promise<Float32Array[]> {
  const { xT, count } = await startingNoise(gpu, { noise: null, seed: m.seed, count: m.generate, sigmaMax: 80 }, ds.d);
  const out: Float32Array[] = [];
  for (const d of denoisers) out.push(await generate(gpu, d, 'euler', xT, count, 10, 80, d.spec.kind));
  xT.release();
  return out;
}
