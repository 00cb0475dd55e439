// Float64 references for neighbours.ts: brute-force squared distances, top-k and the generalisation score.

/** ‖x_q − y_t‖² for every query and training row, B×N row-major. */
export function squaredDistancesRef(queries: ArrayLike<number>, train: ArrayLike<number>, b: number, n: number, d: number): Float64Array {
  const out = new Float64Array(b * n);
  for (let q = 0; q < b; q++)
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = queries[q * d + j] - train[t * d + j];
        s += v * v;
      }
      out[q * n + t] = s;
    }
  return out;
}

/** The k nearest rows of each query (ascending distance, ties to the smaller index), from squaredDistancesRef. */
export function nearestNeighboursRef(queries: ArrayLike<number>, train: ArrayLike<number>, b: number, n: number, d: number, k: number): { indices: Uint32Array; distances: Float64Array; all: Float64Array } {
  const all = squaredDistancesRef(queries, train, b, n, d);
  const indices = new Uint32Array(b * k);
  const distances = new Float64Array(b * k);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let q = 0; q < b; q++) {
    const row = all.subarray(q * n, (q + 1) * n);
    order.sort((i, j) => row[i] - row[j] || i - j);
    for (let e = 0; e < k; e++) {
      indices[q * k + e] = order[e];
      distances[q * k + e] = row[order[e]];
    }
  }
  return { indices, distances, all };
}

/** GL = (1/B)·Σ ‖x_i − NN(x_i)‖ / ‖x_i‖. */
export function generalisationScoreRef(queries: ArrayLike<number>, train: ArrayLike<number>, b: number, n: number, d: number): number {
  const { distances } = nearestNeighboursRef(queries, train, b, n, d, 1);
  let sum = 0;
  for (let q = 0; q < b; q++) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += queries[q * d + j] ** 2;
    sum += Math.sqrt(distances[q]) / Math.sqrt(norm);
  }
  return sum / b;
}
