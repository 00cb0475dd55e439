// Float64 references of D_G (eq 6) and the closed-form trajectory (eq 7), for tests.

export interface StructureRef {
  d: number;
  mean: ArrayLike<number>; // μ (d)
  U: ArrayLike<number>; // r×d row-major, row k = u_k
  eigenvalues: ArrayLike<number>; // λ (r)
}

function coeffs(s: StructureRef, x: ArrayLike<number>, row: number): Float64Array {
  const r = s.eigenvalues.length;
  const c = new Float64Array(r);
  for (let i = 0; i < s.d; i++) {
    const z = x[row * s.d + i] - s.mean[i];
    for (let k = 0; k < r; k++) c[k] += s.U[k * s.d + i] * z;
  }
  return c;
}

/** D_G(x; σ) for the b rows of x. */
export function gaussianDenoiseRef(s: StructureRef, x: ArrayLike<number>, b: number, sigma: number): Float64Array {
  const r = s.eigenvalues.length;
  const out = new Float64Array(b * s.d);
  for (let row = 0; row < b; row++) {
    const c = coeffs(s, x, row);
    for (let k = 0; k < r; k++) c[k] *= s.eigenvalues[k] / (s.eigenvalues[k] + sigma * sigma);
    for (let i = 0; i < s.d; i++) {
      let v = s.mean[i];
      for (let k = 0; k < r; k++) v += s.U[k * s.d + i] * c[k];
      out[row * s.d + i] = v;
    }
  }
  return out;
}

/** x(σ) on the probability-flow trajectory from x_T at σ_T (eq 7; eigenvalue-0 complement scales by σ/σ_T). */
export function gaussianTrajectoryRef(s: StructureRef, xT: ArrayLike<number>, b: number, sigmaT: number, sigma: number): Float64Array {
  const r = s.eigenvalues.length;
  const g = sigma / sigmaT;
  const out = new Float64Array(b * s.d);
  for (let row = 0; row < b; row++) {
    const c = coeffs(s, xT, row);
    for (let k = 0; k < r; k++) c[k] *= Math.sqrt((sigma * sigma + s.eigenvalues[k]) / (sigmaT * sigmaT + s.eigenvalues[k])) - g;
    for (let i = 0; i < s.d; i++) {
      let v = s.mean[i] + g * (xT[row * s.d + i] - s.mean[i]);
      for (let k = 0; k < r; k++) v += s.U[k * s.d + i] * c[k];
      out[row * s.d + i] = v;
    }
  }
  return out;
}
