// The denoiser interface every kind implements, and the spec strings that name them everywhere
// (CLI, viewer, code): gaussian | multi-delta | linear:<file> | network:<checkpoint>.
import type { Gpu, GpuBuffer } from '@gausslens/kernels';

export type DenoiserSpec =
  | { kind: 'gaussian' } // D_G, eq 6: the Wiener filter of the training set's mean and covariance
  | { kind: 'multi-delta' } // D_M, eq 5: the empirical optimal denoiser (softmax over training images)
  | { kind: 'linear'; file: string } // D_L, eq 8: distilled W_σ, b_σ (safetensors)
  | { kind: 'network'; checkpoint: string }; // D_θ: a trained EDM network

export const DENOISER_FORMS = 'gaussian, multi-delta, linear:<file.safetensors>, network:<checkpoint.safetensors>';

export function parseDenoiserSpec(spec: string): DenoiserSpec {
  const s = spec.trim();
  if (s === 'gaussian') return { kind: 'gaussian' };
  if (s === 'multi-delta') return { kind: 'multi-delta' };
  const i = s.indexOf(':');
  const head = i < 0 ? s : s.slice(0, i);
  const rest = i < 0 ? '' : s.slice(i + 1);
  if ((head === 'linear' || head === 'network') && rest === '') throw new Error(`denoiser '${spec}' needs a file: ${head}:<path>`);
  if (head === 'linear') return { kind: 'linear', file: rest };
  if (head === 'network') return { kind: 'network', checkpoint: rest };
  throw new Error(`unknown denoiser '${spec}': use one of ${DENOISER_FORMS}`);
}

export function formatDenoiserSpec(s: DenoiserSpec): string {
  return s.kind === 'linear' ? `linear:${s.file}` : s.kind === 'network' ? `network:${s.checkpoint}` : s.kind;
}

/** D(x; σ) on the GPU: rows of x are vectorised images of dimension d. */
export interface Denoiser {
  readonly spec: DenoiserSpec;
  readonly d: number; // dimension of x (c·h·w)
  /** Records out ← D(x; σ) for the b rows of x (b×d); no waiting, no read-back. */
  denoise(gpu: Gpu, x: GpuBuffer, b: number, sigma: number, out: GpuBuffer): void;
  /** Frees the denoiser's GPU buffers. */
  release(): void;
}
