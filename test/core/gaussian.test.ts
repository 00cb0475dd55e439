// D_G (eq 6), its closed-form trajectory (eq 7) and the EDM samplers, against float64 references.
import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu } from '@gausslens/kernels';
import { GaussianDenoiser, uploadStructure, releaseStructure, gaussianDenoiseRef, gaussianTrajectoryRef, sampleOde, sampleOdeRef, edmSigmas, type StructureRef } from '@gausslens/core';
import { DENOISER_REL, SAMPLER_REL, CLOSED_FORM_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, randomNormalArray, POISON, relError } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

/** A random structure: orthonormal rows of U (r×d, Gram–Schmidt in float64), decaying λ with a few zeros. */
function randomStructure(d: number, r: number): StructureRef & { Uf: Float32Array } {
  const cols: Float64Array[] = [];
  while (cols.length < r) {
    const v = Float64Array.from(randomNormalArray(d));
    for (const u of cols) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += u[i] * v[i];
      for (let i = 0; i < d; i++) v[i] -= dot * u[i];
    }
    const norm = Math.hypot(...v);
    if (norm > 1e-6) cols.push(v.map((x) => x / norm));
  }
  const U = new Float64Array(d * r);
  for (let k = 0; k < r; k++) U.set(cols[k], k * d);
  const eigenvalues = Array.from({ length: r }, (_, k) => (k >= r - 2 && r > 3 ? 0 : 2 * Math.exp(-k / 4) + 1e-3 * Math.random()));
  eigenvalues.sort((a, b) => b - a);
  return { d, mean: Float64Array.from(randomArray(d, -0.5, 0.5)), U, eigenvalues, Uf: Float32Array.from(U) };
}

function upload(s: ReturnType<typeof randomStructure>) {
  return uploadStructure(gpu, { d: s.d, n: 100, mean: Float32Array.from(s.mean), eigenvalues: s.eigenvalues, U: s.Uf });
}

describe('Gaussian denoiser D_G', () => {
  for (const [d, r, b] of [[1, 1, 1], [37, 9, 5], [200, 57, 13]] as const) {
    it(`matches float64 at σ ∈ {0.002, 0.02, 1.5, 80}, d = ${d}, r = ${r}, b = ${b}`, async () => {
      const s = randomStructure(d, r);
      const st = upload(s);
      const den = new GaussianDenoiser(gpu, st);
      const x = randomArray(b * d, -1.5, 1.5);
      const bx = gpu.upload(x);
      const out = gpu.alloc(b * d);
      for (const sigma of [0.002, 0.02, 1.5, 80]) {
        gpu.fill(out, POISON);
        den.denoise(gpu, bx, b, sigma, out);
        // Round the structure to float32 as the GPU sees it, then compute in float64.
        const ref = gaussianDenoiseRef({ ...s, U: s.Uf, mean: Float32Array.from(s.mean) }, x, b, sigma);
        expectClose(await gpu.read(out), ref, DENOISER_REL, `D_G σ=${sigma}`);
      }
      den.release();
      releaseStructure(st);
      bx.release();
      out.release();
    });
  }

  it('at σ = 80 returns ≈ μ', async () => {
    const s = randomStructure(64, 16);
    const st = upload(s);
    const den = new GaussianDenoiser(gpu, st);
    const bx = gpu.upload(randomArray(3 * 64));
    const out = gpu.alloc(3 * 64);
    den.denoise(gpu, bx, 3, 80, out);
    const got = await gpu.read(out);
    const mu = Array.from({ length: 3 * 64 }, (_, i) => s.mean[i % 64]);
    expect(relError(got, mu)).toBeLessThan(2 * 2 / 6400 * 10);
    den.release();
    releaseStructure(st);
    bx.release();
    out.release();
  });
});

describe('closed-form Gaussian trajectory (eq 7)', () => {
  it('matches a fine float64 Heun integration of the ODE with D_G', async () => {
    const [d, r, b] = [48, 12, 4];
    const s = randomStructure(d, r);
    const sRef = { ...s, U: s.Uf, mean: Float32Array.from(s.mean) };
    const st = upload(s);
    const den = new GaussianDenoiser(gpu, st);
    const sigmaT = 80;
    const xT = Float32Array.from(randomNormalArray(b * d), (v) => v * sigmaT);
    const bx = gpu.upload(xT);
    const out = gpu.alloc(b * d);
    // Fine Heun in log σ from σ_T down to 0.002, float64.
    let x = Float64Array.from(xT);
    const steps = 4000;
    const lo = 0.002;
    const grid = Array.from({ length: steps + 1 }, (_, i) => sigmaT * (lo / sigmaT) ** (i / steps));
    const f = (y: Float64Array, sg: number) => {
      const D = gaussianDenoiseRef(sRef, y, b, sg);
      return y.map((v, j) => (v - D[j]) / sg);
    };
    for (let i = 0; i < steps; i++) {
      const [s0, s1] = [grid[i], grid[i + 1]];
      const d1 = f(x, s0);
      const xe = x.map((v, j) => v + (s1 - s0) * d1[j]);
      const d2 = f(xe, s1);
      x = x.map((v, j) => v + ((s1 - s0) / 2) * (d1[j] + d2[j]));
    }
    gpu.fill(out, POISON);
    den.trajectory(gpu, bx, b, sigmaT, lo, out);
    expectClose(await gpu.read(out), x, CLOSED_FORM_REL, 'closed form vs ODE');
    // And the float64 closed form itself agrees with the integration (the formula, not only the kernel).
    expect(relError(gaussianTrajectoryRef(sRef, xT, b, sigmaT, lo), x)).toBeLessThan(CLOSED_FORM_REL);
    den.release();
    releaseStructure(st);
    bx.release();
    out.release();
  });
});

describe('EDM samplers with D_G', () => {
  for (const sampler of ['euler', 'heun'] as const) {
    for (const steps of [1, 10, 18]) {
      it(`${sampler}, ${steps} steps, matches the float64 sampler`, async () => {
        const [d, r, b] = [30, 10, 3];
        const s = randomStructure(d, r);
        const sRef = { ...s, U: s.Uf, mean: Float32Array.from(s.mean) };
        const st = upload(s);
        const den = new GaussianDenoiser(gpu, st);
        const xT = Float32Array.from(randomNormalArray(b * d), (v) => v * 80);
        const bx = gpu.upload(xT);
        const seen: number[] = [];
        const x0 = await sampleOde(gpu, den, bx, b, { sampler, steps, onStep: (st) => void seen.push(st.sigma) });
        const ref = sampleOdeRef((y, sg) => gaussianDenoiseRef(sRef, y, b, sg), xT, sampler, { steps });
        expectClose(await gpu.read(x0, b * d), ref, SAMPLER_REL, `${sampler} ${steps}`);
        expect(seen).toEqual(edmSigmas({ steps }));
        for (const buf of [bx, x0]) buf.release();
        den.release();
        releaseStructure(st);
      });
    }
  }
});
