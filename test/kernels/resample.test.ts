import { describe, it, beforeAll, expect } from 'vitest';
import {
  getDevice, type Gpu, downsample2x, upsample2x, downsample2xBackward, upsample2xBackward, downsample2xRef, upsample2xRef,
  downsampledSize, upsampledSize, BOX_FILTER, FIR_FILTER, type ResampleShape, type ResampleFilter,
} from '@gausslens/kernels';
import { ELEMENTWISE_REL, RESAMPLE_REL, GRADCHECK_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';
import { cotangent, numericGrad } from '../support/gradcheck.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

function poisoned(n: number) {
  const b = gpu.alloc(n);
  gpu.fill(b, POISON);
  return b;
}

const FILTERS: [string, ResampleFilter][] = [['box [1,1]', BOX_FILTER], ['FIR [1,3,3,1]', FIR_FILTER]];
const numel = (s: ResampleShape): number => s.batch * s.channels * s.height * s.width;
const str = (s: ResampleShape): string => `B=${s.batch} C=${s.channels} ${s.height}×${s.width}`;
const down = (s: ResampleShape, f: ResampleFilter): ResampleShape => ({ ...s, height: downsampledSize(s.height, f), width: downsampledSize(s.width, f) });
const up = (s: ResampleShape, f: ResampleFilter): ResampleShape => ({ ...s, height: upsampledSize(s.height, f), width: upsampledSize(s.width, f) });

const SHAPES: ResampleShape[] = [
  { batch: 1, channels: 3, height: 5, width: 7 },
  { batch: 3, channels: 3, height: 9, width: 9 },
  { batch: 1, channels: 1, height: 2, width: 2 },
  { batch: 3, channels: 2, height: 16, width: 12 },
  { batch: 1, channels: 3, height: 1, width: 1 }, // up only: a 1×1 input has no down-sampled output
];

describe('resample 2×', () => {
  for (const [fname, f] of FILTERS) {
    it(`${fname}: output sizes`, () => {
      for (const n of [1, 2, 5, 8, 9]) {
        expect(downsampledSize(n, f)).toBe(Math.floor(n / 2));
        expect(upsampledSize(n, f)).toBe(2 * n);
      }
    });

    for (const s of SHAPES) {
      it(`${fname}: forward and backward vs float64, ${str(s)}`, async () => {
        const x = randomArray(numel(s), -2, 2);
        const bx = gpu.upload(x);
        const us = up(s, f);
        // up: forward, and backward vs float64 central differences of the reference (a linear map: exact up to rounding)
        const y = poisoned(numel(us));
        upsample2x(gpu, bx, y, s, f);
        expectClose(await gpu.read(y), upsample2xRef(x, s, f), RESAMPLE_REL, 'up');
        const gu = cotangent(numel(us));
        const bgu = gpu.upload(Float32Array.from(gu));
        const dx = poisoned(numel(s));
        upsample2xBackward(gpu, bgu, dx, s, f);
        expectClose(await gpu.read(dx), numericGrad((p) => upsample2xRef(p, s, f), x, gu), GRADCHECK_REL, 'up backward');
        for (const b of [y, bgu]) b.release();
        const ds = down(s, f);
        if (ds.height < 1 || ds.width < 1) {
          expect(() => downsample2x(gpu, bx, dx, s, f)).toThrow(RangeError);
        } else {
          const z = poisoned(numel(ds));
          downsample2x(gpu, bx, z, s, f);
          expectClose(await gpu.read(z), downsample2xRef(x, s, f), RESAMPLE_REL, 'down');
          const gd = cotangent(numel(ds));
          const bgd = gpu.upload(Float32Array.from(gd));
          gpu.fill(dx, POISON);
          downsample2xBackward(gpu, bgd, dx, s, f);
          expectClose(await gpu.read(dx), numericGrad((p) => downsample2xRef(p, s, f), x, gd), GRADCHECK_REL, 'down backward');
          for (const b of [z, bgd]) b.release();
        }
        bx.release();
        dx.release();
      });
    }
  }

  for (const [fname, f] of FILTERS)
    it(`${fname}: panels of planes (forced), B=3 C=50 5×7`, async () => {
      const s: ResampleShape = { batch: 3, channels: 50, height: 5, width: 7 };
      const x = randomArray(numel(s), -2, 2);
      const [us, ds] = [up(s, f), down(s, f)];
      const bx = gpu.upload(x);
      const [y, z] = [poisoned(numel(us)), poisoned(numel(ds))];
      upsample2x(gpu, bx, y, s, f, { panelElements: 64 * us.height * us.width }); // 64 planes a panel: 3 panels
      downsample2x(gpu, bx, z, s, f, { panelElements: 64 * s.height * s.width });
      expectClose(await gpu.read(y), upsample2xRef(x, s, f), RESAMPLE_REL, 'up');
      expectClose(await gpu.read(z), downsample2xRef(x, s, f), RESAMPLE_REL, 'down');
      const dx = poisoned(numel(s));
      downsample2xBackward(gpu, z, dx, s, f, { panelElements: 64 * s.height * s.width });
      const whole = poisoned(numel(s));
      downsample2xBackward(gpu, z, whole, s, f);
      expectClose(await gpu.read(dx), await gpu.read(whole), 0, 'down backward, panels vs one dispatch');
      for (const b of [bx, y, z, dx, whole]) b.release();
    });

  it('box filter is the 2×2 mean and nearest-neighbour (checked with plain loops)', async () => {
    const s: ResampleShape = { batch: 2, channels: 3, height: 7, width: 6 };
    const { height: H, width: W } = s;
    const x = randomArray(numel(s), -1, 1);
    const [bx, y, z] = [gpu.upload(x), poisoned(numel(s) * 4), poisoned(numel(s))];
    upsample2x(gpu, bx, y, s);
    downsample2x(gpu, bx, z, s);
    const [oh, ow] = [Math.floor(H / 2), Math.floor(W / 2)];
    const near = new Float64Array(numel(s) * 4);
    const mean = new Float64Array(6 * oh * ow);
    for (let p = 0; p < 6; p++) {
      for (let i = 0; i < 2 * H; i++) for (let j = 0; j < 2 * W; j++) near[(p * 2 * H + i) * 2 * W + j] = x[(p * H + (i >> 1)) * W + (j >> 1)];
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const at = (a: number, b: number): number => x[(p * H + a) * W + b];
          mean[(p * oh + i) * ow + j] = (at(2 * i, 2 * j) + at(2 * i, 2 * j + 1) + at(2 * i + 1, 2 * j) + at(2 * i + 1, 2 * j + 1)) / 4;
        }
    }
    expectClose(await gpu.read(y), near, 0, 'nearest');
    expectClose((await gpu.read(z)).subarray(0, mean.length), mean, ELEMENTWISE_REL, '2×2 mean');
    for (const b of [bx, y, z]) b.release();
  });

  it('FIR [1,3,3,1] on a constant image: interior kept, zero padding at the borders (7/8 a side)', async () => {
    const s: ResampleShape = { batch: 1, channels: 1, height: 8, width: 8 };
    const c = 1 + Math.random();
    const [bx, z, y] = [gpu.upload(new Float32Array(64).fill(c)), poisoned(16), poisoned(256)];
    downsample2x(gpu, bx, z, s, FIR_FILTER);
    const edge = (i: number): number => (i === 0 || i === 3 ? 7 / 8 : 1);
    expectClose(await gpu.read(z), Float64Array.from({ length: 16 }, (_, k) => c * edge(k >> 2) * edge(k & 3)), ELEMENTWISE_REL, 'down');
    upsample2x(gpu, bx, y, s, FIR_FILTER);
    // Up: the outermost output rows/columns miss one tap (weight 1/4 of 1 per axis) → 3/4.
    const uedge = (i: number): number => (i === 0 || i === 15 ? 3 / 4 : 1);
    expectClose(await gpu.read(y), Float64Array.from({ length: 256 }, (_, k) => c * uedge(k >> 4) * uedge(k & 15)), ELEMENTWISE_REL, 'up');
    for (const b of [bx, z, y]) b.release();
  });
});
