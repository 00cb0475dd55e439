// A small deterministic PRNG for data-set order: mulberry32 (Tommy Ettinger's 32-bit generator),
// plain 32-bit integer arithmetic, so the same seed gives the same stream on every machine.
// Not for noise in experiments (the kernels' Philox stream is for that): only for shuffles.

/** A seeded stream of uint32 values. */
export interface Prng {
  /** The next value, uniform on [0, 2^32). */
  nextUint32(): number;
}

/** mulberry32: a 32-bit state advanced by a Weyl increment, then mixed. */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  return {
    nextUint32(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}

/** A uniform integer in [0, n) without modulo bias (rejection of the top partial block). */
export function randomBelow(rng: Prng, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new Error(`randomBelow: n must be an integer in [1, 2^32], got ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  let x = rng.nextUint32();
  while (x >= limit) x = rng.nextUint32();
  return x % n;
}

/** Fisher–Yates shuffle in place (from the last element down, as in Knuth's Algorithm P). */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(a: T, rng: Prng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** The permutation of 0..n−1 produced by shuffling the identity with mulberry32(seed). */
export function seededPermutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, mulberry32(seed));
}
