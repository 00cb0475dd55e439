// safetensors files (the Hugging Face format): an 8-byte little-endian header length N, N bytes
// of JSON header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }
// (padded with spaces), then the tensors' bytes, little-endian, C order, tiling the rest exactly.
//
// Why our own: the npm package `safetensors` is a 0.0.1 placeholder with no validation, and the
// other JS readers live inside large ML frameworks (transformers.js, tfjs converters). The format
// is small; we validate it the way the reference Rust implementation does (header length, JSON,
// dtypes, offsets in range and tiling the data with no gap or overlap, sizes matching shapes)
// and name the file and the tensor in every error.
import { readFile, open } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.ts';
import { decodeSafetensors, parseSafetensorsHeader, safetensorsHeaderLength, SAFETENSORS_DTYPE_BYTES, type SafetensorsFile, type SafetensorsHeader, type TensorData, type TensorInput } from './safetensors_format.ts';

export * from './safetensors_format.ts';

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Reads a .safetensors file (errors name `path`). */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}

/**
 * Reads and validates only the header of a .safetensors file (tensor names, dtypes, shapes, metadata), not its data:
 * a checkpoint's `step` without reading its weights.
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = (await file.stat()).size;
    const first8 = new Uint8Array(8);
    await file.read(first8, 0, 8, 0);
    const n = safetensorsHeaderLength(first8, size, path);
    const json = new Uint8Array(n);
    await file.read(json, 0, n, 8);
    return parseSafetensorsHeader(json, size - 8 - n, path);
  } finally {
    await file.close();
  }
}

function dtypeOf(key: string, data: TensorData): 'F32' | 'F64' | 'I32' | 'U8' {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint8Array) return 'U8';
  throw new Error(`safetensors: tensor '${key}': cannot write ${(data as object)?.constructor?.name} (write Float32Array, Float64Array, Int32Array or Uint8Array)`);
}

/**
 * The chunks of a .safetensors file: 8-byte length, JSON header padded with spaces to a multiple
 * of 8, then the tensors' bytes (not copied). Tensors are laid out as the reference writer does:
 * by alignment (8-byte dtypes first), then by name.
 */
export function encodeSafetensors(tensors: Record<string, TensorInput>, metadata: Record<string, string> = {}): Uint8Array[] {
  if (!hostIsLittleEndian()) throw new Error('safetensors: writing on a big-endian host is not supported');
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`safetensors: metadata '${k}' must be a string, got ${typeof v}`);
  }
  const items = Object.entries(tensors).map(([key, t]) => {
    if (key === '__metadata__') throw new Error("safetensors: '__metadata__' is reserved and cannot name a tensor");
    const dtype = dtypeOf(key, t.data);
    if (!t.shape.every((d) => isNonNegInt(d))) throw new Error(`safetensors: tensor '${key}': shape [${t.shape.join(', ')}] must be non-negative integers`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: tensor '${key}': shape [${t.shape.join(', ')}] holds ${count} values but the data has ${t.data.length}`);
    return { key, dtype, shape: [...t.shape], data: t.data };
  });
  items.sort((a, b) => SAFETENSORS_DTYPE_BYTES[b.dtype] - SAFETENSORS_DTYPE_BYTES[a.dtype] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const it of items) {
    header[it.key] = { dtype: it.dtype, shape: it.shape, data_offsets: [offset, offset + it.data.byteLength] };
    offset += it.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true);
  return [len, json, ...items.map((it) => new Uint8Array(it.data.buffer, it.data.byteOffset, it.data.byteLength))];
}

/** Writes tensors and string metadata to a .safetensors file atomically. */
export async function writeSafetensors(path: string, tensors: Record<string, TensorInput>, metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
