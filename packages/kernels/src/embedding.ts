// Noise-level embeddings of EDM's SongUNet (shaders/embedding.wgsl): Fourier (NCSN++) and positional
// (DDPM++), forward only. Reference: embedding.ref.ts.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel } from './kernel.ts';

const WG = 256;
const params = ['batch', 'half', 'max_positions', 'endpoint'] as const;
const fourierKernel = defineKernel({ name: 'embedding_fourier', file: 'embedding', entry: 'fourier', bindings: { x: 'read', freqs: 'read', out: 'read_write' }, params, workgroupSize: [WG, 1, 1] });
const positionalKernel = defineKernel({ name: 'embedding_positional', file: 'embedding', entry: 'positional', bindings: { x: 'read', out: 'read_write' }, params, workgroupSize: [WG, 1, 1] });

function check(what: string, batch: number, channels: number, x: GpuBuffer, out: GpuBuffer): number {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${what}: batch = ${batch} must be a positive integer`);
  if (!Number.isInteger(channels) || channels < 2 || channels % 2) throw new RangeError(`${what}: channels = ${channels} must be even and ≥ 2`);
  if (x.length < batch) throw new RangeError(`${what}: '${x.label}' holds ${x.length} values, fewer than batch = ${batch}`);
  if (out.length < batch * channels) throw new RangeError(`${what}: '${out.label}' holds ${out.length} elements, needs batch·channels = ${batch * channels}`);
  return channels / 2;
}

/**
 * NCSN++ FourierEmbedding: out[b] = [cos(2π·x_b·f_j)]_j ++ [sin(2π·x_b·f_j)]_j, B×C, with `freqs` the
 * C/2 frequencies in cycles (EDM's buffer randn(C/2)·16; the 2π is applied in the kernel, and the phase
 * x·f is reduced exactly, so large x·f lose no accuracy).
 */
export function fourierEmbedding(gpu: Gpu, x: GpuBuffer, freqs: GpuBuffer, out: GpuBuffer, batch: number, channels: number): void {
  const half = check('fourierEmbedding', batch, channels, x, out);
  if (freqs.length < half) throw new RangeError(`fourierEmbedding: '${freqs.label}' holds ${freqs.length} frequencies, needs channels/2 = ${half}`);
  fourierKernel.run(gpu, { bind: { x, freqs, out }, params: { batch, half, max_positions: 0, endpoint: 0 }, workgroups: Math.ceil((batch * half) / WG) });
}

export interface PositionalEmbeddingOptions {
  maxPositions?: number; // default 10000
  endpoint?: boolean; // default true, as SongUNet uses it (the class's own default is false)
}

/**
 * DDPM++ PositionalEmbedding: ω_j = (1/maxPositions)^(j/den), den = C/2 − 1 with endpoint else C/2;
 * out[b] = [cos(x_b·ω_j)]_j ++ [sin(x_b·ω_j)]_j, B×C. ω_j is computed in float32 (exp2) in the kernel: for
 * EDM's c_noise = ln(σ)/4 (|x| ≲ 2) the result is within ~1e-7; for VP-style c_noise up to 1000 the phase
 * error is ~1e-4 rad, as with PyTorch in float32 (a float32 ω carries ~6e-8 relative error).
 */
export function positionalEmbedding(gpu: Gpu, x: GpuBuffer, out: GpuBuffer, batch: number, channels: number, opts: PositionalEmbeddingOptions = {}): void {
  const half = check('positionalEmbedding', batch, channels, x, out);
  const endpoint = opts.endpoint ?? true;
  const maxPositions = opts.maxPositions ?? 10000;
  if (endpoint && half < 2) throw new RangeError('positionalEmbedding: endpoint needs channels ≥ 4 (C/2 − 1 would be 0)');
  if (!(maxPositions > 0)) throw new RangeError(`positionalEmbedding: maxPositions = ${maxPositions} must be positive`);
  positionalKernel.run(gpu, { bind: { x, out }, params: { batch, half, max_positions: maxPositions, endpoint: endpoint ? 1 : 0 }, workgroups: Math.ceil((batch * half) / WG) });
}
