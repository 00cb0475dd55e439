// One generic gradient check for any differentiable op or composition of ops: the GPU forward
// against a float64 reference forward, and the GPU backward against float64 central differences
// of that reference. L(p) = Σ_i f(p)_i·G_i for a fixed random cotangent G, so ∂L/∂p = J_fᵀ·G.
import { expect } from 'vitest';
import type { Gpu } from '@gausslens/kernels';
import { Tape, fromArray, backward, type Tensor } from '../../packages/core/src/autograd/index.ts';
import { expectClose } from '../support/check.ts';
import { GRADCHECK_REL, AUTOGRAD_FORWARD_REL } from '../support/tolerances.ts';

export interface GradInput {
  shape: number[];
  range?: [number, number]; // uniform values in [lo, hi) (default [-1, 1))
  data?: Float32Array; // fixed values instead
  grad?: boolean; // differentiate with respect to it (default true)
}

export interface GradCase {
  name: string;
  inputs: GradInput[];
  forward: (xs: Tensor[]) => Tensor; // GPU, through autograd ops (recorded on a tape)
  reference: (xs: Float64Array[]) => ArrayLike<number>; // float64 forward of the same function
  tol?: number; // gradient tolerance (default GRADCHECK_REL)
  forwardTol?: number; // forward tolerance (default AUTOGRAD_FORWARD_REL)
  h?: number; // relative finite-difference step (default 1e-5)
}

function uniform(n: number, [lo, hi]: [number, number]): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * Math.random();
  return out;
}

/** Central differences of L = Σ f(p)·G with respect to input k, in float64. */
export function numericGrad(reference: GradCase['reference'], ps: Float64Array[], k: number, G: ArrayLike<number>, h: number): Float64Array {
  const q = ps.map((p) => Float64Array.from(p));
  const out = new Float64Array(q[k].length);
  const L = (): number => {
    const f = reference(q);
    let s = 0;
    for (let i = 0; i < f.length; i++) s += f[i] * G[i];
    return s;
  };
  for (let j = 0; j < out.length; j++) {
    const v = q[k][j];
    const step = h * Math.max(1, Math.abs(v));
    q[k][j] = v + step;
    const lp = L();
    q[k][j] = v - step;
    const lm = L();
    q[k][j] = v;
    out[j] = (lp - lm) / (2 * step);
  }
  return out;
}

/**
 * Checks forward and every input gradient of `c`, and that the tape released every buffer it
 * made (device memory back to where it started once the inputs are disposed).
 */
export async function gradcheck(gpu: Gpu, c: GradCase): Promise<void> {
  const data = c.inputs.map((inp) => inp.data ?? uniform(inp.shape.reduce((a, b) => a * b, 1), inp.range ?? [-1, 1]));
  const leaves = (): Tensor[] => c.inputs.map((inp, i) => fromArray(gpu, data[i], inp.shape, { requiresGrad: inp.grad ?? true, label: `${c.name}-x${i}` }));
  // Warm-up pass: kernels may keep one-time buffers per device (e.g. conv2d's dummy binding).
  {
    const xs = leaves();
    const tape = new Tape();
    backward(tape.run(() => c.forward(xs)));
    for (const x of xs) x.dispose();
  }
  await gpu.sync();
  const live0 = gpu.pool.bytesLive;
  const xs = leaves();
  const ps = data.map((d) => Float64Array.from(d));
  const ref = c.reference(ps);

  const tape = new Tape();
  const out = tape.run(() => c.forward(xs));
  expectClose(await out.read(), ref, c.forwardTol ?? AUTOGRAD_FORWARD_REL, `${c.name}: forward`);
  const G = uniform(out.size, [-1, 1]);
  const gT = fromArray(gpu, G, out.shape, { label: 'cotangent' });
  backward(out, { grad: gT });
  gT.dispose();

  for (let k = 0; k < xs.length; k++) {
    if (!(c.inputs[k].grad ?? true)) {
      expect(xs[k].grad, `${c.name}: input ${k} needs no gradient`).toBeNull();
      continue;
    }
    const grad = xs[k].grad;
    expect(grad, `${c.name}: input ${k} has a gradient`).not.toBeNull();
    const got = await (grad as Tensor).read();
    const fd = numericGrad(c.reference, ps, k, G, c.h ?? 1e-5);
    expectClose(got, fd, c.tol ?? GRADCHECK_REL, `${c.name}: ∂/∂x${k}`);
  }
  for (const x of xs) x.dispose();
  await gpu.sync();
  expect(gpu.pool.bytesLive, `${c.name}: bytes still live after backward and disposal`).toBe(live0);
}
