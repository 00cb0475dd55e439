// Saving and loading a Gaussian structure: one safetensors file (mean [d], eigenvalues [r] F64,
// eigenvectors [r, d] with row k the k-th eigen-image) plus a JSON sidecar with its provenance.
import { readFileSync, existsSync } from 'node:fs';
import type { Gpu } from '@gausslens/kernels';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import type { GaussianStructure } from './structure.ts';
import { structureFromSafetensors, STRUCTURE_FORMAT, type StructureMeta } from './decode.ts';

export type { StructureMeta } from './decode.ts';

export function sidecarPath(file: string): string {
  return file.replace(/\.safetensors$/, '') + '.json';
}

export async function saveStructure(file: string, s: GaussianStructure, meta: StructureMeta): Promise<void> {
  await writeSafetensors(
    file,
    {
      mean: { shape: [s.d], data: s.host.mean },
      eigenvalues: { shape: [s.rank], data: s.eigenvalues },
      eigenvectors: { shape: [s.rank, s.d], data: s.host.U },
    },
    { format: STRUCTURE_FORMAT, ...Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) },
  );
  writeFileAtomicSync(sidecarPath(file), JSON.stringify(meta, null, 2) + '\n');
}

export async function loadStructure(gpu: Gpu, file: string): Promise<{ structure: GaussianStructure; meta: StructureMeta }> {
  const decoded = await readSafetensors(file);
  const sidecar = existsSync(sidecarPath(file)) ? (JSON.parse(readFileSync(sidecarPath(file), 'utf8')) as StructureMeta) : null;
  return structureFromSafetensors(gpu, decoded, file, sidecar);
}
