// Finite-difference gradient checks: for L(p) = Σ_i f(p)_i·g_i with g fixed, the float64 central
// difference (L(p + h e_j) − L(p − h e_j)) / 2h of a float64 reference forward f, for every j.

/** Fixed random cotangent g (never zero; float32-representable, so the GPU gets the same g). */
export function cotangent(n: number): Float64Array {
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = Math.fround((Math.random() < 0.5 ? -1 : 1) * (0.25 + Math.random()));
  return g;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * dL/dp by central differences, L = Σ forward(p)·g. `forward` gets a float64 copy of p with one
 * entry perturbed; the step is h·max(1, |p_j|).
 */
export function numericGrad(forward: (p: Float64Array) => ArrayLike<number>, p: ArrayLike<number>, g: ArrayLike<number>, h = 1e-5): Float64Array {
  const q = Float64Array.from(p);
  const out = new Float64Array(q.length);
  for (let j = 0; j < q.length; j++) {
    const v = q[j];
    const step = h * Math.max(1, Math.abs(v));
    q[j] = v + step;
    const lp = dot(forward(q), g);
    q[j] = v - step;
    const lm = dot(forward(q), g);
    q[j] = v;
    out[j] = (lp - lm) / (2 * step);
  }
  return out;
}
