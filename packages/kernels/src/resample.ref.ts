// Float64 references for shaders/resample.wgsl, written as torch defines the ops in NVlabs/edm's
// Conv2d: a 2-D filter f ⊗ f / (Σf)², padding p = (len(f) − 1) // 2; down = conv2d stride 2 (a gather),
// up = conv_transpose2d stride 2 with 4× the filter (a scatter: input i adds to outputs 2i − p + k).
import { downsampledSize, upsampledSize, BOX_FILTER, type ResampleFilter, type ResampleShape } from './resample.ts';

function filter2d(f: ResampleFilter, gain: number): number[][] {
  const s = f.reduce((a, b) => a + b, 0);
  return f.map((a) => f.map((b) => (gain * a * b) / (s * s)));
}

export function downsample2xRef(x: ArrayLike<number>, sh: ResampleShape, f: ResampleFilter = BOX_FILTER): Float64Array {
  const { height: H, width: W } = sh;
  const K = f.length;
  const p = (K - 1) >> 1;
  const oh = downsampledSize(H, f);
  const ow = downsampledSize(W, f);
  const w = filter2d(f, 1);
  const planes = sh.batch * sh.channels;
  const out = new Float64Array(planes * oh * ow);
  for (let pl = 0; pl < planes; pl++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let acc = 0;
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++) {
            const y = 2 * i - p + ky;
            const xx = 2 * j - p + kx;
            if (y >= 0 && y < H && xx >= 0 && xx < W) acc += w[ky][kx] * x[(pl * H + y) * W + xx];
          }
        out[(pl * oh + i) * ow + j] = acc;
      }
  return out;
}

export function upsample2xRef(x: ArrayLike<number>, sh: ResampleShape, f: ResampleFilter = BOX_FILTER): Float64Array {
  const { height: H, width: W } = sh;
  const K = f.length;
  const p = (K - 1) >> 1;
  const oh = upsampledSize(H, f);
  const ow = upsampledSize(W, f);
  const w = filter2d(f, 4);
  const planes = sh.batch * sh.channels;
  const out = new Float64Array(planes * oh * ow);
  for (let pl = 0; pl < planes; pl++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        const v = x[(pl * H + i) * W + j];
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++) {
            const y = 2 * i - p + ky;
            const xx = 2 * j - p + kx;
            if (y >= 0 && y < oh && xx >= 0 && xx < ow) out[(pl * oh + y) * ow + xx] += w[ky][kx] * v;
          }
      }
  return out;
}
