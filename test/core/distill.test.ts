// Linear models (eq 8), W_G as a linear model (eq 6), their files, and linear distillation
// (Algorithm 1 and the least-squares cross-check) of the Gaussian denoiser, which must recover W_G.
import { describe, it, beforeAll, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, type Gpu } from '@gausslens/kernels';
import {
  LinearDenoiser, gaussianLinearModel, saveLinearModel, loadLinearModel, releaseLinearModel, distillLinear, resolveDistillConfig,
  paperLearningRate, choleskySolve, openDenoiser, uploadStructure, releaseStructure, GaussianDenoiser, buildGaussianStructure,
  loadDataset, scoreFieldError, weightNmse, writeSafetensors, PAPER_SIGMAS, type LinearModel, type Dataset,
} from '@gausslens/core';
import { expectClose, randomArray, randomNormalArray, POISON, relError } from '../support/check.ts';
import { LINEAR_MODEL_REL, CHOLESKY_REL, DISTILL_ADAM_WEIGHT_NMSE, DISTILL_ADAM_RMSE, DISTILL_LSTSQ_WEIGHT_NMSE } from '../support/tolerances.ts';

let gpu: Gpu;
let dir: string;
beforeAll(async () => {
  gpu = await getDevice();
  dir = mkdtempSync(join(tmpdir(), 'gausslens-distill-'));
});

/** A random linear model on the host and the GPU. */
function randomModel(d: number, sigmas: number[]): { model: LinearModel; W: Float32Array[]; b: Float32Array[] } {
  const W = sigmas.map(() => randomArray(d * d, -0.3, 0.3));
  const b = sigmas.map(() => randomArray(d, -1, 1));
  return { model: { d, sigmas, W: W.map((w) => gpu.upload(w)), b: b.map((v) => gpu.upload(v)), imageShape: null }, W, b };
}

/** Σ_k weight_k·(W_k x + b_k) for each row of x, float64. */
function affineRef(parts: { W: Float32Array; b: Float32Array; weight: number }[], x: Float32Array, rows: number, d: number): Float64Array {
  const out = new Float64Array(rows * d);
  for (const { W, b, weight } of parts) {
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < d; i++) {
        let s = b[i];
        for (let j = 0; j < d; j++) s += W[i * d + j] * x[r * d + j];
        out[r * d + i] += weight * s;
      }
    }
  }
  return out;
}

/** Orthonormal rows (Gram–Schmidt in float64). */
function orthonormalRows(r: number, d: number): Float64Array {
  const U = new Float64Array(r * d);
  for (let k = 0; k < r; k++) {
    const v = Float64Array.from(randomNormalArray(d));
    for (let p = 0; p < k; p++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += U[p * d + i] * v[i];
      for (let i = 0; i < d; i++) v[i] -= dot * U[p * d + i];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < d; i++) U[k * d + i] = v[i] / norm;
  }
  return U;
}

