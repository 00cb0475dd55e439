// The paper's per-σ metrics on cases with known answers: linearity score (eqs 11–12), score-field
// error (eq 10), weight NMSE and singular-vector alignment (Fig. 4), and the alignment heat map.
import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu } from '@gausslens/kernels';
import {
  LinearDenoiser, GaussianDenoiser, MultiDeltaDenoiser, linearityScore, scoreFieldError, weightNmse, singularAlignment, alignmentHeatmapPng,
  uploadStructure, releaseStructure, buildGaussianStructure, loadDataset, decodePng, viridis, type LinearModel,
} from '@gausslens/core';
import { randomArray, randomNormalArray } from '../support/check.ts';
import { LINEARITY_EXACT, SCORE_FIELD_REL, WEIGHT_NMSE_REL, ALIGNMENT_ABS } from '../support/tolerances.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

const model = (d: number, W: Float32Array, b: Float32Array): LinearModel => ({ d, sigmas: [1], W: [gpu.upload(W)], b: [gpu.upload(b)], imageShape: null });
const release = (m: LinearModel) => [...m.W, ...m.b].forEach((t) => t.release());

/** Q (n×n, orthonormal columns) by Gram–Schmidt in float64. */
function orthogonal(n: number): Float64Array {
  const Q = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const v = Float64Array.from(randomNormalArray(n));
    for (let p = 0; p < k; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += Q[i * n + p] * v[i];
      for (let i = 0; i < n; i++) v[i] -= dot * Q[i * n + p];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) Q[i * n + k] = v[i] / norm;
  }
  return Q;
}

/** A·diag(s)·Bᵀ for n×n A, B. */
function compose(A: Float64Array, s: number[], B: Float64Array, n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let v = 0;
    for (let k = 0; k < n; k++) v += A[i * n + k] * s[k] * B[j * n + k];
    out[i * n + j] = v;
  }
  return out;
}

