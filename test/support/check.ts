// Comparison helpers: relative error against float64 references, poisoned outputs, fresh inputs.
import { expect } from 'vitest';

/** A fresh random array in [lo, hi) from Math.random (a new input every run). */
export function randomArray(n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * Math.random();
  return out;
}

/** Standard-normal fresh inputs (Box–Muller on Math.random). */
export function randomNormalArray(n: number, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return out;
}

/** The poison written into outputs before a kernel runs: NaN, so an unwritten element is caught. */
export const POISON = Number.NaN;

export function relError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = got[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/**
 * Asserts every element is finite (so written over the NaN poison) and ‖got − ref‖/‖ref‖ ≤ tol;
 * a failure names the worst element and the first mismatches.
 */
export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: number, what = 'result'): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  const unwritten: number[] = [];
  for (let i = 0; i < got.length && unwritten.length < 5; i++) if (!Number.isFinite(got[i]) && Number.isFinite(ref[i])) unwritten.push(i);
  if (unwritten.length) throw new Error(`${what}: elements not written (still NaN/inf) at ${unwritten.join(', ')} of ${got.length}`);
  const err = relError(got, ref);
  if (!(err <= tol)) {
    let worst = 0;
    for (let i = 1; i < ref.length; i++) if (Math.abs(got[i] - ref[i]) > Math.abs(got[worst] - ref[worst])) worst = i;
    const scale = Math.max(1e-30, Math.sqrt(Array.from(ref).reduce((s, v) => s + v * v, 0) / ref.length));
    const firsts: string[] = [];
    for (let i = 0; i < ref.length && firsts.length < 4; i++) if (Math.abs(got[i] - ref[i]) > tol * scale) firsts.push(`[${i}] ref ${ref[i]} got ${got[i]}`);
    throw new Error(`${what}: relative error ${err.toExponential(3)} > ${tol} (n = ${ref.length}); worst at [${worst}]: ref ${ref[worst]} got ${got[worst]}; first: ${firsts.join('; ')}`);
  }
}
