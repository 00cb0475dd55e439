// A Gaussian structure from the bytes of its safetensors file (layout: see io.ts), with no Node
// APIs: the CLI's loader and the browser viewer share these checks and messages.
import type { Gpu } from '@gausslens/kernels';
import type { SafetensorsFile } from '../io/safetensors_format.ts';
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

/** The safetensors metadata `format` of a structure file. */
export const STRUCTURE_FORMAT = 'gausslens-gaussian-structure';

/**
 * Checks a decoded structure file (`name` names it in errors) and uploads it; `sidecar` is the
 * JSON sidecar's content when there is one, else the file's own metadata fills StructureMeta.
 */
export function structureFromSafetensors(gpu: Gpu, file: SafetensorsFile, name: string, sidecar: StructureMeta | null): { structure: GaussianStructure; meta: StructureMeta } {
  const { tensors, metadata } = file;
  if (metadata.format !== STRUCTURE_FORMAT) throw new Error(`${name}: not a gausslens Gaussian structure (no format metadata): build one with \`gausslens gaussian\``);
  const need = (k: string) => {
    const t = tensors[k];
    if (!t) throw new Error(`${name}: missing tensor '${k}'`);
    return t;
  };
  const [mean, values, vectors] = [need('mean'), need('eigenvalues'), need('eigenvectors')];
  const d = mean.shape[0];
  const r = values.shape[0];
  if (vectors.shape.length !== 2 || vectors.shape[0] !== r || vectors.shape[1] !== d) throw new Error(`${name}: eigenvectors have shape [${vectors.shape}], expected [${r}, ${d}]`);
  const meta: StructureMeta =
    sidecar ??
    { data: metadata.data ?? '?', n: Number(metadata.n ?? 0), d, imageShape: metadata.imageShape ? JSON.parse(metadata.imageShape) : null, route: (metadata.route as StructureMeta['route']) ?? 'covariance', seconds: Number(metadata.seconds ?? 0), created: metadata.created ?? '' };
  const structure = uploadStructure(gpu, { d, n: meta.n, mean: Float32Array.from(mean.data as ArrayLike<number>), eigenvalues: values.data as ArrayLike<number>, U: Float32Array.from(vectors.data as ArrayLike<number>), imageShape: meta.imageShape });
  return { structure, meta };
}
