import { describe, it, beforeAll, expect } from 'vitest';
import {
  getDevice,
  type Gpu,
  type GpuBuffer,
  conv2d,
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dOutSize,
  conv2dSubgroupSize,
  conv2dRef,
  conv2dBackwardDataRef,
  conv2dBackwardWeightRef,
  type Conv2dShape,
  type Conv2dPath,
  type Conv2dKernelOptions,
} from '@gausslens/kernels';
import { CONV2D_REL_PER_SQRT_K, CONV2D_GRAD_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, relError, POISON } from '../support/check.ts';

let gpu: Gpu;
let paths: Conv2dPath[] = ['tiled'];
beforeAll(async () => {
  gpu = await getDevice();
  if (conv2dSubgroupSize(gpu)) paths = ['tiled', 'subgroup'];
});

const tol = (k: number): number => CONV2D_REL_PER_SQRT_K * Math.sqrt(k);
const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
const addArrays = (a: ArrayLike<number>, b: ArrayLike<number>): Float64Array => Float64Array.from(a, (v, i) => v + b[i]);
/** A result that is a sum of terms (prior + conv, conv + bias): its error is relative to Σ‖term‖, not to the (possibly cancelling) sum. */
const sumTol = (k: number, ...terms: ArrayLike<number>[]): number => (tol(k) * terms.reduce((acc, t) => acc + norm(t), 0)) / norm(terms.reduce<ArrayLike<number>>((acc, t) => addArrays(acc, t)));

// [b, cin, cout, h, width, k, pad]: batch 1–3; 1×1, 5×7, 8×8 (vec4 rows on the subgroup path), 13×11; channels 1, 3, 17
// (and 33 > 32: two channel blocks); k = 1 and 3 (plus a 3×3 without padding and a 5×5).
const SHAPES: [number, number, number, number, number, number, number][] = [
  [1, 1, 1, 1, 1, 1, 0],
  [2, 3, 17, 5, 7, 3, 1],
  [3, 17, 3, 8, 8, 3, 1],
  [1, 17, 17, 13, 11, 1, 0],
  [2, 1, 3, 13, 11, 3, 1],
  [3, 3, 1, 8, 8, 1, 0],
  [1, 3, 3, 1, 1, 3, 1],
  [2, 17, 33, 5, 7, 3, 1],
  [2, 3, 17, 8, 8, 3, 0],
  [1, 3, 5, 7, 8, 5, 2],
];

interface Case {
  s: Conv2dShape;
  x: Float32Array;
  w: Float32Array;
  bias: Float32Array;
  dy: Float32Array;
  bx: GpuBuffer;
  bw: GpuBuffer;
  bbias: GpuBuffer;
  bdy: GpuBuffer;
}

function makeCase([b, cin, cout, h, width, k, pad]: number[]): Case {
  const s: Conv2dShape = { b, cin, cout, h, width, k, pad };
  const { ho, wo } = conv2dOutSize(s);
  const x = randomArray(b * cin * h * width);
  const w = randomArray(cout * cin * k * k);
  const bias = randomArray(cout);
  const dy = randomArray(b * cout * ho * wo);
  return { s, x, w, bias, dy, bx: gpu.upload(x), bw: gpu.upload(w), bbias: gpu.upload(bias), bdy: gpu.upload(dy) };
}

function release(c: Case, ...more: GpuBuffer[]): void {
  for (const buf of [c.bx, c.bw, c.bbias, c.bdy, ...more]) buf.release();
}

function poisoned(n: number): GpuBuffer {
  const buf = gpu.alloc(n, 'conv2d-test-out');
  gpu.fill(buf, POISON);
  return buf;
}

