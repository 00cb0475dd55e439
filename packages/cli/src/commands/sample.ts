// gausslens sample: generate images with any denoiser from seeded noise (the same noise for every
// denoiser, so they are compared image for image), with each sample's nearest training image and GL.
import { Command } from 'commander';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { getDevice, randomNormal, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import { loadDataset, openDenoiser, readNpy, writeNpy, writeImageGrid, sampleOde, generalisation, GaussianDenoiser, edmSigmas, DENOISER_FORMS, SCHEDULE_DEFAULTS, type Dataset, type Denoiser, type NeighbourResult } from '@gausslens/core';
import { phase, progress } from '../util/progress.ts';
import { numberFlag } from '../util/run.ts';
import { batchOf } from './denoise.ts';

export type SamplerName = 'euler' | 'heun' | 'closed-form';

export interface SampleConfig {
  data: string; // training-set spec
  denoiser: string; // gaussian | multi-delta | linear:<file> | network:<ckpt>
  sampler: SamplerName; // EDM Euler, EDM Heun, or the exact Gaussian trajectory (eq 7; gaussian only)
  steps: number; // noise levels of the ρ = 7 schedule (10: the paper's list)
  seed: number; // Philox seed of the starting noise
  noise: string | null; // .npy of standard-normal noise n (x_T = σ_max·n) instead of the seed
  count: number; // images to generate
  sigmaMax: number; // starting noise level
  output: string; // samples .npy (count×C×H×W)
  grid: string | null; // PNG: each sample beside its nearest training image
  trajectory: string | null; // .npy of every iterate, (steps+1)×count×d, x_T first
  cache: string; // where Gaussian structures are kept
}

export const SAMPLE_DEFAULTS = { data: 'mnist', denoiser: 'gaussian', sampler: 'euler' as SamplerName, steps: 10, seed: 0, count: 64, sigmaMax: SCHEDULE_DEFAULTS.sigmaMax, cache: 'runs/cache' };

/** x_T = σ_max·n with n ~ N(0, I) from Philox(seed), or read from a file. */
export async function startingNoise(gpu: Gpu, cfg: Pick<SampleConfig, 'noise' | 'seed' | 'count' | 'sigmaMax'>, d: number): Promise<{ xT: GpuBuffer; count: number }> {
  if (cfg.noise) {
    const n = await readNpy(cfg.noise);
    const count = batchOf(n.shape, d, cfg.noise);
    const scaled = Float32Array.from(n.data, (v) => v * cfg.sigmaMax);
    if (!scaled.every(Number.isFinite)) throw new Error(`${cfg.noise}: contains NaN or infinite values`);
    return { xT: gpu.upload(scaled, 'x_T'), count };
  }
  const xT = gpu.alloc(cfg.count * d, 'x_T');
  randomNormal(gpu, xT, { seed: cfg.seed, std: cfg.sigmaMax }, cfg.count * d);
  return { xT, count: cfg.count };
}

/** Runs a sampler from x_T; returns the samples on the host (and every iterate when `trajectory` is given). */
export async function generate(gpu: Gpu, denoiser: Denoiser, sampler: SamplerName, xT: GpuBuffer, count: number, steps: number, sigmaMax: number, label = 'sampling', trajectory?: Float32Array[]): Promise<Float32Array> {
  const d = denoiser.d;
  if (sampler === 'closed-form') {
    if (!(denoiser instanceof GaussianDenoiser)) throw new Error('--sampler closed-form is the exact trajectory of the Gaussian denoiser: use it with --denoiser gaussian');
    const out = gpu.alloc(count * d, 'closed-form');
    // The exact solution at each σ of the same schedule the step samplers use (eq 7).
    for (const sigma of trajectory ? edmSigmas({ steps, sigmaMax }) : [0]) {
      denoiser.trajectory(gpu, xT, count, sigmaMax, sigma, out);
      if (trajectory) trajectory.push(await gpu.read(out, count * d));
    }
    const x = await gpu.read(out, count * d);
    out.release();
    return x;
  }
  const bar = progress(label, steps, 'steps');
  const x0 = await sampleOde(gpu, denoiser, xT, count, {
    sampler,
    steps,
    sigmaMax,
    onStep: async (s) => {
      if (trajectory) trajectory.push(await gpu.read(s.x, count * d));
      if (s.i > 0) {
        await gpu.sync();
        bar.tick(1, { sigma: s.sigma.toPrecision(3) });
      }
    },
  });
  bar.stop();
  const x = await gpu.read(x0, count * d);
  x0.release();
  return x;
}

/** Interleaves each sample with its nearest training image: pairs side by side in the grid. */
export function pairsWithNeighbours(samples: Float32Array, ds: Dataset, nn: NeighbourResult): Float32Array {
  const d = ds.d;
  const k = nn.indices.length;
  const out = new Float32Array(2 * k * d);
  for (let i = 0; i < k; i++) {
    out.set(samples.subarray(i * d, (i + 1) * d), 2 * i * d);
    out.set(ds.images.subarray(nn.indices[i] * d, (nn.indices[i] + 1) * d), (2 * i + 1) * d);
  }
  return out;
}

export async function runSample(cfg: SampleConfig): Promise<{ count: number; gl: number; files: string[] }> {
  const ds = await loadDataset(cfg.data);
  const gpu = await getDevice();
  const opened = await openDenoiser(cfg.denoiser, { gpu, data: ds, cacheDir: cfg.cache || null, onPhase: phase });
  try {
    const { xT, count } = await startingNoise(gpu, cfg, ds.d);
    const traj: Float32Array[] | undefined = cfg.trajectory ? [] : undefined;
    const x = await generate(gpu, opened.denoiser, cfg.sampler, xT, count, cfg.steps, cfg.sigmaMax, 'sampling', traj);
    xT.release();
    const shape = ds.imageShape ? [count, ds.c, ds.h, ds.w] : [count, ds.d];
    mkdirSync(dirname(cfg.output), { recursive: true });
    await writeNpy(cfg.output, x, shape);
    const files = [cfg.output];
    if (cfg.trajectory && traj) {
      const all = new Float32Array(traj.length * count * ds.d);
      traj.forEach((t, i) => all.set(t, i * count * ds.d));
      await writeNpy(cfg.trajectory, all, [traj.length, ...shape]);
      files.push(cfg.trajectory);
    }
    phase('nearest training images');
    const nn = await generalisation(gpu, x, ds.images, count, ds.n, ds.d);
    if (cfg.grid && ds.imageShape) {
      mkdirSync(dirname(cfg.grid), { recursive: true });
      const cols = 2 * Math.min(8, Math.ceil(Math.sqrt(count)));
      await writeImageGrid(cfg.grid, pairsWithNeighbours(x, ds, nn), { n: 2 * count, c: ds.c, h: ds.h, w: ds.w }, { cols, scale: ds.h < 48 ? 2 : 1 });
      files.push(cfg.grid);
    }
    return { count, gl: nn.gl, files };
  } finally {
    opened.close();
  }
}

export function sampleCommand(): Command {
  return new Command('sample')
    .description('generate images with a denoiser from seeded noise; report each nearest training image and the GL score')
    .requiredOption('--data <spec>', 'training set', SAMPLE_DEFAULTS.data)
    .requiredOption('--denoiser <spec>', DENOISER_FORMS, SAMPLE_DEFAULTS.denoiser)
    .option('--sampler <name>', 'euler | heun | closed-form', SAMPLE_DEFAULTS.sampler)
    .option('--steps <n>', 'noise levels of the ρ = 7 schedule', String(SAMPLE_DEFAULTS.steps))
    .option('--seed <n>', 'seed of the starting noise', String(SAMPLE_DEFAULTS.seed))
    .option('--noise <xT.npy>', 'standard-normal starting noise n (x_T = σ_max·n) instead of the seed')
    .option('--count <n>', 'images to generate', String(SAMPLE_DEFAULTS.count))
    .option('--sigma-max <s>', 'starting noise level', String(SAMPLE_DEFAULTS.sigmaMax))
    .requiredOption('--output <samples.npy>', 'generated images')
    .option('--grid <grid.png>', 'PNG of each sample beside its nearest training image')
    .option('--trajectory <traj.npy>', 'save every iterate: (steps+1)×count×(image shape), x_T first')
    .option('--cache <dir>', "where Gaussian structures are kept ('' for none)", SAMPLE_DEFAULTS.cache)
    .action(async (o) => {
      const sampler = o.sampler as SamplerName;
      if (!['euler', 'heun', 'closed-form'].includes(sampler)) throw new Error(`--sampler must be euler, heun or closed-form, got '${o.sampler}'`);
      const cfg: SampleConfig = {
        data: o.data,
        denoiser: o.denoiser,
        sampler,
        steps: numberFlag('steps', o.steps, { integer: true, min: 1 }),
        seed: numberFlag('seed', o.seed, { integer: true, min: 0 }),
        noise: o.noise ?? null,
        count: numberFlag('count', o.count, { integer: true, min: 1 }),
        sigmaMax: numberFlag('sigma-max', o.sigmaMax, { positive: true }),
        output: o.output,
        grid: o.grid ?? null,
        trajectory: o.trajectory ?? null,
        cache: o.cache,
      };
      const r = await runSample(cfg);
      process.stdout.write(`${JSON.stringify({ count: r.count, gl: r.gl, files: r.files })}\n`);
      phase(`${r.count} samples, GL = ${r.gl.toFixed(4)} (eq 14: > 0.6 generalises, ≈ 0 replays training images)`);
    });
}
