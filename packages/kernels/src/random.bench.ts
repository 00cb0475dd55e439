// Benchmarks of shaders/random.wgsl: write-bandwidth and ALU bound (Philox rounds), in GB/s.
import type { BenchCase } from './bench.ts';
import { randomNormal } from './random.ts';

export const randomBenches: BenchCase[] = [
  {
    family: 'random',
    name: `normal n=${1 << 24}`,
    bytes: 4 * (1 << 24),
    quick: true,
    setup(gpu) {
      const out = gpu.alloc(1 << 24);
      let offset = 0;
      return { run: () => randomNormal(gpu, out, { seed: 7, offset: offset++ }), dispose: () => out.release() };
    },
  },
];