/** Runs all three passes (plain, then accumulating into random prior contents) and checks them against float64. */
async function checkAllPasses(c: Case, path: Conv2dPath, opts: Conv2dKernelOptions = {}): Promise<void> {
  const { s } = c;
  const { ho, wo } = conv2dOutSize(s);
  const what = `${path} ${JSON.stringify(s)}`;
  const options = { ...opts, path };
  const nOut = s.b * s.cout * ho * wo;
  const nX = s.b * s.cin * s.h * s.width;
  const kFwd = s.cin * s.k * s.k;
  const kData = s.cout * s.k * s.k;
  const kWeight = s.b * ho * wo;

  // Forward, with and without bias.
  const yRef = conv2dRef(s, c.x, c.w);
  const yBias = conv2dRef(s, c.x, c.w, c.bias);
  const biasPart = yBias.map((v, i) => v - yRef[i]);
  const out = poisoned(nOut);
  conv2d(gpu, { x: c.bx, w: c.bw, bias: c.bbias, out, ...s }, options);
  expectClose(await gpu.read(out), yBias, sumTol(kFwd, yRef, biasPart), `${what} forward + bias`);
  gpu.fill(out, POISON);
  conv2d(gpu, { x: c.bx, w: c.bw, out, ...s }, options);
  expectClose(await gpu.read(out), yRef, tol(kFwd), `${what} forward`);
  // Accumulate: out = prior + conv + bias (a fused residual add).
  const prior = randomArray(nOut);
  gpu.write(out, prior);
  conv2d(gpu, { x: c.bx, w: c.bw, bias: c.bbias, out, accumulate: true, ...s }, options);
  expectClose(await gpu.read(out), addArrays(prior, yBias), sumTol(kFwd, prior, yRef, biasPart), `${what} forward accumulate`);

  // Backward data, overwrite and accumulate.
  const dx = poisoned(nX);
  conv2dBackwardData(gpu, { dy: c.bdy, w: c.bw, dx, ...s }, options);
  const dxRef = conv2dBackwardDataRef(s, c.dy, c.w);
  expectClose(await gpu.read(dx), dxRef, tol(kData), `${what} backward data`);
  const priorDx = randomArray(nX);
  gpu.write(dx, priorDx);
  conv2dBackwardData(gpu, { dy: c.bdy, w: c.bw, dx, accumulate: true, ...s }, options);
  expectClose(await gpu.read(dx), addArrays(priorDx, dxRef), sumTol(kData, priorDx, dxRef), `${what} backward data accumulate`);

  // Backward weight (+ bias), overwrite and accumulate.
  const dw = poisoned(s.cout * s.cin * s.k * s.k);
  const db = poisoned(s.cout);
  conv2dBackwardWeight(gpu, { x: c.bx, dy: c.bdy, dw, dbias: db, ...s }, options);
  const gRef = conv2dBackwardWeightRef(s, c.x, c.dy);
  expectClose(await gpu.read(dw), gRef.dw, tol(kWeight), `${what} backward weight`);
  expectClose(await gpu.read(db), gRef.dbias, tol(kWeight), `${what} backward bias`);
  const priorDw = randomArray(dw.length);
  const priorDb = randomArray(s.cout);
  gpu.write(dw, priorDw);
  gpu.write(db, priorDb);
  conv2dBackwardWeight(gpu, { x: c.bx, dy: c.bdy, dw, dbias: db, accumulate: true, ...s }, options);
  expectClose(await gpu.read(dw), addArrays(priorDw, gRef.dw), sumTol(kWeight, priorDw, gRef.dw), `${what} backward weight accumulate`);
  expectClose(await gpu.read(db), addArrays(priorDb, gRef.dbias), sumTol(kWeight, priorDb, gRef.dbias), `${what} backward bias accumulate`);

  for (const buf of [out, dx, dw, db]) buf.release();
}

