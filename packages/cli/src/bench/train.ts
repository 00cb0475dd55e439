// `gausslens bench --family train`: images/s of whole EDM training steps (forward + backward + Adam + EMA, core's
// timeTrainSteps over edm/train.ts) of the NCSN++ SongUNet that `gausslens train` trains, and the same step in PyTorch
// on the CPU (peers/torch_unet.py) in the same run, with both networks' parameter counts.
import { cpus } from 'node:os';
import { timeTrainSteps, resolveTrainConfig, networkConfigFor, type TrainConfig } from '@gausslens/core';
import type { ProfileRow } from '@gausslens/kernels';
import { torchTrainTimings, type TorchTrainJob } from '../peers/torch.ts';

export interface TrainBenchCase {
  name: string;
  train: Partial<TrainConfig>; // over TRAIN_DEFAULTS (NCSN++, EDM's optimiser settings)
  resolution: number; // image side [pixels]
  imageChannels: number; // 1: MNIST-like
  steps: number; // timed steps at most (--repeats caps them); one step at 32 channels, batch 64 takes 30–140 s on lavapipe here
  quick?: boolean;
}

export interface TrainBenchResult {
  name: string;
  parameters: number; // trainable parameters of our network
  batch: number;
  steps: number; // timed steps
  msPerStep: number;
  imagesPerSec: number;
  profile?: ProfileRow[]; // with --profile: GPU time by kernel of one extra step
}

export interface TrainPeerResult {
  name: string; // our case
  peer: string; // 'torch-cpu'
  parameters: number; // the peer network's trainable parameters
  imagesPerSec: number; // at the fastest thread count
  threads: number; // that thread count
  runs: { threads: number; imagesPerSec: number }[]; // every thread count tried
  ratio: number; // ours / peer images per second (> 1: gausslens is faster)
}

export const TRAIN_BENCHES: TrainBenchCase[] = [
  { name: 'train step NCSN++ c16 32×32×1 batch 64', train: { channels: 16, batch: 64 }, resolution: 32, imageChannels: 1, steps: 3 },
  { name: 'train step NCSN++ c32 32×32×1 batch 64', train: { channels: 32, batch: 64 }, resolution: 32, imageChannels: 1, steps: 2 },
  // Small enough for a smoke test: two levels, one block each.
  { name: 'train step NCSN++ c8 16×16×1 batch 4 (2 levels, 1 block)', train: { channels: 8, batch: 4, channelMult: [1, 2], numBlocks: 1, attnResolutions: [8] }, resolution: 16, imageChannels: 1, steps: 1, quick: true },
];

const WARMUP_STEPS = 1;

/** Times the cases (after one warm-up step each) and, with peers, the same steps in PyTorch. */
export async function benchTrain(
  cases: TrainBenchCase[],
  opts: { repeats: number; peers: boolean; profile?: boolean },
  log: (line: string) => void,
): Promise<{ results: TrainBenchResult[]; peers: TrainPeerResult[]; notes: string[] }> {
  const results: TrainBenchResult[] = [];
  const jobs: TorchTrainJob[] = [];
  for (const c of cases) {
    const steps = Math.min(c.steps, opts.repeats);
    const r = await timeTrainSteps({ train: c.train, resolution: c.resolution, imageChannels: c.imageChannels, warmupSteps: WARMUP_STEPS, steps, profile: opts.profile });
    results.push({ name: c.name, parameters: r.parameters, batch: r.batch, steps, msPerStep: r.msPerStep, imagesPerSec: r.imagesPerSec, profile: r.profile ?? undefined });
    log(`train        ${c.name.padEnd(34)} ${r.msPerStep.toFixed(0).padStart(9)} ms a step  ${r.imagesPerSec.toFixed(2)} images/s  (${r.parameters} parameters)`);
    if (r.profile) {
      const total = r.profile.reduce((t, x) => t + x.ms, 0);
      log(`  GPU time of one step by kernel (each dispatch timed on its own: ${total.toFixed(0)} ms in all):`);
      for (const x of r.profile.slice(0, 12)) log(`  ${x.kernel.padEnd(32)} ${String(x.calls).padStart(5)} calls ${x.ms.toFixed(1).padStart(9)} ms ${(100 * x.share).toFixed(1).padStart(5)} %`);
    }
    const t = resolveTrainConfig(c.train);
    jobs.push({
      what: c.name, unet: networkConfigFor(t, c.imageChannels, c.resolution).unet, warmupSteps: WARMUP_STEPS, steps,
      batch: t.batch, lr: t.lr, lrRampupKimg: t.lrRampupKimg, adamBetas: t.adamBetas, adamEps: t.adamEps,
      emaHalflifeKimg: t.emaHalflifeKimg, emaRampupRatio: t.emaRampupRatio, sigmaData: t.sigmaData, pMean: t.pMean, pStd: t.pStd,
    });
  }
  const peers: TrainPeerResult[] = [];
  const notes: string[] = [];
  if (opts.peers && jobs.length) {
    const threads = [...new Set([Math.min(2, cpus().length), 1])];
    const torch = torchTrainTimings(jobs, threads);
    if (!torch.ok) notes.push(`PyTorch peer skipped: ${torch.reason}`);
    else {
      notes.push(`PyTorch ${torch.version} on the CPU (${torch.python}, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}), the same SongUNet, EDM loss, Adam and EMA, timed with torch.set_num_threads(${threads.join(') and (')}); the faster counts`);
      for (const t of torch.results) {
        const ours = results.find((r) => r.name === t.what) as TrainBenchResult;
        const runs = t.runs.map((x) => ({ threads: x.threads, imagesPerSec: x.imagesPerSec }));
        peers.push({ name: t.what, peer: 'torch-cpu', parameters: t.parameters, imagesPerSec: t.imagesPerSec, threads: t.threads, runs, ratio: ours.imagesPerSec / t.imagesPerSec });
        if (t.parameters !== ours.parameters) notes.push(`PARAMETER COUNTS DIFFER for ${t.what}: ours ${ours.parameters}, torch ${t.parameters}`);
        const each = runs.map((x) => `${x.threads} thread${x.threads > 1 ? 's' : ''}: ${x.imagesPerSec.toFixed(2)}`).join(', ');
        log(`peer torch-cpu ${t.what.padEnd(34)} ${t.msPerStep.toFixed(0).padStart(9)} ms a step  ${t.imagesPerSec.toFixed(2)} images/s (${each})  (${t.parameters} parameters)  ratio ${(ours.imagesPerSec / t.imagesPerSec).toFixed(2)}×`);
      }
    }
  }
  return { results, peers, notes };
}