describe('linear models', () => {
  it('LinearDenoiser applies W_σ x + b_σ, interpolates in ln σ between models and clamps at the ends', async () => {
    const d = 37;
    const rows = 5;
    const sigmas = [0.3, 2.5, 9];
    const { model, W, b } = randomModel(d, sigmas);
    const den = new LinearDenoiser(gpu, model);
    const x = randomArray(rows * d, -2, 2);
    const bx = gpu.upload(x);
    const out = gpu.alloc(rows * d);
    const t = (Math.log(1) - Math.log(0.3)) / (Math.log(2.5) - Math.log(0.3));
    const cases: [number, { W: Float32Array; b: Float32Array; weight: number }[]][] = [
      [2.5, [{ W: W[1], b: b[1], weight: 1 }]],
      [1, [{ W: W[0], b: b[0], weight: 1 - t }, { W: W[1], b: b[1], weight: t }]],
      [0.01, [{ W: W[0], b: b[0], weight: 1 }]],
      [80, [{ W: W[2], b: b[2], weight: 1 }]],
    ];
    for (const [sigma, parts] of cases) {
      gpu.fill(out, POISON);
      den.denoise(gpu, bx, rows, sigma, out);
      expectClose(await gpu.read(out), affineRef(parts, x, rows, d), LINEAR_MODEL_REL, `D_L at σ = ${sigma}`);
    }
    expect(() => den.denoise(gpu, bx, rows, 0, out)).toThrow(/σ = 0 must be positive/);
    releaseLinearModel(model);
    bx.release();
    out.release();
  });

  it('gaussianLinearModel gives W_G = U·diag(λ/(λ+σ²))·Uᵀ, b_G = (I − W_G)μ, and D_L = D_G', async () => {
    const d = 29;
    const r = 11;
    const U = Float32Array.from(orthonormalRows(r, d));
    const lambda = Array.from({ length: r }, (_, k) => 3 * Math.exp(-k / 3) + 0.01 * Math.random());
    const mean = randomArray(d, -0.8, 0.2);
    const st = uploadStructure(gpu, { d, n: 50, mean, eigenvalues: lambda, U });
    const sigmas = [0.05, 1.1, 20];
    const lm = gaussianLinearModel(gpu, st, sigmas);
    const G = new GaussianDenoiser(gpu, st);
    const L = new LinearDenoiser(gpu, lm);
    const x = randomArray(3 * d, -1.5, 1.5);
    const bx = gpu.upload(x);
    const [yg, yl] = [gpu.alloc(3 * d), gpu.alloc(3 * d)];
    for (let s = 0; s < sigmas.length; s++) {
      const sigma = sigmas[s];
      const WG = new Float64Array(d * d);
      for (let k = 0; k < r; k++) {
        const f = lambda[k] / (lambda[k] + sigma * sigma);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) WG[i * d + j] += f * U[k * d + i] * U[k * d + j];
      }
      const bG = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        bG[i] = mean[i];
        for (let j = 0; j < d; j++) bG[i] -= WG[i * d + j] * mean[j];
      }
      expectClose(await gpu.read(lm.W[s]), WG, LINEAR_MODEL_REL, `W_G at σ = ${sigma}`);
      expectClose(await gpu.read(lm.b[s]), bG, LINEAR_MODEL_REL, `b_G at σ = ${sigma}`);
      gpu.fill(yl, POISON);
      G.denoise(gpu, bx, 3, sigma, yg);
      L.denoise(gpu, bx, 3, sigma, yl);
      expectClose(await gpu.read(yl), await gpu.read(yg), LINEAR_MODEL_REL, `D_L(W_G) vs D_G at σ = ${sigma}`);
    }
    for (const t of [bx, yg, yl]) t.release();
    G.release();
    releaseLinearModel(lm);
    releaseStructure(st);
  });

  it('saves and loads a model exactly; linear:<file> opens as a denoiser; bad files are one clear error', async () => {
    const d = 16;
    const { model, W, b } = randomModel(d, [0.5, 4]);
    model.imageShape = [1, 4, 4];
    const file = join(dir, 'model.safetensors');
    await saveLinearModel(file, gpu, model, { teacher: 'gaussian', steps: 10 });
    const back = await loadLinearModel(gpu, file);
    expect(back.sigmas).toEqual([0.5, 4]);
    expect(back.imageShape).toEqual([1, 4, 4]);
    for (let i = 0; i < 2; i++) {
      expect(Array.from(await gpu.read(back.W[i]))).toEqual(Array.from(W[i]));
      expect(Array.from(await gpu.read(back.b[i]))).toEqual(Array.from(b[i]));
    }
    const images = randomArray(3 * d);
    const data = { images, n: 3, c: 1, h: 4, w: 4, d, imageShape: true, spec: 'test', index: new Int32Array(3) } as Dataset;
    const opened = await openDenoiser(`linear:${file}`, { gpu, data, cacheDir: null });
    expect(opened.denoiser.spec).toEqual({ kind: 'linear', file });
    const bx = gpu.upload(images);
    const out = gpu.alloc(3 * d);
    opened.denoiser.denoise(gpu, bx, 3, 4, out);
    expectClose(await gpu.read(out), affineRef([{ W: W[1], b: b[1], weight: 1 }], images, 3, d), LINEAR_MODEL_REL, 'opened D_L');
    opened.close();
    await expect(openDenoiser(`linear:${file}`, { gpu, data: { ...data, d: 9, spec: 'nine' }, cacheDir: null })).rejects.toThrow(/d = 16 values, the data set nine has d = 9/);
    const other = join(dir, 'other.safetensors');
    await writeSafetensors(other, { x: { shape: [1], data: new Float32Array(1) } });
    await expect(loadLinearModel(gpu, other)).rejects.toThrow(/not a gausslens linear model.*gausslens distill/);
    await expect(loadLinearModel(gpu, join(dir, 'missing.safetensors'))).rejects.toThrow(/missing\.safetensors: cannot read/);
    for (const t of [bx, out]) t.release();
    releaseLinearModel(model);
    releaseLinearModel(back);
  });
});

