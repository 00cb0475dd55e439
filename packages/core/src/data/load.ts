// loadDataset: a data-set spec (see spec.ts for the syntax and the order) → N×C×H×W images in
// [-1, 1] (x = u8 / 127.5 − 1), plus an optional held-out set, with provenance for each image.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readNpy } from '../io/npy.ts';
import { readPng, type PngImage } from '../io/png.ts';
import { loadNpmImages } from './mnist.ts';
import { seededPermutation } from './prng.ts';
import { resizeImages } from './resize.ts';
import { DEFAULT_DATA_SEED, formatDataSpec, parseDataSpec, type DataSpec, type ResizeFilter } from './spec.ts';

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

/** Values may exceed [-1, 1] by this much (float rounding) before a file is rejected. */
const RANGE_TOL = 1e-6;

/** Merges options into the spec; an option that contradicts the spec is an error. */
function mergeOptions(spec: DataSpec, options: LoadOptions, text: string): DataSpec {
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
function selectIndices(m: number, spec: DataSpec, shuffleSeed: number | undefined, what: string): { train: Int32Array; held: Int32Array } {
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

function gatherU8(pixels: Uint8Array, d: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) {
    const src = idx[i] * d;
    const dst = i * d;
    for (let j = 0; j < d; j++) out[dst + j] = U8_TO_X[pixels[src + j]];
  }
  return out;
}

function gatherF32(values: Float32Array, d: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) out.set(values.subarray(idx[i] * d, (idx[i] + 1) * d), i * d);
  return out;
}

interface Loaded {
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

/** Maps with at most `limit` calls in flight (thousands of files must not all be open at once). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function loadNpm(spec: DataSpec & { kind: 'mnist' | 'fashion-mnist' }, text: string): Promise<Loaded> {
  const src = await loadNpmImages(spec.kind);
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

/** Gray (ITU-R BT.601 luma) or RGB (gray replicated) C×H×W from a decoded PNG. */
function toChannels(img: PngImage, c: 1 | 3): Float32Array {
  const hw = img.h * img.w;
  if (img.c === c) return img.data;
  const out = new Float32Array(c * hw);
  if (c === 3) for (let ch = 0; ch < 3; ch++) out.set(img.data.subarray(0, hw), ch * hw);
  else for (let p = 0; p < hw; p++) out[p] = 0.299 * img.data[p] + 0.587 * img.data[hw + p] + 0.114 * img.data[2 * hw + p];
  return out;
}

async function loadPngDir(spec: DataSpec & { kind: 'png' }, text: string): Promise<Loaded> {
  let names: string[];
  try {
    names = (await readdir(spec.dir, { withFileTypes: true })).filter((e) => e.isFile() && /\.png$/i.test(e.name)).map((e) => e.name);
  } catch (e) {
    throw new Error(`data spec '${text}': cannot list folder ${spec.dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Plain code-unit order (not locale order), the same on every machine.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new Error(`data spec '${text}': no .png files in ${spec.dir}`);
  const { train, held } = selectIndices(names.length, spec, spec.seed, `data spec '${text}'`);
  // Only the selected files are decoded; with resize=, each is resampled on its own, so sizes may differ.
  const wanted = [...train, ...held];
  const images = await mapLimit(wanted, 16, async (i) => {
    const img = await readPng(join(spec.dir, names[i]));
    if (!spec.resize) return img;
    const data = resizeImages(img.data, { n: 1, c: img.c, h: img.h, w: img.w }, spec.resize.h, spec.resize.w, spec.filter ?? 'area');
    return { ...img, data, h: spec.resize.h, w: spec.resize.w };
  });
  const first = images[0];
  const firstName = names[wanted[0]];
  images.forEach((img, k) => {
    if (img.h !== first.h || img.w !== first.w) {
      throw new Error(`${join(spec.dir, names[wanted[k]])}: image is ${img.w}×${img.h} but ${firstName} is ${first.w}×${first.h}; png:<dir> needs images of one size (or add ?resize=S)`);
    }
  });
  const c: 1 | 3 = spec.channels ?? (images.some((img) => img.c === 3) ? 3 : 1);
  const d = c * first.h * first.w;
  const all = new Float32Array(wanted.length * d);
  images.forEach((img, k) => all.set(toChannels(img, c), k * d));
  return {
    train: all.slice(0, train.length * d),
    held: all.slice(train.length * d),
    trainIndex: train,
    heldIndex: held,
    c,
    h: first.h,
    w: first.w,
    imageShape: true,
    resized: true,
  };
}

async function loadNpyFile(spec: DataSpec & { kind: 'npy' }, text: string): Promise<Loaded> {
  const { data, shape } = await readNpy(spec.file);
  let m: number;
  let c: number;
  let h: number;
  let w: number;
  let imageShape = true;
  const dims = `[${shape.join(', ')}]`;
  if (shape.length === 4) {
    [m, c, h, w] = shape;
  } else if (shape.length === 3) {
    [m, h, w] = shape;
    c = 1;
  } else if (shape.length === 2) {
    const d = shape[1];
    m = shape[0];
    const side = Math.round(Math.sqrt(d));
    if (spec.shape) ({ c, h, w } = spec.shape);
    else if (side * side === d) [c, h, w] = [1, side, side];
    else [c, h, w, imageShape] = [1, 1, d, false];
    if (c * h * w !== d) throw new Error(`${spec.file}: shape=${c}x${h}x${w} has ${c * h * w} values per image, the file has ${d} (shape ${dims})`);
  } else {
    throw new Error(`${spec.file}: shape ${dims} is not N×C×H×W, N×H×W or N×d`);
  }
  if (spec.shape && shape.length !== 2 && (spec.shape.c !== c || spec.shape.h !== h || spec.shape.w !== w)) {
    throw new Error(`${spec.file}: shape=${spec.shape.c}x${spec.shape.h}x${spec.shape.w} disagrees with the file's shape ${dims}`);
  }
  if (m === 0 || c * h * w === 0) throw new Error(`${spec.file}: no data (shape ${dims})`);
  const d = c * h * w;
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (!(v >= -1 - RANGE_TOL && v <= 1 + RANGE_TOL)) {
      throw new Error(`${spec.file}: image ${Math.floor(k / d)}, element ${k % d} is ${v}; images must be finite and in [-1, 1]`);
    }
  }
  const { train, held } = selectIndices(m, spec, spec.seed, `data spec '${text}'`);
  return { train: gatherF32(data, d, train), held: gatherF32(data, d, held), trainIndex: train, heldIndex: held, c, h, w, imageShape };
}

/**
 * Loads a data set from a spec string (see spec.ts) or a parsed spec; `options` fill in keys the
 * spec leaves out (an option contradicting the spec is an error). Errors name the bad file.
 */
export async function loadDataset(spec: string | DataSpec, options: LoadOptions = {}): Promise<Dataset> {
  const parsed = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  const text = typeof spec === 'string' ? spec : formatDataSpec(spec);
  const s = mergeOptions(parsed, options, text);
  let r: Loaded;
  switch (s.kind) {
    case 'mnist':
    case 'fashion-mnist':
      r = await loadNpm(s, text);
      break;
    case 'png':
      r = await loadPngDir(s, text);
      break;
    case 'npy':
      r = await loadNpyFile(s, text);
      break;
  }
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
