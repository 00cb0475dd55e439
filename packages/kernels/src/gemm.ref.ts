// Float64 reference for shaders/gemm.wgsl and shaders/gemm_subgroup.wgsl: plain loops, row-major,
// C = alpha·op(A)·op(B) + beta·C (+ bias), batched with element strides (stride 0 broadcasts).

export interface GemmRefArgs {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  c?: ArrayLike<number>; // the old C, read only when beta ≠ 0
  m: number;
  n: number;
  k: number;
  transA?: boolean; // A stored k×m
  transB?: boolean; // B stored n×k
  alpha?: number;
  beta?: number;
  bias?: ArrayLike<number>;
  biasAxis?: 'col' | 'row'; // bias[j] (length n) or bias[i] (length m)
  batch?: number;
  strideA?: number; // elements; default packed (m·k, k·n, m·n)
  strideB?: number;
  strideC?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
}

/**
 * The batched result as a packed Float64Array of batch·m·n values (batch-major, row-major C),
 * independent of strideC/offsetC (those only say where the GPU writes it).
 */
export function gemmRef(args: GemmRefArgs): Float64Array {
  const { a, b, m, n, k } = args;
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  const batch = args.batch ?? 1;
  const sA = args.strideA ?? m * k;
  const sB = args.strideB ?? k * n;
  const sC = args.strideC ?? m * n;
  const oA = args.offsetA ?? 0;
  const oB = args.offsetB ?? 0;
  const oC = args.offsetC ?? 0;
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = a[oA + z * sA + (transA ? p * m + i : i * k + p)];
          const bv = b[oB + z * sB + (transB ? j * k + p : p * n + j)];
          acc += av * bv;
        }
        let v = alpha * acc;
        if (beta !== 0) v += beta * (args.c as ArrayLike<number>)[oC + z * sC + i * n + j];
        if (args.bias) v += args.bias[(args.biasAxis ?? 'col') === 'col' ? j : i];
        out[z * m * n + i * n + j] = v;
      }
    }
  }
  return out;
}
