// Linear denoisers D_L(x; σ_i) = W_i x + b_i (eq 8): one affine model per noise level, as linear
// distillation (Algorithm 1) produces them; the Gaussian denoiser's own W_G, b_G (eq 6) in the same
// form; and decoding their safetensors files (W.<i> [d, d], b.<i> [d], sigmas [S] F64, JSON metadata).
// Node-free (the viewer runs it); reading and writing files is in linear_io.ts.
import { axpby, gemm, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import type { Denoiser, DenoiserSpec } from '../denoisers/types.ts';
import type { GaussianStructure } from '../gaussian/structure.ts';
import type { SafetensorsFile } from '../io/safetensors_format.ts';

/** W[i]: d×d row-major and b[i]: d, so that D_L(x; σ_i) = W[i]·x + b[i] (eq 8). */
export interface LinearModel {
  d: number; // dimension of x (c·h·w)
  sigmas: number[]; // σ_i of each model (any order; the paper's are descending)
  W: GpuBuffer[]; // W_σ, d×d row-major (out = W·x: row j holds output pixel j's weights)
  b: GpuBuffer[]; // b_σ, length d
  imageShape: [number, number, number] | null; // (c, h, w) when known
}

/** The safetensors metadata `format` of a linear-model file. */
export const LINEAR_MODEL_FORMAT = 'gausslens-linear-model';

/** Frees a model's GPU buffers. */
export function releaseLinearModel(m: LinearModel): void {
  for (const t of [...m.W, ...m.b]) t.release();
}

/** Relative tolerance within which a σ counts as one of the model's own (no interpolation). */
const SIGMA_MATCH_REL = 1e-6;

/**
 * D_L as a Denoiser. For a σ among the model's sigmas (to relative 1e-6) it applies that model;
 * for any other σ it interpolates linearly in ln σ between the two neighbouring models:
 * D(x; σ) = (1 − t)·(W_lo x + b_lo) + t·(W_hi x + b_hi), t = (ln σ − ln σ_lo)/(ln σ_hi − ln σ_lo)
 * (the same as interpolating W and b); outside [min σ, max σ] it uses the nearest end's model.
 * The denoiser does not own the model: release it with releaseLinearModel.
 */
export class LinearDenoiser implements Denoiser {
  readonly spec: DenoiserSpec;
  readonly d: number;
  /** Model indices sorted by ascending σ. */
  private readonly order: number[];

  /** `gpu` is taken for symmetry with the other denoisers (GaussianDenoiser(gpu, structure)); nothing is allocated. */
  constructor(
    gpu: Gpu,
    readonly model: LinearModel,
    spec: DenoiserSpec = { kind: 'linear', file: '<memory>' },
  ) {
    void gpu;
    if (model.sigmas.length < 1 || model.W.length !== model.sigmas.length || model.b.length !== model.sigmas.length) {
      throw new Error(`linear model: ${model.sigmas.length} sigmas, ${model.W.length} weight matrices and ${model.b.length} biases must be equal in number (≥ 1)`);
    }
    this.spec = spec;
    this.d = model.d;
    this.order = model.sigmas.map((_, i) => i).sort((a, c) => model.sigmas[a] - model.sigmas[c]);
  }

  /** The models to blend at σ: [[index, weight], …] with weights summing to 1. */
  blend(sigma: number): [number, number][] {
    if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`linear denoiser: σ = ${sigma} must be positive and finite`);
    const s = this.model.sigmas;
    const o = this.order;
    for (const i of o) if (Math.abs(s[i] - sigma) <= SIGMA_MATCH_REL * sigma) return [[i, 1]];
    if (sigma <= s[o[0]]) return [[o[0], 1]];
    if (sigma >= s[o[o.length - 1]]) return [[o[o.length - 1], 1]];
    let k = 0;
    while (s[o[k + 1]] < sigma) k++;
    const [lo, hi] = [o[k], o[k + 1]];
    const t = (Math.log(sigma) - Math.log(s[lo])) / (Math.log(s[hi]) - Math.log(s[lo]));
    return [[lo, 1 - t], [hi, t]];
  }

  denoise(gpu: Gpu, x: GpuBuffer, b: number, sigma: number, out: GpuBuffer): void {
    const d = this.d;
    const { W, b: bias } = this.model;
    const parts = this.blend(sigma);
    if (parts.length === 1) {
      gemm(gpu, { a: x, b: W[parts[0][0]], c: out, m: b, n: d, k: d, transB: true, bias: bias[parts[0][0]], biasAxis: 'col' });
      return;
    }
    const [[lo, wLo], [hi, wHi]] = parts;
    // out = wLo·x·W_loᵀ, then out += wHi·x·W_hiᵀ + (wLo·b_lo + wHi·b_hi).
    const mixed = gpu.alloc(d, 'linear-interp-bias');
    axpby(gpu, wLo, bias[lo], wHi, bias[hi], mixed, d);
    gemm(gpu, { a: x, b: W[lo], c: out, m: b, n: d, k: d, transB: true, alpha: wLo });
    gemm(gpu, { a: x, b: W[hi], c: out, m: b, n: d, k: d, transB: true, alpha: wHi, beta: 1, bias: mixed, biasAxis: 'col' });
    mixed.release();
  }

  release(): void {}
}

