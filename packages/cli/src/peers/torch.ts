// PyTorch peer of the training benchmark: torch_unet.py (the same SongUNet, EDM loss, Adam and EMA) on the CPU, run
// by the first python3 that imports torch (the one on PATH, then Debian's /usr/bin/python3, where python3-torch
// installs). Absent torch is not an error: the result says why the peer was skipped.
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

export interface TorchTrainTiming {
  what: string;
  parameters: number; // trainable parameters of torch's network (must equal ours)
  steps: number;
  msPerStep: number;
  imagesPerSec: number;
}

export type TorchResult = { ok: true; python: string; version: string; threads: number; results: TorchTrainTiming[] } | { ok: false; reason: string };

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

/** Times the jobs in one python process with torch.set_num_threads(threads). */
export function torchTrainTimings(jobs: TorchTrainJob[], threads: number): TorchResult {
  const found = findTorchPython();
  if ('reason' in found) return { ok: false, reason: found.reason };
  const r = spawnSync(found.python, [SCRIPT, JSON.stringify(jobs), String(threads)], { encoding: 'utf8', timeout: 120 * 60_000, maxBuffer: 16 << 20 });
  if (r.status !== 0) return { ok: false, reason: `${found.python} ${SCRIPT} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { version: string; threads: number; results: TorchTrainTiming[] };
    return { ok: true, python: found.python, ...out };
  } catch {
    return { ok: false, reason: `${SCRIPT} printed no JSON result` };
  }
}
