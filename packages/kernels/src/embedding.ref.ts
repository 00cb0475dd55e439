// Float64 references for shaders/embedding.wgsl (NVlabs/edm FourierEmbedding and PositionalEmbedding).

/** freqs in cycles (EDM's buffer): out[b] = cos(2π x_b f_j) …, then sin(2π x_b f_j) …. */
export function fourierEmbeddingRef(x: ArrayLike<number>, freqs: ArrayLike<number>): Float64Array {
  const half = freqs.length;
  const out = new Float64Array(x.length * 2 * half);
  for (let b = 0; b < x.length; b++)
    for (let j = 0; j < half; j++) {
      const a = 2 * Math.PI * x[b] * freqs[j];
      out[b * 2 * half + j] = Math.cos(a);
      out[b * 2 * half + half + j] = Math.sin(a);
    }
  return out;
}

export function positionalEmbeddingRef(x: ArrayLike<number>, channels: number, maxPositions = 10000, endpoint = true): Float64Array {
  const half = channels / 2;
  const den = half - (endpoint ? 1 : 0);
  const out = new Float64Array(x.length * channels);
  for (let b = 0; b < x.length; b++)
    for (let j = 0; j < half; j++) {
      const a = x[b] * (1 / maxPositions) ** (j / den);
      out[b * channels + j] = Math.cos(a);
      out[b * channels + half + j] = Math.sin(a);
    }
  return out;
}
