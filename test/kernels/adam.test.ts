import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, adamStep, adamStepRef, emaUpdate, emaRef, emaBeta, reduce, type AdamOptions } from '@gausslens/kernels';
import { ADAM_REL, ADAM_UPDATE_REL, EMA_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, randomNormalArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

type Opts = Omit<AdamOptions, 'step' | 'clip' | 'n'> & { clipMaxNorm?: number };
// (o.panelElements only affects adamStep; the reference ignores it)

/** `steps` Adam steps on the GPU and in float64 with the same fresh gradients; compares param, m, v and the total update. */
async function run(n: number, steps: number, o: Opts, gradient: (n: number) => Float32Array = (k) => randomNormalArray(k, 0.1)) {
  const p0 = randomArray(n, -1, 1);
  const param = gpu.upload(p0);
  const [m, v] = [gpu.upload(new Float32Array(n)), gpu.upload(new Float32Array(n))];
  const grad = gpu.alloc(n);
  const normSq = gpu.alloc(1);
  const ref = { param: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n) };
  for (let t = 1; t <= steps; t++) {
    const g = gradient(n);
    gpu.write(grad, g);
    let clip: AdamOptions['clip'];
    let refNormSq: number | undefined;
    if (o.clipMaxNorm !== undefined) {
      gpu.fill(normSq, POISON);
      reduce(gpu, 'sumsq', grad, normSq);
      clip = { normSq, maxNorm: o.clipMaxNorm };
      refNormSq = g.reduce((s, x) => s + x * x, 0);
    }
    adamStep(gpu, { param, grad, m, v }, { ...o, step: t, clip });
    adamStepRef(ref, g, { ...o, step: t, normSq: refNormSq });
  }
  const got = { param: await gpu.read(param), m: await gpu.read(m), v: await gpu.read(v) };
  expectClose(got.m, ref.m, ADAM_REL, 'm');
  expectClose(got.v, ref.v, ADAM_REL, 'v');
  expectClose(got.param, ref.param, ADAM_REL, 'param');
  // The update itself (~lr a step), compared over several elements: one element's update can be tiny by chance
  // (random-sign gradients), and float32 storage of param resolves it only to ulp(param).
  if (n >= 7) expectClose(got.param.map((x, i) => x - p0[i]), ref.param.map((x, i) => x - p0[i]), ADAM_UPDATE_REL, 'param − param0');
  for (const b of [param, m, v, grad, normSq]) b.release();
  return { got, ref };
}

describe('Adam', () => {
  for (const n of [1, 7, 1024, 1001, 100_003]) {
    it(`5 steps vs float64 (bias correction), defaults, n = ${n}`, async () => {
      await run(n, 5, { lr: 1e-3 });
    });
  }

  it('EDM recipe: lr 2e-4, β 0.9/0.999, ε 1e-8, 12 steps, gradient scale, sanitised NaN/inf gradients', async () => {
    const n = 4099;
    const { got } = await run(n, 12, { lr: 2e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradScale: 1 / 7, sanitize: true }, (k) => {
      const g = randomNormalArray(k, 0.05);
      g[3] = Number.NaN;
      g[10] = Number.POSITIVE_INFINITY;
      g[11] = Number.NEGATIVE_INFINITY;
      return g;
    });
    expect(got.param.every(Number.isFinite)).toBe(true);
  });

  it('panels (forced, 256 elements) with a vec4 body and a scalar tail in the last', async () => {
    await run(1003, 3, { lr: 1e-3, panelElements: 256 });
  });

  it('AdamW weight decay and other betas', async () => {
    await run(2049, 4, { lr: 5e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 });
  });

  it('clipping by a global norm precomputed on the GPU (active and inactive)', async () => {
    await run(3001, 3, { lr: 1e-3, clipMaxNorm: 0.5, gradScale: 2 }); // ‖g‖ ≈ 0.1·√3001·2 ≈ 11 > 0.5: clipped
    await run(3001, 3, { lr: 1e-3, clipMaxNorm: 1e3 }); // never clipped
  });
});

describe('EMA', () => {
  for (const n of [1, 7, 4096, 100_003]) {
    it(`ema ← β·ema + (1 − β)·param, n = ${n}`, async () => {
      const beta = emaBeta(512, 500); // EDM FFHQ-64: batch 512, half-life 500 kimg
      expect(beta).toBe(0.5 ** (512 / 500_000));
      const e0 = randomArray(n, -1, 1);
      const p = e0.map((e) => e + (Math.random() < 0.5 ? -1 : 1) * (0.5 + Math.random())); // |param − ema| ≥ 0.5
      const [ema, param] = [gpu.upload(e0), gpu.upload(p)];
      emaUpdate(gpu, ema, param, beta);
      const e1 = emaRef(e0, p, beta);
      expectClose(await gpu.read(ema), e1, EMA_REL, 'one update');
      // the change itself, (1 − β)(param − ema), is accurate too (1 − β is taken in float64)
      const got = await gpu.read(ema);
      expectClose(got.map((x, i) => x - e0[i]), e1.map((x, i) => x - e0[i]), ADAM_UPDATE_REL, 'ema − ema0');
      ema.release();
      param.release();
    });
  }

  it('EMA in panels (forced, 128 elements)', async () => {
    const n = 1001;
    const [e0, p] = [randomArray(n), randomArray(n)];
    const [ema, param] = [gpu.upload(e0), gpu.upload(p)];
    emaUpdate(gpu, ema, param, 0.99, n, { panelElements: 128 });
    expectClose(await gpu.read(ema), emaRef(e0, p, 0.99), EMA_REL, 'ema');
    ema.release();
    param.release();
  });

  it('β from the half-life, with EDM ramp-up', () => {
    expect(emaBeta(256, 500, { curNimg: 1000, rampupRatio: 0.05 })).toBe(0.5 ** (256 / 50)); // half-life capped at 0.05·1000 images
    expect(emaBeta(256, 500, { curNimg: 1e9, rampupRatio: 0.05 })).toBe(0.5 ** (256 / 500_000));
    expect(emaBeta(256, 500, { curNimg: 0, rampupRatio: 0.05 })).toBe(0);
  });
});
