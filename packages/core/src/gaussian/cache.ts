// The Gaussian structure of a data set, built once and reused: <cacheDir>/<data-spec>.safetensors.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpu } from '@gausslens/kernels';
import type { Dataset } from '../data/load.ts';
import { buildGaussianStructure, type BuildOptions } from './build.ts';
import { loadStructure, saveStructure, type StructureMeta } from './io.ts';
import type { GaussianStructure } from './structure.ts';

export function structureFileName(dataSpec: string): string {
  return `gaussian-${dataSpec.replace(/[^A-Za-z0-9._=-]+/g, '_')}.safetensors`;
}

export function imageShapeOf(ds: Dataset): [number, number, number] | null {
  return ds.imageShape ? [ds.c, ds.h, ds.w] : null;
}

/** Loads the structure of `ds` from the cache, or builds and saves it there (cacheDir null: no cache). */
export async function structureFor(gpu: Gpu, ds: Dataset, cacheDir: string | null, opts: BuildOptions = {}): Promise<{ structure: GaussianStructure; meta: StructureMeta; cached: boolean; file: string | null }> {
  const file = cacheDir ? join(cacheDir, structureFileName(ds.spec)) : null;
  if (file && existsSync(file)) {
    const { structure, meta } = await loadStructure(gpu, file);
    if (meta.data === ds.spec && meta.d === ds.d && meta.n === ds.n) return { structure, meta, cached: true, file };
  }
  const { structure, info } = await buildGaussianStructure(gpu, ds.images, ds.n, ds.d, imageShapeOf(ds), opts);
  const meta: StructureMeta = { data: ds.spec, n: ds.n, d: ds.d, imageShape: imageShapeOf(ds), route: info.route, seconds: info.seconds, created: new Date().toISOString() };
  if (file) await saveStructure(file, structure, meta);
  return { structure, meta, cached: false, file };
}
