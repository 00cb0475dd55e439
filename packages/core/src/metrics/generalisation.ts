// The generalisation score (eq 14): GL = (1/k) Σ_i ‖x_i − NN_S(x_i)‖ / ‖x_i‖, NN_S the Euclidean
// nearest training image. GL > 0.6: the model generalises; near 0: it replays training images.
import { nearestNeighbours, type Gpu } from '@gausslens/kernels';

export interface NeighbourResult {
  indices: Uint32Array; // nearest training image of each sample
  ratios: Float64Array; // ‖x_i − NN(x_i)‖ / ‖x_i‖ of each sample
  gl: number; // their mean
}

/** GL from samples and their nearest-neighbour indices, in float64 on the host. */
export function generalisationFromIndices(samples: Float32Array, train: Float32Array, indices: Uint32Array, d: number): NeighbourResult {
  const k = indices.length;
  const ratios = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let num = 0;
    let den = 0;
    const j = indices[i];
    for (let t = 0; t < d; t++) {
      const x = samples[i * d + t];
      const e = x - train[j * d + t];
      num += e * e;
      den += x * x;
    }
    ratios[i] = den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
  }
  return { indices, ratios, gl: ratios.reduce((a, b) => a + b, 0) / Math.max(1, k) };
}

/** Nearest training image of each sample on the GPU, then GL. */
export async function generalisation(gpu: Gpu, samples: Float32Array, train: Float32Array, k: number, n: number, d: number): Promise<NeighbourResult> {
  const q = gpu.upload(samples.subarray(0, k * d), 'gl-samples');
  const t = gpu.upload(train.subarray(0, n * d), 'gl-train');
  const nn = await nearestNeighbours(gpu, { queries: q, train: t, b: k, n, d, k: 1 });
  q.release();
  t.release();
  return generalisationFromIndices(samples, train, nn.indices, d);
}
