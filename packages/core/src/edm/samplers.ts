// EDM samplers on the GPU: Euler (eq 4) and Heun (EDM Algorithm 1, deterministic), for any
// denoiser; every step is recorded into the command stream, nothing is read back unless asked.
import { axpby, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import type { Denoiser } from '../denoisers/types.ts';
import { edmSigmas, type ScheduleConfig } from './schedule.ts';

export type StepSampler = 'euler' | 'heun';

export interface SampleStep {
  i: number; // step index (0 = x_T)
  sigma: number; // noise level of x after this step
  x: GpuBuffer; // the current iterate (valid only during the callback)
}

export interface StepSamplerOptions extends Partial<ScheduleConfig> {
  sampler: StepSampler;
  onStep?: (s: SampleStep) => void | Promise<void>; // e.g. to save a trajectory
}

/**
 * Integrates the probability-flow ODE from x_T (b×d, already at σ_max) down to σ = 0 and
 * returns a new buffer holding x_0. Heun adds the trapezoid correction on every step but the last.
 */
export async function sampleOde(gpu: Gpu, denoiser: Denoiser, xT: GpuBuffer, b: number, opts: StepSamplerOptions): Promise<GpuBuffer> {
  const sigmas = edmSigmas(opts);
  const n = b * denoiser.d;
  let x = gpu.alloc(n, 'sampler-x');
  gpu.copy(xT, x, n);
  const den = gpu.alloc(n, 'sampler-D');
  const d1 = gpu.alloc(n, 'sampler-d1');
  const x2 = opts.sampler === 'heun' ? gpu.alloc(n, 'sampler-x2') : null;
  const d2 = opts.sampler === 'heun' ? gpu.alloc(n, 'sampler-d2') : null;
  let next = gpu.alloc(n, 'sampler-next');
  try {
    await opts.onStep?.({ i: 0, sigma: sigmas[0], x });
    for (let i = 0; i + 1 < sigmas.length; i++) {
      const [s, sn] = [sigmas[i], sigmas[i + 1]];
      const h = sn - s;
      denoiser.denoise(gpu, x, b, s, den);
      // d1 = (x − D(x; σ))/σ, the ODE's direction (eq 2 with σ(t) = t).
      axpby(gpu, 1 / s, x, -1 / s, den, d1, n);
      if (x2 && d2 && sn > 0) {
        // Heun: x' = x + h·d1; d2 = (x' − D(x'; σ'))/σ'; x_next = x + h/2·(d1 + d2).
        axpby(gpu, 1, x, h, d1, x2, n);
        denoiser.denoise(gpu, x2, b, sn, den);
        axpby(gpu, 1 / sn, x2, -1 / sn, den, d2, n);
        axpby(gpu, 1, d1, 1, d2, x2, n); // x2 ← d1 + d2
        axpby(gpu, 1, x, h / 2, x2, next, n);
      } else {
        // Euler step (eq 4): x_next = x + (σ_next − σ)·d1.
        axpby(gpu, 1, x, h, d1, next, n);
      }
      [x, next] = [next, x];
      await opts.onStep?.({ i: i + 1, sigma: sn, x });
    }
    return x;
  } finally {
    for (const buf of [den, d1, x2, d2, next]) buf?.release();
  }
}
