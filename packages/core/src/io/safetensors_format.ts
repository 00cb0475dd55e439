// Decoding safetensors bytes (format and validation: see safetensors.ts). No Node APIs, so the
// browser viewer parses the same files with the same checks and messages.
import { float16ToNumber } from './float16.ts';

/** Bytes per element of every safetensors dtype (to validate files holding types we do not read). */
export const SAFETENSORS_DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
/** The dtypes we read; F16 and BF16 are widened to Float32Array. */
export type SafetensorsDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I32' | 'U8';
const READABLE: readonly SafetensorsDtype[] = ['F32', 'F64', 'F16', 'BF16', 'I32', 'U8'];
/** The reference implementation's bound on the header, against hostile files. */
const MAX_HEADER_BYTES = 100_000_000;

export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface Tensor {
  dtype: SafetensorsDtype; // as stored in the file
  shape: number[]; // [] for a scalar
  data: TensorData; // Float32Array for F32/F16/BF16, Float64Array for F64, Int32Array for I32, Uint8Array for U8
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>; // in file order (by data offset)
  metadata: Record<string, string>; // the __metadata__ map ({} when absent)
}

/** What a writer takes: the dtype follows the array type (F32, F64, I32, U8). */
export interface TensorInput {
  shape: readonly number[];
  data: TensorData;
}

function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A tensor as the header describes it: dtype, shape and byte range within the data (after the header). */
export interface SafetensorsEntry {
  key: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** What the header of a safetensors file says, checked against the data's length. */
export interface SafetensorsHeader {
  headerBytes: number; // N: the JSON header's length; the data starts at 8 + N
  entries: SafetensorsEntry[]; // sorted by offset, tiling the data exactly
  metadata: Record<string, string>; // the __metadata__ map ({} when absent)
}

/** The header length N from a file's first 8 bytes (`fileBytes`: the whole file's length), validated. */
export function safetensorsHeaderLength(first8: Uint8Array, fileBytes: number, name = '<buffer>'): number {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (!hostIsLittleEndian()) fail('reading safetensors on a big-endian host is not supported');
  if (fileBytes < 8 || first8.length < 8) fail(`truncated: ${fileBytes} bytes, but a safetensors file starts with an 8-byte header length`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} is implausible (limit ${MAX_HEADER_BYTES}); not a safetensors file?`);
  if (8 + n > fileBytes) fail(`truncated: the header length says ${n} bytes, the file has ${fileBytes - 8} after it`);
  return n;
}

/**
 * Parses and validates the JSON header (`json`: its N bytes) of a file whose data after the header is `dataLen`
 * bytes: dtypes, shapes, offsets in range and tiling the data with no gap or overlap. Reads no tensor data.
 */
export function parseSafetensorsHeader(json: Uint8Array, dataLen: number, name = '<buffer>'): SafetensorsHeader {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  const n = json.length;
  if (n < 2 || json[0] !== 0x7b /* { */) fail('bad header: it does not start with "{"; not a safetensors file?');

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    return fail(`bad header JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('bad header: not a JSON object');

  const metadata: Record<string, string> = Object.create(null);
  const entries: SafetensorsEntry[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('__metadata__ is not an object of strings');
      for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof mv !== 'string') fail(`__metadata__['${mk}'] is ${JSON.stringify(mv)}, metadata values must be strings`);
        metadata[mk] = mv as string;
      }
      continue;
    }
    const t = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t === null || typeof t !== 'object') fail(`tensor '${key}': entry is not an object`);
    if (typeof t.dtype !== 'string' || !(t.dtype in SAFETENSORS_DTYPE_BYTES)) fail(`tensor '${key}': unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every(isNonNegInt)) fail(`tensor '${key}': shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isNonNegInt) || off[0] > off[1]) {
      fail(`tensor '${key}': data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) fail(`tensor '${key}': data_offsets [${begin}, ${end}] run past the data (${dataLen} bytes); truncated file?`);
    const shape = t.shape as number[];
    const need = shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[t.dtype as string];
    if (end - begin !== need) fail(`tensor '${key}': ${end - begin} bytes at [${begin}, ${end}], but shape [${shape.join(', ')}] of ${t.dtype} needs ${need}`);
    entries.push({ key, dtype: t.dtype as string, shape, begin, end });
  }

  // The tensors must tile the data exactly: sorted by offset, each starts where the last ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) {
      fail(e.begin > at ? `gap in the data: no tensor covers bytes [${at}, ${e.begin})` : `tensor '${e.key}' at [${e.begin}, ${e.end}] overlaps the tensor before it (which ends at ${at})`);
    }
    at = e.end;
  }
  if (at !== dataLen) fail(`${dataLen - at} bytes after the last tensor (the data is ${dataLen} bytes, tensors cover ${at})`);
  return { headerBytes: n, entries, metadata };
}

/** Decodes the bytes of a .safetensors file; `name` is how errors name the source. */
export function decodeSafetensors(bytes: Uint8Array, name = '<buffer>'): SafetensorsFile {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  const n = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length, name);
  const dataStart = 8 + n;
  const { entries, metadata } = parseSafetensorsHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, name);
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const e of entries) {
    if (!READABLE.includes(e.dtype as SafetensorsDtype)) fail(`tensor '${e.key}': dtype ${e.dtype} is not supported (read: ${READABLE.join(', ')})`);
    // A copy at offset 0 of a fresh buffer: aligned for any typed-array view.
    const raw = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)).buffer;
    let data: TensorData;
    switch (e.dtype as SafetensorsDtype) {
      case 'F32':
        data = new Float32Array(raw);
        break;
      case 'F64':
        data = new Float64Array(raw);
        break;
      case 'I32':
        data = new Int32Array(raw);
        break;
      case 'U8':
        data = new Uint8Array(raw);
        break;
      case 'F16': {
        const h = new Uint16Array(raw);
        data = new Float32Array(h.length);
        for (let k = 0; k < h.length; k++) data[k] = float16ToNumber(h[k]);
        break;
      }
      case 'BF16': {
        // bfloat16 is the top half of a float32.
        const h = new Uint16Array(raw);
        const bits = new Uint32Array(h.length);
        for (let k = 0; k < h.length; k++) bits[k] = h[k] << 16;
        data = new Float32Array(bits.buffer);
        break;
      }
    }
    tensors[e.key] = { dtype: e.dtype as SafetensorsDtype, shape: e.shape, data };
  }
  return { tensors, metadata };
}
