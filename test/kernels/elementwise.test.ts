import { describe, it, beforeAll } from 'vitest';
import { getDevice, type Gpu, map, axpby, mul, scale, mapRef, axpbyRef, mulRef, axpbyRow, mulRow, axpbyRowRef, mulRowRef, MAP_OPS, elementwiseOptions, type MapOp } from '@gausslens/kernels';
import { ELEMENTWISE_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

// Domains where each function is defined and well-conditioned.
const DOMAIN: Partial<Record<MapOp, [number, number]>> = { sqrt: [0.01, 4], log: [0.01, 4], exp: [-5, 5] };

describe('elementwise', () => {
  // n % 4 = 0 takes the vec4 entry points (also forced scalar below); the others the scalar ones.
  for (const [n, vec4] of [[1, true], [7, true], [8, true], [8, false], [257, true], [1028, true], [1_000_003, true], [1_000_004, true], [1_000_004, false]] as const) {
    it(`axpby and mul, n = ${n}${n % 4 ? '' : vec4 ? ' (vec4)' : ' (scalar, forced)'}`, async () => {
      elementwiseOptions.vec4 = vec4;
      // Signs chosen so no term cancels another: a relative error then means what it says at n = 1 too.
      const x = randomArray(n, 0.5, 1.5);
      const y = randomArray(n, -1.5, -0.5);
      const a = 0.5 + Math.random();
      const b = -0.5 - Math.random();
      const bx = gpu.upload(x);
      const by = gpu.upload(y);
      const out = gpu.alloc(n);
      gpu.fill(out, POISON);
      axpby(gpu, a, bx, b, by, out);
      expectClose(await gpu.read(out), axpbyRef(a, x, b, y), ELEMENTWISE_REL, 'axpby');
      gpu.fill(out, POISON);
      mul(gpu, bx, by, out, a, b);
      expectClose(await gpu.read(out), mulRef(x, y, a, b), ELEMENTWISE_REL, "mul");
      gpu.fill(out, POISON);
      scale(gpu, bx, a, out);
      expectClose(await gpu.read(out), mapRef('identity', x, a), ELEMENTWISE_REL, 'scale');
      for (const b of [bx, by, out]) b.release();
      elementwiseOptions.vec4 = true;
    });
  }

  for (const [rows, cols] of [[1, 1], [7, 13], [300, 785]] as const) {
    it(`row broadcasts, ${rows}×${cols}`, async () => {
      const x = randomArray(rows * cols, 0.5, 1.5);
      const v = randomArray(cols, -1.5, -0.5);
      const [bx, bv, out] = [gpu.upload(x), gpu.upload(v), gpu.alloc(rows * cols)];
      gpu.fill(out, POISON);
      axpbyRow(gpu, 0.7, bx, -1.3, bv, out, rows, cols);
      expectClose(await gpu.read(out), axpbyRowRef(0.7, x, -1.3, v, cols), ELEMENTWISE_REL, 'axpbyRow');
      gpu.fill(out, POISON);
      mulRow(gpu, bx, bv, out, rows, cols, 2, -0.25);
      expectClose(await gpu.read(out), mulRowRef(x, v, cols, 2, -0.25), ELEMENTWISE_REL, 'mulRow');
      for (const b of [bx, bv, out]) b.release();
    });
  }

  for (const [n, vec4] of [[1000, true], [1000, false], [999, true]] as const)
  it(`map: every unary op on ${n} fresh values${n % 4 ? '' : vec4 ? ' (vec4)' : ' (scalar, forced)'}`, async () => {
    elementwiseOptions.vec4 = vec4;
    for (const op of Object.keys(MAP_OPS) as MapOp[]) {
      const [lo, hi] = DOMAIN[op] ?? [-3, 3];
      const x = randomArray(n, lo, hi);
      const bx = gpu.upload(x);
      const out = gpu.alloc(n);
      gpu.fill(out, POISON);
      map(gpu, op, bx, out, 1.25, 0.0);
      expectClose(await gpu.read(out), mapRef(op, x, 1.25, 0.0), ELEMENTWISE_REL * 10, `map ${op}`);
      bx.release();
      out.release();
    }
    elementwiseOptions.vec4 = true;
  });
});
