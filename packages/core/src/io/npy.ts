// NumPy .npy files (format versions 1.0, 2.0 and 3.0, as in numpy/lib/format.py): read into
// Float32Array or Float64Array with the shape; write float32/float64, little-endian, C order.
//
// Why our own ~300 lines (most of them validation) and not the npm package `npyjs` (1.2.0,
// maintained): it treats big-endian ('>f4') data as native instead of refusing it, never checks
// the data length against the shape (a truncated file is read short or throws a RangeError),
// views the buffer at the unaligned data offset (RangeError on some files), parses the header
// with regexes, pads written headers to 8 bytes instead of NumPy's 64, and pulls in `cross-fetch`
// for URL loading we do not need. `numpy-parser` only reads (2 releases). Here every failure is a
// one-line error that names the file and what is wrong.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.ts';
import { float16ToNumber } from './float16.ts';

export { float16ToNumber } from './float16.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Element types we read (the NumPy type code after the byte-order character). */
const ITEM_SIZE = { f2: 2, f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1 } as const;
type TypeCode = keyof typeof ITEM_SIZE;

/** What to read the values into. */
export type NpyFloat = 'float32' | 'float64';

export interface NpyArray<T extends Float32Array | Float64Array = Float32Array> {
  data: T; // the values in C order
  shape: number[]; // [] for a 0-d array (one value)
  descr: string; // the file's dtype as NumPy wrote it, e.g. '<f4', '|u1', '<i8'
}

export interface NpyReadOptions {
  as?: NpyFloat; // the output array type [default 'float32']
  name?: string; // how errors name the source [default '<buffer>' for decodeNpy, the path for readNpy]
}

function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

// --- Header: a Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** Parses the tiny subset of Python literals that .npy headers use; throws a short message. */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (): PyValue => {
    skip();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const out: Record<string, PyValue> = {};
      for (;;) {
        skip();
        if (text[i] === '}') {
          i++;
          return out;
        }
        const key = value();
        if (typeof key !== 'string') throw new Error(`dict key at offset ${i} is not a string`);
        skip();
        if (text[i++] !== ':') throw new Error(`expected ':' at offset ${i - 1}`);
        out[key] = value();
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') throw new Error(`expected ',' or '}' at offset ${i}`);
      }
    }
    if (ch === '(' || ch === '[') {
      const close = ch === '(' ? ')' : ']';
      i++;
      const out: PyValue[] = [];
      for (;;) {
        skip();
        if (text[i] === close) {
          i++;
          return out;
        }
        out.push(value());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== close) throw new Error(`expected ',' or '${close}' at offset ${i}`);
      }
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) throw new Error(`unterminated string at offset ${i}`);
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const word = /^(-?\d+L?|True|False|None)/.exec(text.slice(i, i + 32));
    if (!word) throw new Error(`unexpected ${ch === undefined ? 'end' : `'${ch}'`} at offset ${i}`);
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  };
  const v = value();
  skip();
  if (i !== text.length) throw new Error(`unexpected text after the dict at offset ${i}`);
  return v;
}

interface NpyHeader {
  code: TypeCode;
  descr: string;
  shape: number[];
  dataOffset: number;
}

