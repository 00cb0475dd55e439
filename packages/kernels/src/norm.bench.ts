// Benchmarks of shaders/norm.wgsl at a U-Net block's size: bandwidth-bound, reported in GB/s
// (bytes = the minimum traffic: forward reads x and writes y, backward reads x, dy and writes dx).
import type { BenchCase } from './bench.ts';
import { groupNorm, groupNormBackward, type GroupNormShape } from './norm.ts';
import { randomNormal, randomUniform } from './random.ts';

const shape: GroupNormShape = { batch: 64, channels: 64, groups: 32, height: 32, width: 32 };
const n = shape.batch * shape.channels * shape.height * shape.width;
const size = `B=${shape.batch} C=${shape.channels} ${shape.height}×${shape.width} G=${shape.groups}`;

function buffers(gpu: Parameters<BenchCase['setup']>[0]) {
  const x = gpu.alloc(n, 'x');
  const dy = gpu.alloc(n, 'dy');
  const out = gpu.alloc(n, 'out');
  const gamma = gpu.alloc(shape.channels, 'gamma');
  const beta = gpu.alloc(shape.channels, 'beta');
  const dgamma = gpu.alloc(shape.channels, 'dgamma');
  const dbeta = gpu.alloc(shape.channels, 'dbeta');
  const mean = gpu.alloc(shape.batch * shape.groups, 'mean');
  const rstd = gpu.alloc(shape.batch * shape.groups, 'rstd');
  randomNormal(gpu, x, { seed: 1, mean: 0.5, std: 2 });
  randomNormal(gpu, dy, { seed: 2 });
  randomUniform(gpu, gamma, { seed: 3, mean: 0.5 });
  randomNormal(gpu, beta, { seed: 4, std: 0.1 });
  groupNorm(gpu, { x, gamma, beta, out, mean, rstd }, shape, { fuseSilu: true });
  const all = [x, dy, out, gamma, beta, dgamma, dbeta, mean, rstd];
  return { x, dy, out, gamma, beta, dgamma, dbeta, mean, rstd, dispose: () => all.forEach((b) => b.release()) };
}

export const normBenches: BenchCase[] = [
  {
    family: 'norm',
    name: `group norm+SiLU fwd ${size}`,
    bytes: 8 * n,
    quick: true,
    setup(gpu) {
      const b = buffers(gpu);
      return { run: () => groupNorm(gpu, b, shape, { fuseSilu: true }), dispose: b.dispose };
    },
  },
  {
    family: 'norm',
    name: `group norm+SiLU bwd ${size}`,
    bytes: 12 * n,
    setup(gpu) {
      const b = buffers(gpu);
      return { run: () => groupNormBackward(gpu, { ...b, dx: b.out }, shape, { fuseSilu: true }), dispose: b.dispose };
    },
  },
];
