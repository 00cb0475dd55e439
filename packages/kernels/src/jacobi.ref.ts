// Float64 references for the Jacobi eigensolver and SVD (jacobi.ts, eigen.ts): plain cyclic Jacobi,
// one rotation at a time in row-cyclic order, and one-sided (Hestenes) Jacobi for the SVD.

export interface EighRef {
  values: Float64Array; // descending
  vectors: Float64Array; // n×n row-major, column k belongs to values[k]
  sweeps: number;
}

export interface SvdRef {
  values: Float64Array; // r = min(m, n), descending
  u: Float64Array; // m×r row-major
  v: Float64Array; // n×r row-major
  sweeps: number;
}

function order(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((x, y) => values[y] - values[x]);
}

function permuteCols(src: Float64Array, rows: number, ld: number, idx: number[]): Float64Array {
  const k = idx.length;
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) out[i * k + j] = src[i * ld + idx[j]];
  return out;
}

/** Cyclic Jacobi eigendecomposition of the symmetric n×n row-major a (uses (a + aᵀ)/2), float64. */
export function eighRef(a: ArrayLike<number>, n: number, tol = 1e-14, maxSweeps = 60): EighRef {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let fro = 0;
  for (let i = 0; i < n * n; i++) fro += A[i] * A[i];
  fro = Math.sqrt(fro);
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += A[i * n + j] ** 2;
    if (Math.sqrt(off) <= tol * fro || fro === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const app = A[p * n + p];
        const aqq = A[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← JᵀAJ with J_pp = J_qq = c, J_pq = s, J_qp = −s: rows then columns.
        for (let k = 0; k < n; k++) {
          const x = A[p * n + k];
          const y = A[q * n + k];
          A[p * n + k] = c * x - s * y;
          A[q * n + k] = s * x + c * y;
        }
        for (let k = 0; k < n; k++) {
          const x = A[k * n + p];
          const y = A[k * n + q];
          A[k * n + p] = c * x - s * y;
          A[k * n + q] = s * x + c * y;
          const vx = V[k * n + p];
          const vy = V[k * n + q];
          V[k * n + p] = c * vx - s * vy;
          V[k * n + q] = s * vx + c * vy;
        }
        A[p * n + q] = 0;
        A[q * n + p] = 0;
      }
    }
  }
  const d = Array.from({ length: n }, (_, i) => A[i * n + i]);
  const idx = order(d);
  return { values: Float64Array.from(idx, (i) => d[i]), vectors: permuteCols(V, n, n, idx), sweeps };
}

/** Thin SVD of the m×n row-major a by one-sided Jacobi on its columns (on aᵀ when m < n), float64. */
export function svdRef(a: ArrayLike<number>, m: number, n: number, tol = 1e-15, maxSweeps = 60): SvdRef {
  if (m < n) {
    const at = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j];
    const r = svdRef(at, n, m, tol, maxSweeps);
    return { values: r.values, u: r.v, v: r.u, sweeps: r.sweeps };
  }
  const W = Float64Array.from({ length: m * n }, (_, i) => a[i]);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = W[i * n + p];
          const y = W[i * n + q];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const theta = (beta - alpha) / (2 * gamma);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < m; i++) {
          const x = W[i * n + p];
          const y = W[i * n + q];
          W[i * n + p] = c * x - s * y;
          W[i * n + q] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = V[i * n + p];
          const y = V[i * n + q];
          V[i * n + p] = c * x - s * y;
          V[i * n + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += W[i * n + j] ** 2;
    return Math.sqrt(s);
  });
  const idx = order(sigma);
  const u = permuteCols(W, m, n, idx);
  for (let j = 0; j < n; j++) {
    const s = sigma[idx[j]];
    for (let i = 0; i < m; i++) u[i * n + j] = s > 0 ? u[i * n + j] / s : 0;
  }
  return { values: Float64Array.from(idx, (i) => sigma[i]), u, v: permuteCols(V, n, n, idx), sweeps };
}

/** The k largest eigenpairs of the symmetric n×n a (values descending, vectors n×k). */
export function eighTopKRef(a: ArrayLike<number>, n: number, k: number): EighRef {
  const r = eighRef(a, n);
  return { values: r.values.slice(0, k), vectors: permuteCols(r.vectors, n, n, Array.from({ length: k }, (_, i) => i)), sweeps: r.sweeps };
}

/**
 * Householder tridiagonalisation of the symmetric n×n a (uses (a + aᵀ)/2), float64, with the GPU's
 * conventions (LAPACK dlarfg: β = −sign(x₀)·‖x‖): T has diagonal d (n) and off-diagonal e (n − 1);
 * T = QᵀAQ with Q = H₀…H_{n−3}, Hₖ = I − τₖuₖuₖᵀ, uₖ = row k of u (n×n: 0 up to k, 1 at k+1).
 */
export function tridiagonalizeRef(a: ArrayLike<number>, n: number): { d: Float64Array; e: Float64Array; tau: Float64Array; u: Float64Array } {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const tau = new Float64Array(n);
  const us = new Float64Array(n * n);
  const u = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k + 1 < n; k++) {
    const j0 = k + 1;
    const alpha = A[k * n + j0];
    let ss = 0;
    for (let j = j0 + 1; j < n; j++) ss += A[k * n + j] ** 2;
    d[k] = A[k * n + k];
    us[k * n + j0] = 1;
    if (ss === 0) {
      e[k] = alpha;
      continue;
    }
    const beta = -(alpha >= 0 ? 1 : -1) * Math.sqrt(alpha * alpha + ss);
    const t = (beta - alpha) / beta;
    tau[k] = t;
    e[k] = beta;
    u.fill(0);
    u[j0] = 1;
    for (let j = j0 + 1; j < n; j++) u[j] = us[k * n + j] = A[k * n + j] / (alpha - beta);
    // p = τ·A₂₂·u, w = p − (τ/2)(pᵀu)·u, A₂₂ ← A₂₂ − u·wᵀ − w·uᵀ.
    let pu = 0;
    for (let i = j0; i < n; i++) {
      let s = 0;
      for (let j = j0; j < n; j++) s += A[i * n + j] * u[j];
      p[i] = t * s;
      pu += p[i] * u[i];
    }
    for (let i = j0; i < n; i++) p[i] -= 0.5 * t * pu * u[i];
    for (let i = j0; i < n; i++) for (let j = j0; j < n; j++) A[i * n + j] -= u[i] * p[j] + p[i] * u[j];
  }
  d[n - 1] = A[(n - 1) * n + n - 1];
  return { d, e, tau, u: us };
}
