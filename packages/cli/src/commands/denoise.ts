// gausslens denoise: D(x; σ) for a batch of inputs read from .npy, written to .npy.
import { Command } from 'commander';
import { getDevice } from '@gausslens/kernels';
import { loadDataset, openDenoiser, readNpy, writeNpy, DENOISER_FORMS } from '@gausslens/core';
import { phase } from '../util/progress.ts';
import { numberFlag } from '../util/run.ts';

export interface DenoiseConfig {
  data: string; // training-set spec the denoiser is built from
  denoiser: string; // gaussian | multi-delta | linear:<file> | network:<ckpt>
  sigma: number; // noise level σ of the inputs
  input: string; // .npy of B×(C×H×W) or B×d float32/float64 noisy images
  output: string; // .npy written with the same shape
  cache: string; // where Gaussian structures are kept ('' for none)
}

export const DENOISE_DEFAULTS = { data: 'mnist', denoiser: 'gaussian', cache: 'runs/cache' };

/** Batch size of an input whose trailing dimensions must multiply to d. */
export function batchOf(shape: readonly number[], d: number, file: string): number {
  if (shape.length < 2) throw new Error(`${file}: shape [${shape}] is not a batch: expected B×d or B×C×H×W with d = ${d}`);
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (per !== d) throw new Error(`${file}: each item has ${per} values (shape [${shape}]), but the data set has d = ${d}`);
  return shape[0];
}

export async function runDenoise(cfg: DenoiseConfig): Promise<{ b: number; d: number }> {
  const x = await readNpy(cfg.input);
  for (const v of x.data) if (!Number.isFinite(v)) throw new Error(`${cfg.input}: contains NaN or infinite values`);
  const ds = await loadDataset(cfg.data);
  const b = batchOf(x.shape, ds.d, cfg.input);
  const gpu = await getDevice();
  const opened = await openDenoiser(cfg.denoiser, { gpu, data: ds, cacheDir: cfg.cache || null, onPhase: phase });
  try {
    const bx = gpu.upload(x.data);
    const out = gpu.alloc(b * ds.d, 'denoised');
    opened.denoiser.denoise(gpu, bx, b, cfg.sigma, out);
    const y = await gpu.read(out, b * ds.d);
    await writeNpy(cfg.output, y, x.shape);
    bx.release();
    out.release();
  } finally {
    opened.close();
  }
  return { b, d: ds.d };
}

export function denoiseCommand(): Command {
  return new Command('denoise')
    .description('apply a denoiser D(x; σ) to a batch of images from .npy')
    .requiredOption('--data <spec>', 'training set the denoiser is built from', DENOISE_DEFAULTS.data)
    .requiredOption('--denoiser <spec>', DENOISER_FORMS, DENOISE_DEFAULTS.denoiser)
    .requiredOption('--sigma <s>', 'noise level σ of the inputs')
    .requiredOption('--input <x.npy>', 'B×d or B×C×H×W noisy images (float32/float64)')
    .requiredOption('--output <y.npy>', 'denoised images, same shape')
    .option('--cache <dir>', "where Gaussian structures are kept ('' for none)", DENOISE_DEFAULTS.cache)
    .action(async (o) => {
      const cfg: DenoiseConfig = { data: o.data, denoiser: o.denoiser, sigma: numberFlag('sigma', o.sigma, { positive: true }), input: o.input, output: o.output, cache: o.cache };
      const r = await runDenoise(cfg);
      phase(`denoised ${r.b} images of d = ${r.d} at σ = ${cfg.sigma} → ${cfg.output}`);
    });
}
