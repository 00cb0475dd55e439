// PyTorch peer of the training benchmark: torch_unet.py (the same SongUNet, EDM loss, Adam and EMA) on the CPU, run
// by the first python3 that imports torch (the one on PATH, then Debian's /usr/bin/python3, where python3-torch
// installs). Absent torch is not an error: the result says why the peer was skipped.
// OpenMP's default busy-waiting collapses on a loaded machine (seen here at load ≈ 10 on 2 cores: a 16-channel step
// took 36 s with 2 spinning threads, 1.9 s with one), so the workers wait passively (OMP_WAIT_POLICY=PASSIVE unless
// set) and every job is timed at each requested thread count, the fastest reported: torch at its best.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TrainConfig, UNetConfig } from '@gausslens/core';

/** One training-step job: the network and the optimiser settings of a gausslens run. */
export interface TorchTrainJob extends Pick<TrainConfig, 'batch' | 'lr' | 'lrRampupKimg' | 'adamBetas' | 'adamEps' | 'emaHalflifeKimg' | 'emaRampupRatio' | 'sigmaData' | 'pMean' | 'pStd'> {
  what: string; // the case it is compared with
  unet: UNetConfig;
  warmupSteps: number; // untimed steps first
  steps: number; // timed steps
}

export interface TorchRun {
  threads: number; // torch.set_num_threads
  parameters: number; // trainable parameters of torch's network (must equal ours)
  steps: number;
  msPerStep: number;
  imagesPerSec: number;
}

/** The fastest run of a job, and all its runs. */
export interface TorchTrainTiming extends TorchRun {
  what: string;
  runs: TorchRun[];
}

export type TorchResult = { ok: true; python: string; version: string; results: TorchTrainTiming[] } | { ok: false; reason: string };

const SCRIPT = fileURLToPath(new URL('./torch_unet.py', import.meta.url));
const PYTHONS = ['python3', '/usr/bin/python3'];

/** The first python3 that imports torch, or why none does. */
function findTorchPython(): { python: string } | { reason: string } {
  for (const python of PYTHONS) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { python };
  }
  return { reason: `no python3 imports torch (tried ${PYTHONS.join(', ')}; Debian: apt-get install python3-torch)` };
}

/** Times the jobs in one python process, each at every thread count of `threads` (torch.set_num_threads). */
export function torchTrainTimings(jobs: TorchTrainJob[], threads: number[]): TorchResult {
  const found = findTorchPython();
  if ('reason' in found) return { ok: false, reason: found.reason };
  const env = { OMP_WAIT_POLICY: 'PASSIVE', ...process.env };
  const r = spawnSync(found.python, [SCRIPT, JSON.stringify(jobs), threads.join(',')], { encoding: 'utf8', env, timeout: 120 * 60_000, maxBuffer: 16 << 20 });
  if (r.status !== 0) return { ok: false, reason: `${found.python} ${SCRIPT} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { version: string; results: TorchTrainTiming[] };
    return { ok: true, python: found.python, ...out };
  } catch {
    return { ok: false, reason: `${SCRIPT} printed no JSON result` };
  }
}
