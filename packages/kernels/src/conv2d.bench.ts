// Benchmarks of the conv2d family (shaders/conv2d.wgsl, conv2d_sg.wgsl): the U-Net's 3×3 convolutions at batch 64,
// forward, backward data and backward weight (+ bias), each 2·b·h·w·cout·cin·9 flops.
import type { BenchCase } from './bench.ts';
import type { GpuBuffer } from './buffers.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardWeight, conv2dFlops, type Conv2dShape } from './conv2d.ts';
import { randomNormal } from './random.ts';

type Pass = 'forward' | 'backward data' | 'backward weight';

function convCase(pass: Pass, b: number, cin: number, cout: number, hw: number, quick = false): BenchCase {
  const s: Conv2dShape = { b, cin, cout, h: hw, width: hw, k: 3, pad: 1 };
  const nx = b * cin * hw * hw;
  const ny = b * cout * hw * hw;
  const nw = cout * cin * 9;
  return {
    family: 'conv2d',
    name: `conv2d ${pass} ${b}×${cin}×${hw}×${hw}→${cout} 3×3`,
    flops: conv2dFlops(s),
    bytes: 4 * (nx + ny + nw),
    quick,
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

const SHAPES: [number, number, number, number][] = [
  [64, 16, 16, 32],
  [64, 32, 32, 32],
  [64, 64, 64, 32],
  [64, 64, 64, 16],
];

export const conv2dBenches: BenchCase[] = SHAPES.flatMap(([b, cin, cout, hw], i) =>
  (['forward', 'backward data', 'backward weight'] as Pass[]).map((pass) => convCase(pass, b, cin, cout, hw, i === 0)),
);
