// EDM noise levels (Karras et al. 2022): the ρ = 7 sampling schedule and the preconditioning.

/** Sampling-schedule parameters (formulas.md, "Sampling schedule"). */
export interface ScheduleConfig {
  steps: number; // N noise levels before the final σ = 0
  sigmaMin: number; // smallest nonzero σ
  sigmaMax: number; // starting σ (noise scale of x_T)
  rho: number; // schedule curvature
}

export const SCHEDULE_DEFAULTS: ScheduleConfig = { steps: 10, sigmaMin: 0.002, sigmaMax: 80, rho: 7 };

/**
 * σ_i = (σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ for i < N, then σ_N = 0.
 * With N = 10 this is the paper's list exactly.
 */
export function edmSigmas(cfg: Partial<ScheduleConfig> = {}): number[] {
  const { steps, sigmaMin, sigmaMax, rho } = { ...SCHEDULE_DEFAULTS, ...cfg };
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  if (!(sigmaMin > 0 && sigmaMax >= sigmaMin)) throw new RangeError(`need 0 < sigmaMin ≤ sigmaMax, got ${sigmaMin}, ${sigmaMax}`);
  if (!(rho > 0)) throw new RangeError(`rho must be positive, got ${rho}`);
  const a = sigmaMax ** (1 / rho);
  const b = sigmaMin ** (1 / rho);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(steps === 1 ? sigmaMax : (a + (i / (steps - 1)) * (b - a)) ** rho);
  out.push(0);
  return out;
}

/** The paper's ten noise levels (Appendix: linear distillation and the figures' σ axis). */
export const PAPER_SIGMAS: readonly number[] = edmSigmas({ steps: 10 }).slice(0, 10);

/** EDM preconditioning coefficients (formulas.md), σ_data = 0.5 by default. */
export function precond(sigma: number, sigmaData = 0.5): { cSkip: number; cOut: number; cIn: number; cNoise: number } {
  const s2 = sigma * sigma + sigmaData * sigmaData;
  return {
    cSkip: (sigmaData * sigmaData) / s2,
    cOut: (sigma * sigmaData) / Math.sqrt(s2),
    cIn: 1 / Math.sqrt(s2),
    cNoise: Math.log(sigma) / 4,
  };
}

/** EDM loss weight λ(σ) = (σ² + σ_d²)/(σ·σ_d)². */
export function lossWeight(sigma: number, sigmaData = 0.5): number {
  return (sigma * sigma + sigmaData * sigmaData) / (sigma * sigmaData) ** 2;
}
