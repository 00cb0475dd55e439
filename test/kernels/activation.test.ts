import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, silu, siluBackward, siluRef, siluBackwardRef, dropout, dropoutBackward, dropoutRef, dropoutMaskRef } from '@gausslens/kernels';
import { ELEMENTWISE_REL, GRADCHECK_REL, MOMENT_SIGMAS } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';
import { cotangent, numericGrad } from '../support/gradcheck.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

const freshSeed = (): number => Math.floor(Math.random() * 2 ** 40);

function poisoned(n: number) {
  const b = gpu.alloc(n);
  gpu.fill(b, POISON);
  return b;
}

describe('silu', () => {
  for (const n of [1, 7, 257, 100_003]) {
    it(`forward and backward vs float64, n = ${n}`, async () => {
      const x = randomArray(n, -8, 8);
      const dy = randomArray(n, -2, 2);
      const [bx, bdy, out] = [gpu.upload(x), gpu.upload(dy), poisoned(n)];
      silu(gpu, bx, out);
      expectClose(await gpu.read(out), siluRef(x), ELEMENTWISE_REL, 'silu');
      gpu.fill(out, POISON);
      siluBackward(gpu, bx, bdy, out);
      expectClose(await gpu.read(out), siluBackwardRef(x, dy), ELEMENTWISE_REL, 'silu backward');
      for (const b of [bx, bdy, out]) b.release();
    });
  }

  it('finite-difference gradient check (x in [-12, 12], incl. the saturated tails)', async () => {
    const n = 301;
    const x = randomArray(n, -12, 12);
    const g = cotangent(n);
    const [bx, bg, dx] = [gpu.upload(x), gpu.upload(Float32Array.from(g)), poisoned(n)];
    siluBackward(gpu, bx, bg, dx);
    expectClose(await gpu.read(dx), numericGrad((p) => siluRef(p), x, g), GRADCHECK_REL, 'dx');
    for (const b of [bx, bg, dx]) b.release();
  });
});

describe('dropout', () => {
  for (const n of [1, 7, 1001]) {
    it(`matches the CPU Philox mask; backward uses the same mask, n = ${n}`, async () => {
      const p = 0.3;
      const args = { p, seed: freshSeed(), offset: Math.floor(Math.random() * 1000) };
      const x = randomArray(n, 0.5, 2); // never zero, so a zero output means dropped
      const dy = randomArray(n, 0.5, 2);
      const [bx, bdy, out] = [gpu.upload(x), gpu.upload(dy), poisoned(n)];
      dropout(gpu, bx, out, args);
      expectClose(await gpu.read(out), dropoutRef(x, p, args.seed, args.offset), ELEMENTWISE_REL, 'forward');
      gpu.fill(out, POISON);
      dropoutBackward(gpu, bdy, out, args);
      const dx = await gpu.read(out);
      expectClose(dx, dropoutRef(dy, p, args.seed, args.offset), ELEMENTWISE_REL, 'backward');
      const mask = dropoutMaskRef(n, p, args.seed, args.offset);
      for (let i = 0; i < n; i++) expect(dx[i] !== 0, `element ${i}`).toBe(mask[i] === 1);
      for (const b of [bx, bdy, out]) b.release();
    });
  }

  it('same seed and offset ⇒ same mask; another offset or seed ⇒ another mask', async () => {
    const n = 4096;
    const x = randomArray(n, 1, 2);
    const [bx, a, b] = [gpu.upload(x), poisoned(n), poisoned(n)];
    const seed = freshSeed();
    const zeros = (v: Float32Array): string => v.map((e) => (e === 0 ? 1 : 0)).join('');
    dropout(gpu, bx, a, { p: 0.5, seed, offset: 3 });
    dropout(gpu, bx, b, { p: 0.5, seed, offset: 3 });
    const [ma, mb] = [zeros(await gpu.read(a)), zeros(await gpu.read(b))];
    expect(ma).toBe(mb);
    dropout(gpu, bx, b, { p: 0.5, seed, offset: 4 });
    expect(zeros(await gpu.read(b))).not.toBe(ma);
    dropout(gpu, bx, b, { p: 0.5, seed: seed + 1, offset: 3 });
    expect(zeros(await gpu.read(b))).not.toBe(ma);
    for (const buf of [bx, a, b]) buf.release();
  });

  for (const p of [0.05, 0.13, 0.5]) {
    it(`drop rate ≈ p and kept values scaled by 1/(1 − p), p = ${p}, n = 1,000,003`, async () => {
      const n = 1_000_003;
      const x = randomArray(n, 0.5, 2);
      const [bx, out] = [gpu.upload(x), poisoned(n)];
      dropout(gpu, bx, out, { p, seed: freshSeed() });
      const y = await gpu.read(out);
      let dropped = 0;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        if (y[i] === 0) dropped++;
        else worst = Math.max(worst, Math.abs(y[i] - x[i] / (1 - p)) / Math.abs(x[i] / (1 - p)));
      }
      expect(Math.abs(dropped / n - p)).toBeLessThan(MOMENT_SIGMAS * Math.sqrt((p * (1 - p)) / n));
      expect(worst).toBeLessThan(ELEMENTWISE_REL);
      bx.release();
      out.release();
    });
  }

  it('p = 0 is the identity', async () => {
    const x = randomArray(1000);
    const [bx, out] = [gpu.upload(x), poisoned(1000)];
    dropout(gpu, bx, out, { p: 0, seed: freshSeed() });
    expectClose(await gpu.read(out), x, 0, 'p = 0');
    bx.release();
    out.release();
  });

  it('finite-difference gradient check (fixed mask)', async () => {
    const n = 203;
    const args = { p: 0.25, seed: freshSeed(), offset: 11 };
    const x = randomArray(n, -2, 2);
    const g = cotangent(n);
    const [bg, dx] = [gpu.upload(Float32Array.from(g)), poisoned(n)];
    dropoutBackward(gpu, bg, dx, args);
    expectClose(await gpu.read(dx), numericGrad((q) => dropoutRef(q, args.p, args.seed, args.offset), x, g), GRADCHECK_REL, 'dx');
    bg.release();
    dx.release();
  });

  it('panels (forced, 128 elements): the mask follows the global element index', async () => {
    const n = 1001;
    const args = { p: 0.4, seed: freshSeed(), offset: 5 };
    const x = randomArray(n, 0.5, 2);
    const [bx, out] = [gpu.upload(x), poisoned(n)];
    dropout(gpu, bx, out, args, n, { panelElements: 128 });
    expectClose(await gpu.read(out), dropoutRef(x, args.p, args.seed, args.offset), ELEMENTWISE_REL, 'dropout');
    gpu.fill(out, POISON);
    silu(gpu, bx, out, n, { panelElements: 128 });
    expectClose(await gpu.read(out), siluRef(x), ELEMENTWISE_REL, 'silu');
    bx.release();
    out.release();
  });

  it('rejects p outside [0, 1)', () => {
    const b = gpu.alloc(4);
    expect(() => dropout(gpu, b, b, { p: 1, seed: 1 })).toThrow(RangeError);
    expect(() => dropout(gpu, b, b, { p: -0.1, seed: 1 })).toThrow(RangeError);
    b.release();
  });
});