describe('distillation settings', () => {
  it('resolves defaults, the paper’s learning rates, and rejects bad settings in one message', () => {
    const c = resolveDistillConfig({});
    expect(c.sigmas).toEqual([...PAPER_SIGMAS]);
    expect(PAPER_SIGMAS.map(paperLearningRate)).toEqual([5e-5, 5e-5, 5e-5, 5e-5, 5e-5, 5e-4, 5e-4, 5e-3, 5e-2, 5e-2]);
    expect(resolveDistillConfig({ sigmas: [1, 2], lr: [0.1] }).lr).toEqual([0.1, 0.1]);
    expect(() => resolveDistillConfig({ sigmas: [1, -2], steps: 0, method: 'sgd' as 'adam', lr: [1, 2, 3] })).toThrow(/sigmas = \[1,-2\] must be one or more positive numbers; method = 'sgd' must be adam or lstsq; steps = 0 must be an integer ≥ 1/);
    expect(() => resolveDistillConfig({ sigmas: [1, 2], lr: [1, 2, 3] })).toThrow(/lr has 3 values for 2 sigmas/);
  });

  it('choleskySolve solves an SPD system with many right-hand sides in float64', () => {
    const n = 23;
    const nrhs = 7;
    const M = Float64Array.from(randomNormalArray(n * n));
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += M[i * n + k] * M[j * n + k];
      A[i * n + j] = s;
    }
    const Z = Float64Array.from(randomNormalArray(n * nrhs));
    const B = new Float64Array(n * nrhs);
    for (let i = 0; i < n; i++) for (let c = 0; c < nrhs; c++) for (let k = 0; k < n; k++) B[i * nrhs + c] += A[i * n + k] * Z[k * nrhs + c];
    choleskySolve(A, B, n, nrhs);
    expect(relError(B, Z)).toBeLessThan(CHOLESKY_REL);
    const bad = Float64Array.from([1, 2, 2, 1]);
    expect(() => choleskySolve(bad, new Float64Array(2), 2, 1)).toThrow(/not positive definite/);
  });
});

describe('distilling the Gaussian denoiser recovers W_G (MNIST 8×8, held-out images)', () => {
  const sigmas = [PAPER_SIGMAS[1], PAPER_SIGMAS[4], PAPER_SIGMAS[6]]; // 42.4, 4.07, 0.47
  let ds: Dataset;
  let teacher: GaussianDenoiser;
  let WG: LinearModel;
  let adam: LinearModel;
  beforeAll(async () => {
    ds = await loadDataset('mnist:500?resize=8&held-out=300');
    const { structure } = await buildGaussianStructure(gpu, ds.images, ds.n, ds.d, [1, 8, 8]);
    teacher = new GaussianDenoiser(gpu, structure);
    WG = gaussianLinearModel(gpu, structure, sigmas);
  });

  it('Adam (Algorithm 1): weight NMSE < 0.05 and RMSE(D_L, D_G) < 0.01 at σ ∈ {42.4, 4.07, 0.47}', async () => {
    const progress: number[] = [];
    const r = await distillLinear(gpu, teacher, ds.heldOut!, 300, { sigmas, steps: 600, batch: 64, logEvery: 100, seed: Math.floor(Math.random() * 2 ** 30) }, { reference: WG, onProgress: (i, step) => progress.push(i * 1000 + step) });
    adam = r.model;
    expect(progress).toEqual([1, 100, 200, 300, 400, 500, 600, 1001, 1100, 1200, 1300, 1400, 1500, 1600, 2001, 2100, 2200, 2300, 2400, 2500, 2600]);
    const L = new LinearDenoiser(gpu, adam);
    for (let i = 0; i < sigmas.length; i++) {
      const curve = r.curves[i];
      expect(curve.weightNmse![0]).toBeGreaterThan(0.5); // W starts at 0: NMSE ≈ 1
      const nmse = await weightNmse(gpu, adam.W[i], WG.W[i], ds.d);
      expect(nmse, `σ = ${sigmas[i]}`).toBeCloseTo(curve.weightNmse!.at(-1)!, 5);
      expect(nmse, `weight NMSE at σ = ${sigmas[i]}`).toBeLessThan(DISTILL_ADAM_WEIGHT_NMSE);
      const e = await scoreFieldError(gpu, teacher, L, ds.heldOut!, 300, sigmas[i], { samples: 200, seed: Math.floor(Math.random() * 2 ** 30) });
      expect(e.rmse, `RMSE at σ = ${sigmas[i]}`).toBeLessThan(DISTILL_ADAM_RMSE);
    }
  });

  it('least squares recovers W_G to float precision and agrees with Adam', async () => {
    const r = await distillLinear(gpu, teacher, ds.heldOut!, 300, { sigmas, method: 'lstsq', batch: 256, seed: Math.floor(Math.random() * 2 ** 30) }, { reference: WG });
    for (let i = 0; i < sigmas.length; i++) {
      expect(r.curves[i].weightNmse![0], `lstsq weight NMSE at σ = ${sigmas[i]}`).toBeLessThan(DISTILL_LSTSQ_WEIGHT_NMSE);
      expect(await weightNmse(gpu, adam.W[i], r.model.W[i], ds.d), `Adam vs lstsq at σ = ${sigmas[i]}`).toBeLessThan(DISTILL_ADAM_WEIGHT_NMSE);
      expectClose(await gpu.read(r.model.b[i]), await gpu.read(WG.b[i]), 10 * DISTILL_LSTSQ_WEIGHT_NMSE, `lstsq b at σ = ${sigmas[i]}`);
    }
    releaseLinearModel(r.model);
  });
});