function parseHeader(bytes: Uint8Array, name: string): NpyHeader {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) {
    const head = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`not a .npy file (magic bytes ${head || 'missing'}, expected 93 4e 55 4d 50 59)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${minor} (read: 1.0, 2.0, 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail(`truncated: the file ends inside the header length (${bytes.length} bytes)`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  const dataOffset = start + headerLen;
  if (dataOffset > bytes.length) fail(`truncated: the header needs ${dataOffset} bytes, the file has ${bytes.length}`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));

  let dict: PyValue;
  try {
    dict = parsePyLiteral(text.trim());
  } catch (e) {
    return fail(`bad header (${(e as Error).message}): ${JSON.stringify(text.trim().slice(0, 80))}`);
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) return fail(`bad header: not a dict: ${JSON.stringify(text.trim().slice(0, 80))}`);
  const keys = Object.keys(dict).sort().join(',');
  if (keys !== 'descr,fortran_order,shape') fail(`bad header: keys are {${keys}}, expected {descr, fortran_order, shape}`);
  const { descr, fortran_order: fortran, shape } = dict as { descr: PyValue; fortran_order: PyValue; shape: PyValue };

  if (typeof descr !== 'string') return fail(`structured dtypes are not supported (descr ${JSON.stringify(descr)})`);
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    return fail(`bad header: shape ${JSON.stringify(shape)} is not a tuple of non-negative integers`);
  }
  const dims = shape as number[];
  if (typeof fortran !== 'boolean') fail(`bad header: fortran_order is ${JSON.stringify(fortran)}, expected True or False`);
  // Fortran and C order are the same layout when at most one dimension exceeds 1.
  if (fortran && dims.filter((d) => d > 1).length > 1) {
    fail(`Fortran-order arrays are not supported (shape [${dims.join(', ')}]); save np.ascontiguousarray(x) instead`);
  }

  const order = descr[0];
  const code = descr.slice(1) as TypeCode;
  if (descr.includes('O')) fail(`object arrays are not supported (descr '${descr}')`);
  if (!'<>|='.includes(order) || !(code in ITEM_SIZE)) {
    fail(`unsupported dtype '${descr}' (read: float16/32/64, int8/16/32/64, uint8/16/32/64, bool)`);
  }
  if (order === '>' && ITEM_SIZE[code] > 1) fail(`big-endian data is not supported (descr '${descr}'); save x.astype('<${code}') instead`);

  const count = dims.reduce((a, b) => a * b, 1);
  const need = count * ITEM_SIZE[code];
  const have = bytes.length - dataOffset;
  if (have < need) fail(`truncated: shape [${dims.join(', ')}] of '${descr}' needs ${need} data bytes, the file has ${have}`);
  if (have > need) fail(`${have - need} unexpected bytes after the data (shape [${dims.join(', ')}] of '${descr}' is ${need} bytes)`);
  return { code, descr, shape: dims, dataOffset };
}

/** Decodes the bytes of a .npy file. */
export function decodeNpy(bytes: Uint8Array, options?: NpyReadOptions & { as?: 'float32' }): NpyArray<Float32Array>;
export function decodeNpy(bytes: Uint8Array, options: NpyReadOptions & { as: 'float64' }): NpyArray<Float64Array>;
export function decodeNpy(bytes: Uint8Array, options: NpyReadOptions = {}): NpyArray<Float32Array | Float64Array> {
  const name = options.name ?? '<buffer>';
  if (!hostIsLittleEndian()) throw new Error(`${name}: reading .npy on a big-endian host is not supported`);
  const { code, descr, shape, dataOffset } = parseHeader(bytes, name);
  const count = shape.reduce((a, b) => a * b, 1);
  // A copy at offset 0 of a fresh buffer, aligned for any typed-array view. (Not bytes.slice():
  // on a Node Buffer that is a view into a shared pool.)
  const raw = new Uint8Array(bytes.subarray(dataOffset, dataOffset + count * ITEM_SIZE[code])).buffer;
  const out = options.as === 'float64' ? new Float64Array(count) : new Float32Array(count);
  switch (code) {
    case 'f4':
      out.set(new Float32Array(raw));
      break;
    case 'f8':
      out.set(new Float64Array(raw));
      break;
    case 'f2': {
      const h = new Uint16Array(raw);
      for (let k = 0; k < count; k++) out[k] = float16ToNumber(h[k]);
      break;
    }
    case 'i1':
      out.set(new Int8Array(raw));
      break;
    case 'i2':
      out.set(new Int16Array(raw));
      break;
    case 'i4':
      out.set(new Int32Array(raw));
      break;
    case 'u1':
    case 'b1':
      out.set(new Uint8Array(raw));
      break;
    case 'u2':
      out.set(new Uint16Array(raw));
      break;
    case 'u4':
      out.set(new Uint32Array(raw));
      break;
    case 'i8': {
      const v = new BigInt64Array(raw);
      for (let k = 0; k < count; k++) out[k] = Number(v[k]);
      break;
    }
    case 'u8': {
      const v = new BigUint64Array(raw);
      for (let k = 0; k < count; k++) out[k] = Number(v[k]);
      break;
    }
  }
  return { data: out, shape, descr };
}

/** Reads a .npy file (errors name `path`). */
export async function readNpy(path: string, options?: { as?: 'float32' }): Promise<NpyArray<Float32Array>>;
export async function readNpy(path: string, options: { as: 'float64' }): Promise<NpyArray<Float64Array>>;
export async function readNpy(path: string, options: { as?: NpyFloat } = {}): Promise<NpyArray<Float32Array | Float64Array>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return options.as === 'float64' ? decodeNpy(bytes, { as: 'float64', name: path }) : decodeNpy(bytes, { name: path });
}

function checkShape(data: Float32Array | Float64Array, shape: readonly number[]): void {
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`npy: shape [${shape.join(', ')}] must be non-negative integers`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`npy: shape [${shape.join(', ')}] holds ${count} values but the data has ${data.length}`);
}

/**
 * The header of a .npy file for `shape` (format 1.0, or 2.0 if the header exceeds 65535 bytes),
 * padded with spaces and a newline so the data starts at a multiple of 64 bytes, as NumPy does.
 */
export function npyHeader(dtype: NpyFloat, shape: readonly number[]): Uint8Array {
  const descr = dtype === 'float32' ? '<f4' : '<f8';
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  for (const major of [1, 2]) {
    const pre = major === 1 ? 10 : 12;
    const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
    const headerLen = total - pre;
    if (major === 1 && headerLen > 0xffff) continue;
    const out = new Uint8Array(total);
    out.set(MAGIC, 0);
    out[6] = major;
    out[7] = 0;
    const view = new DataView(out.buffer);
    if (major === 1) view.setUint16(8, headerLen, true);
    else view.setUint32(8, headerLen, true);
    const text = dict.padEnd(headerLen - 1, ' ') + '\n';
    for (let k = 0; k < text.length; k++) out[pre + k] = text.charCodeAt(k);
    return out;
  }
  throw new Error('unreachable');
}

function dtypeOf(data: Float32Array | Float64Array): NpyFloat {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  throw new Error(`npy: can write Float32Array or Float64Array, got ${(data as object)?.constructor?.name}`);
}

/** The bytes of a .npy file holding `data` with `shape` (default: 1-D). */
export function encodeNpy(data: Float32Array | Float64Array, shape: readonly number[] = [data.length]): Uint8Array {
  checkShape(data, shape);
  if (!hostIsLittleEndian()) throw new Error('npy: writing on a big-endian host is not supported');
  const header = npyHeader(dtypeOf(data), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

/** Writes `data` with `shape` (default: 1-D) to a .npy file atomically, without copying the data. */
export async function writeNpy(path: string, data: Float32Array | Float64Array, shape: readonly number[] = [data.length]): Promise<void> {
  checkShape(data, shape);
  if (!hostIsLittleEndian()) throw new Error(`${path}: writing .npy on a big-endian host is not supported`);
  await writeFileAtomic(path, [npyHeader(dtypeOf(data), shape), data]);
}
