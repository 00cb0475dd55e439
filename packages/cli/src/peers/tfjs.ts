// TF.js WebGPU peer: tf.matMul on the same adapter (Dawn), where @tensorflow/tfjs-backend-webgpu is installed.
import { navigatorGpu } from '@gausslens/kernels';
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
    await c.data();
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
