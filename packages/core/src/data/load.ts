// loadDataset: a data-set spec (see spec.ts for the syntax and the order) → N×C×H×W images in
// [-1, 1] (x = u8 / 127.5 − 1), plus an optional held-out set, with provenance for each image.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readNpy } from '../io/npy.ts';
import { readPng, type PngImage } from '../io/png.ts';
import { loadNpmImages } from './mnist.ts';
import { resizeImages } from './resize.ts';
import { formatDataSpec, parseDataSpec, type DataSpec } from './spec.ts';
import { finishDataset, gatherF32, mergeOptions, selectIndices, selectU8Images, type Dataset, type Loaded, type LoadOptions } from './assemble.ts';

export type { Dataset, LoadOptions } from './assemble.ts';

/** Values may exceed [-1, 1] by this much (float rounding) before a file is rejected. */
const RANGE_TOL = 1e-6;

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
  return selectU8Images(await loadNpmImages(spec.kind), spec, text);
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
  return finishDataset(r, s, text);
}
