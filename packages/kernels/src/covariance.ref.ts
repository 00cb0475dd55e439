// Float64 references for shaders/covariance.wgsl (covariance.ts): two-pass mean and covariance, Gram matrix,
// the Gram → covariance eigenvector map, and eigenpairs as rows for small symmetric matrices.
import { eighRef } from './jacobi.ref.ts';

/** μ = (1/N)·Σ y_i of N rows of d (row-major). */
export function meanRef(y: ArrayLike<number>, n: number, d: number): Float64Array {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += y[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  return mu;
}

/** Σ = (1/N)·Σ (y_i − μ)(y_i − μ)ᵀ, d×d row-major. */
export function covarianceRef(y: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = meanRef(y, n, d);
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = y[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = c[a];
      for (let b = a; b < d; b++) cov[a * d + b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / n;
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  return { mean, cov };
}

/** G = (1/N)·Yc·Ycᵀ, N×N row-major. */
export function gramRef(y: ArrayLike<number>, n: number, d: number): { mean: Float64Array; gram: Float64Array } {
  const mean = meanRef(y, n, d);
  const yc = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) yc[i * d + j] = y[i * d + j] - mean[j];
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += yc[a * d + j] * yc[b * d + j];
      gram[a * n + b] = gram[b * n + a] = s / n;
    }
  return { mean, gram };
}

/** U (m×d): row i = Ycᵀ·v_i / √(N·λ_i), v_i row i of `vectors` (m×N). */
export function gramToCovEigenvectorsRef(y: ArrayLike<number>, n: number, d: number, vectors: ArrayLike<number>, values: ArrayLike<number>): Float64Array {
  const mean = meanRef(y, n, d);
  const m = values.length;
  const u = new Float64Array(m * d);
  for (let i = 0; i < m; i++) {
    const s = 1 / Math.sqrt(n * values[i]);
    for (let a = 0; a < n; a++) {
      const v = vectors[i * n + a] * s;
      for (let j = 0; j < d; j++) u[i * d + j] += v * (y[a * d + j] - mean[j]);
    }
  }
  return u;
}

/**
 * Eigenpairs of a symmetric n×n matrix (cyclic Jacobi, float64: jacobi.ref.ts's eighRef): values descending,
 * vectors as rows (n×n, row i the unit eigenvector of values[i]). For small test matrices (n ≲ 200).
 */
export function symmetricEigenRef(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const { values, vectors: cols } = eighRef(a, n);
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) vectors[i * n + k] = cols[k * n + i];
  return { values, vectors };
}
