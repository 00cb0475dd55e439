// Float64 reference for shaders/attention.wgsl (eq 5), log-sum-exp stabilised: for each query the logits
// s_i = −‖x − y_i‖²/(2σ²) (direct differences), M = max_i s_i, L = Σ_i e^{s_i − M},
// out = Σ_i e^{s_i − M}·y_i / L, lse = M + ln L, maxWeight = 1/L.

export interface MultiDeltaRef {
  out: Float64Array; // B×d
  lse: Float64Array; // B
  maxWeight: Float64Array; // B
}

/** D_M(x_b; σ) for B queries x (B×d) against N training images y (N×d), in float64. */
export function multiDeltaRef(x: ArrayLike<number>, y: ArrayLike<number>, b: number, n: number, d: number, sigma: number): MultiDeltaRef {
  const out = new Float64Array(b * d);
  const lse = new Float64Array(b);
  const maxWeight = new Float64Array(b);
  const inv = 1 / (2 * sigma * sigma);
  const s = new Float64Array(n);
  for (let q = 0; q < b; q++) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      let dist = 0;
      for (let j = 0; j < d; j++) {
        const e = x[q * d + j] - y[i * d + j];
        dist += e * e;
      }
      s[i] = -dist * inv;
      if (s[i] > m) m = s[i];
    }
    let l = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(s[i] - m);
      if (w === 0) continue;
      l += w;
      for (let j = 0; j < d; j++) out[q * d + j] += w * y[i * d + j];
    }
    for (let j = 0; j < d; j++) out[q * d + j] /= l;
    lse[q] = m + Math.log(l);
    maxWeight[q] = 1 / l;
  }
  return { out, lse, maxWeight };
}
