// D_M, the multi-delta (empirical optimal) denoiser (eq 5): a softmax over the training images,
// streamed on the GPU by the attention kernel (online max/denominator, no B×N matrix).
import { multiDelta, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import type { Denoiser, DenoiserSpec } from './types.ts';

export class MultiDeltaDenoiser implements Denoiser {
  readonly spec: DenoiserSpec = { kind: 'multi-delta' };

  /** `train` holds the n training images (n×d) on the GPU; the denoiser does not own it. */
  constructor(
    readonly train: GpuBuffer,
    readonly n: number,
    readonly d: number,
  ) {}

  denoise(gpu: Gpu, x: GpuBuffer, b: number, sigma: number, out: GpuBuffer): void {
    multiDelta(gpu, { x, train: this.train, b, n: this.n, d: this.d, sigma, out });
  }

  release(): void {}
}
