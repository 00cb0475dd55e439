// Benchmarks of shaders/elementwise.wgsl: bandwidth-bound, reported in GB/s.
import type { BenchCase } from './bench.ts';
import { axpby, map } from './elementwise.ts';
import { randomNormal } from './random.ts';

export const elementwiseBenches: BenchCase[] = [1 << 20, 1 << 24].map((n) => ({
  family: 'elementwise',
  name: `axpby n=${n}`,
  bytes: 12 * n,
  flops: 3 * n,
  quick: n === 1 << 20,
  setup(gpu) {
    const [x, y, out] = [gpu.alloc(n), gpu.alloc(n), gpu.alloc(n)];
    randomNormal(gpu, x, { seed: 1 });
    randomNormal(gpu, y, { seed: 2 });
    return { run: () => axpby(gpu, 0.5, x, 2, y, out), dispose: () => [x, y, out].forEach((b) => b.release()) };
  },
}));

elementwiseBenches.push({
  family: 'elementwise',
  name: `map silu n=${1 << 24}`,
  bytes: 8 * (1 << 24),
  setup(gpu) {
    const n = 1 << 24;
    const [x, out] = [gpu.alloc(n), gpu.alloc(n)];
    randomNormal(gpu, x, { seed: 1 });
    return { run: () => map(gpu, 'silu', x, out), dispose: () => [x, out].forEach((b) => b.release()) };
  },
});
