// Saving and loading a Gaussian structure: one safetensors file (mean [d], eigenvalues [r] F64,
// eigenvectors [r, d] with row k the k-th eigen-image) plus a JSON sidecar with its provenance.
import { readFileSync, existsSync } from 'node:fs';
import type { Gpu } from '@gausslens/kernels';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { uploadStructure, type GaussianStructure } from './structure.ts';

export interface StructureMeta {
  data: string; // the data spec it was built from (canonical form)
  n: number; // training images
  d: number; // dimension
  imageShape: [number, number, number] | null; // (c, h, w)
  route: 'covariance' | 'gram'; // how Σ's eigenpairs were computed
  seconds: number; // build time
  created: string; // ISO date
}

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
    { format: 'gausslens-gaussian-structure', ...Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) },
  );
  writeFileAtomicSync(sidecarPath(file), JSON.stringify(meta, null, 2) + '\n');
}

export async function loadStructure(gpu: Gpu, file: string): Promise<{ structure: GaussianStructure; meta: StructureMeta }> {
  const { tensors, metadata } = await readSafetensors(file);
  if (metadata.format !== 'gausslens-gaussian-structure') throw new Error(`${file}: not a gausslens Gaussian structure (no format metadata): build one with \`gausslens gaussian\``);
  const need = (k: string) => {
    const t = tensors[k];
    if (!t) throw new Error(`${file}: missing tensor '${k}'`);
    return t;
  };
  const [mean, values, vectors] = [need('mean'), need('eigenvalues'), need('eigenvectors')];
  const d = mean.shape[0];
  const r = values.shape[0];
  if (vectors.shape.length !== 2 || vectors.shape[0] !== r || vectors.shape[1] !== d) throw new Error(`${file}: eigenvectors have shape [${vectors.shape}], expected [${r}, ${d}]`);
  const meta: StructureMeta = existsSync(sidecarPath(file))
    ? (JSON.parse(readFileSync(sidecarPath(file), 'utf8')) as StructureMeta)
    : { data: metadata.data ?? '?', n: Number(metadata.n ?? 0), d, imageShape: metadata.imageShape ? JSON.parse(metadata.imageShape) : null, route: (metadata.route as StructureMeta['route']) ?? 'covariance', seconds: Number(metadata.seconds ?? 0), created: metadata.created ?? '' };
  const structure = uploadStructure(gpu, { d, n: meta.n, mean: Float32Array.from(mean.data as ArrayLike<number>), eigenvalues: values.data as ArrayLike<number>, U: Float32Array.from(vectors.data as ArrayLike<number>), imageShape: meta.imageShape });
  return { structure, meta };
}
