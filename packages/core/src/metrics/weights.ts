// Metrics on distilled weights (Fig. 4): the weight NMSE ‖W_σ − W_G‖_F/‖W_G‖_F (1 at W = 0), and the
// singular-vector alignment |V_Lᵀ V_G|, the k×k absolute cosines between the top-k right singular
// vectors of W_σ and of W_G (alignment = a bright diagonal), with its heat-map PNG.
import { axpby, eigh, gemm, reduce, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import { encodeImagePng } from '../io/png.ts';

function checkSquare(what: string, d: number, ...bufs: GpuBuffer[]): void {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`${what}: d = ${d} must be a positive integer`);
  for (const b of bufs) if (b.length < d * d) throw new RangeError(`${what}: '${b.label}' holds ${b.length} values, fewer than d² = ${d * d}`);
}

/** ‖W − W_G‖_F / ‖W_G‖_F on the GPU (two reductions, one read-back). */
export async function weightNmse(gpu: Gpu, W: GpuBuffer, WG: GpuBuffer, d: number): Promise<number> {
  checkSquare('weight NMSE', d, W, WG);
  const diff = gpu.alloc(d * d, 'weight-nmse-diff');
  const sums = gpu.alloc(2, 'weight-nmse-sums');
  const one = gpu.alloc(1, 'weight-nmse-ref');
  try {
    axpby(gpu, 1, W, -1, WG, diff, d * d);
    reduce(gpu, 'sumsq', diff, sums, d * d);
    reduce(gpu, 'sumsq', WG, one, d * d);
    gpu.copy(one, sums, 1, 0, 1);
    const [e, r] = await gpu.read(sums, 2);
    if (!(r > 0)) throw new Error('weight NMSE: the reference W_G is zero');
    return Math.sqrt(e / r);
  } finally {
    for (const b of [diff, sums, one]) b.release();
  }
}

/** The d×d right singular vectors of W (columns, σ descending), as eigenvectors of WᵀW. */
async function rightSingularVectors(gpu: Gpu, W: GpuBuffer, d: number): Promise<GpuBuffer> {
  const wtw = gpu.alloc(d * d, 'alignment-WtW');
  gemm(gpu, { a: W, b: W, c: wtw, m: d, n: d, k: d, transA: true });
  const e = await eigh(gpu, wtw, d);
  wtw.release();
  e.valuesBuffer.release();
  return e.vectors;
}

/**
 * The k×k matrix M[a][b] = |v_a(W)ᵀ v_b(WG)| for the top-k right singular vectors of W (rows) and of
 * WG (columns), row-major. Singular vectors come from the symmetric eigendecomposition of WᵀW (the
 * kernels' tridiagonal eigh); for W_G (symmetric) they are its eigenvectors. Vectors of (nearly)
 * equal singular values are only defined up to a rotation of their subspace, so there the
 * alignment spreads over the block (the paper's low-σ "ambiguous singular vectors").
 */
export async function singularAlignment(gpu: Gpu, W: GpuBuffer, WG: GpuBuffer, d: number, k: number): Promise<Float32Array> {
  checkSquare('singular alignment', d, W, WG);
  if (!Number.isInteger(k) || k < 1 || k > d) throw new RangeError(`singular alignment: k = ${k} must be an integer in [1, d = ${d}]`);
  const vl = await rightSingularVectors(gpu, W, d);
  const vg = await rightSingularVectors(gpu, WG, d);
  // C = V_Lᵀ·V_G (d×d); its first k rows and columns are the top-k cosines.
  const c = gpu.alloc(d * d, 'alignment-cosines');
  try {
    gemm(gpu, { a: vl, b: vg, c, m: d, n: d, k: d, transA: true });
    const rows = await gpu.read(c, k * d);
    const out = new Float32Array(k * k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) out[a * k + b] = Math.abs(rows[a * d + b]);
    return out;
  } finally {
    for (const t of [vl, vg, c]) t.release();
  }
}

/** Viridis at five stops (0, ¼, ½, ¾, 1), 8-bit RGB. */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The viridis colour of v ∈ [0, 1] (clamped), 8-bit RGB. */
export function viridis(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  return [0, 1, 2].map((c) => VIRIDIS[i][c] + f * (VIRIDIS[i + 1][c] - VIRIDIS[i][c])) as [number, number, number];
}

/**
 * PNG of a k×k alignment matrix (values in [0, 1], row a = W's a-th vector, column b = W_G's b-th),
 * viridis-coloured (dark 0, yellow 1), each entry `scale`×`scale` pixels [default: about 400 px wide].
 */
export function alignmentHeatmapPng(matrix: Float32Array, k: number, scale = Math.max(1, Math.floor(400 / k))): Buffer {
  if (!Number.isInteger(k) || k < 1 || matrix.length < k * k) throw new RangeError(`alignment heat map: need a k×k matrix, got ${matrix.length} values for k = ${k}`);
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`alignment heat map: scale = ${scale} must be a positive integer`);
  const img = new Float32Array(3 * k * k);
  for (let p = 0; p < k * k; p++) {
    const rgb = viridis(matrix[p]);
    for (let c = 0; c < 3; c++) img[c * k * k + p] = rgb[c] / 127.5 - 1;
  }
  return Buffer.from(encodeImagePng(img, { c: 3, h: k, w: k }, { scale }));
}
