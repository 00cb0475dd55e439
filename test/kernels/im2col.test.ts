import { describe, it, beforeAll } from 'vitest';
import { getDevice, type Gpu, im2col, col2im, convOutSize, im2colRef, col2imRef, type ConvShape } from '@gausslens/kernels';
import { REDUCE_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

describe('im2col', () => {
  const shapes: ConvShape[] = [
    { batch: 3, channels: 2, height: 5, width: 7, kernel: 3, pad: 1 },
    { batch: 2, channels: 3, height: 4, width: 4, kernel: 3, pad: 3 },
    { batch: 1, channels: 1, height: 1, width: 1, kernel: 1, pad: 0 },
    { batch: 4, channels: 5, height: 6, width: 3, kernel: 2, pad: 0 },
  ];
  for (const s of shapes) {
    it(`${s.batch}×${s.channels}×${s.height}×${s.width}, k ${s.kernel}, pad ${s.pad}`, async () => {
      const [OH, OW] = [convOutSize(s.height, s.kernel, s.pad), convOutSize(s.width, s.kernel, s.pad)];
      const colLen = s.channels * s.kernel * s.kernel * OH * OW;
      const xLen = s.batch * s.channels * s.height * s.width;
      const x = randomArray(xLen);
      const [bx, cols, back] = [gpu.upload(x), gpu.alloc(s.batch * colLen), gpu.alloc(xLen)];
      // Samples in two ranges, as the convolution's batch chunks do.
      const split = Math.max(1, s.batch >> 1);
      gpu.fill(cols, POISON);
      im2col(gpu, bx, cols, s, { first: 0, count: split });
      const got0 = await gpu.read(cols, split * colLen);
      expectClose(got0, im2colRef(x, s, 0, split), 0, 'im2col first chunk');
      if (split < s.batch) {
        im2col(gpu, bx, cols, s, { first: split });
        expectClose(await gpu.read(cols, (s.batch - split) * colLen), im2colRef(x, s, split), 0, 'im2col second chunk');
      }
      // col2im of arbitrary columns: the whole batch, then the last samples as a chunk of their own.
      const c = randomArray(s.batch * colLen);
      const bc = gpu.upload(c);
      gpu.fill(back, POISON);
      col2im(gpu, bc, back, s, { first: 0, count: s.batch });
      const whole = col2imRef(c, s);
      expectClose(await gpu.read(back), whole, REDUCE_REL, 'col2im');
      if (split < s.batch) {
        const sample = s.channels * s.height * s.width;
        gpu.fill(back, POISON);
        col2im(gpu, bc, back, s, { first: split }); // reads the first (batch − split) column blocks
        const got = await gpu.read(back);
        expectClose(got.subarray(split * sample), col2imRef(c, s, s.batch - split), REDUCE_REL, 'col2im chunk');
      }
      for (const b of [bx, cols, back, bc]) b.release();
    });
  }
});
