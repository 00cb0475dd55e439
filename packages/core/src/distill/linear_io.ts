// Linear-model files (Node): safetensors W.<i> [d, d] F32, b.<i> [d] F32, sigmas [S] F64 with JSON
// metadata, written atomically, plus a JSON sidecar (config, curves, timings).
import { existsSync, readFileSync } from 'node:fs';
import type { Gpu } from '@gausslens/kernels';
import { readSafetensors, writeSafetensors, type TensorInput } from '../io/safetensors.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { LINEAR_MODEL_FORMAT, linearModelFromSafetensors, type LinearModel } from './linear_model.ts';

/** The JSON sidecar of a model file: `<file without .safetensors>.json`. */
export function linearModelSidecar(file: string): string {
  return file.replace(/\.safetensors$/, '') + '.json';
}

/**
 * Saves a model as safetensors (W.<i> [d, d] F32, b.<i> [d] F32, sigmas [S] F64) with `meta` in the
 * header's metadata (non-string values as JSON), atomically.
 */
export async function saveLinearModel(path: string, gpu: Gpu, model: LinearModel, meta: Record<string, unknown> = {}): Promise<void> {
  const tensors: Record<string, TensorInput> = { sigmas: { shape: [model.sigmas.length], data: Float64Array.from(model.sigmas) } };
  for (let i = 0; i < model.sigmas.length; i++) {
    tensors[`W.${i}`] = { shape: [model.d, model.d], data: await gpu.read(model.W[i], model.d * model.d) };
    tensors[`b.${i}`] = { shape: [model.d], data: await gpu.read(model.b[i], model.d) };
  }
  const metadata: Record<string, string> = { format: LINEAR_MODEL_FORMAT, d: String(model.d), imageShape: JSON.stringify(model.imageShape) };
  for (const [k, v] of Object.entries(meta)) if (!(k in metadata)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  await writeSafetensors(path, tensors, metadata);
}

/** Writes a JSON sidecar next to a model file (config, curves, timings). */
export function writeLinearModelSidecar(path: string, value: unknown): void {
  writeFileAtomicSync(linearModelSidecar(path), `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a model file's sidecar, or null when there is none. */
export function readLinearModelSidecar(path: string): unknown {
  const p = linearModelSidecar(path);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
}

/** Loads a model saved by saveLinearModel onto the GPU; errors name the file and the fix. */
export async function loadLinearModel(gpu: Gpu, path: string): Promise<LinearModel> {
  return linearModelFromSafetensors(gpu, await readSafetensors(path), path);
}
