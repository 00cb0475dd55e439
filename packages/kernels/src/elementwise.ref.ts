// Float64 references for shaders/elementwise.wgsl.
import type { MapOp } from './elementwise.ts';

const F: Record<MapOp, (v: number) => number> = {
  identity: (v) => v,
  square: (v) => v * v,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  silu: (v) => v / (1 + Math.exp(-v)),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  abs: Math.abs,
  clamp1: (v) => Math.min(1, Math.max(-1, v)),
  relu: (v) => Math.max(0, v),
};

export function mapRef(op: MapOp, x: ArrayLike<number>, alpha = 1, beta = 0): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = F[op](alpha * x[i] + beta);
  return out;
}

export function axpbyRef(alpha: number, x: ArrayLike<number>, beta: number, y: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = alpha * x[i] + beta * y[i];
  return out;
}

export function mulRef(x: ArrayLike<number>, y: ArrayLike<number>, alpha = 1, beta = 0): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = alpha * x[i] * y[i] + beta;
  return out;
}

export function axpbyRowRef(alpha: number, x: ArrayLike<number>, beta: number, v: ArrayLike<number>, cols: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = alpha * x[i] + beta * v[i % cols];
  return out;
}

export function mulRowRef(x: ArrayLike<number>, v: ArrayLike<number>, cols: number, alpha = 1, beta = 0): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = alpha * x[i] * v[i % cols] + beta;
  return out;
}
