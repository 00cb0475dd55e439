// D_G, the Gaussian denoiser (eq 6): D_G(x; σ) = μ + U·diag(λ_k/(λ_k + σ²))·Uᵀ(x − μ), the
// Wiener filter W_G = Σ(Σ + σ²I)⁻¹, b_G = (I − W_G)μ; and the closed-form probability-flow
// trajectory under it (eq 7). Two skinny GEMMs a call: cost O(b·d·r).
import { gemm, mulRow, axpbyRow, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import type { Denoiser, DenoiserSpec } from './types.ts';
import type { GaussianStructure } from '../gaussian/structure.ts';

export class GaussianDenoiser implements Denoiser {
  readonly spec: DenoiserSpec = { kind: 'gaussian' };
  readonly d: number;
  /** −Uᵀμ (length r): the projection of −μ, so that Uᵀ(x − μ) is one GEMM with a bias. */
  private readonly negMuU: GpuBuffer;

  constructor(
    gpu: Gpu,
    readonly structure: GaussianStructure,
  ) {
    this.d = structure.d;
    const { d, rank: r, mean, U } = structure;
    this.negMuU = gpu.alloc(Math.max(1, r), 'gaussian-negMuU');
    if (r > 0) gemm(gpu, { a: mean, b: U, c: this.negMuU, m: 1, n: r, k: d, transB: true, alpha: -1 });
  }

  /** c ← Uᵀ(x − μ) for each row of x (b×r). */
  private project(gpu: Gpu, x: GpuBuffer, b: number): GpuBuffer {
    const { d, rank: r, U } = this.structure;
    const c = gpu.alloc(b * r, 'gaussian-coeffs');
    gemm(gpu, { a: x, b: U, c, m: b, n: r, k: d, transB: true, bias: this.negMuU, biasAxis: 'col' });
    return c;
  }

  denoise(gpu: Gpu, x: GpuBuffer, b: number, sigma: number, out: GpuBuffer): void {
    const { d, rank: r, U, mean, eigenvalues } = this.structure;
    if (r === 0) {
      axpbyRow(gpu, 0, x, 1, mean, out, b, d);
      return;
    }
    const c = this.project(gpu, x, b);
    const w = gpu.upload(Float32Array.from(eigenvalues, (l) => l / (l + sigma * sigma)), 'gaussian-shrink');
    const cw = gpu.alloc(b * r, 'gaussian-shrunk');
    mulRow(gpu, c, w, cw, b, r);
    // out = (diag(w)·Uᵀ(x − μ))ᵀ·U + μ, row by row.
    gemm(gpu, { a: cw, b: U, c: out, m: b, n: d, k: r, bias: mean, biasAxis: 'col' });
    for (const t of [c, w, cw]) t.release();
  }

  /**
   * The exact probability-flow ODE solution under D_G (eq 7) from x_T at σ_T to σ:
   * x(σ) = μ + Σ_k √((σ² + λ_k)/(σ_T² + λ_k))·u_kᵀ(x_T − μ)·u_k, where the eigenvalue-0
   * complement of U scales by σ/σ_T.
   */
  trajectory(gpu: Gpu, xT: GpuBuffer, b: number, sigmaT: number, sigma: number, out: GpuBuffer): void {
    const { d, rank: r, U, mean, eigenvalues } = this.structure;
    const g = sigma / sigmaT;
    // out = g·(x_T − μ) + μ: the complement's part (and a start for the U part).
    axpbyRow(gpu, g, xT, 1 - g, mean, out, b, d);
    if (r === 0) return;
    const c = this.project(gpu, xT, b);
    const f = gpu.upload(Float32Array.from(eigenvalues, (l) => Math.sqrt((sigma * sigma + l) / (sigmaT * sigmaT + l)) - g), 'gaussian-flow');
    const cf = gpu.alloc(b * r, 'gaussian-flowed');
    mulRow(gpu, c, f, cf, b, r);
    gemm(gpu, { a: cf, b: U, c: out, m: b, n: d, k: r, beta: 1 });
    for (const t of [c, f, cf]) t.release();
  }

  release(): void {
    this.negMuU.release();
  }
}