/**
 * The Gaussian denoiser as a linear model (eq 6): W_G = U·diag(λ/(λ + σ²))·Uᵀ, b_G = (I − W_G)μ,
 * for each σ. One GEMM a σ (d×d×r) on the GPU.
 */
export function gaussianLinearModel(gpu: Gpu, structure: GaussianStructure, sigmas: number[]): LinearModel {
  const { d, rank: r, mean, eigenvalues } = structure;
  const U = structure.host.U; // r×d, row k = u_k
  const W: GpuBuffer[] = [];
  const b: GpuBuffer[] = [];
  for (const sigma of sigmas) {
    if (!(sigma > 0)) throw new RangeError(`gaussianLinearModel: σ = ${sigma} must be positive`);
    const w = gpu.alloc(d * d, 'W_G');
    const bias = gpu.alloc(d, 'b_G');
    if (r === 0) {
      gpu.fill(w, 0);
      gpu.copy(mean, bias, d);
    } else {
      // SU = diag(λ/(λ + σ²))·U on the host (r×d), then W_G = Uᵀ·SU.
      const su = new Float32Array(r * d);
      for (let k = 0; k < r; k++) {
        const f = eigenvalues[k] / (eigenvalues[k] + sigma * sigma);
        for (let j = 0; j < d; j++) su[k * d + j] = f * U[k * d + j];
      }
      const suGpu = gpu.upload(su, 'gaussian-SU');
      gemm(gpu, { a: structure.U, b: suGpu, c: w, m: d, n: d, k: r, transA: true });
      // b_G = μ − W_G·μ (W_G is symmetric): one row, μᵀ·W_Gᵀ subtracted from μ.
      gemm(gpu, { a: mean, b: w, c: bias, m: 1, n: d, k: d, transB: true, alpha: -1, bias: mean });
      suGpu.release();
    }
    W.push(w);
    b.push(bias);
  }
  return { d, sigmas: [...sigmas], W, b, imageShape: structure.imageShape };
}

/** A model from a decoded safetensors file (as saveLinearModel writes it), uploaded; errors name `path` and the fix. */
export function linearModelFromSafetensors(gpu: Gpu, file: SafetensorsFile, path: string): LinearModel {
  const { tensors, metadata } = file;
  if (metadata.format !== LINEAR_MODEL_FORMAT) throw new Error(`${path}: not a gausslens linear model (metadata format '${metadata.format ?? ''}'): make one with \`gausslens distill\``);
  const sig = tensors.sigmas;
  if (!sig || sig.shape.length !== 1 || sig.shape[0] < 1) throw new Error(`${path}: missing or malformed tensor 'sigmas'; the file is damaged: distill it again`);
  const sigmas = Array.from(sig.data as ArrayLike<number>);
  if (!sigmas.every((s) => s > 0 && Number.isFinite(s))) throw new Error(`${path}: sigmas [${sigmas}] must be positive`);
  const d = Number(metadata.d);
  if (!Number.isSafeInteger(d) || d < 1) throw new Error(`${path}: metadata d = '${metadata.d}' is not a positive integer`);
  let imageShape: [number, number, number] | null = null;
  try {
    imageShape = metadata.imageShape ? (JSON.parse(metadata.imageShape) as [number, number, number] | null) : null;
  } catch {
    throw new Error(`${path}: metadata imageShape '${metadata.imageShape}' is not JSON`);
  }
  const W: GpuBuffer[] = [];
  const b: GpuBuffer[] = [];
  try {
    for (let i = 0; i < sigmas.length; i++) {
      const w = tensors[`W.${i}`];
      const bi = tensors[`b.${i}`];
      if (!w || w.shape.length !== 2 || w.shape[0] !== d || w.shape[1] !== d) throw new Error(`${path}: tensor 'W.${i}' ${w ? `has shape [${w.shape}]` : 'is missing'}, expected [${d}, ${d}]`);
      if (!bi || bi.shape.length !== 1 || bi.shape[0] !== d) throw new Error(`${path}: tensor 'b.${i}' ${bi ? `has shape [${bi.shape}]` : 'is missing'}, expected [${d}]`);
      W.push(gpu.upload(Float32Array.from(w.data as ArrayLike<number>), `W_L.${i}`));
      b.push(gpu.upload(Float32Array.from(bi.data as ArrayLike<number>), `b_L.${i}`));
    }
  } catch (e) {
    for (const t of [...W, ...b]) t.release();
    throw e;
  }
  return { d, sigmas, W, b, imageShape };
}
