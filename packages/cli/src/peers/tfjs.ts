// TF.js WebGPU peer: tf.matMul and conv2d (forward, backprop input, backprop filter) on the same adapter (Dawn),
// where @tensorflow/tfjs-backend-webgpu is installed.
import { navigatorGpu, gpuWait, type BenchPeer } from '@gausslens/kernels';
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { PeerTiming } from './numpy.ts';

type Tf = typeof import('@tensorflow/tfjs-core');
let tfPromise: Promise<Tf | null> | null = null;

async function loadTf(): Promise<Tf | null> {
  try {
    const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
    if (!g.navigator?.gpu) Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu: navigatorGpu() }, configurable: true });
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return null;
    await tf.ready();
    return tf;
  } catch {
    return null;
  }
}

/** Median wall time of tf.matMul (submit to data ready), after a warm-up; null if TF.js is missing. */
export async function tfjsMatmul(m: number, n: number, k: number, repeats = 5): Promise<PeerTiming | null> {
  tfPromise ??= loadTf();
  const tf = await tfPromise;
  if (!tf) return null;
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await gpuWait(c.data()); // waited for as ours are (no busy polling)
    c.dispose();
    return performance.now() - t0;
  };
  await once();
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) ts.push(await once());
  a.dispose();
  b.dispose();
  ts.sort((x, y) => x - y);
  const ms = ts[ts.length >> 1];
  return { peer: 'tfjs-webgpu', what: `matmul ${m}×${n}×${k}`, ms, gflops: (2 * m * n * k) / ms / 1e6 };
}

/**
 * Median wall time of one TF.js conv2d pass on the shape of `p` (submit to completion; completion is forced by
 * reading one element of the result, so no full read-back is timed), in TF.js's native NHWC layout and its own
 * kernels: fused conv2d + bias (forward), Conv2DBackpropInput, Conv2DBackpropFilter. Null if TF.js is missing.
 * Repeats stop early once `budgetMs` is spent (at least one timed run after the warm-up).
 */
export async function tfjsConv2d(p: Extract<BenchPeer, { kind: 'conv2d' }>, repeats = 5, budgetMs = 60_000): Promise<PeerTiming | null> {
  tfPromise ??= loadTf();
  const tf = await tfPromise;
  if (!tf) return null;
  const ho = p.h + 2 * p.pad - p.k + 1;
  const wo = p.width + 2 * p.pad - p.k + 1;
  const x = tf.randomNormal([p.b, p.h, p.width, p.cin]) as Tensor4D;
  const dy = tf.randomNormal([p.b, ho, wo, p.cout]) as Tensor4D;
  const w = tf.randomNormal([p.k, p.k, p.cin, p.cout]) as Tensor4D;
  const bias = tf.randomNormal([p.cout]) as Tensor1D;
  const pad = p.pad; // the same zero padding on every side
  const pass = (): Tensor => {
    if (p.pass === 'forward') return tf.fused.conv2d({ x, filter: w, bias, strides: 1, pad });
    if (p.pass === 'backward data') return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { inputShape: x.shape, strides: [1, 1], pad, dataFormat: 'NHWC' }) as Tensor;
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { filterShape: w.shape, strides: [1, 1], pad, dataFormat: 'NHWC' }) as Tensor;
  };
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const out = pass();
    const one = tf.tidy(() => tf.slice(tf.reshape(out, [-1]), 0, 1));
    await gpuWait(one.data());
    const ms = performance.now() - t0;
    tf.dispose([out, one]);
    return ms;
  };
  try {
    await once();
    const ts: number[] = [];
    const start = performance.now();
    for (let i = 0; i < repeats && (i === 0 || performance.now() - start < budgetMs); i++) ts.push(await once());
    ts.sort((a, b) => a - b);
    const ms = ts[ts.length >> 1];
    const flops = 2 * p.b * ho * wo * p.cout * p.cin * p.k * p.k;
    return { peer: 'tfjs-webgpu', what: `conv2d ${p.pass}`, ms, gflops: flops / ms / 1e6 };
  } finally {
    tf.dispose([x, dy, w, bias]);
  }
}
