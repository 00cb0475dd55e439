// Benchmarks of shaders/adam.wgsl over 10M parameters: bandwidth-bound, reported in GB/s
// (Adam reads param, grad, m, v and writes param, m, v: 28 bytes a parameter; EMA 12).
import type { BenchCase } from './bench.ts';
import { adamStep, emaUpdate } from './adam.ts';
import { randomNormal } from './random.ts';

const n = 10_000_000;

export const adamBenches: BenchCase[] = [
  {
    family: 'adam',
    name: `adam step n=${n}`,
    bytes: 28 * n,
    flops: 16 * n,
    quick: true,
    setup(gpu) {
      const bufs = [gpu.alloc(n, 'param'), gpu.alloc(n, 'grad'), gpu.alloc(n, 'm'), gpu.alloc(n, 'v')];
      const [param, grad, m, v] = bufs;
      randomNormal(gpu, param, { seed: 1 });
      randomNormal(gpu, grad, { seed: 2, std: 0.01 });
      gpu.fill(m, 0);
      gpu.fill(v, 0);
      let step = 0;
      return { run: () => adamStep(gpu, { param, grad, m, v }, { step: ++step, lr: 2e-4 }), dispose: () => bufs.forEach((b) => b.release()) };
    },
  },
  {
    family: 'adam',
    name: `ema n=${n}`,
    bytes: 12 * n,
    setup(gpu) {
      const bufs = [gpu.alloc(n, 'ema'), gpu.alloc(n, 'param')];
      randomNormal(gpu, bufs[0], { seed: 1 });
      randomNormal(gpu, bufs[1], { seed: 2 });
      return { run: () => emaUpdate(gpu, bufs[0], bufs[1], 0.999), dispose: () => bufs.forEach((b) => b.release()) };
    },
  },
];
