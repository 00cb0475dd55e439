// The Gaussian structure of a data set: mean μ, covariance eigenpairs Σ = U Λ Uᵀ (eq 6).
import type { Gpu, GpuBuffer } from '@gausslens/kernels';

export interface GaussianStructure {
  d: number; // dimension of an image (c·h·w)
  n: number; // training images it was built from
  rank: number; // r eigenpairs kept (the rest have eigenvalue 0)
  mean: GpuBuffer; // μ, length d
  eigenvalues: Float64Array; // λ_1 ≥ … ≥ λ_r ≥ 0, length r (host copy)
  eigenvaluesGpu: GpuBuffer; // the same on the GPU
  U: GpuBuffer; // r×d row-major: row k is u_k (the k-th eigen-image)
  imageShape: [number, number, number] | null; // (c, h, w) when known
  host: { mean: Float32Array; U: Float32Array }; // host copies (for saving and eigen-images)
}

/** Uploads a structure computed elsewhere (or loaded from disk). */
export function uploadStructure(gpu: Gpu, s: { d: number; n: number; mean: Float32Array; eigenvalues: ArrayLike<number>; U: Float32Array; imageShape?: [number, number, number] | null }): GaussianStructure {
  const rank = s.eigenvalues.length;
  if (s.mean.length !== s.d) throw new Error(`Gaussian structure: mean has ${s.mean.length} values, expected d = ${s.d}`);
  if (s.U.length !== s.d * rank) throw new Error(`Gaussian structure: U has ${s.U.length} values, expected r×d = ${rank}×${s.d}`);
  const eigenvalues = Float64Array.from(s.eigenvalues, (v) => Math.max(0, v));
  return {
    d: s.d,
    n: s.n,
    rank,
    mean: gpu.upload(s.mean, 'gaussian-mean'),
    eigenvalues,
    eigenvaluesGpu: gpu.upload(Float32Array.from(eigenvalues), 'gaussian-eigenvalues'),
    U: gpu.upload(s.U, 'gaussian-U'),
    imageShape: s.imageShape ?? null,
    host: { mean: s.mean, U: s.U },
  };
}

export function releaseStructure(s: GaussianStructure): void {
  for (const b of [s.mean, s.eigenvaluesGpu, s.U]) b.release();
}