describe('conv2d', () => {
  for (const shape of SHAPES) {
    it(`forward, backward data and backward weight, [b, cin, cout, h, w, k, pad] = [${shape.join(', ')}]`, async () => {
      const c = makeCase(shape);
      for (const path of paths) await checkAllPasses(c, path);
      release(c);
    });
  }

  it('split-K chunk counts (1, 5 across image borders, a chunk a row), scalar rows, one kernel row a lane and three taps a step agree', async () => {
    const c = makeCase([3, 9, 17, 8, 8, 3, 1]);
    for (const path of paths) {
      await checkAllPasses(c, path, { chunks: 1 });
      await checkAllPasses(c, path, { chunks: 5 });
      await checkAllPasses(c, path, { chunks: 1000, vec: false, rolling: false, k9: false });
      await checkAllPasses(c, path, { chunks: 3, k9: false });
      await checkAllPasses(c, path, { chunks: 7, vec: false });
    }
    release(c);
  });

  it('batch panels: bindings over the limit are split by image (offsets multiples of 64 elements)', async () => {
    // 3·8·8 = 192 elements an input image, 17·8·8 = 1088 an output image: panels of 1 image at a 1100-element limit.
    const c = makeCase([4, 3, 17, 8, 8, 3, 1]);
    for (const path of paths) await checkAllPasses(c, path, { maxBindingElements: 1100 });
    expect(() => conv2d(gpu, { x: c.bx, w: c.bw, out: c.bdy, ...c.s }, { maxBindingElements: 1000 })).toThrow(RangeError);
    release(c);
  });

  it('finite-difference gradients of L = Σ y·g: dx, dw and dbias vs float64 central differences of the float64 forward', async () => {
    const s: Conv2dShape = { b: 2, cin: 3, cout: 2, h: 5, width: 4, k: 3, pad: 1 };
    const { ho, wo } = conv2dOutSize(s);
    const x = Float64Array.from(randomArray(s.b * s.cin * s.h * s.width));
    const w = Float64Array.from(randomArray(s.cout * s.cin * s.k * s.k));
    const bias = Float64Array.from(randomArray(s.cout));
    const g = randomArray(s.b * s.cout * ho * wo);
    const loss = (xx: Float64Array, ww: Float64Array, bb: Float64Array): number => conv2dRef(s, xx, ww, bb).reduce((acc, v, i) => acc + v * g[i], 0);
    const central = (p: Float64Array): Float64Array => {
      const grad = new Float64Array(p.length);
      const h = 1e-3;
      for (let i = 0; i < p.length; i++) {
        const v = p[i];
        p[i] = v + h;
        const up = loss(x, w, bias);
        p[i] = v - h;
        const down = loss(x, w, bias);
        p[i] = v;
        grad[i] = (up - down) / (2 * h);
      }
      return grad;
    };
    const fdX = central(x);
    const fdW = central(w);
    const fdB = central(bias);
    const bx = gpu.upload(Float32Array.from(x));
    const bw = gpu.upload(Float32Array.from(w));
    const bg = gpu.upload(g);
    for (const path of paths) {
      const dx = poisoned(x.length);
      const dw = poisoned(w.length);
      const db = poisoned(bias.length);
      conv2dBackwardData(gpu, { dy: bg, w: bw, dx, ...s }, { path });
      conv2dBackwardWeight(gpu, { x: bx, dy: bg, dw, dbias: db, ...s }, { path });
      const gx = await gpu.read(dx);
      const gw = await gpu.read(dw);
      const gb = await gpu.read(db);
      expect(gx.every(Number.isFinite) && gw.every(Number.isFinite) && gb.every(Number.isFinite), `${path}: gradients written`).toBe(true);
      expect(relError(gx, fdX), `${path} dx vs finite differences`).toBeLessThan(CONV2D_GRAD_REL);
      expect(relError(gw, fdW), `${path} dw vs finite differences`).toBeLessThan(CONV2D_GRAD_REL);
      expect(relError(gb, fdB), `${path} dbias vs finite differences`).toBeLessThan(CONV2D_GRAD_REL);
      for (const buf of [dx, dw, db]) buf.release();
    }
    for (const buf of [bx, bw, bg]) buf.release();
  });

  it('rejects shapes with no output and buffers that are too small', () => {
    const x = gpu.alloc(64);
    const w = gpu.alloc(64);
    const out = gpu.alloc(64);
    expect(() => conv2d(gpu, { x, w, out, b: 1, cin: 1, cout: 1, h: 2, width: 2, k: 5, pad: 0 })).toThrow(RangeError);
    expect(() => conv2d(gpu, { x, w, out, b: 1, cin: 1, cout: 1, h: 9, width: 9, k: 3, pad: 1 })).toThrow(/holds 64 elements/);
    expect(() => conv2dBackwardWeight(gpu, { x, dy: out, dw: w, b: 1, cin: 1, cout: 1, h: 4, width: 4, k: 3, pad: -1 })).toThrow(RangeError);
    for (const buf of [x, w, out]) buf.release();
  });
});
