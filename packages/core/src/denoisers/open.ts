// Opening a denoiser from its spec string against a training set.
import type { Gpu, GpuBuffer } from '@gausslens/kernels';
import type { Dataset } from '../data/load.ts';
import { structureFor } from '../gaussian/cache.ts';
import type { GaussianStructure } from '../gaussian/structure.ts';
import { releaseStructure } from '../gaussian/structure.ts';
import { GaussianDenoiser } from './gaussian.ts';
import { MultiDeltaDenoiser } from './multi_delta.ts';
import { parseDenoiserSpec, type Denoiser, type DenoiserSpec } from './types.ts';
import { loadNetwork } from '../edm/network.ts';
import { LinearDenoiser, releaseLinearModel } from '../distill/linear_model.ts';
import { loadLinearModel } from '../distill/linear_io.ts';

export interface DenoiserContext {
  gpu: Gpu;
  data: Dataset; // the training set (for gaussian: its structure; for multi-delta: its images)
  cacheDir: string | null; // where Gaussian structures are kept and reused
  onPhase?: (msg: string) => void;
}

export interface OpenedDenoiser {
  denoiser: Denoiser;
  structure?: GaussianStructure; // for gaussian
  /** Frees everything opened for this denoiser. */
  close(): void;
}

/** Uploads the training images once (shared by multi-delta and nearest-neighbour searches). */
export function uploadTrainingSet(gpu: Gpu, ds: Dataset): GpuBuffer {
  return gpu.upload(ds.images.subarray(0, ds.n * ds.d), 'training-set');
}

export async function openDenoiser(spec: string | DenoiserSpec, ctx: DenoiserContext): Promise<OpenedDenoiser> {
  const s = typeof spec === 'string' ? parseDenoiserSpec(spec) : spec;
  const { gpu, data } = ctx;
  switch (s.kind) {
    case 'gaussian': {
      const { structure, cached } = await structureFor(gpu, data, ctx.cacheDir, { onPhase: ctx.onPhase });
      ctx.onPhase?.(`Gaussian structure of ${data.spec}: rank ${structure.rank}${cached ? ' (cached)' : ''}`);
      const denoiser = new GaussianDenoiser(gpu, structure);
      return { denoiser, structure, close: () => (denoiser.release(), releaseStructure(structure)) };
    }
    case 'multi-delta': {
      const train = uploadTrainingSet(gpu, data);
      const denoiser = new MultiDeltaDenoiser(train, data.n, data.d);
      return { denoiser, close: () => train.release() };
    }
    case 'linear': {
      const model = await loadLinearModel(gpu, s.file);
      if (model.d !== data.d) {
        releaseLinearModel(model);
        throw new Error(`denoiser linear:${s.file}: the model takes images of d = ${model.d} values, the data set ${data.spec} has d = ${data.d} (use the data spec it was distilled on, e.g. with ?resize=)`);
      }
      const denoiser = new LinearDenoiser(gpu, model, s);
      return { denoiser, close: () => releaseLinearModel(model) };
    }
    case 'network': {
      const net = await loadNetwork(gpu, s.checkpoint);
      if (net.d !== data.d) {
        net.release();
        throw new Error(`denoiser network:${s.checkpoint}: the network takes images of d = ${net.d} values, the data set ${data.spec} has d = ${data.d} (use the data spec it was trained on, e.g. with ?resize=)`);
      }
      return { denoiser: net, close: () => net.release() };
    }
  }
}
