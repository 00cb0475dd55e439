// EDM networks (network_model.ts) and their checkpoint files: saveNetwork writes a network's
// weights and config as one safetensors file; loadNetwork reads that or a training checkpoint.
import type { Gpu } from '@gausslens/kernels';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { EdmNetwork, NETWORK_FORMAT, networkFromSafetensors, readWeights } from './network_model.ts';

export * from './network_model.ts';

/** Writes a network's weights (and its config as metadata) as one safetensors file, atomically. */
export async function saveNetwork(gpu: Gpu, net: EdmNetwork, path: string): Promise<void> {
  await writeSafetensors(path, await readWeights(gpu, net), { format: NETWORK_FORMAT, config: JSON.stringify(net.config) });
}

/**
 * A network from a checkpoint: a training checkpoint (train.ts: the EMA weights by default, or
 * the raw weights) or a file from saveNetwork.
 */
export async function loadNetwork(gpu: Gpu, path: string, opts: { weights?: 'ema' | 'net' } = {}): Promise<EdmNetwork> {
  return networkFromSafetensors(gpu, await readSafetensors(path), path, opts);
}
