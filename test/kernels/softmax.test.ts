import { describe, it, beforeAll } from 'vitest';
import { getDevice, type Gpu, softmaxRows, softmaxRowsBackward, softmaxRowsRef, softmaxRowsBackwardRef } from '@gausslens/kernels';
import { SOFTMAX_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

describe('softmax', () => {
  for (const [rows, n] of [[1, 1], [3, 7], [17, 64], [5, 333], [2, 1000], [300, 17], [1031, 64]] as const) {
    it(`rows ${rows} × ${n}`, async () => {
      const x = randomArray(rows * n, -6, 6);
      const dy = randomArray(rows * n);
      const alpha = 0.5 + Math.random();
      const [bx, bdy, y, dx] = [gpu.upload(x), gpu.upload(dy), gpu.alloc(rows * n), gpu.alloc(rows * n)];
      gpu.fill(y, POISON);
      gpu.fill(dx, POISON);
      softmaxRows(gpu, bx, y, rows, n, alpha);
      const yRef = softmaxRowsRef(x, rows, n, alpha);
      const yGot = await gpu.read(y);
      expectClose(yGot, yRef, SOFTMAX_REL, 'softmax');
      softmaxRowsBackward(gpu, y, bdy, dx, rows, n, alpha);
      // The backward's reference takes the GPU's y, so only the backward's own rounding counts.
      expectClose(await gpu.read(dx), softmaxRowsBackwardRef(yGot, dy, rows, n, alpha), SOFTMAX_REL, 'softmax backward');
      for (const b of [bx, bdy, y, dx]) b.release();
    });
  }
});
