// Float64 reference for shaders/reduce.wgsl.
import type { ReduceOp } from './reduce.ts';

export function reduceRowsRef(op: ReduceOp, x: ArrayLike<number>, n: number, rows = 1): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = op === 'sum' || op === 'sumsq' ? 0 : op === 'min' ? Infinity : -Infinity;
    for (let j = 0; j < n; j++) {
      const v = x[r * n + j];
      if (op === 'sum') acc += v;
      else if (op === 'sumsq') acc += v * v;
      else if (op === 'max') acc = Math.max(acc, v);
      else if (op === 'min') acc = Math.min(acc, v);
      else acc = Math.max(acc, Math.abs(v));
    }
    out[r] = acc;
  }
  return out;
}
