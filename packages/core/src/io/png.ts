// PNG images (through pngjs) as C×H×W float in [-1, 1], and image grids for sample sheets.
// Pixel convention, as for every data set here: x = v / (vmax / 2) − 1 with vmax = 2^bitDepth − 1
// (x = u8 / 127.5 − 1 for 8-bit); written back as round((x + 1) · 127.5), clamped to 0..255.
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { PNG, type ColorType, type PNGWithMetadata } from 'pngjs';
import { writeFileAtomic } from './atomic.ts';

/** One image, C×H×W in [-1, 1]. */
export interface PngImage {
  data: Float32Array; // C×H×W, channel-major
  c: number; // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (alpha only with alpha: 'keep')
  h: number;
  w: number;
  bitDepth: number; // 1, 2, 4, 8 or 16 as stored
  color: boolean; // stored as RGB or palette (false: grayscale)
}

export interface PngReadOptions {
  alpha?: 'drop' | 'keep'; // drop the alpha channel (not composited) or keep it as the last channel [default 'drop']
  name?: string; // how errors name the source [default '<buffer>' for decodePng, the path for readPng]
}

/** The shape of a batch of images, N×C×H×W (a loaded data set has these fields). */
export interface ImageShape {
  n: number;
  c: number;
  h: number;
  w: number;
}

