// Float64 references for the 2-D convolution kernels (conv2d.ts): plain loops, the same index order.
// NCHW activations, OIHW weights (cout × cin × k × k), stride 1, zero padding `pad` on every side;
// the output is ho × wo with ho = h + 2·pad − k + 1, wo = width + 2·pad − k + 1.

export interface Conv2dShape {
  b: number; // batch
  cin: number; // input channels
  cout: number; // output channels
  h: number; // input height
  width: number; // input width
  k: number; // kernel size (k × k)
  pad: number; // zero padding on every side
}

/** Output height and width: h + 2·pad − k + 1 and width + 2·pad − k + 1. */
export function conv2dOutSize(s: Conv2dShape): { ho: number; wo: number } {
  return { ho: s.h + 2 * s.pad - s.k + 1, wo: s.width + 2 * s.pad - s.k + 1 };
}

type Arr = ArrayLike<number>;

/** y[b, co, y, x] = bias[co] + Σ_{ci, i, j} w[co, ci, i, j] · x[b, ci, y + i − pad, x + j − pad] (zero outside). */
export function conv2dRef(s: Conv2dShape, x: Arr, w: Arr, bias?: Arr): Float64Array {
  const { b: nb, cin, cout, h, width, k, pad } = s;
  const { ho, wo } = conv2dOutSize(s);
  const y = new Float64Array(nb * cout * ho * wo);
  for (let b = 0; b < nb; b++)
    for (let co = 0; co < cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          let acc = bias ? bias[co] : 0;
          for (let ci = 0; ci < cin; ci++)
            for (let i = 0; i < k; i++) {
              const iy = oy + i - pad;
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < k; j++) {
                const ix = ox + j - pad;
                if (ix < 0 || ix >= width) continue;
                acc += w[((co * cin + ci) * k + i) * k + j] * x[((b * cin + ci) * h + iy) * width + ix];
              }
            }
          y[((b * cout + co) * ho + oy) * wo + ox] = acc;
        }
  return y;
}

/** dx[b, ci, y, x] = Σ_{co, i, j} w[co, ci, i, j] · dy[b, co, y − i + pad, x − j + pad] (zero outside): the adjoint of conv2dRef in x. */
export function conv2dBackwardDataRef(s: Conv2dShape, dy: Arr, w: Arr): Float64Array {
  const { b: nb, cin, cout, h, width, k, pad } = s;
  const { ho, wo } = conv2dOutSize(s);
  const dx = new Float64Array(nb * cin * h * width);
  for (let b = 0; b < nb; b++)
    for (let ci = 0; ci < cin; ci++)
      for (let iy = 0; iy < h; iy++)
        for (let ix = 0; ix < width; ix++) {
          let acc = 0;
          for (let co = 0; co < cout; co++)
            for (let i = 0; i < k; i++) {
              const oy = iy - i + pad;
              if (oy < 0 || oy >= ho) continue;
              for (let j = 0; j < k; j++) {
                const ox = ix - j + pad;
                if (ox < 0 || ox >= wo) continue;
                acc += w[((co * cin + ci) * k + i) * k + j] * dy[((b * cout + co) * ho + oy) * wo + ox];
              }
            }
          dx[((b * cin + ci) * h + iy) * width + ix] = acc;
        }
  return dx;
}

/**
 * dw[co, ci, i, j] = Σ_{b, y, x} dy[b, co, y, x] · x[b, ci, y + i − pad, x + j − pad] and dbias[co] = Σ_{b, y, x} dy[b, co, y, x]:
 * the adjoints of conv2dRef in w and bias.
 */
export function conv2dBackwardWeightRef(s: Conv2dShape, x: Arr, dy: Arr): { dw: Float64Array; dbias: Float64Array } {
  const { b: nb, cin, cout, h, width, k, pad } = s;
  const { ho, wo } = conv2dOutSize(s);
  const dw = new Float64Array(cout * cin * k * k);
  const dbias = new Float64Array(cout);
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++)
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let acc = 0;
          for (let b = 0; b < nb; b++)
            for (let oy = 0; oy < ho; oy++) {
              const iy = oy + i - pad;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < wo; ox++) {
                const ix = ox + j - pad;
                if (ix < 0 || ix >= width) continue;
                acc += dy[((b * cout + co) * ho + oy) * wo + ox] * x[((b * cin + ci) * h + iy) * width + ix];
              }
            }
          dw[((co * cin + ci) * k + i) * k + j] = acc;
        }
    let sb = 0;
    for (let b = 0; b < nb; b++) for (let p = 0; p < ho * wo; p++) sb += dy[(b * cout + co) * ho * wo + p];
    dbias[co] = sb;
  }
  return { dw, dbias };
}
