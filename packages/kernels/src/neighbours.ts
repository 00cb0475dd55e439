// Nearest neighbours under the squared Euclidean distance, and the generalisation score built on them
// (shaders/distance.wgsl, with the distance epilogue of the covariance GEMM). Reference: neighbours.ref.ts.
//
//   nearestNeighbours(gpu, { queries, train, b, n, d, k, chunkRows?, queryRows? }) → { indices, distances }
//     For each of B query rows x (B×d), the k ≤ 16 nearest of N training rows y (N×d): indices (u32, B×k, row-major,
//     nearest first, ties to the smaller index) and their squared distances ‖x − y‖² (f32, B×k). Read back at the end.
//   generalisationScore(gpu, { queries, train, b, n, d }) → { score, ratios, indices, distances }
//     GL = (1/B)·Σ_i ‖x_i − NN(x_i)‖ / ‖x_i‖ (eq 14 of the paper), NN the nearest training row; 0 when every query
//     is a training row. ratios[i] is the i-th term.
//
// How: queries are taken in batches and the training rows are streamed in chunks (GpuBuffer panels or uploads of
// a Float32Array), so neither B×N nor the data need one binding. Rows are shifted by the first training row (the
// distances do not change, the cancellation in the identity shrinks), packed transposed, and one GEMM per
// (batch, chunk) gives D = max(‖x‖² + ‖y‖² − 2x·y, 0) for a batch × chunk tile; select_topk then folds that tile into
// each query's running sorted top-k list: the chunk's k best by the identity are re-measured exactly as Σ(x − y)²
// and merged by exact distance, so listed distances carry no cancellation (a query equal to a training row gets
// exactly 0). Rows whose identity distances fall on either side of the chunk's k-th within its rounding error
// (~√d·ε·(‖x‖² + ‖y‖²), shrunk by the shift) are near-ties whose order may differ from exact arithmetic.
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';
import { covarianceGemm, covariancePack, resolveCovariancePath, rowPanelBinding, type CovariancePath } from './covariance.ts';

const roundUp4 = (x: number): number => Math.ceil(x / 4) * 4;

const PARAMS = ['rows', 'd', 'ld', 'off', 'bq', 'nt', 'k', 't0', 'q_off', 't_off', 'is_first'] as const;
type Param = (typeof PARAMS)[number];
function params(p: Partial<Record<Param, number>>): Record<Param, number> {
  const all = {} as Record<Param, number>;
  for (const k of PARAMS) all[k] = p[k] ?? 0;
  return all;
}

