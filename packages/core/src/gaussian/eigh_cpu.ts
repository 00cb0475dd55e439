// Float64 symmetric eigendecomposition on the CPU: Householder tridiagonalisation followed by the
// implicit QL algorithm with Wilkinson shifts (the classic tred2/tql2 pair, Martin–Wilkinson /
// EISPACK). O(n³) with small constants: the fallback when the GPU Jacobi does not converge, and a
// fast float64 cross-check. Written from the algorithm's description; eigenvector rotations act on
// contiguous rows (eigenvectors stored as rows) so the O(n³) QL phase streams memory. The QL is
// tridiagonalQL of @gausslens/kernels (the same code as the GPU eigh's host solve of eigenvalues).
import { tridiagonalQL } from '@gausslens/kernels';

export interface EighCpu {
  values: Float64Array; // descending
  vectors: Float64Array; // n×n row-major, row k is the eigenvector of values[k]
}

export function eighCpu(a: ArrayLike<number>, n: number): EighCpu {
  // V starts as A (symmetrised) and ends as the accumulated Householder transform (columns).
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) V[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalise(V, d, e, n);
  // W = Vᵀ: eigenvector k is row k, so QL's plane rotations touch two contiguous rows.
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[j * n + i] = V[i * n + j];
  ql(W, d, e, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const values = Float64Array.from(order, (i) => d[i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => vectors.set(W.subarray(src * n, (src + 1) * n), k * n));
  return { values, vectors };
}

/** Householder reduction to tridiagonal form: d diagonal, e sub-diagonal (e[0] unused), V the transform. */
function tridiagonalise(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e; e[0] unused as tred2 leaves it); rotations applied to the rows of W. */
function ql(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  if (!tridiagonalQL(d, e, n, W)) throw new Error('eighCpu: QL did not converge (an eigenvalue took over 60 iterations)');
}
