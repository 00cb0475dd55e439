// The kernel runtime: declarations checked against the WGSL, binding limits, grid folding, errors.
import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, defineKernel, expandIncludes, elementwiseOptions, foldWorkgroups, KernelDeclarationError, axpby, axpbyRef, map, GpuError, sizeClass } from '@gausslens/kernels';
import { ELEMENTWISE_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

const WGSL = `
struct Params { n: u32, alpha: f32, shape: vec2u }
override WG: u32 = 64u;
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < params.n) { out[gid.x] = params.alpha * x[gid.x] + f32(params.shape.y); }
}`;

const good = { name: 'runtime_probe', bindings: { x: 'read', out: 'read_write' }, params: ['n', 'alpha', 'shape'], overrides: { WG: 64 }, workgroupSize: (o: { WG: number }) => [o.WG, 1, 1] } as const;

describe('defineKernel checks the declaration against the WGSL', () => {
  it('accepts a matching declaration and runs it with vec params and overrides', async () => {
    const k = defineKernel({ ...good, bindings: { ...good.bindings }, params: [...good.params] }, WGSL);
    const n = 1000;
    const x = randomArray(n);
    const bx = gpu.upload(x);
    const out = gpu.alloc(n);
    gpu.fill(out, POISON);
    k.run(gpu, { bind: { x: bx, out }, params: { n, alpha: 2, shape: [3, 5] }, overrides: { WG: 128 }, workgroups: Math.ceil(n / 128) });
    expectClose(await gpu.read(out), Array.from(x, (v) => 2 * v + 5), ELEMENTWISE_REL);
    bx.release();
    out.release();
  });

  const cases: [string, object, RegExp][] = [
    ['a binding name', { bindings: { y: 'read', out: 'read_write' } }, /binding 'y' is not used/],
    ['an access mode', { bindings: { x: 'read_write', out: 'read_write' } }, /binding 'x' is var<storage, read> in WGSL but 'read_write'/],
    ['a missing binding', { bindings: { x: 'read' } }, /uses @binding\(2\) 'out', which the declaration does not list/],
    ['a params field', { params: ['n', 'alpha', 'size'] }, /Params fields are \{alpha, n, shape\} in WGSL but \{alpha, n, size\}/],
    ['the workgroup size', { workgroupSize: [32, 1, 1] }, /@workgroup_size is \(64, 1, 1\) in WGSL but \(32, 1, 1\)/],
    ['an override', { overrides: { TILE: 4 }, workgroupSize: [64, 1, 1] }, /override 'TILE' is not declared in WGSL/],
    ['an entry point', { entry: 'forward' }, /no @compute entry point 'forward'/],
  ];
  for (const [what, change, message] of cases) {
    it(`throws on a mismatch in ${what}`, () => {
      expect(() => defineKernel({ ...good, ...change } as never, WGSL)).toThrow(KernelDeclarationError);
      expect(() => defineKernel({ ...good, ...change } as never, WGSL)).toThrow(message);
    });
  }

  it('rejects a params value of the wrong kind', () => {
    const k = defineKernel({ ...good, bindings: { ...good.bindings }, params: [...good.params] }, WGSL);
    expect(() => k.packParams({ n: 1.5, alpha: 1, shape: [1, 1] })).toThrow(/param 'n' is u32, got 1.5/);
    expect(() => k.packParams({ n: 1, alpha: 1, shape: [1] })).toThrow(/param 'shape' needs 2 value/);
  });
});

describe('buffers and bindings', () => {
  it('a binding over maxStorageBufferBindingSize gives a clear error, not a crash', () => {
    const limit = gpu.limits.maxStorageBufferBindingSize;
    const n = limit / 4 + 1024;
    const big = gpu.alloc(n, 'too-big');
    const out = gpu.alloc(16);
    // The scalar entry point binds whole buffers (the vec4 one would bind only the 16 elements it reads).
    elementwiseOptions.vec4 = false;
    try {
      expect(() => axpby(gpu, 1, big, 1, big, out, 16)).toThrow(/binding 'x' is .* MiB, over this device's maxStorageBufferBindingSize .*: bind it in panels/);
    } finally {
      elementwiseOptions.vec4 = true;
    }
    // The vec4 entry point over all of it: the same error for its vec4 binding.
    const out2 = gpu.alloc(n, 'too-big-out');
    expect(() => axpby(gpu, 1, big, 1, big, out2, n)).toThrow(/binding 'x4' is .* MiB, over this device's maxStorageBufferBindingSize .*: bind it in panels/);
    out2.release();
    big.release();
    out.release();
    gpu.pool.trim();
  });

  it('an allocation over maxBufferSize gives a clear error', () => {
    const n = gpu.limits.maxBufferSize / 4 + 1;
    expect(() => gpu.alloc(n, 'huge')).toThrow(/buffer 'huge' needs .* over this device's maxBufferSize/);
  });

  it('released buffers are reused and using one afterwards is an error', async () => {
    const a = gpu.alloc(1000);
    const raw = a.buffer;
    a.release();
    const b = gpu.alloc(990);
    expect(b.buffer).toBe(raw);
    expect(() => axpby(gpu, 1, a, 1, b, b, 10)).toThrow(/released buffer/);
    b.release();
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(100_000 * 4)).toBeGreaterThanOrEqual(400_000);
    expect(sizeClass(100_000 * 4)).toBeLessThan(400_000 * 1.125);
  });

  it('a write after recorded dispatches does not overtake them', async () => {
    const n = 4097;
    const x = randomArray(n);
    const bx = gpu.upload(x);
    const out = gpu.alloc(n);
    axpby(gpu, 3, bx, 0, bx, out); // recorded, not yet submitted
    gpu.write(bx, new Float32Array(n).fill(7)); // must land after the dispatch above
    expectClose(await gpu.read(out), Array.from(x, (v) => 3 * v), ELEMENTWISE_REL);
    bx.release();
    out.release();
  });
});

describe('dispatch', () => {
  it('folds 1-D grids over the per-dimension limit', () => {
    const max = 65535;
    expect(foldWorkgroups(10, max)).toEqual([10, 1, 1]);
    const [x, y, z] = foldWorkgroups(200_000, max);
    expect(x).toBeLessThanOrEqual(max);
    expect(x * y * z).toBeGreaterThanOrEqual(200_000);
    expect(() => foldWorkgroups([70_000, 1, 1], max)).toThrow(/exceeds 65535/);
  });

  it('a folded elementwise kernel writes every one of 16,777,729 elements', async () => {
    const n = 65535 * 256 + 2 * 256 + 1; // needs 65538 workgroups: folded into 2-D
    const x = randomArray(n);
    const y = randomArray(n);
    const [bx, by, out] = [gpu.upload(x), gpu.upload(y), gpu.alloc(n)];
    gpu.fill(out, POISON);
    axpby(gpu, 0.5, bx, 2, by, out);
    expectClose(await gpu.read(out), axpbyRef(0.5, x, 2, y), ELEMENTWISE_REL);
    for (const b of [bx, by, out]) b.release();
  });

  it('a shader the GPU rejects surfaces as a GpuError naming the kernel', async () => {
    const bad = WGSL.replace('out[gid.x] = params.alpha * x[gid.x]', 'out[gid.x] = params.alpha * x[gid.x] * params.n');
    const k = defineKernel({ ...good, name: 'broken_probe', bindings: { ...good.bindings }, params: [...good.params] }, bad);
    const [bx, out] = [gpu.upload(randomArray(8)), gpu.alloc(8)];
    k.run(gpu, { bind: { x: bx, out }, params: { n: 8, alpha: 1, shape: [0, 0] }, workgroups: 1 });
    await expect(gpu.sync()).rejects.toThrow(GpuError);
    await expect(k.prepare(gpu)).rejects.toThrow(/broken_probe: WGSL does not compile: line \d+/);
    bx.release();
    out.release();
  });

  it('times GPU work with timestamps when the adapter has them', async () => {
    const n = 1 << 20;
    const [bx, out] = [gpu.upload(randomArray(n)), gpu.alloc(n)];
    const t = await gpu.time(() => {
      for (let i = 0; i < 5; i++) axpby(gpu, 1, bx, 1, bx, out);
    });
    expect(t.ms).toBeGreaterThan(0);
    expect(t.source).toBe(gpu.hasTimestamps ? 'timestamp' : 'wall');
    bx.release();
    out.release();
  });
});

describe('aliasing', () => {
  it('binding a written buffer twice in one dispatch is a clear error, not a GPU validation failure', async () => {
    const gpu = await getDevice();
    const x = gpu.upload(randomArray(100));
    expect(() => axpby(gpu, 1, x, 1, x, x)).toThrow(/bindings 'x4?' and 'out4?' use the same buffer .* in-place use is not allowed/);
    // Disjoint panels of one buffer are still one subresource to WebGPU: also refused.
    const k = defineKernel({ ...good, name: 'alias_probe', bindings: { ...good.bindings }, params: [...good.params] }, WGSL);
    const big = gpu.alloc(128);
    expect(() => k.run(gpu, { bind: { x: { buffer: big, offset: 0, length: 64 }, out: { buffer: big, offset: 64, length: 64 } }, params: { n: 64, alpha: 1, shape: [0, 0] }, workgroups: 1 })).toThrow(/use the same buffer/);
    big.release();
    const out = gpu.alloc(100);
    axpby(gpu, 1, x, 2, x, out); // reading the same buffer twice is fine
    expectClose(await gpu.read(out), Array.from(await gpu.read(x), (v) => 3 * v), ELEMENTWISE_REL);
    x.release();
    out.release();
  });
});

describe('batched submission', () => {
  it('300 dispatches recorded without a wait keep their own Params across automatic submits', async () => {
    const gpu = await getDevice();
    const x = gpu.upload(randomArray(4));
    const outs = Array.from({ length: 300 }, (_, i) => gpu.alloc(4, `batch-${i}`));
    outs.forEach((o, i) => map(gpu, 'identity', x, o, 0, i + 1)); // out = 0·x + (i + 1)
    const got: number[] = [];
    for (const o of outs) got.push((await gpu.read(o))[3]);
    expect(got).toEqual(outs.map((_, i) => i + 1));
    outs.forEach((o) => o.release());
    x.release();
  });
});

describe('waiting for the GPU', () => {
  it('overlapping read-backs and syncs all resolve, with correct data, and leave setImmediate as it was', async () => {
    const gpu = await getDevice();
    const nodeSetImmediate = globalThis.setImmediate;
    const data = randomArray(50_001);
    const x = gpu.upload(data);
    const y = gpu.alloc(data.length);
    const reads: Promise<Float32Array>[] = [];
    for (let i = 0; i < 6; i++) {
      axpby(gpu, i + 1, x, 0, x, y); // y = (i + 1)·x
      reads.push(gpu.read(y));
      if (i % 2 === 0) reads.push(gpu.sync().then(() => gpu.read(y)));
    }
    const got = await Promise.all([...reads, gpu.workDone().then(() => new Float32Array(0))]);
    expect(globalThis.setImmediate).toBe(nodeSetImmediate);
    // JS immediates during a wait stay immediates: they run, and clearImmediate cancels them.
    let cleared = false;
    let ran = false;
    axpby(gpu, 2, x, 0, x, y);
    const pending = gpu.read(y);
    clearImmediate(setImmediate(() => (cleared = true)));
    setImmediate(() => (ran = true));
    await pending;
    await new Promise((r) => setTimeout(r, 5));
    expect([cleared, ran]).toEqual([false, true]);
    expect(got[0][7]).toBeCloseTo(data[7], 5);
    expectClose(got.at(-2) as Float32Array, Array.from(data, (v) => 6 * v), ELEMENTWISE_REL);
  });
});

describe('shader includes', () => {
  it('`//#include philox` splices shaders/philox.wgsl once; a second include of it is a comment', () => {
    const src = expandIncludes('//#include philox\nfn a() {}\n//#include philox\n', 'test');
    expect(src.match(/fn philox\(/g)).toHaveLength(1);
    expect(src).toMatch(/\/\/ \(philox\.wgsl included above\)/);
    expect(expandIncludes('// no includes here: //#include philox\n', 'test')).toBe('// no includes here: //#include philox\n');
  });
});