const rownormKernel = defineKernel({ name: 'distance_rownorm', file: 'distance', entry: 'rownorm', bindings: { y: 'read', shift: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [64, 1, 1] });
const selectKernel = defineKernel({
  name: 'distance_select_topk', file: 'distance', entry: 'select_topk',
  bindings: { dist: 'read', xq: 'read', y: 'read', best_d: 'read_write', best_i: 'read_write' },
  params: PARAMS, workgroupSize: [64, 1, 1],
});

export const MAX_NEIGHBOURS = 16;
const MAX_CHUNK_ROWS = 16384;
const MAX_QUERY_ROWS = 1024;

export interface NeighboursArgs {
  queries: GpuBuffer | Float32Array; // B×d row-major
  train: GpuBuffer | Float32Array; // N×d row-major
  b: number;
  n: number;
  d: number;
  k: number; // 1 ≤ k ≤ min(16, N)
  chunkRows?: number; // training rows a GEMM sees (default ≤ 16384, as many as fit the bindings)
  queryRows?: number; // queries a batch holds (default ≤ 1024)
  path?: CovariancePath;
}

export interface NeighboursResult {
  indices: Uint32Array; // B×k, nearest first
  distances: Float32Array; // B×k squared Euclidean distances
}

/** Σ_j (y[off + i·d + j] − shift[j])² for `rows` rows. */
function rowNorms(gpu: Gpu, src: BindingValue, off: number, rows: number, d: number, shift: GpuBuffer, out: GpuBuffer): void {
  rownormKernel.run(gpu, { bind: { y: src, shift, out }, params: params({ rows, d, ld: d, off }), workgroups: Math.ceil(rows / 64) });
}

function maxElements(gpu: Gpu): number {
  return Math.floor(gpu.limits.maxStorageBufferBindingSize / 4);
}

/** The k nearest training rows of every query; see the file header. */
export async function nearestNeighbours(gpu: Gpu, args: NeighboursArgs): Promise<NeighboursResult> {
  const { b, n, d, k } = args;
  for (const [name, v] of [['b', b], ['n', n], ['d', d]] as const) if (!Number.isInteger(v) || v < 1) throw new RangeError(`nearestNeighbours: ${name} = ${v} must be a positive integer`);
  if (!Number.isInteger(k) || k < 1 || k > MAX_NEIGHBOURS || k > n) throw new RangeError(`nearestNeighbours: k = ${k} must be in [1, min(${MAX_NEIGHBOURS}, n = ${n})]`);
  if (args.queries.length < b * d) throw new RangeError(`nearestNeighbours: queries hold ${args.queries.length} elements, fewer than b·d = ${b * d}`);
  if (args.train.length < n * d) throw new RangeError(`nearestNeighbours: train holds ${args.train.length} elements, fewer than n·d = ${n * d}`);
  const path = resolveCovariancePath(gpu, args.path);
  const maxE = maxElements(gpu);
  const d4 = roundUp4(d);
  // Bindings per (batch, chunk): packed Xᵀ (d × bq4), packed Yᵀ (d × nt4), D (bq × nt), raw rows (rows·d + 63).
  const bq = Math.min(b, args.queryRows ?? MAX_QUERY_ROWS, Math.floor(maxE / d4) - 4, Math.floor((maxE - 64) / d));
  const nt = Math.min(n, args.chunkRows ?? MAX_CHUNK_ROWS, Math.floor(maxE / d4) - 4, Math.floor((maxE - 64) / d), Math.floor(maxE / bq));
  if (!(bq >= 1) || !(nt >= 1)) throw new RangeError(`nearestNeighbours: queryRows and chunkRows must be positive and rows of ${d} floats must fit a binding`);

  const shift = gpu.alloc(d, 'nn-shift');
  if (args.train instanceof Float32Array) gpu.write(shift, args.train.subarray(0, d));
  else gpu.copy(args.train, shift, d, 0, 0);
  const zeros = gpu.alloc(d, 'nn-zeros');
  gpu.fill(zeros, 0);
  const px = gpu.alloc(d * roundUp4(bq), 'nn-packed-queries');
  const py = gpu.alloc(d * roundUp4(nt), 'nn-packed-train');
  const qn = gpu.alloc(bq, 'nn-query-norms');
  const tn = gpu.alloc(nt, 'nn-train-norms');
  const dist = gpu.alloc(bq * nt, 'nn-distances');
  const bestD = gpu.alloc(bq * k, 'nn-best-d');
  const bestI = gpu.alloc(bq * k, 'nn-best-i');
  const indices = new Uint32Array(b * k);
  const distances = new Float32Array(b * k);
  const temps: GpuBuffer[] = [];
  const rowsOf = (src: GpuBuffer | Float32Array, row0: number, rows: number, label: string): { bind: BindingValue; fix: number } => {
    if (!(src instanceof Float32Array)) return rowPanelBinding(src, row0, rows, d);
    const buf = gpu.upload(src.subarray(row0 * d, (row0 + rows) * d), label);
    temps.push(buf);
    return { bind: buf, fix: 0 };
  };
  try {
    for (let q0 = 0; q0 < b; q0 += bq) {
      const qb = Math.min(bq, b - q0);
      const q = rowsOf(args.queries, q0, qb, 'nn-queries');
      covariancePack(gpu, { src: q.bind, off: q.fix, ld: d, rows: d, width: qb, trans: true, shift, centre: zeros, out: px });
      rowNorms(gpu, q.bind, q.fix, qb, d, shift, qn);
      for (let t0 = 0; t0 < n; t0 += nt) {
        const tc = Math.min(nt, n - t0);
        const t = rowsOf(args.train, t0, tc, 'nn-train');
        covariancePack(gpu, { src: t.bind, off: t.fix, ld: d, rows: d, width: tc, trans: true, shift, centre: zeros, out: py });
        rowNorms(gpu, t.bind, t.fix, tc, d, shift, tn);
        covarianceGemm(gpu, { path, a: px, b: py, lda: roundUp4(qb), ldb: roundUp4(tc), kl: d, m: qb, n: tc, out: dist, ldo: tc, epilogue: 'distance', r: qn, c: tn });
        selectKernel.run(gpu, {
          bind: { dist, xq: q.bind, y: t.bind, best_d: bestD, best_i: bestI },
          params: params({ bq: qb, nt: tc, k, t0, d, q_off: q.fix, t_off: t.fix, is_first: t0 === 0 ? 1 : 0 }),
          workgroups: Math.ceil(qb / 64),
        });
        if (args.train instanceof Float32Array) temps.pop()!.release();
      }
      distances.set(await gpu.read(bestD, qb * k), q0 * k);
      indices.set(await gpu.readU32(bestI, qb * k), q0 * k);
      for (const tmp of temps.splice(0)) tmp.release();
    }
  } finally {
    for (const buf of [shift, zeros, px, py, qn, tn, dist, bestD, bestI, ...temps]) buf.release();
  }
  return { indices, distances };
}

export interface GeneralisationArgs {
  queries: GpuBuffer | Float32Array; // B×d: e.g. generated samples
  train: GpuBuffer | Float32Array; // N×d: the training set
  b: number;
  n: number;
  d: number;
  chunkRows?: number;
  queryRows?: number;
  path?: CovariancePath;
}

export interface GeneralisationResult extends NeighboursResult {
  score: number; // GL = mean of ratios
  ratios: Float64Array; // ‖x_i − NN(x_i)‖ / ‖x_i‖
}

/** GL = (1/B)·Σ ‖x_i − NN(x_i)‖/‖x_i‖ over the queries; see the file header. Queries must be non-zero. */
export async function generalisationScore(gpu: Gpu, args: GeneralisationArgs): Promise<GeneralisationResult> {
  const { b, d } = args;
  const nn = await nearestNeighbours(gpu, { ...args, k: 1 });
  let norms: ArrayLike<number>;
  if (args.queries instanceof Float32Array) {
    const host = new Float64Array(b);
    for (let i = 0; i < b; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += args.queries[i * d + j] ** 2;
      host[i] = s;
    }
    norms = host;
  } else {
    const zeros = gpu.alloc(d, 'gl-zeros');
    gpu.fill(zeros, 0);
    const out = gpu.alloc(b, 'gl-norms');
    const rows = Math.min(b, Math.floor((maxElements(gpu) - 64) / d));
    const batch = gpu.alloc(rows, 'gl-norms-batch');
    for (let q0 = 0; q0 < b; q0 += rows) {
      const rc = Math.min(rows, b - q0);
      const { bind, fix } = rowPanelBinding(args.queries, q0, rc, d);
      rowNorms(gpu, bind, fix, rc, d, zeros, batch);
      gpu.copy(batch, out, rc, 0, q0);
    }
    norms = await gpu.read(out);
    for (const buf of [zeros, out, batch]) buf.release();
  }
  const ratios = new Float64Array(b);
  let sum = 0;
  for (let i = 0; i < b; i++) {
    if (!(norms[i] > 0)) throw new RangeError(`generalisationScore: query ${i} is the zero vector`);
    ratios[i] = Math.sqrt(nn.distances[i]) / Math.sqrt(norms[i]);
    sum += ratios[i];
  }
  return { ...nn, score: sum / b, ratios };
}
