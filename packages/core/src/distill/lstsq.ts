// Host float64 linear algebra for the closed-form solve of (9): Cholesky factorisation of the
// (symmetric positive definite) covariance of the noisy inputs and the solve for many right-hand
// sides. O(n³/3 + 2n²·nrhs) flops; n ≤ ~1024 takes a few seconds in JavaScript.

/**
 * Solves A·Z = B in place for SPD A (n×n row-major, overwritten by its Cholesky factor L in the lower
 * triangle) and B (n×nrhs row-major, overwritten by Z). Throws when A is not positive definite.
 */
export function choleskySolve(A: Float64Array, B: Float64Array, n: number, nrhs: number): void {
  if (A.length < n * n || B.length < n * nrhs) throw new RangeError(`choleskySolve: A needs ${n * n} values, B ${n * nrhs}`);
  // A = L·Lᵀ, row by row (L in the lower triangle of A).
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= A[ri + k] * A[rj + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`least squares: the input covariance is not positive definite at row ${i} (pivot ${s.toExponential(2)}); use more samples or a larger σ`);
        A[ri + i] = Math.sqrt(s);
      } else {
        A[ri + j] = s / A[rj + j];
      }
    }
  }
  // L·Y = B (forward), then Lᵀ·Z = Y (backward); each updates whole rows of B.
  for (let i = 0; i < n; i++) {
    const bi = i * nrhs;
    for (let k = 0; k < i; k++) {
      const l = A[i * n + k];
      if (l === 0) continue;
      const bk = k * nrhs;
      for (let c = 0; c < nrhs; c++) B[bi + c] -= l * B[bk + c];
    }
    const inv = 1 / A[i * n + i];
    for (let c = 0; c < nrhs; c++) B[bi + c] *= inv;
  }
  for (let i = n - 1; i >= 0; i--) {
    const bi = i * nrhs;
    for (let k = i + 1; k < n; k++) {
      const l = A[k * n + i];
      if (l === 0) continue;
      const bk = k * nrhs;
      for (let c = 0; c < nrhs; c++) B[bi + c] -= l * B[bk + c];
    }
    const inv = 1 / A[i * n + i];
    for (let c = 0; c < nrhs; c++) B[bi + c] *= inv;
  }
}
