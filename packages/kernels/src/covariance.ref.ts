// Float64 references for shaders/covariance.wgsl (covariance.ts): two-pass mean and covariance, Gram matrix,
// the Gram → covariance eigenvector map, and a cyclic Jacobi eigensolver for small symmetric matrices.

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
 * Eigenpairs of a symmetric n×n matrix (cyclic Jacobi, float64): values descending, vectors as rows (n×n,
 * row i the unit eigenvector of values[i]). For small test matrices (n ≲ 200).
 */
export function symmetricEigenRef(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a as ArrayLike<number>);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += m[p * n + p] ** 2;
      for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p and q
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          // rows p and q
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          // eigenvectors as columns of v
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((col, i) => {
    values[i] = m[col * n + col];
    for (let k = 0; k < n; k++) vectors[i * n + k] = v[k * n + col];
  });
  return { values, vectors };
}
