// Building the Gaussian structure on the GPU (eq 6): μ and Σ by the covariance kernel (or the
// N×N Gram matrix of the centred data when N < d, which has the same nonzero spectrum and is far
// cheaper), then the symmetric eigendecomposition by parallel Jacobi.
import { covariance, gram, gramToCovEigenvectors, eigh, transposeMatrix, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import { uploadStructure, type GaussianStructure } from './structure.ts';
import { eighCpu } from './eigh_cpu.ts';

export type StructureRoute = 'covariance' | 'gram';

export interface BuildOptions {
  route?: StructureRoute | 'auto'; // auto: Gram when N < d
  relTol?: number; // eigenvalues below relTol·λ_max count as 0 and are dropped
  solver?: 'gpu' | 'cpu'; // eigensolver: the GPU's eigh (default; float64 CPU QL if it does not converge) or CPU QL
  onPhase?: (phase: string) => void; // progress: 'covariance', 'eigendecomposition', …
}

export interface BuildInfo {
  route: StructureRoute;
  seconds: number; // wall time of the whole build
  eigSeconds: number; // of the eigendecomposition
  sweeps: number; // Jacobi sweeps
  offNorm: number; // final ‖off(UᵀAU)‖_F/‖A‖_F
  dropped: number; // eigenpairs dropped as numerically zero
  solver: 'gpu-tridiagonal' | 'gpu-jacobi' | 'cpu-ql' | 'cpu-ql (the GPU solver did not converge)'; // which eigensolver produced the result
}

interface Eig {
  values: Float32Array;
  vectors: GpuBuffer; // n×n, column k = eigenvector k
  sweeps: number;
  offNorm: number;
  ms: number;
  solver: BuildInfo['solver'];
  release(): void;
}

/** The symmetric eigendecomposition of the n×n matrix in `a`: GPU Jacobi, or float64 QL on the CPU as asked or as a fallback. */
async function eigen(gpu: Gpu, a: GpuBuffer, n: number, solver: 'gpu' | 'cpu', onPhase?: (p: string) => void): Promise<Eig> {
  let why: BuildInfo['solver'] = 'cpu-ql';
  if (solver === 'gpu') {
    const e = await eigh(gpu, a, n);
    if (e.converged || e.offNorm < 1e-5) return { ...e, solver: e.method === 'jacobi' ? 'gpu-jacobi' : 'gpu-tridiagonal' };
    onPhase?.(`the GPU eigensolver (${e.method}) did not converge (residual ${e.offNorm.toExponential(2)}): using the float64 CPU eigensolver`);
    e.release();
    why = 'cpu-ql (the GPU solver did not converge)';
  }
  const t0 = performance.now();
  const host = await gpu.read(a, n * n);
  const r = eighCpu(host, n);
  // Column k of the n×n result is eigenvector k, as eigh returns it.
  const cols = new Float32Array(n * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) cols[i * n + k] = r.vectors[k * n + i];
  const vectors = gpu.upload(cols, 'eig-vectors');
  return { values: Float32Array.from(r.values), vectors, sweeps: 0, offNorm: 0, ms: performance.now() - t0, solver: why, release: () => vectors.release() };
}

/** Takes the first r rows of the transpose of an n×n column-eigenvector matrix: U (r×m… row k = column k). */
function topRowsOfTranspose(gpu: Gpu, vectors: GpuBuffer, n: number, r: number): GpuBuffer {
  const t = gpu.alloc(n * n, 'eig-transposed');
  transposeMatrix(gpu, vectors, n, n, t);
  const rows = gpu.alloc(Math.max(1, r * n), 'eig-rows');
  if (r > 0) gpu.copy(t, rows, r * n);
  t.release();
  return rows;
}

/**
 * μ, eigenvalues and eigenvectors of the data's covariance (divided by N). `images` is N×d
 * row-major in [-1, 1]. The eigenvectors are returned as rows (eigen-images), λ descending.
 */
export async function buildGaussianStructure(gpu: Gpu, images: Float32Array, n: number, d: number, imageShape: [number, number, number] | null, opts: BuildOptions = {}): Promise<{ structure: GaussianStructure; info: BuildInfo }> {
  const t0 = performance.now();
  const route: StructureRoute = opts.route && opts.route !== 'auto' ? opts.route : n < d ? 'gram' : 'covariance';
  const relTol = opts.relTol ?? 1e-6;
  const data = gpu.upload(images.subarray(0, n * d), 'gaussian-data');
  let mean: GpuBuffer;
  let U: GpuBuffer;
  let values: number[];
  let eigMs = 0;
  let sweeps = 0;
  let offNorm = 0;
  let dropped = 0;
  let solver: BuildInfo['solver'] = 'gpu-tridiagonal';
  if (route === 'covariance') {
    opts.onPhase?.(`covariance of ${n} images, d = ${d}`);
    const cov = covariance(gpu, { data, n, d });
    if (Array.isArray(cov.cov)) throw new Error(`Gaussian structure: Σ (${d}×${d}) does not fit one storage binding; use fewer pixels (--resize) or the Gram route with N < d`);
    opts.onPhase?.(`eigendecomposition of Σ (${d}×${d})`);
    const e = await eigen(gpu, cov.cov, d, opts.solver ?? 'gpu', opts.onPhase);
    solver = e.solver;
    eigMs = e.ms;
    sweeps = e.sweeps;
    offNorm = e.offNorm;
    const lmax = Math.max(e.values[0], 0);
    const r = Array.from(e.values).filter((l) => l > relTol * lmax).length;
    dropped = d - r;
    values = Array.from(e.values.subarray(0, r));
    U = topRowsOfTranspose(gpu, e.vectors, d, r);
    mean = cov.mean;
    e.release();
    for (const p of cov.panels) p.release();
  } else {
    opts.onPhase?.(`Gram matrix of ${n} images, d = ${d}`);
    const g = gram(gpu, { data, n, d });
    if (Array.isArray(g.gram)) throw new Error(`Gaussian structure: the Gram matrix (${n}×${n}) does not fit one storage binding`);
    opts.onPhase?.(`eigendecomposition of the Gram matrix (${n}×${n})`);
    const e = await eigen(gpu, g.gram, n, opts.solver ?? 'gpu', opts.onPhase);
    solver = e.solver;
    eigMs = e.ms;
    sweeps = e.sweeps;
    offNorm = e.offNorm;
    const lmax = Math.max(e.values[0], 0);
    const r = Math.min(n - 1, Array.from(e.values).filter((l) => l > relTol * lmax).length);
    dropped = d - r;
    values = Array.from(e.values.subarray(0, r));
    const v = topRowsOfTranspose(gpu, e.vectors, n, r);
    opts.onPhase?.(`covariance eigenvectors from ${r} Gram eigenvectors`);
    U = r > 0 ? gramToCovEigenvectors(gpu, { data, n, d, vectors: v, values }) : gpu.alloc(1, 'gaussian-U');
    mean = g.mean;
    v.release();
    e.release();
    for (const p of g.panels) p.release();
  }
  data.release();
  const [meanHost, Uhost] = [await gpu.read(mean, d), await gpu.read(U, values.length * d)];
  mean.release();
  U.release();
  const structure = uploadStructure(gpu, { d, n, mean: meanHost, eigenvalues: values, U: Uhost, imageShape });
  return { structure, info: { route, seconds: (performance.now() - t0) / 1000, eigSeconds: eigMs / 1000, sweeps, offNorm, dropped, solver } };
}
