// gausslens train: an EDM U-Net on WebGPU (preconditioning, loss, Adam, EMA, checkpoints, resume).
// Every TrainConfig field is a flag (camelCase → --kebab-case), so the run's config.json and the
// command line say the same thing.
import { Command } from 'commander';
import { join } from 'node:path';
import { train, resolveTrainConfig, TRAIN_DEFAULTS, writeImageGrid, type TrainConfig, type TrainResult } from '@gausslens/core';
import { getDevice, randomNormal } from '@gausslens/kernels';
import { phase } from '../util/progress.ts';
import { generate } from './sample.ts';

type Kind = 'number' | 'int' | 'list' | 'pair' | 'string' | 'bool';

/** Flag table: field, kind, help. Defaults come from TRAIN_DEFAULTS. */
const FLAGS: [keyof TrainConfig, Kind, string][] = [
  ['runDir', 'string', 'output directory (config.json, checkpoint.safetensors, samples)'],
  ['data', 'string', "training images: a data spec, e.g. 'mnist:1000?resize=32'"],
  ['arch', 'string', 'U-Net flavour: ncsnpp (the paper’s EDM-VE) or ddpmpp'],
  ['channels', 'int', 'base channel count (the paper sweeps 4 … 128)'],
  ['channelMult', 'list', 'channel multiplier per resolution, e.g. 1,2,2,2'],
  ['numBlocks', 'int', 'residual blocks per resolution'],
  ['attnResolutions', 'list', 'resolutions with self-attention, e.g. 16'],
  ['dropout', 'number', 'dropout probability'],
  ['augmentDim', 'int', 'augmentation-label width (9 reproduces the paper’s parameter counts)'],
  ['sigmaData', 'number', 'σ_data of the preconditioning'],
  ['pMean', 'number', 'mean of ln σ in training'],
  ['pStd', 'number', 'standard deviation of ln σ in training'],
  ['batch', 'int', 'images per step'],
  ['steps', 'int', 'optimizer steps in total'],
  ['lr', 'number', 'Adam learning rate after the ramp-up'],
  ['lrRampupKimg', 'number', 'learning-rate ramp-up [thousands of images]'],
  ['adamBetas', 'pair', 'Adam β1,β2'],
  ['adamEps', 'number', 'Adam ε'],
  ['emaHalflifeKimg', 'number', 'EMA half-life [thousands of images]'],
  ['emaRampupRatio', 'number', 'EMA ramp-up ratio (0 disables)'],
  ['seed', 'int', 'seed of weights, data order, σ, noise and dropout'],
  ['checkpointEvery', 'int', 'steps between checkpoints (0: only at the end)'],
  ['sampleEvery', 'int', 'steps between sample grids from fixed noise (0: never)'],
  ['progressEvery', 'int', 'steps between progress lines'],
];

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function parseFlag(name: string, kind: Kind, v: string): unknown {
  const num = (x: string): number => {
    const n = Number(x);
    if (x.trim() === '' || !Number.isFinite(n)) throw new Error(`--${kebab(name)} must be a number, got '${x}'`);
    return n;
  };
  switch (kind) {
    case 'number':
    case 'int':
      return num(v);
    case 'list':
      return v.trim() === '' ? [] : v.split(',').map(num);
    case 'pair': {
      const p = v.split(',').map(num);
      if (p.length !== 2) throw new Error(`--${kebab(name)} needs two numbers, e.g. 0.9,0.999`);
      return p;
    }
    default:
      return v;
  }
}

const fmtEta = (s: number): string => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

/** Trains (or resumes) one run with progress lines and sample grids; what `gausslens train` and the sweep cells run. */
export async function runTrain(cfg: TrainConfig): Promise<TrainResult> {
  phase(`training ${cfg.arch} with ${cfg.channels} channels on ${cfg.data} for ${cfg.steps} steps of ${cfg.batch} → ${cfg.runDir}`);
  const gpu = await getDevice();
  let fixedNoise: { buf: ReturnType<typeof gpu.alloc>; count: number } | null = null;
  const result = await train(cfg, {
    onProgress: (p) => {
      process.stderr.write(`step ${p.step}/${p.steps} | ${p.imagesPerSec.toFixed(1)} img/s | loss ${p.loss.toFixed(4)} | lr ${p.lr.toExponential(2)} | ETA ${fmtEta(p.etaSec)}\n`);
    },
    onSample: async ({ step, ema }) => {
      const count = 16;
      fixedNoise ??= { buf: gpu.alloc(count * ema.d, 'train-fixed-noise'), count };
      randomNormal(gpu, fixedNoise.buf, { seed: cfg.seed + 1, std: 80 }, count * ema.d);
      const x = await generate(gpu, ema, 'heun', fixedNoise.buf, count, 18, 80, `samples at step ${step}`);
      const [c, h, w] = [ema.config.unet.inChannels, ema.config.unet.resolution, ema.config.unet.resolution];
      await writeImageGrid(join(cfg.runDir, `samples-${String(step).padStart(7, '0')}.png`), x, { n: count, c, h, w }, { cols: 4, scale: h < 48 ? 2 : 1 });
    },
    onCheckpoint: ({ step, path }) => phase(`checkpoint at step ${step}: ${path}`),
  });
  (fixedNoise as { buf: { release(): void } } | null)?.buf.release();
  phase(`done: ${result.step} steps, ${result.nimg} images${result.resumedFrom !== null ? ` (resumed from step ${result.resumedFrom})` : ''}; checkpoint ${result.checkpoint}`);
  return result;
}

export function trainCommand(): Command {
  const cmd = new Command('train').description('train an EDM U-Net on WebGPU; resumable, with checkpoints and sample grids');
  for (const [field, , help] of FLAGS) {
    const def = TRAIN_DEFAULTS[field as keyof typeof TRAIN_DEFAULTS] as unknown;
    cmd.option(`--${kebab(field)} <value>`, help, Array.isArray(def) ? def.join(',') : String(def));
  }
  cmd.option('--out <dir>', 'same as --run-dir');
  cmd.option('--no-resume', 'start over even if the run directory holds a checkpoint');
  cmd.option('--dry-run', 'print the resolved config and exit');
  cmd.action(async (o: Record<string, string | boolean | undefined>) => {
    const partial: Record<string, unknown> = {};
    for (const [field, kind] of FLAGS) {
      const v = o[field];
      if (typeof v === 'string') partial[field] = parseFlag(field, kind, v);
    }
    if (typeof o.out === 'string') partial.runDir = o.out;
    partial.resume = o.resume !== false;
    const cfg = resolveTrainConfig(partial as Partial<TrainConfig>);
    if (o.dryRun) {
      process.stdout.write(`${JSON.stringify(cfg, null, 2)}\n`);
      return;
    }
    await runTrain(cfg);
  });
  return cmd;
}
