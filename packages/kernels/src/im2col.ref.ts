// Float64 references for shaders/im2col.wgsl.
import { convOutSize, type ConvShape } from './im2col.ts';

export function im2colRef(x: ArrayLike<number>, s: ConvShape, first = 0, count = s.batch - first): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, pad } = s;
  const [OH, OW] = [convOutSize(H, K, pad), convOutSize(W, K, pad)];
  const out = new Float64Array(count * C * K * K * OH * OW);
  let i = 0;
  for (let b = 0; b < count; b++)
    for (let c = 0; c < C; c++)
      for (let ky = 0; ky < K; ky++)
        for (let kx = 0; kx < K; kx++)
          for (let y = 0; y < OH; y++)
            for (let xx = 0; xx < OW; xx++, i++) {
              const [sy, sx] = [y + ky - pad, xx + kx - pad];
              if (sy >= 0 && sx >= 0 && sy < H && sx < W) out[i] = x[(((first + b) * C + c) * H + sy) * W + sx];
            }
  return out;
}

/** The adjoint of im2colRef: scatter-adds cols back onto the count samples (returned packed). */
export function col2imRef(cols: ArrayLike<number>, s: ConvShape, count = s.batch): Float64Array {
  const { channels: C, height: H, width: W, kernel: K, pad } = s;
  const [OH, OW] = [convOutSize(H, K, pad), convOutSize(W, K, pad)];
  const out = new Float64Array(count * C * H * W);
  let i = 0;
  for (let b = 0; b < count; b++)
    for (let c = 0; c < C; c++)
      for (let ky = 0; ky < K; ky++)
        for (let kx = 0; kx < K; kx++)
          for (let y = 0; y < OH; y++)
            for (let xx = 0; xx < OW; xx++, i++) {
              const [sy, sx] = [y + ky - pad, xx + kx - pad];
              if (sy >= 0 && sx >= 0 && sy < H && sx < W) out[((b * C + c) * H + sy) * W + sx] += cols[i];
            }
  return out;
}
