// Float64 references for shaders/softmax.wgsl.

export function softmaxRowsRef(x: ArrayLike<number>, rows: number, n: number, alpha = 1): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, alpha * x[r * n + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(alpha * x[r * n + j] - m);
    for (let j = 0; j < n; j++) out[r * n + j] = Math.exp(alpha * x[r * n + j] - m) / s;
  }
  return out;
}

export function softmaxRowsBackwardRef(y: ArrayLike<number>, dy: ArrayLike<number>, rows: number, n: number, alpha = 1): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let d = 0;
    for (let j = 0; j < n; j++) d += dy[r * n + j] * y[r * n + j];
    for (let j = 0; j < n; j++) out[r * n + j] = alpha * y[r * n + j] * (dy[r * n + j] - d);
  }
  return out;
}
