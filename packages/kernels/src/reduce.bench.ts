// Benchmarks of shaders/reduce.wgsl: bandwidth-bound, reported in GB/s.
import type { BenchCase } from './bench.ts';
import { reduceRows } from './reduce.ts';
import { randomNormal } from './random.ts';

export const reduceBenches: BenchCase[] = [
  { n: 1 << 24, rows: 1, quick: false },
  { n: 1 << 20, rows: 1, quick: true },
  { n: 784, rows: 10_000, quick: false },
].map(({ n, rows, quick }) => ({
  family: 'reduce',
  name: rows === 1 ? `sum n=${n}` : `row sums ${rows}×${n}`,
  bytes: 4 * n * rows,
  quick,
  setup(gpu) {
    const [x, out] = [gpu.alloc(n * rows), gpu.alloc(rows)];
    randomNormal(gpu, x, { seed: 3 });
    return { run: () => reduceRows(gpu, 'sum', x, out, n, rows), dispose: () => [x, out].forEach((b) => b.release()) };
  },
}));
