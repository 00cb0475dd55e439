// File I/O: .npy (against NumPy when it is installed, else against checked-in NumPy files),
// safetensors, atomic writes, PNG, SVG plots. Fresh random data every run.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, readFile, writeFile, readdir, symlink, lstat, stat, chmod } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import {
  decodeNpy, encodeNpy, readNpy, writeNpy, npyHeader,
  decodeSafetensors, encodeSafetensors, readSafetensors, readSafetensorsHeader, writeSafetensors,
  writeFileAtomic, writeFileAtomicSync,
  decodePng, readPng, encodeImageGridPng, writeImageGrid, writeImagePng, gridPixels,
  linePlotSvg, formatTick,
} from '@gausslens/core';
import { randomArray } from '../support/check.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'npy');
const HAS_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gausslens-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a Python snippet (argv: the temp dir) and returns its stdout; fails the test with stderr. */
function python(code: string): string {
  const r = spawnSync('python3', ['-c', code, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/** Asserts `fn` throws one line matching `re`. */
async function expectOneLineError(fn: () => unknown, re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error matching ${re}`).toBeInstanceOf(Error);
  const msg = (err as Error).message;
  expect(msg).toMatch(re);
  expect(msg).not.toContain('\n');
}

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

describe('npy', () => {
  const shapes: number[][] = [[], [1], [7], [3, 5], [2, 3, 4, 5], [0, 3], [1, 1, 1]];

  it('round-trips float32 and float64 through bytes and files, every shape', async () => {
    for (const shape of shapes) {
      const f32 = randomArray(count(shape), -3, 3);
      const f64 = Float64Array.from(f32, (v) => v + Math.random() * 1e-9);
      const a = decodeNpy(encodeNpy(f32, shape));
      expect(a.shape).toEqual(shape);
      expect(a.descr).toBe('<f4');
      expect(a.data).toEqual(f32);
      const b = decodeNpy(encodeNpy(f64, shape), { as: 'float64' });
      expect(b.descr).toBe('<f8');
      expect(b.data).toEqual(f64);
      // Read as the other precision.
      expect(decodeNpy(encodeNpy(f64, shape)).data).toEqual(Float32Array.from(f64));
      expect(decodeNpy(encodeNpy(f32, shape), { as: 'float64' }).data).toEqual(Float64Array.from(f32));

      const file = join(dir, `rt_${shape.join('x') || 'scalar'}.npy`);
      await writeNpy(file, f64, shape);
      const c = await readNpy(file, { as: 'float64' });
      expect(c.shape).toEqual(shape);
      expect(c.data).toEqual(f64);
    }
  });

  it('pads headers as NumPy does (data at a multiple of 64 bytes, newline-terminated)', () => {
    for (const shape of [[], [5], [123456, 7, 8]]) {
      const h = npyHeader('float32', shape);
      expect(h.length % 64).toBe(0);
      expect(h[h.length - 1]).toBe(0x0a);
      expect(h[6]).toBe(1);
    }
    // A header too long for format 1.0 switches to 2.0.
    const long = npyHeader('float64', Array.from({ length: 30000 }, () => 1));
    expect(long[6]).toBe(2);
    expect(long.length % 64).toBe(0);
    expect(decodeNpy(new Uint8Array([...long, ...new Uint8Array(8)]), { as: 'float64' }).shape.length).toBe(30000);
  });

  it('reads the checked-in files written by NumPy (every dtype, versions 1-3, 0-d, empty)', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, { shape: number[]; descr: string; values: number[] }>;
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
    for (const [name, e] of Object.entries(expected)) {
      const a = await readNpy(join(FIXTURES, name), { as: 'float64' });
      expect(a.shape, name).toEqual(e.shape);
      expect(a.descr, name).toBe(e.descr);
      expect(Array.from(a.data), name).toEqual(e.values);
      const b = await readNpy(join(FIXTURES, name));
      expect(b.data, name).toEqual(Float32Array.from(e.values));
    }
  });

  it('refuses big-endian, Fortran-order and object files with one-line errors naming the file', async () => {
    await expectOneLineError(() => readNpy(join(FIXTURES, 'be_f4.npy')), /be_f4\.npy: big-endian data is not supported \(descr '>f4'\)/);
    await expectOneLineError(() => readNpy(join(FIXTURES, 'fortran_f8.npy')), /fortran_f8\.npy: Fortran-order arrays are not supported \(shape \[2, 3\]\)/);
    await expectOneLineError(() => readNpy(join(FIXTURES, 'object.npy')), /object\.npy: object arrays are not supported/);
  });

  it('gives one-line errors for truncated files, bad magic, bad headers', async () => {
    const good = encodeNpy(randomArray(12), [3, 4]);
    const cases: [string, Uint8Array, RegExp][] = [
      ['trunc_data.npy', good.subarray(0, good.length - 5), /trunc_data\.npy: truncated: shape \[3, 4\] of '<f4' needs 48 data bytes, the file has 43$/],
      ['trunc_header.npy', good.subarray(0, 40), /trunc_header\.npy: truncated: the header needs 128 bytes, the file has 40$/],
      ['trunc_len.npy', good.subarray(0, 9), /trunc_len\.npy: not a \.npy file/],
      ['empty.npy', new Uint8Array(0), /empty\.npy: not a \.npy file \(magic bytes missing/],
      ['magic.npy', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, ...good.subarray(4)]), /magic\.npy: not a \.npy file \(magic bytes 89 50 4e 47 50 59/],
      ['version.npy', Uint8Array.from([...good.subarray(0, 6), 9, 0, ...good.subarray(8)]), /version\.npy: unsupported \.npy format version 9\.0/],
      ['extra.npy', Uint8Array.from([...good, 1, 2]), /extra\.npy: 2 unexpected bytes after the data/],
    ];
    const withHeader = (dict: string): Uint8Array => {
      const text = dict.padEnd(53, ' ') + '\n';
      return Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0, ...Buffer.from(text, 'latin1'), ...new Uint8Array(48)]);
    };
    cases.push(
      ['garbled.npy', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4}"), /garbled\.npy: bad header \(expected ',' or '\)'/],
      ['keys.npy', withHeader("{'descr': '<f4', 'shape': (3, 4), }"), /keys\.npy: bad header: keys are \{descr,shape\}/],
      ['shape.npy', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -4), }"), /shape\.npy: bad header: shape \[3,-4\]/],
      ['dtype.npy', withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (3, 4), }"), /dtype\.npy: unsupported dtype '<c8'/],
    );
    for (const [name, bytes, re] of cases) {
      const file = join(dir, name);
      await writeFile(file, bytes);
      await expectOneLineError(() => readNpy(file), re);
    }
    await expectOneLineError(() => readNpy(join(dir, 'missing.npy')), /missing\.npy: cannot read \(ENOENT\)/);
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/shape \[2, 3\] holds 6 values but the data has 5/);
  });

  it.skipIf(!HAS_NUMPY)('NumPy reads ours and we read NumPy files (live python3 + numpy)', async () => {
    const f32 = randomArray(2 * 3 * 4);
    const f64 = Float64Array.from(randomArray(5), (v) => v / 7);
    await writeNpy(join(dir, 'ours32.npy'), f32, [2, 3, 4]);
    await writeNpy(join(dir, 'ours64.npy'), f64);
    await writeNpy(join(dir, 'ours0d.npy'), new Float32Array([0.25]), []);
    const seen = JSON.parse(
      python(`
import sys, json, numpy as np
d = sys.argv[1]
out = {}
for n in ['ours32', 'ours64', 'ours0d']:
    a = np.load(f'{d}/{n}.npy')
    out[n] = {'shape': list(a.shape), 'dtype': a.dtype.str, 'c': bool(a.flags.c_contiguous), 'v': a.astype(np.float64).ravel().tolist()}
rng = np.random.default_rng()
x = rng.standard_normal((3, 1, 2, 2)).astype(np.float32)
np.save(f'{d}/np32.npy', x)
y = rng.standard_normal(4)
np.save(f'{d}/np64.npy', y)
np.save(f'{d}/npi8.npy', np.arange(-3, 3, dtype=np.int64).reshape(2, 3))
out['np32'] = x.astype(np.float64).ravel().tolist()
out['np64'] = y.ravel().tolist()
print(json.dumps(out))
`),
    ) as Record<string, { shape: number[]; dtype: string; c: boolean; v: number[] }> & { np32: number[]; np64: number[] };
    expect(seen.ours32).toEqual({ shape: [2, 3, 4], dtype: '<f4', c: true, v: Array.from(f32) });
    expect(seen.ours64).toEqual({ shape: [5], dtype: '<f8', c: true, v: Array.from(f64) });
    expect(seen.ours0d).toEqual({ shape: [], dtype: '<f4', c: true, v: [0.25] });
    const np32 = await readNpy(join(dir, 'np32.npy'));
    expect(np32.shape).toEqual([3, 1, 2, 2]);
    expect(Array.from(np32.data)).toEqual(seen.np32);
    expect(Array.from((await readNpy(join(dir, 'np64.npy'), { as: 'float64' })).data)).toEqual(seen.np64);
    expect(Array.from((await readNpy(join(dir, 'npi8.npy'))).data)).toEqual([-3, -2, -1, 0, 1, 2]);
  });
});

describe('safetensors', () => {
  const tensors = () => ({
    'layer.weight': { shape: [3, 4], data: randomArray(12) },
    'layer.bias': { shape: [4], data: randomArray(4) },
    sigma: { shape: [], data: new Float64Array([Math.random()]) },
    steps: { shape: [2], data: new Int32Array([7, -3]) },
    mask: { shape: [2, 2], data: new Uint8Array([0, 1, 254, 255]) },
    empty: { shape: [0, 5], data: new Float32Array(0) },
  });

  it('round-trips several tensors and metadata', async () => {
    const t = tensors();
    const meta = { format: 'pt', note: 'σ ∈ [0.002, 80]', json: '{"a":1}' };
    const file = join(dir, 'rt.safetensors');
    await writeSafetensors(file, t, meta);
    const r = await readSafetensors(file);
    expect(r.metadata).toEqual(meta);
    expect(Object.keys(r.tensors).sort()).toEqual(Object.keys(t).sort());
    for (const [k, v] of Object.entries(t)) {
      expect(r.tensors[k].shape, k).toEqual(v.shape);
      expect(r.tensors[k].data, k).toEqual(v.data);
      expect(r.tensors[k].data.constructor, k).toBe(v.data.constructor);
    }
    expect(r.tensors.sigma.dtype).toBe('F64');
    const h = await readSafetensorsHeader(file);
    expect(h.metadata).toEqual(meta);
    expect(Object.fromEntries(h.entries.map((e) => [e.key, e.shape]))).toEqual(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.shape])));
    // Layout: 8-byte length, header padded to 8, F64 first.
    const bytes = await readFile(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header.sigma.data_offsets).toEqual([0, 8]);
    expect(decodeSafetensors(Buffer.concat(encodeSafetensors({}, {}))).tensors).toEqual({});
  });

  it.skipIf(!HAS_NUMPY)('agrees with an independent Python writer and reader (struct + json), F16 and BF16 included', async () => {
    const t = tensors();
    await writeSafetensors(join(dir, 'ours.safetensors'), t, { who: 'gausslens' });
    const out = JSON.parse(
      python(`
import sys, json, struct, numpy as np
d = sys.argv[1]
# Read ours.
b = open(f'{d}/ours.safetensors', 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
types = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4', 'U8': 'u1'}
seen = {'meta': h.pop('__metadata__')}
for k, v in h.items():
    s, e = v['data_offsets']
    seen[k] = np.frombuffer(b[8 + n + s: 8 + n + e], dtype=types[v['dtype']]).astype(np.float64).reshape(v['shape']).ravel().tolist()
# Write one: F16, BF16 (top halves of float32), F32.
rng = np.random.default_rng()
a16 = rng.standard_normal(5).astype(np.float16)
bf = rng.standard_normal((2, 3)).astype(np.float32)
bf16 = (bf.view(np.uint32) >> 16).astype(np.uint16)
f32 = rng.standard_normal(3).astype(np.float32)
parts = [('a16', 'F16', [5], a16.tobytes()), ('bf', 'BF16', [2, 3], bf16.tobytes()), ('f32', 'F32', [3], f32.tobytes())]
hdr, off = {'__metadata__': {'k': 'v'}}, 0
for name, dt, shape, raw in parts:
    hdr[name] = {'dtype': dt, 'shape': shape, 'data_offsets': [off, off + len(raw)]}
    off += len(raw)
hb = json.dumps(hdr).encode()
hb += b' ' * (-len(hb) % 8)
open(f'{d}/py.safetensors', 'wb').write(struct.pack('<Q', len(hb)) + hb + b''.join(p[3] for p in parts))
print(json.dumps({'seen': seen, 'a16': a16.astype(np.float64).tolist(),
                  'bf': (bf16.astype(np.uint32) << 16).view(np.float32).astype(np.float64).ravel().tolist(),
                  'f32': f32.astype(np.float64).tolist()}))
`),
    );
    expect(out.seen.meta).toEqual({ who: 'gausslens' });
    for (const [k, v] of Object.entries(t)) expect(out.seen[k], k).toEqual(Array.from(v.data as ArrayLike<number>));
    const r = await readSafetensors(join(dir, 'py.safetensors'));
    expect(r.metadata).toEqual({ k: 'v' });
    expect(r.tensors.a16.dtype).toBe('F16');
    expect(Array.from(r.tensors.a16.data)).toEqual(out.a16);
    expect(r.tensors.bf.shape).toEqual([2, 3]);
    expect(Array.from(r.tensors.bf.data)).toEqual(out.bf);
    expect(Array.from(r.tensors.f32.data)).toEqual(out.f32);
  });

  it('validates: header length, JSON, offsets in range, sizes matching shapes, tiling, metadata', async () => {
    const build = (header: unknown, data: number, rawHeader?: string): Uint8Array => {
      const json = Buffer.from(rawHeader ?? JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([len, json, Buffer.alloc(data)]);
    };
    const good = encodeSafetensors({ a: { shape: [2, 2], data: randomArray(4) } });
    const goodBytes = Buffer.concat(good);
    const cases: [string, Uint8Array, RegExp][] = [
      ['short', goodBytes.subarray(0, 5), /short\.st: truncated: 5 bytes, but a safetensors file starts with an 8-byte header length$/],
      ['cut', goodBytes.subarray(0, goodBytes.length - 3), /cut\.st: tensor 'a': data_offsets \[0, 16\] run past the data \(13 bytes\); truncated file\?$/],
      ['cuthdr', goodBytes.subarray(0, 20), /cuthdr\.st: truncated: the header length says \d+ bytes, the file has 12 after it$/],
      ['huge', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x7b]), /huge\.st: header length \d+ is implausible/],
      ['json', build(null, 0, '{"a": {"dtype": "F32",'), /json\.st: bad header JSON/],
      ['notobj', build(null, 0, '[1, 2]'), /notobj\.st: bad header: it does not start with "\{"/],
      ['dtype', build({ a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), /dtype\.st: tensor 'a': unknown dtype "F33"$/],
      ['size', build({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20), /size\.st: tensor 'a': 20 bytes at \[0, 20\], but shape \[2, 3\] of F32 needs 24$/],
      ['range', build({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 12), /range\.st: tensor 'a': data_offsets \[8, 16\] run past the data \(12 bytes\)/],
      ['gap', build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12), /gap\.st: gap in the data: no tensor covers bytes \[4, 8\)$/],
      ['overlap', build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /overlap\.st: tensor 'b' at \[4, 8\] overlaps the tensor before it \(which ends at 8\)$/],
      ['tail', build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 6), /tail\.st: 2 bytes after the last tensor/],
      ['offsets', build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /offsets\.st: tensor 'a': data_offsets \[4,0\] is not \[begin, end\]/],
      ['meta', build({ __metadata__: { k: 1 } }, 0), /meta\.st: __metadata__\['k'\] is 1, metadata values must be strings$/],
      ['i64', build({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8), /i64\.st: tensor 'a': dtype I64 is not supported \(read: F32, F64, F16, BF16, I32, U8\)$/],
    ];
    for (const [name, bytes, re] of cases) {
      const file = join(dir, `${name}.st`);
      await writeFile(file, bytes);
      await expectOneLineError(() => readSafetensors(file), re);
      // The header-only reader checks the same (it reads no data, so a dtype we cannot decode is no error there).
      if (name === 'i64') expect((await readSafetensorsHeader(file)).entries.map((e) => e.dtype)).toEqual(['I64']);
      else await expectOneLineError(() => readSafetensorsHeader(file), re);
    }
    expect(() => encodeSafetensors({ a: { shape: [3], data: new Float32Array(2) } })).toThrow(/tensor 'a': shape \[3\] holds 3 values but the data has 2/);
    expect(() => encodeSafetensors({ a: { shape: [1], data: new Int16Array(1) as unknown as Int32Array } })).toThrow(/cannot write Int16Array/);
  });
});

describe('atomic writes', () => {
  it('replaces the file; a write that throws midway leaves the old file and no temp file', async () => {
    const sub = join(dir, 'atomic');
    const file = join(sub, 'out.bin');
    await writeFileAtomic(file, 'old contents');
    expect(await readFile(file, 'utf8')).toBe('old contents');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1 << 20).fill(7);
      throw new Error('disk on fire');
    }
    await expect(writeFileAtomic(file, failing())).rejects.toThrow('disk on fire');
    expect(await readFile(file, 'utf8')).toBe('old contents');
    function* failingSync(): Generator<Uint8Array> {
      yield new Uint8Array(100);
      throw new Error('sync fire');
    }
    expect(() => writeFileAtomicSync(file, failingSync())).toThrow('sync fire');
    expect(await readFile(file, 'utf8')).toBe('old contents');
    expect(await readdir(sub)).toEqual(['out.bin']);

    // Chunks of several kinds, in order; the sync twin too.
    await writeFileAtomic(file, ['ab', new Uint8Array([0x63]), new Float32Array([1])]);
    expect(Array.from(await readFile(file))).toEqual([0x61, 0x62, 0x63, 0, 0, 0x80, 0x3f]);
    writeFileAtomicSync(file, 'sync');
    expect(await readFile(file, 'utf8')).toBe('sync');
    expect(await readdir(sub)).toEqual(['out.bin']);
  });

  it('keeps the mode of the file it replaces and writes through a symlink', async () => {
    const file = join(dir, 'mode.txt');
    await writeFileAtomic(file, 'a');
    await chmod(file, 0o600);
    await writeFileAtomic(file, 'b');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const link = join(dir, 'link.txt');
    await symlink(file, link);
    await writeFileAtomic(link, 'through');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('through');
  });
});

describe('png', () => {
  /** Random images on the 8-bit grid (x = u / 127.5 − 1), so a PNG round trip is exact. */
  const quantized = (len: number): Float32Array => Float32Array.from({ length: len }, () => Math.floor(Math.random() * 256) / 127.5 - 1);

  for (const c of [1, 3]) {
    it(`grid of ${c === 1 ? 'gray' : 'RGB'} images round-trips exactly (no padding), and pads and scales`, async () => {
      const [n, h, w] = [5, 6, 7];
      const images = quantized(n * c * h * w);
      const file = join(dir, `grid${c}.png`);
      await writeImageGrid(file, images, { n, c, h, w }, { cols: n, padding: 0 });
      const img = await readPng(file);
      expect([img.c, img.h, img.w, img.bitDepth, img.color]).toEqual([c, h, n * w, 8, c === 3]);
      // Image i sits at columns [i·w, (i+1)·w).
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              const want = images[((i * c + ch) * h + y) * w + x];
              const got = img.data[(ch * h + y) * n * w + i * w + x];
              if (got !== want) throw new Error(`image ${i} channel ${ch} (${y}, ${x}): wrote ${want}, read ${got}`);
            }
          }
        }
      }
      // Padding 2, scale 3, 2 columns → 3 rows with one empty cell, filled with padValue.
      const g = gridPixels(images, { n, c, h, w }, { cols: 2, padding: 2, scale: 3, padValue: -1 });
      expect([g.h, g.w]).toEqual([3 * 3 * h + 4 * 2, 2 * 3 * w + 3 * 2]);
      const px = (y: number, x: number, ch = 0): number => g.pixels[(y * g.w + x) * c + ch];
      expect(px(0, 0)).toBe(0);
      const u = (i: number, ch: number, y: number, x: number): number => Math.round((images[((i * c + ch) * h + y) * w + x] + 1) * 127.5);
      // Image 3 is row 1, column 1: its source pixel (1, 2) covers output rows/cols 3 apart.
      const top = 2 + (3 * h + 2);
      const left = 2 + (3 * w + 2);
      for (const [dy, dx] of [[0, 0], [2, 2], [1, 0]]) expect(px(top + 3 * 1 + dy, left + 3 * 2 + dx, c - 1)).toBe(u(3, c - 1, 1, 2));
      expect(px(g.h - 3, g.w - 3)).toBe(0); // the empty sixth cell
      const decoded = decodePng(encodeImageGridPng(images, { n, c, h, w }, { cols: 2, padding: 2, scale: 3 }));
      expect([decoded.h, decoded.w]).toEqual([g.h, g.w]);
    });
  }

  it('writes one image with an integer scale-up', async () => {
    const image = quantized(3 * 2 * 2);
    await writeImagePng(join(dir, 'one.png'), image, { c: 3, h: 2, w: 2 }, { scale: 4 });
    const img = await readPng(join(dir, 'one.png'));
    expect([img.c, img.h, img.w]).toEqual([3, 8, 8]);
    expect(img.data[2 * 64 + 7 * 8 + 7]).toBe(image[2 * 4 + 3]);
  });

  it('reads 16-bit gray and RGBA (alpha dropped or kept) PNGs written by pngjs', () => {
    const [h, w] = [3, 4];
    const g16 = new PNG({ width: w, height: h });
    const u16 = new Uint16Array(h * w * 4);
    for (let p = 0; p < h * w; p++) u16.fill(p * 5000, 4 * p, 4 * p + 3), (u16[4 * p + 3] = 65535);
    g16.data = Buffer.from(u16.buffer);
    const bytes16 = PNG.sync.write(g16, { colorType: 0, inputColorType: 6, bitDepth: 16 });
    const a = decodePng(bytes16);
    expect([a.c, a.bitDepth, a.color]).toEqual([1, 16, false]);
    for (let p = 0; p < h * w; p++) expect(a.data[p]).toBeCloseTo((p * 5000) / 32767.5 - 1, 6);

    const rgba = new PNG({ width: w, height: h });
    for (let p = 0; p < h * w; p++) rgba.data.set([p, 2 * p, 255 - p, 100], 4 * p);
    const bytes = PNG.sync.write(rgba, { colorType: 6 });
    const drop = decodePng(bytes);
    expect(drop.c).toBe(3);
    expect(drop.data[h * w + 5]).toBe(Math.fround(10 / 127.5 - 1));
    const keep = decodePng(bytes, { alpha: 'keep' });
    expect(keep.c).toBe(4);
    expect(keep.data[3 * h * w]).toBe(Math.fround(100 / 127.5 - 1));
  });

  it('gives one-line errors naming the file for truncated, non-PNG and corrupt files', async () => {
    const good = encodeImageGridPng(quantized(2 * 8 * 8), { n: 2, c: 1, h: 8, w: 8 });
    const corrupt = Uint8Array.from(good);
    corrupt[45] ^= 0x55; // inside the IDAT chunk's data
    const cases: [string, Uint8Array, RegExp][] = [
      ['trunc.png', good.subarray(0, good.length - 20), /trunc\.png: truncated PNG: chunk IDAT at byte 33 needs \d+ bytes, the file has \d+ left$/],
      ['trunc2.png', good.subarray(0, good.length - 12), /trunc2\.png: truncated PNG: the file ends at byte \d+, inside a chunk header \(no IEND chunk\)$/],
      ['text.png', Buffer.from('hello, not a png'), /text\.png: not a PNG file \(signature 68 65 6c 6c 6f 2c 20 6e/],
      ['crc.png', corrupt, /crc\.png: corrupt PNG: CRC mismatch in chunk IDAT at byte 33$/],
    ];
    for (const [name, bytes, re] of cases) {
      await writeFile(join(dir, name), bytes);
      await expectOneLineError(() => readPng(join(dir, name)), re);
    }
    const nan = quantized(4);
    nan[2] = Number.NaN;
    expect(() => encodeImageGridPng(nan, { n: 1, c: 1, h: 2, w: 2 })).toThrow(/image 0 has NaN \(at element 2 of 4\)/);
    expect(() => encodeImageGridPng(quantized(8), { n: 1, c: 2, h: 2, w: 2 })).toThrow(/1 or 3 channels/);
  });
});

describe('plot', () => {
  it('draws series with a legend, labels, log-x ticks, and breaks lines at bad points', () => {
    const sigma = [0.002, 0.01, 0.1, 1, 10, 80];
    const svg = linePlotSvg(
      [
        { name: 'network', x: sigma, y: [0.01, 0.02, Number.NaN, 0.2, 0.3, 0.31] },
        { name: 'Gaussian <linear> & "co"', x: sigma, y: [0.012, 0.025, 0.06, 0.21, 0.31, 0.32], dashed: true },
      ],
      { title: 'RMSE vs σ', xLabel: 'σ', yLabel: 'RMSE', logX: true },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('RMSE vs σ');
    expect(svg).toContain('Gaussian &lt;linear&gt; &amp; &quot;co&quot;');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    // Decades from 10^-3 to 10^2.
    for (const k of [-3, -2, -1, 2]) expect(svg).toContain(`>${k}</tspan>`);
    expect(svg).toMatch(/>1<\/text>/);
    // The NaN splits the first series into two sub-paths.
    const first = /<path d="([^"]+)"/.exec(svg)![1];
    expect(first.match(/M/g)!.length).toBe(2);
    expect(svg.match(/<text/g)!.length).toBe(svg.match(/<\/text>/g)!.length);
    expect(svg).toContain('stroke-dasharray');
    // Same input, same output (stable clip ids for reports).
    expect(linePlotSvg([{ name: 'a', x: [1, 2], y: [3, 4] }])).toBe(linePlotSvg([{ name: 'a', x: [1, 2], y: [3, 4] }]));
  });

  it('handles log-y spectra, constant and empty data', () => {
    const lambda = Array.from({ length: 784 }, (_, i) => 100 * Math.exp(-i / 40));
    const svg = linePlotSvg([{ name: 'eigenvalues', x: lambda.map((_, i) => i + 1), y: lambda }], { logY: true, legend: 'none' });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).not.toContain('<circle'); // > 30 points: no markers
    expect(linePlotSvg([{ name: 'flat', x: [1, 2, 3], y: [5, 5, 5] }])).not.toMatch(/NaN/);
    expect(linePlotSvg([])).toContain('</svg>');
    expect(() => linePlotSvg([{ name: 'bad', x: [1], y: [1, 2] }])).toThrow(/1 x values and 2 y values/);
    expect([formatTick(0.001), formatTick(1e-5), formatTick(25000), formatTick(2.5e6), formatTick(0.30000000000000004)]).toEqual(['0.001', '1e-5', '25000', '2.5e6', '0.3']);
  });
});