export interface GridOptions {
  cols?: number; // images per row [default ceil(sqrt(n)), or ceil(n / rows) if rows is given]
  rows?: number; // rows of images [default ceil(n / cols)]; the grid shows the first rows·cols images
  padding?: number; // pixels between images and around the grid, in output pixels [default 2]
  padValue?: number; // value of the padding and of empty cells, in [-1, 1] [default 1: white]
  scale?: number; // integer nearest-neighbour upscaling of each image, for small images [default 1]
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Walks the chunk structure (signature, lengths, CRCs, IHDR first, IEND present) so a truncated or
 * corrupt file gets a precise message; pngjs's own errors for these cases are vague.
 */
function checkPngChunks(bytes: Uint8Array, name: string): void {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, k) => bytes[k] !== b)) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`not a PNG file (signature ${head || 'missing'}, expected 89 50 4e 47 0d 0a 1a 0a)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  for (let index = 0; ; index++) {
    if (pos + 8 > bytes.length) fail(`truncated PNG: the file ends at byte ${bytes.length}, inside a chunk header (no IEND chunk)`);
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`corrupt PNG: bad chunk type at byte ${pos}`);
    if (index === 0 && type !== 'IHDR') fail(`corrupt PNG: the first chunk is ${type}, expected IHDR`);
    if (pos + 12 + len > bytes.length) fail(`truncated PNG: chunk ${type} at byte ${pos} needs ${len + 12} bytes, the file has ${bytes.length - pos} left`);
    const crc = crc32(bytes.subarray(pos + 4, pos + 8 + len));
    if (crc !== view.getUint32(pos + 8 + len)) fail(`corrupt PNG: CRC mismatch in chunk ${type} at byte ${pos}`);
    pos += 12 + len;
    if (type === 'IEND') return;
  }
}

/** Decodes PNG bytes (gray, gray+alpha, RGB, RGBA or palette; 1–16 bits) to C×H×W in [-1, 1]. */
export function decodePng(bytes: Uint8Array, options: PngReadOptions = {}): PngImage {
  const name = options.name ?? '<buffer>';
  checkPngChunks(bytes, name);
  let png: PNGWithMetadata;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    throw new Error(`${name}: not a valid PNG (${String((e as Error).message ?? e).split('\n')[0]})`);
  }
  const { width: w, height: h, depth } = png;
  const colorType = png.colorType as number; // 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
  // pngjs expands every type to RGBA; without rescaling, samples keep the stored range, except
  // palette entries, which are 8-bit.
  const px = png.data as unknown as ArrayLike<number>;
  const vmax = colorType === 3 ? 255 : 2 ** depth - 1;
  const color = colorType === 2 || colorType === 3 || colorType === 6;
  const hasAlpha = (colorType & 4) !== 0 || png.alpha;
  const keepAlpha = options.alpha === 'keep' && hasAlpha;
  const src = color ? (keepAlpha ? [0, 1, 2, 3] : [0, 1, 2]) : keepAlpha ? [0, 3] : [0];
  const c = src.length;
  const hw = h * w;
  const data = new Float32Array(c * hw);
  const half = vmax / 2;
  for (let ch = 0; ch < c; ch++) {
    const s = src[ch];
    const base = ch * hw;
    for (let p = 0; p < hw; p++) data[base + p] = px[4 * p + s] / half - 1;
  }
  return { data, c, h, w, bitDepth: depth, color };
}

/** Reads a PNG file to C×H×W in [-1, 1] (errors name `path`). */
export async function readPng(path: string, options: Omit<PngReadOptions, 'name'> = {}): Promise<PngImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodePng(bytes, { ...options, name: path });
}

/** [-1, 1] → 0..255; NaN is an error (a diverged sample should not look like a gray image). */
function toU8(x: number): number {
  const v = Math.round((x + 1) * 127.5);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function checkShape(images: Float32Array, shape: ImageShape, what: string): void {
  const { n, c, h, w } = shape;
  if (![n, c, h, w].every((v) => Number.isInteger(v) && v >= 0) || h === 0 || w === 0) throw new Error(`${what}: bad shape ${n}×${c}×${h}×${w}`);
  if (c !== 1 && c !== 3) throw new Error(`${what}: images must have 1 or 3 channels, got ${c}`);
  if (images.length !== n * c * h * w) throw new Error(`${what}: ${images.length} values do not make ${n}×${c}×${h}×${w}`);
  for (let k = 0; k < images.length; k++) {
    if (Number.isNaN(images[k])) {
      const d = c * h * w;
      throw new Error(`${what}: image ${Math.floor(k / d)} has NaN (at element ${k % d} of ${d})`);
    }
  }
}

function encode(pixels: Uint8Array, c: number, h: number, w: number): Uint8Array {
  const colorType: ColorType = c === 1 ? 0 : 2;
  const png = { width: w, height: h, data: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength) } as unknown as PNG;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false, bitDepth: 8 });
}

/** The interleaved 8-bit pixels (H×W×C) of a grid of N×C×H×W images in [-1, 1]. */
export function gridPixels(images: Float32Array, shape: ImageShape, options: GridOptions = {}): { pixels: Uint8Array; c: number; h: number; w: number } {
  checkShape(images, shape, 'image grid');
  const { n, c, h, w } = shape;
  const pad = options.padding ?? 2;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`image grid: padding must be a non-negative integer, got ${pad}`);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`image grid: scale must be a positive integer, got ${scale}`);
  let cols = options.cols ?? (options.rows ? Math.ceil(n / options.rows) : Math.ceil(Math.sqrt(n)));
  cols = Math.max(1, cols);
  const rows = Math.max(1, options.rows ?? Math.ceil(n / cols));
  const cellH = h * scale;
  const cellW = w * scale;
  const H = rows * cellH + (rows + 1) * pad;
  const W = cols * cellW + (cols + 1) * pad;
  const pixels = new Uint8Array(H * W * c).fill(toU8(options.padValue ?? 1));
  const hw = h * w;
  const shown = Math.min(n, rows * cols);
  for (let i = 0; i < shown; i++) {
    const top = pad + Math.floor(i / cols) * (cellH + pad);
    const left = pad + (i % cols) * (cellW + pad);
    const img = i * c * hw;
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      let o = ((top + y) * W + left) * c;
      for (let x = 0; x < cellW; x++) {
        const sp = sy * w + Math.floor(x / scale);
        for (let ch = 0; ch < c; ch++) pixels[o++] = toU8(images[img + ch * hw + sp]);
      }
    }
  }
  return { pixels, c, h: H, w: W };
}

/** PNG bytes of a grid of N×C×H×W images (C = 1 gray or 3 RGB) in [-1, 1]. */
export function encodeImageGridPng(images: Float32Array, shape: ImageShape, options: GridOptions = {}): Uint8Array {
  const g = gridPixels(images, shape, options);
  return encode(g.pixels, g.c, g.h, g.w);
}

/** PNG bytes of one C×H×W image in [-1, 1] (C = 1 or 3), optionally upscaled by an integer factor. */
export function encodeImagePng(image: Float32Array, shape: Omit<ImageShape, 'n'>, options: { scale?: number } = {}): Uint8Array {
  return encodeImageGridPng(image, { n: 1, c: shape.c, h: shape.h, w: shape.w }, { cols: 1, rows: 1, padding: 0, scale: options.scale ?? 1 });
}

/** Writes a grid of N×C×H×W images in [-1, 1] as a PNG, atomically. */
export async function writeImageGrid(path: string, images: Float32Array, shape: ImageShape, options: GridOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeImageGridPng(images, shape, options));
}

/** Writes one C×H×W image in [-1, 1] as a PNG, atomically. */
export async function writeImagePng(path: string, image: Float32Array, shape: Omit<ImageShape, 'n'>, options: { scale?: number } = {}): Promise<void> {
  await writeFileAtomic(path, encodeImagePng(image, shape, options));
}
