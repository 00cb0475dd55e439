// Benchmarks of the conv2d family (shaders/conv2d.wgsl, conv2d_sg.wgsl): the U-Net's 3×3 convolutions at batch 64,
// forward, backward data and backward weight (+ bias), each 2·b·h·w·cout·cin·9 flops. Each shape also times our
// GEMM at exactly the same FLOPs (the most cube-like m×n×k with m·n·k = b·h·w·cout·cin·9), the reference the
// passes' GFLOP/s are compared with, and names the TF.js conv2d peer (the same pass and shape).
import type { BenchCase } from './bench.ts';
import type { GpuBuffer } from './buffers.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardWeight, conv2dFlops, type Conv2dShape } from './conv2d.ts';
import { gemm, gemmFlops } from './gemm.ts';
import { randomNormal } from './random.ts';

type Pass = 'forward' | 'backward data' | 'backward weight';

function convCase(pass: Pass, s: Conv2dShape, reference: string, quick: boolean): BenchCase {
  const { b, cin, cout, h: hw } = s;
  const nx = b * cin * hw * hw;
  const ny = b * cout * hw * hw;
  const nw = cout * cin * 9;
  return {
    family: 'conv2d',
    name: `conv2d ${pass} ${b}×${cin}×${hw}×${hw}→${cout} 3×3`,
    flops: conv2dFlops(s),
    bytes: 4 * (nx + ny + nw),
    quick,
    reference,
    peer: { kind: 'conv2d', pass, ...s },
    setup(gpu) {
      const x = gpu.alloc(nx, 'bench-x');
      const y = gpu.alloc(ny, 'bench-y');
      const w = gpu.alloc(nw, 'bench-w');
      const bias = gpu.alloc(cout, 'bench-bias');
      [x, y, w, bias].forEach((buf, i) => randomNormal(gpu, buf, { seed: i + 1 }));
      const bufs: GpuBuffer[] = [x, y, w, bias];
      let run: () => void;
      if (pass === 'forward') run = () => conv2d(gpu, { x, w, bias, out: y, ...s });
      else if (pass === 'backward data') run = () => conv2dBackwardData(gpu, { dy: y, w, dx: x, ...s });
      else {
        const dw = gpu.alloc(nw, 'bench-dw');
        const db = gpu.alloc(cout, 'bench-db');
        bufs.push(dw, db);
        run = () => conv2dBackwardWeight(gpu, { x, dy: y, dw, dbias: db, ...s });
      }
      return { run, dispose: () => bufs.forEach((buf) => buf.release()) };
    },
  };
}

/** m ≤ n ≤ k with m·n·k = t, as close to a cube as t's divisors allow (largest/smallest minimal). */
export function cubeFactors(t: number): [number, number, number] {
  const divisors = (v: number): number[] => {
    const out: number[] = [];
    for (let d = 1; d * d <= v; d++) if (v % d === 0) out.push(d, v / d);
    return out;
  };
  let best: [number, number, number] = [1, 1, t];
  for (const m of divisors(t)) {
    if (m ** 3 > t) continue;
    for (const n of divisors(t / m)) {
      const k = t / m / n;
      if (n < m || k < n) continue;
      if (k / m < best[2] / best[0]) best = [m, n, k];
    }
  }
  return best;
}

function gemmCase(s: Conv2dShape, quick: boolean): BenchCase {
  const [m, n, k] = cubeFactors(conv2dFlops(s) / 2);
  return {
    family: 'conv2d',
    name: `gemm ${m}×${n}×${k} (FLOPs of ${s.b}×${s.cin}×${s.h}×${s.width}→${s.cout})`,
    flops: gemmFlops(m, n, k),
    bytes: 4 * (m * k + k * n + m * n),
    quick,
    setup(gpu) {
      const [a, bm, c] = [gpu.alloc(m * k, 'bench-a'), gpu.alloc(k * n, 'bench-b'), gpu.alloc(m * n, 'bench-c')];
      randomNormal(gpu, a, { seed: 1 });
      randomNormal(gpu, bm, { seed: 2 });
      return { run: () => gemm(gpu, { a, b: bm, c, m, n, k }), dispose: () => [a, bm, c].forEach((x) => x.release()) };
    },
  };
}

const SHAPES: [number, number, number, number][] = [
  [64, 16, 16, 32],
  [64, 32, 32, 32],
  [64, 64, 64, 32],
  [64, 64, 64, 16],
];

export const conv2dBenches: BenchCase[] = SHAPES.flatMap(([b, cin, cout, hw], i) => {
  const s: Conv2dShape = { b, cin, cout, h: hw, width: hw, k: 3, pad: 1 };
  const ref = gemmCase(s, i === 0);
  return [ref, ...(['forward', 'backward data', 'backward weight'] as Pass[]).map((pass) => convCase(pass, s, ref.name, i === 0))];
});
