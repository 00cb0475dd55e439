// Benchmarks of shaders/gemm.wgsl: square sizes (with TF.js and NumPy matmul as peers), a skinny
// matrix-vector product and the Gaussian denoiser's shape (batch × d × rank).
import type { BenchCase } from './bench.ts';
import { gemm, gemmFlops } from './gemm.ts';
import { randomNormal } from './random.ts';

function gemmCase(m: number, n: number, k: number, opts: { quick?: boolean; peer?: boolean; label?: string } = {}): BenchCase {
  return {
    family: 'gemm',
    name: opts.label ?? `gemm ${m}×${n}×${k}`,
    flops: gemmFlops(m, n, k),
    bytes: 4 * (m * k + k * n + m * n),
    quick: opts.quick,
    peer: opts.peer ? { kind: 'matmul', m, n, k } : undefined,
    setup(gpu) {
      const [a, b, c] = [gpu.alloc(m * k, 'bench-a'), gpu.alloc(k * n, 'bench-b'), gpu.alloc(m * n, 'bench-c')];
      randomNormal(gpu, a, { seed: 1 });
      randomNormal(gpu, b, { seed: 2 });
      return { run: () => gemm(gpu, { a, b, c, m, n, k }), dispose: () => [a, b, c].forEach((x) => x.release()) };
    },
  };
}

export const gemmBenches: BenchCase[] = [
  gemmCase(256, 256, 256, { quick: true, peer: true }),
  gemmCase(1024, 1024, 1024, { peer: true }),
  gemmCase(2048, 2048, 2048, { peer: true }),
  gemmCase(1, 4096, 4096, { quick: true, label: 'gemv 1×4096×4096' }),
  gemmCase(64, 784, 784, { label: 'D_G shape 64×784×784' }),
];
