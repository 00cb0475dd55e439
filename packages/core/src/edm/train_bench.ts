// Training throughput: times whole optimizer steps of `train` (edm/train.ts; EDM loss, backward, Adam and the EMA,
// as a real run does them) on synthetic images, for `gausslens bench --family train`. A warm-up run of its own
// (pipeline compilation, buffer pool) precedes the timed run; both write into a temporary run directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUniformRef, getDevice, type ProfileRow } from '@gausslens/kernels';
import { unetParamCount } from '../nn/unet.ts';
import { networkConfigFor, resolveTrainConfig, train, type TrainConfig } from './train.ts';
import type { NetworkConfig } from './network.ts';

/** What to time. */
export interface TrainTiming {
  train: Partial<TrainConfig>; // the run's settings over TRAIN_DEFAULTS (channels, batch, …)
  resolution: number; // image side [pixels]
  imageChannels: number; // colour channels of the images (1: MNIST)
  warmupSteps: number; // untimed steps first (a separate run: compiles every pipeline)
  steps: number; // timed steps (one run, progress reported once at its end, as training pipelines them)
  profile?: boolean; // then one more step with every dispatch timed by kernel (Gpu.startProfile)
}

export interface TrainTimingResult {
  network: NetworkConfig; // the network that was trained
  parameters: number; // its trainable parameters
  batch: number;
  steps: number; // timed steps
  msPerStep: number; // wall clock of one step (GPU work and the loss read-back included)
  imagesPerSec: number;
  profile: ProfileRow[] | null; // GPU time by kernel of one extra step, when asked (largest first)
}

/** Times `steps` optimizer steps of `train` after `warmupSteps` (synthetic images in [-1, 1], fixed seed). */
export async function timeTrainSteps(t: TrainTiming): Promise<TrainTimingResult> {
  if (!Number.isInteger(t.steps) || t.steps < 1) throw new RangeError(`timeTrainSteps: steps = ${t.steps} must be a positive integer`);
  if (!Number.isInteger(t.warmupSteps) || t.warmupSteps < 0) throw new RangeError(`timeTrainSteps: warmupSteps = ${t.warmupSteps} must be an integer ≥ 0`);
  const runDir = await mkdtemp(join(tmpdir(), 'gausslens-train-bench-'));
  try {
    const base = resolveTrainConfig({ ...t.train, runDir, resume: false, checkpointEvery: 0, sampleEvery: 0 });
    const n = base.batch;
    const d = t.imageChannels * t.resolution * t.resolution;
    const images = Float32Array.from(randomUniformRef(n * d, 12345, 0, -1, 2));
    const dataset = { images, n, c: t.imageChannels, h: t.resolution, w: t.resolution };
    if (t.warmupSteps > 0) await train({ ...base, steps: t.warmupSteps, progressEvery: t.warmupSteps }, { dataset });
    let imagesPerSec = 0;
    await train({ ...base, steps: t.steps, progressEvery: t.steps }, {
      dataset,
      onProgress: (p) => {
        imagesPerSec = p.imagesPerSec;
      },
    });
    let profile: ProfileRow[] | null = null;
    if (t.profile) {
      const gpu = await getDevice();
      gpu.startProfile();
      await train({ ...base, steps: 1, progressEvery: 1 }, { dataset });
      profile = await gpu.stopProfile();
    }
    const network = networkConfigFor(base, t.imageChannels, t.resolution);
    return { network, parameters: unetParamCount(network.unet), batch: n, steps: t.steps, msPerStep: (1000 * n) / imagesPerSec, imagesPerSec, profile };
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}
