// Benchmarks of shaders/covariance.wgsl: the data sets' covariance (MNIST-, CIFAR-sized) and the Gram form.
import type { BenchCase } from './bench.ts';
import { covariance, gram } from './covariance.ts';
import { randomNormal } from './random.ts';

function covCase(n: number, d: number, kind: 'covariance' | 'gram', quick = false): BenchCase {
  // A SYRK computes one triangle: n·d·(d+1) multiply–adds for Σ, d·n·(n+1) for G.
  const flops = kind === 'covariance' ? n * d * (d + 1) : d * n * (n + 1);
  return {
    family: 'covariance',
    name: `${kind} N=${n} d=${d}`,
    flops,
    bytes: 4 * (n * d + (kind === 'covariance' ? d * d : n * n)),
    quick,
    setup(gpu) {
      const data = gpu.alloc(n * d, 'bench-data');
      randomNormal(gpu, data, { seed: 5 });
      let last: { release(): void } | null = null;
      return {
        run: () => {
          last?.release();
          last = kind === 'covariance' ? covariance(gpu, { data, n, d }) : gram(gpu, { data, n, d });
        },
        dispose: () => {
          last?.release();
          data.release();
        },
      };
    },
  };
}

export const covarianceBenches: BenchCase[] = [covCase(2000, 784, 'covariance', true), covCase(10000, 784, 'covariance'), covCase(2000, 3072, 'covariance'), covCase(1000, 3072, 'gram')];
