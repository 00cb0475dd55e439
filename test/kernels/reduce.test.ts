import { describe, it, beforeAll } from 'vitest';
import { getDevice, type Gpu, reduceRows, reduceRowsRef, REDUCE_OPS, type ReduceOp } from '@gausslens/kernels';
import { REDUCE_REL, REDUCE_EXACT_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

const TOL: Record<ReduceOp, number> = { sum: REDUCE_REL, sumsq: REDUCE_REL, max: REDUCE_EXACT_REL, min: REDUCE_EXACT_REL, absmax: REDUCE_EXACT_REL };

describe('reduce', () => {
  // 2048 = one workgroup's chunk; 1_000_003 needs three passes.
  for (const [n, rows] of [[1, 1], [7, 1], [2049, 1], [1_000_003, 1], [300, 37], [5000, 3]] as const) {
    it(`every op, rows = ${rows} × n = ${n}`, async () => {
      // Mixed signs but a positive mean (sums far from 0), and sums of positive terms are
      // checked by sumsq; a sum near 0 would make any relative error meaningless.
      const x = randomArray(n * rows, -0.25, 1.5);
      const bx = gpu.upload(x);
      const out = gpu.alloc(rows);
      for (const op of Object.keys(REDUCE_OPS) as ReduceOp[]) {
        gpu.fill(out, POISON);
        reduceRows(gpu, op, bx, out, n, rows);
        expectClose(await gpu.read(out), reduceRowsRef(op, x, n, rows), TOL[op], `${op} ${rows}×${n}`);
      }
      bx.release();
      out.release();
    });
  }

  it('releases its intermediate buffers', async () => {
    const bx = gpu.upload(randomArray(100_000));
    const out = gpu.alloc(1);
    const before = gpu.pool.bytesLive;
    for (let i = 0; i < 20; i++) reduceRows(gpu, 'sum', bx, out, 100_000);
    await gpu.sync();
    if (gpu.pool.bytesLive !== before) throw new Error(`live bytes grew from ${before} to ${gpu.pool.bytesLive}`);
    bx.release();
    out.release();
  });
});
