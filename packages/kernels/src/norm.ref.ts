// Float64 references for shaders/norm.wgsl: group norm (optionally → SiLU), forward and analytic backward.
import type { GroupNormShape } from './norm.ts';

export interface GroupNormRefOptions {
  eps?: number;
  fuseSilu?: boolean;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Forward: out (B·C·H·W), and per-(b, g) mean and rstd = 1/√(var + eps) (biased variance). */
export function groupNormRef(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, s: GroupNormShape, opts: GroupNormRefOptions = {}): { out: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const eps = opts.eps ?? 1e-5;
  const cg = s.channels / s.groups;
  const hw = s.height * s.width;
  const n = cg * hw;
  const rows = s.batch * s.groups;
  const out = new Float64Array(rows * n);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += x[base + j];
    const mu = sum / n;
    let sq = 0;
    for (let j = 0; j < n; j++) sq += (x[base + j] - mu) ** 2;
    const rs = 1 / Math.sqrt(sq / n + eps);
    mean[r] = mu;
    rstd[r] = rs;
    const c0 = (r % s.groups) * cg;
    for (let j = 0; j < n; j++) {
      const c = c0 + Math.floor(j / hw);
      const z = gamma[c] * (x[base + j] - mu) * rs + beta[c];
      out[base + j] = opts.fuseSilu ? z * sigmoid(z) : z;
    }
  }
  return { out, mean, rstd };
}

/** Backward from dy: dx, and dγ, dβ summed over batch and space (statistics recomputed in float64). */
export function groupNormBackwardRef(x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, s: GroupNormShape, opts: GroupNormRefOptions = {}): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const { mean, rstd } = groupNormRef(x, gamma, beta, s, opts);
  const cg = s.channels / s.groups;
  const hw = s.height * s.width;
  const n = cg * hw;
  const rows = s.batch * s.groups;
  const dx = new Float64Array(rows * n);
  const dgamma = new Float64Array(s.channels);
  const dbeta = new Float64Array(s.channels);
  const xh = new Float64Array(n);
  const dz = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const c0 = (r % s.groups) * cg;
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < n; j++) {
      const c = c0 + Math.floor(j / hw);
      xh[j] = (x[base + j] - mean[r]) * rstd[r];
      let g = dy[base + j];
      if (opts.fuseSilu) {
        const z = gamma[c] * xh[j] + beta[c];
        const sg = sigmoid(z);
        g *= sg * (1 + z * (1 - sg));
      }
      dz[j] = g;
      dbeta[c] += g;
      dgamma[c] += g * xh[j];
      m1 += gamma[c] * g;
      m2 += gamma[c] * g * xh[j];
    }
    m1 /= n;
    m2 /= n;
    for (let j = 0; j < n; j++) {
      const c = c0 + Math.floor(j / hw);
      dx[base + j] = rstd[r] * (gamma[c] * dz[j] - m1 - xh[j] * m2);
    }
  }
  return { dx, dgamma, dbeta };
}