describe('linearity score', () => {
  const d = 23;
  const n = 40;
  const images = randomArray(n * d, -1, 1);

  it('is 1 (cosine) and 0 (NMSE) for a linear D (b = 0), at any α', async () => {
    const m = model(d, randomArray(d * d, -0.4, 0.4), new Float32Array(d));
    const L = new LinearDenoiser(gpu, m);
    for (const alpha of [Math.SQRT1_2, 0.3, 0.9]) {
      const r = await linearityScore(gpu, L, images, n, 1, { pairs: 17, alpha, seed: Math.floor(Math.random() * 1e6) });
      expect(1 - r.cosine).toBeLessThan(LINEARITY_EXACT);
      expect(r.nmse).toBeLessThan(LINEARITY_EXACT);
    }
    release(m);
  });

  it('for a constant D = b (W = 0): cosine 1, NMSE exactly |1 − α − β| (the paper’s definition); affine: 1 and 0', async () => {
    const m = model(d, new Float32Array(d * d), randomArray(d, 0.2, 1));
    const L = new LinearDenoiser(gpu, m);
    for (const alpha of [Math.SQRT1_2, 0.25]) {
      const beta = Math.sqrt(1 - alpha * alpha);
      const r = await linearityScore(gpu, L, images, n, 0.5, { pairs: 9, alpha });
      expect(1 - r.cosine).toBeLessThan(LINEARITY_EXACT);
      expect(Math.abs(r.nmse - Math.abs(1 - alpha - beta)) / Math.abs(1 - alpha - beta)).toBeLessThan(LINEARITY_EXACT);
    }
    const a = await linearityScore(gpu, L, images, n, 0.5, { pairs: 9, affine: true });
    expect(1 - a.cosine).toBeLessThan(LINEARITY_EXACT);
    expect(a.nmse).toBeLessThan(LINEARITY_EXACT);
    release(m);
  });

  it('a random affine D scores exactly with affine: true, and below 1 in NMSE by the paper’s definition', async () => {
    const m = model(d, randomArray(d * d, -0.4, 0.4), randomArray(d, -1, 1));
    const L = new LinearDenoiser(gpu, m);
    const a = await linearityScore(gpu, L, images, n, 2, { pairs: 25, affine: true });
    expect(1 - a.cosine).toBeLessThan(LINEARITY_EXACT);
    expect(a.nmse).toBeLessThan(LINEARITY_EXACT);
    const p = await linearityScore(gpu, L, images, n, 2, { pairs: 25 });
    expect(p.nmse).toBeGreaterThan(0.01);
    release(m);
  });

  it('the Gaussian denoiser of zero-mean data scores 1; rejects bad α and pairs', async () => {
    const r = 7;
    const Q = orthogonal(d);
    const U = new Float32Array(r * d);
    for (let k = 0; k < r; k++) for (let i = 0; i < d; i++) U[k * d + i] = Q[i * d + k];
    const st = uploadStructure(gpu, { d, n: 100, mean: new Float32Array(d), eigenvalues: Array.from({ length: r }, (_, k) => 2 / (k + 1)), U });
    const G = new GaussianDenoiser(gpu, st);
    for (const sigma of [0.02, 0.5, 40]) {
      const s = await linearityScore(gpu, G, images, n, sigma, { pairs: 20 });
      expect(1 - s.cosine, `σ = ${sigma}`).toBeLessThan(LINEARITY_EXACT);
      expect(s.nmse, `σ = ${sigma}`).toBeLessThan(LINEARITY_EXACT);
    }
    await expect(linearityScore(gpu, G, images, n, 1, { alpha: 1 })).rejects.toThrow(/α = 1 must be in \(0, 1\)/);
    await expect(linearityScore(gpu, G, images, n, 1, { pairs: 0 })).rejects.toThrow(/pairs = 0/);
    G.release();
    releaseStructure(st);
  });

  it('MNIST 8×8: D_G is affine to float32, D_M at σ = 0.47 clearly is not', async () => {
    const ds = await loadDataset('mnist:300?resize=8&held-out=200');
    const { structure } = await buildGaussianStructure(gpu, ds.images, ds.n, ds.d, [1, 8, 8]);
    const G = new GaussianDenoiser(gpu, structure);
    const train = gpu.upload(ds.images);
    const M = new MultiDeltaDenoiser(train, ds.n, ds.d);
    const held = ds.heldOut!;
    const seed = Math.floor(Math.random() * 2 ** 30); // fresh pairs and noise every run
    const g = await linearityScore(gpu, G, held, 200, 0.47, { affine: true, seed });
    expect(1 - g.cosine).toBeLessThan(LINEARITY_EXACT);
    const gp = await linearityScore(gpu, G, held, 200, 0.47, { seed });
    const mp = await linearityScore(gpu, M, held, 200, 0.47, { seed });
    const ma = await linearityScore(gpu, M, held, 200, 0.47, { affine: true, seed });
    expect(gp.cosine).toBeGreaterThan(0.98); // b_G ≠ 0: below 1 by the (1 − α − β)·b_G term only
    expect(mp.cosine).toBeLessThan(gp.cosine - 0.01);
    expect(ma.nmse).toBeGreaterThan(0.1);
    G.release();
    releaseStructure(structure);
    train.release();
  });
});

describe('score-field error (eq 10)', () => {
  const d = 31;
  const n = 25;
  const images = randomArray(n * d, -1, 1);

  it('is 0 between a denoiser and itself, and the shift between D and D + s', async () => {
    const W = randomArray(d * d, -0.3, 0.3);
    const b = randomArray(d, -1, 1);
    const s = randomArray(d, -0.2, 0.2);
    const shifted = Float32Array.from(b, (v, i) => v + s[i]);
    const [m1, m2] = [model(d, W, b), model(d, W, shifted)];
    const [L1, L2] = [new LinearDenoiser(gpu, m1), new LinearDenoiser(gpu, m2)];
    const self = await scoreFieldError(gpu, L1, L1, images, n, 1.5, { samples: 30 });
    expect(self).toEqual({ rmse: 0, nmse: 0 });
    const e = await scoreFieldError(gpu, L1, L2, images, n, 1.5, { samples: 300, chunk: 64 });
    const norm = Math.hypot(...s);
    expect(Math.abs(e.rmse - norm / Math.sqrt(d)) / (norm / Math.sqrt(d))).toBeLessThan(SCORE_FIELD_REL);
    for (const m of [m1, m2]) release(m);
    // W = 0: D_1 = b, so NMSE = ‖s‖/‖b‖ exactly.
    const [c1, c2] = [model(d, new Float32Array(d * d), b), model(d, new Float32Array(d * d), shifted)];
    const c = await scoreFieldError(gpu, new LinearDenoiser(gpu, c1), new LinearDenoiser(gpu, c2), images, n, 0.1, { samples: 10 });
    expect(Math.abs(c.nmse - norm / Math.hypot(...b)) / (norm / Math.hypot(...b))).toBeLessThan(SCORE_FIELD_REL);
    for (const m of [c1, c2]) release(m);
  });
});

