import { describe, it, beforeAll, expect } from 'vitest';
import {
  getDevice, type Gpu, type CovariancePath, covariancePath,
  nearestNeighbours, generalisationScore, nearestNeighboursRef, generalisationScoreRef,
} from '@gausslens/kernels';
import { NEIGHBOUR_DIST_REL, NEIGHBOUR_TIE_REL, GL_REL } from '../support/tolerances.ts';
import { randomArray, relError } from '../support/check.ts';

let gpu: Gpu;
let paths: CovariancePath[] = ['tiled'];
beforeAll(async () => {
  gpu = await getDevice();
  if (covariancePath(gpu) === 'subgroup') paths = ['subgroup', 'tiled'];
});

/**
 * Every listed index is a real training row whose float64 distance matches the returned one; the lists are
 * sorted; and where an index differs from the float64 ranking, the two candidates are a near-tie.
 */
function checkNeighbours(got: { indices: Uint32Array; distances: Float32Array }, x: Float32Array, y: Float32Array, b: number, n: number, d: number, k: number, what: string): void {
  const ref = nearestNeighboursRef(x, y, b, n, d, k);
  expect(got.indices.length, `${what}: indices`).toBe(b * k);
  for (let q = 0; q < b; q++) {
    for (let e = 0; e < k; e++) {
      const at = q * k + e;
      const i = got.indices[at];
      if (!(i < n)) throw new Error(`${what}: query ${q} neighbour ${e} has index ${i} (n = ${n})`);
      const exact = ref.all[q * n + i];
      const err = Math.abs(got.distances[at] - exact) / Math.max(exact, 1e-30);
      if (!(err <= NEIGHBOUR_DIST_REL)) throw new Error(`${what}: query ${q} neighbour ${e} (row ${i}): distance ${got.distances[at]} vs ${exact}`);
      if (e > 0 && got.distances[at] < got.distances[at - 1]) throw new Error(`${what}: query ${q} list not sorted at ${e}`);
      if (i !== ref.indices[at]) {
        const gap = Math.abs(exact - ref.distances[at]) / Math.max(ref.distances[at], 1e-30);
        if (!(gap <= NEIGHBOUR_TIE_REL)) throw new Error(`${what}: query ${q} neighbour ${e}: row ${i} (${exact}) instead of ${ref.indices[at]} (${ref.distances[at]}), not a near-tie`);
      }
    }
  }
  expect(relError(got.distances, ref.distances), `${what}: distances`).toBeLessThanOrEqual(NEIGHBOUR_DIST_REL);
}

describe('nearest neighbours', () => {
  for (const [b, n, d, k, offset, chunkRows, queryRows] of [
    [7, 300, 33, 5, 0, undefined, undefined],
    [70, 1000, 101, 16, 0, 257, 33], // uneven training chunks and query batches
    [13, 129, 17, 1, 100, 64, undefined], // a large common offset
    [3, 16, 65, 16, 0, undefined, undefined], // k = n
  ] as const) {
    it(`B = ${b}, N = ${n}, d = ${d}, k = ${k}${offset ? `, offset ${offset}` : ''}${chunkRows ? `, chunks of ${chunkRows}` : ''}${queryRows ? `, batches of ${queryRows}` : ''}`, async () => {
      for (const path of paths) {
        const x = randomArray(b * d, offset - 1, offset + 1);
        const y = randomArray(n * d, offset - 1, offset + 1);
        const train = gpu.upload(y);
        const got = await nearestNeighbours(gpu, { queries: x, train, b, n, d, k, chunkRows, queryRows, path });
        checkNeighbours(got, x, y, b, n, d, k, `${path} ${b}×${n}×${d} k=${k}`);
        train.release();
      }
    });
  }

  it('rejects k outside [1, min(16, n)]', async () => {
    const x = randomArray(4 * 8);
    await expect(nearestNeighbours(gpu, { queries: x, train: x, b: 4, n: 4, d: 8, k: 5 })).rejects.toThrow(RangeError);
    await expect(nearestNeighbours(gpu, { queries: x, train: randomArray(40 * 8), b: 4, n: 40, d: 8, k: 17 })).rejects.toThrow(RangeError);
    await expect(nearestNeighbours(gpu, { queries: x, train: x, b: 4, n: 4, d: 8, k: 0 })).rejects.toThrow(RangeError);
  });
});

describe('generalisation score', () => {
  it('GL = 0 when every query is a training row, and matches float64 on fresh queries', async () => {
    const [n, d] = [500, 97];
    for (const path of paths) {
      const y = randomArray(n * d, -0.5, 1.5);
      const train = gpu.upload(y);
      // Rows 100 … 139 as queries, from the host and from a GPU buffer.
      const rows = y.slice(100 * d, 140 * d);
      for (const queries of [rows, gpu.upload(rows)]) {
        const self = await generalisationScore(gpu, { queries, train, b: 40, n, d, chunkRows: 128, path });
        expect(self.score, `${path} GL of training rows`).toBe(0);
        expect(Array.from(self.indices)).toEqual(Array.from({ length: 40 }, (_, i) => 100 + i));
        if (!(queries instanceof Float32Array)) queries.release();
      }
      const x = randomArray(30 * d, -0.5, 1.5);
      const gl = await generalisationScore(gpu, { queries: gpu.upload(x), train: y, b: 30, n, d, path });
      const ref = generalisationScoreRef(x, y, 30, n, d);
      expect(Math.abs(gl.score - ref) / ref, `${path} GL ${gl.score} vs ${ref}`).toBeLessThanOrEqual(GL_REL);
      expect(gl.ratios.length).toBe(30);
      train.release();
    }
  });
});
