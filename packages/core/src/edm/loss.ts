// EDM training loss (Karras et al. 2022, eq. 2 and Table 1; NVlabs/edm training/loss.py EDMLoss):
// ln σ ~ N(P_mean, P_std²), n ~ N(0, σ²I), loss = λ(σ)·‖D(y + n; σ) − y‖², λ(σ) = (σ² + σ_d²)/(σ·σ_d)²,
// summed over pixels and averaged over the batch (EDM's loss.sum()·(1/batch)).
// Randomness is Philox: σ on the host (float64, the same stream as the GPU's randomNormal), the
// noise on the GPU, each from an explicit stream offset.
import { randomNormal, randomNormalRef, type Gpu } from '@gausslens/kernels';
import * as op from '../autograd/index.ts';
import { empty, fromArray, type Tensor } from '../autograd/index.ts';
import type { ForwardContext } from '../nn/layers.ts';
import { lossWeight } from './schedule.ts';
import { precondTensors, type EdmNetwork } from './network.ts';

/** The training noise distribution. */
export interface LossConfig {
  pMean: number; // mean of ln σ
  pStd: number; // standard deviation of ln σ
  sigmaData: number; // σ_data of the preconditioning and of λ(σ)
}

export const LOSS_DEFAULTS: LossConfig = { pMean: -1.2, pStd: 1.2, sigmaData: 0.5 };

/** σ_i = exp(P_mean + P_std·z_i), z from Philox (seed, offset): n values in float64. */
export function sampleSigmas(n: number, seed: number, offset: number, cfg: LossConfig = LOSS_DEFAULTS): Float64Array {
  const z = randomNormalRef(n, seed, offset, cfg.pMean, cfg.pStd);
  return z.map(Math.exp);
}

/**
 * Records the EDM loss of `net` on clean images y [N, C, H, W] at per-sample noise levels σ
 * (host float64), with unit noise drawn from Philox (seed, noiseOffset) and scaled by σ.
 */
export function edmLoss(net: EdmNetwork, y: Tensor, sigmas: ArrayLike<number>, noise: { seed: number; offset: number }, ctx: ForwardContext, cfg: LossConfig = LOSS_DEFAULTS): Tensor {
  const gpu: Gpu = y.gpu;
  const N = y.shape[0];
  const d = y.size / N;
  if (sigmas.length !== N) throw new RangeError(`edmLoss: ${sigmas.length} noise levels for ${N} images`);
  // n ~ N(0, σ²I): unit normals scaled per sample; x = y + n (no gradient).
  const unit = empty(gpu, y.shape, 'noise');
  randomNormal(gpu, unit.buf, { seed: noise.seed, offset: noise.offset }, y.size);
  const sigma = fromArray(gpu, Float32Array.from(sigmas), [N], { label: 'sigma' });
  const x = op.add(y, op.mulBroadcast(unit, sigma, d));
  // λ(σ)/N per sample, so the sum over the batch is EDM's mean over images.
  const w = fromArray(gpu, Float32Array.from(sigmas, (s) => lossWeight(s, cfg.sigmaData) / N), [N], { label: 'loss-weight' });
  const D = net.forward(x, precondTensors(gpu, sigmas, cfg.sigmaData), ctx);
  const r = op.sub(D, y);
  return op.sum(op.mul(op.sumRows(op.mul(r, r), d), w));
}