describe('weight metrics', () => {
  it('weight NMSE: 1 for W = 0, 0 for W = W_G, and matches float64 for random matrices', async () => {
    const d = 41;
    const WG = randomArray(d * d);
    const W = randomArray(d * d);
    const [g, w, z] = [gpu.upload(WG), gpu.upload(W), gpu.upload(new Float32Array(d * d))];
    expect(await weightNmse(gpu, z, g, d)).toBe(1);
    expect(await weightNmse(gpu, g, g, d)).toBe(0);
    let num = 0;
    let den = 0;
    for (let i = 0; i < d * d; i++) {
      num += (W[i] - WG[i]) ** 2;
      den += WG[i] ** 2;
    }
    const ref = Math.sqrt(num / den);
    expect(Math.abs((await weightNmse(gpu, w, g, d)) - ref) / ref).toBeLessThan(WEIGHT_NMSE_REL);
    for (const t of [g, w, z]) t.release();
  });

  it('singular alignment: |identity| for W with itself, the permutation for permuted singular values', async () => {
    const d = 37;
    const k = 9;
    const [A, B] = [orthogonal(d), orthogonal(d)];
    const s = Array.from({ length: d }, (_, i) => 3 * 0.85 ** i); // well separated
    const perm = [1, 0, 2, 4, 3, 5, 6, 8, 7];
    const sp = s.map((_, i) => (i < k ? s[perm[i]] : s[i]));
    const W1 = gpu.upload(compose(A, s, B, d)); // right singular vectors: B's columns
    const W2 = gpu.upload(compose(B, sp, B, d)); // same vectors, top values swapped in pairs
    const self = await singularAlignment(gpu, W1, W1, d, k);
    const cross = await singularAlignment(gpu, W1, W2, d, k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
      expect(Math.abs(self[a * k + b] - (a === b ? 1 : 0)), `self [${a}, ${b}]`).toBeLessThan(ALIGNMENT_ABS);
      // W2's b-th vector is B's column perm[b]; W1's a-th is B's column a.
      expect(Math.abs(cross[a * k + b] - (perm[b] === a ? 1 : 0)), `cross [${a}, ${b}]`).toBeLessThan(ALIGNMENT_ABS);
    }
    await expect(singularAlignment(gpu, W1, W2, d, d + 1)).rejects.toThrow(/k = 38 must be an integer in \[1, d = 37\]/);
    W1.release();
    W2.release();
  });

  it('the heat map is a k·scale PNG, viridis from 0 (dark) to 1 (yellow)', () => {
    const k = 5;
    const m = new Float32Array(k * k);
    for (let i = 0; i < k; i++) m[i * k + i] = 1;
    const png = decodePng(alignmentHeatmapPng(m, k, 3));
    expect([png.c, png.h, png.w]).toEqual([3, 15, 15]);
    const px = (y: number, x: number) => [0, 1, 2].map((c) => Math.round((png.data[c * 225 + y * 15 + x] + 1) * 127.5));
    expect(px(0, 0)).toEqual(viridis(1).map(Math.round));
    expect(px(0, 14)).toEqual(viridis(0).map(Math.round));
    expect(viridis(0)).toEqual([68, 1, 84]);
  });
});
