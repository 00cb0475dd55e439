import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, randomNormal, randomUniform, randomNormalRef, randomUniformRef } from '@gausslens/kernels';
import { RANDOM_NORMAL_REL, RANDOM_UNIFORM_REL, MOMENT_SIGMAS } from '../support/tolerances.ts';
import { expectClose, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

const freshSeed = (): number => Math.floor(Math.random() * 2 ** 40);

function moments(x: Float32Array): { mean: number; variance: number; skew: number; kurt: number } {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of x) {
    const d = v - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= x.length;
  return { mean: m, variance: m2, skew: m3 / x.length / m2 ** 1.5, kurt: m4 / x.length / (m2 * m2) };
}

describe('random (Philox4x32-10)', () => {
  for (const n of [1, 7, 1001]) {
    it(`matches the CPU Philox stream, n = ${n}`, async () => {
      const seed = freshSeed();
      const offset = Math.floor(Math.random() * 1000);
      const out = gpu.alloc(n);
      gpu.fill(out, POISON);
      // Values in (1, 3): the float32 affine map adds at most half an ulp of 2 to an exact uniform.
      randomUniform(gpu, out, { seed, offset, mean: 1, std: 2 });
      expectClose(await gpu.read(out), randomUniformRef(n, seed, offset, 1, 2), RANDOM_UNIFORM_REL, 'uniform');
      gpu.fill(out, POISON);
      randomNormal(gpu, out, { seed, offset, mean: 0.5, std: 3 });
      expectClose(await gpu.read(out), randomNormalRef(n, seed, offset, 0.5, 3), RANDOM_NORMAL_REL, 'normal');
      out.release();
    });
  }

  it('normal moments over 1,000,003 samples', async () => {
    const n = 1_000_003;
    const out = gpu.alloc(n);
    gpu.fill(out, POISON);
    randomNormal(gpu, out, { seed: freshSeed() });
    const x = await gpu.read(out);
    expect(x.every(Number.isFinite)).toBe(true);
    const m = moments(x);
    // Standard errors of the sample mean, variance, skewness and kurtosis of N(0, 1).
    expect(Math.abs(m.mean)).toBeLessThan(MOMENT_SIGMAS / Math.sqrt(n));
    expect(Math.abs(m.variance - 1)).toBeLessThan(MOMENT_SIGMAS * Math.sqrt(2 / n));
    expect(Math.abs(m.skew)).toBeLessThan(MOMENT_SIGMAS * Math.sqrt(6 / n));
    expect(Math.abs(m.kurt - 3)).toBeLessThan(MOMENT_SIGMAS * Math.sqrt(24 / n));
    out.release();
  });

  it('uniform moments and range, different offsets give different streams', async () => {
    const n = 200_001;
    const a = gpu.alloc(n);
    const b = gpu.alloc(n);
    const seed = freshSeed();
    randomUniform(gpu, a, { seed, offset: 0 });
    randomUniform(gpu, b, { seed, offset: 1 });
    const [x, y] = [await gpu.read(a), await gpu.read(b)];
    expect(Math.min(...x.subarray(0, 10000))).toBeGreaterThan(0);
    expect(Math.max(...x.subarray(0, 10000))).toBeLessThan(1);
    const m = moments(x);
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(MOMENT_SIGMAS * Math.sqrt(1 / 12 / n));
    let same = 0;
    for (let i = 0; i < n; i++) if (x[i] === y[i]) same++;
    expect(same).toBeLessThan(10);
    a.release();
    b.release();
  });
});
