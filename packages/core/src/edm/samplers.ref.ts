// Float64 references of the EDM samplers, for tests: the same steps on plain arrays.
import { edmSigmas, type ScheduleConfig } from './schedule.ts';

export type DenoiserRef = (x: Float64Array, sigma: number) => Float64Array;

export function sampleOdeRef(denoise: DenoiserRef, xT: ArrayLike<number>, sampler: 'euler' | 'heun', cfg: Partial<ScheduleConfig> = {}): Float64Array {
  const sigmas = edmSigmas(cfg);
  let x = Float64Array.from(xT);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const [s, sn] = [sigmas[i], sigmas[i + 1]];
    const D = denoise(x, s);
    const d1 = x.map((v, j) => (v - D[j]) / s);
    const xe = x.map((v, j) => v + (sn - s) * d1[j]);
    if (sampler === 'heun' && sn > 0) {
      const D2 = denoise(xe, sn);
      x = x.map((v, j) => v + ((sn - s) / 2) * (d1[j] + (xe[j] - D2[j]) / sn));
    } else x = xe;
  }
  return x;
}
