// Linear distillation settings (Algorithm 1, formulas.md "Linear distillation"): the paper's ten σ,
// Adam with fresh noise every batch (the reference code's per-σ learning rates, or rates tuned to
// converge in this machine's step budget: the default); or the closed-form least-squares solve of
// (9) as a cross-check. Algorithm 1 exactly as written: lr 'paper', lrScale 1, lrDecay 'none',
// init 'zero', center false (and many more steps).
import { PAPER_SIGMAS } from '../edm/schedule.ts';
import { MAX_DISTILL_SEED } from './sampling.ts';

export type DistillMethod = 'adam' | 'lstsq';

/** Everything distillLinear needs; one field a line. */
export interface DistillConfig {
  sigmas: number[]; // noise levels σ_i, one linear model each (default: the paper's ten)
  method: DistillMethod; // 'adam': Algorithm 1; 'lstsq': normal equations of [x; 1], solved in float64
  steps: number; // adam: optimizer steps per σ
  batch: number; // images per step (adam) or per teacher call (lstsq)
  lr: number[] | 'paper' | 'tuned'; // adam learning rate per σ, of the reparameterised weight w = √d·W: 'paper' (paperLearningRate), 'tuned' (tunedLearningRate) or one per σ
  lrScale: number; // adam: multiplies every learning rate
  lrDecay: 'none' | 'cosine'; // adam: constant learning rate (the paper) or a cosine decay to 0 over the steps
  init: 'zero' | 'mean'; // adam: W = 0 and b = 0 (Algorithm 1) or b = the teacher's mean output on the first batch
  center: boolean; // adam: fit W(x − c) + b' with c the clean images' mean (same model and optimum, better conditioned); false: Algorithm 1 as written
  samples: number; // lstsq: noisy samples in the normal equations per σ (0: 8·(d + 1), at least 2048)
  seed: number; // image order (mulberry32) and noise (Philox) seed, 0 ≤ seed < 2^40
  logEvery: number; // adam: steps between recorded losses (and weight NMSE; one read-back each)
}

export const DISTILL_DEFAULTS = {
  sigmas: [...PAPER_SIGMAS],
  method: 'adam',
  steps: 1000,
  batch: 128,
  lr: 'tuned',
  lrScale: 1,
  lrDecay: 'cosine',
  init: 'mean',
  center: true,
  samples: 0,
  seed: 0,
  logEvery: 25,
} satisfies DistillConfig;

/**
 * The reference code's learning rates (formulas.md), with the input reparameterised as x/√d:
 * 5e-5 for σ ≥ 4.07, 5e-4 for σ ∈ [0.47, 4.07), 5e-3 for σ ∈ [0.117, 0.47), 5e-2 below 0.117
 * (the boundaries are the paper's σ, so its ten levels get exactly its rates).
 */
export function paperLearningRate(sigma: number): number {
  const at = (s: number) => sigma >= s * (1 - 1e-6);
  if (at(PAPER_SIGMAS[4])) return 5e-5;
  if (at(PAPER_SIGMAS[6])) return 5e-4;
  if (at(PAPER_SIGMAS[7])) return 5e-3;
  return 5e-2;
}

/**
 * Learning rates that converge in ~1000 steps of batch 128 here (the paper's are tuned for ~100
 * epochs of a large held-out set: at 1000 steps they leave a weight NMSE of 0.3–0.6 against W_G for
 * σ ∈ [0.47, 4.07] on MNIST 16×16). The entries of the optimal w = √d·W grow like the effective rank
 * Σ λ_k/(λ_k + σ²), about as 1/σ in the middle of the range, so lr = 0.06/σ clamped to [1.5e-3, 0.5]
 * (measured on MNIST 8×8, 16×16 and 28×28 with the Gaussian teacher: weight NMSE ≤ 3e-3 at every
 * paper σ but 0.002, where the ill-conditioned directions leave ~0.1–0.2; 0.02/σ left 0.13 at
 * σ = 0.47 for 28×28).
 */
export function tunedLearningRate(sigma: number): number {
  return Math.min(0.5, Math.max(1.5e-3, 0.06 / sigma));
}

/** The learning rate used at σ_i (lrScale included). */
export function learningRateAt(cfg: DistillConfig, i: number): number {
  const s = cfg.sigmas[i];
  return cfg.lrScale * (cfg.lr === 'paper' ? paperLearningRate(s) : cfg.lr === 'tuned' ? tunedLearningRate(s) : cfg.lr[i]);
}

/** Noisy samples the least-squares solve uses at dimension d. */
export function lstsqSamples(cfg: DistillConfig, d: number): number {
  return cfg.samples > 0 ? cfg.samples : Math.max(2048, 8 * (d + 1));
}

/** Merges over DISTILL_DEFAULTS and validates; throws one message listing every problem. */
export function resolveDistillConfig(partial: Partial<DistillConfig> = {}): DistillConfig {
  const c: DistillConfig = { ...DISTILL_DEFAULTS, sigmas: [...DISTILL_DEFAULTS.sigmas], ...partial } as DistillConfig;
  const errors: string[] = [];
  const int = (k: keyof DistillConfig, min: number): void => {
    const v = c[k] as number;
    if (!Number.isSafeInteger(v) || v < min) errors.push(`${k} = ${v} must be an integer ≥ ${min}`);
  };
  if (!Array.isArray(c.sigmas) || c.sigmas.length < 1 || !c.sigmas.every((s) => typeof s === 'number' && s > 0 && Number.isFinite(s))) {
    errors.push(`sigmas = [${c.sigmas}] must be one or more positive numbers`);
  } else if (new Set(c.sigmas).size !== c.sigmas.length) errors.push(`sigmas = [${c.sigmas}] must not repeat a value`);
  if (c.method !== 'adam' && c.method !== 'lstsq') errors.push(`method = '${c.method}' must be adam or lstsq`);
  int('steps', 1);
  int('batch', 1);
  if (c.lr !== 'paper' && c.lr !== 'tuned') {
    if (!Array.isArray(c.lr) || !c.lr.every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v))) errors.push(`lr must be 'paper', 'tuned' or positive numbers, got ${JSON.stringify(c.lr)}`);
    else if (c.lr.length === 1 && Array.isArray(c.sigmas)) c.lr = c.sigmas.map(() => (c.lr as number[])[0]);
    else if (Array.isArray(c.sigmas) && c.lr.length !== c.sigmas.length) errors.push(`lr has ${c.lr.length} values for ${c.sigmas.length} sigmas (give one, one per σ, 'paper' or 'tuned')`);
  }
  if (c.lrDecay !== 'none' && c.lrDecay !== 'cosine') errors.push(`lrDecay = '${c.lrDecay}' must be none or cosine`);
  if (!(typeof c.lrScale === 'number' && c.lrScale > 0 && Number.isFinite(c.lrScale))) errors.push(`lrScale = ${c.lrScale} must be a positive number`);
  if (c.init !== 'zero' && c.init !== 'mean') errors.push(`init = '${c.init}' must be zero or mean`);
  if (typeof c.center !== 'boolean') errors.push(`center = ${String(c.center)} must be true or false`);
  int('samples', 0);
  if (c.samples > 0 && c.samples < 2) errors.push(`samples = ${c.samples} must be 0 (auto) or ≥ 2`);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0 || c.seed > MAX_DISTILL_SEED) errors.push(`seed = ${c.seed} must be an integer in [0, 2^40)`);
  int('logEvery', 1);
  if (errors.length) throw new RangeError(`distill config: ${errors.join('; ')}`);
  return c;
}
