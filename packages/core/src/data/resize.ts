// Image resampling for data sets: nearest neighbour, or area averaging (each output pixel is the
// mean of the source area it covers, weighted by overlap: exact box filtering for any ratio, the
// same as OpenCV's INTER_AREA when downscaling). Separable: along W, then along H.
import type { ResizeFilter } from './spec.ts';

/** Sparse 1-D resampling weights: output o reads source taps idx[o][k] with weights wt[o][k]. */
interface Taps {
  idx: Int32Array[];
  wt: Float64Array[];
}

function taps(inLen: number, outLen: number, filter: ResizeFilter): Taps {
  const idx: Int32Array[] = [];
  const wt: Float64Array[] = [];
  const ratio = inLen / outLen;
  for (let o = 0; o < outLen; o++) {
    if (filter === 'nearest') {
      idx.push(Int32Array.of(Math.min(inLen - 1, Math.floor((o + 0.5) * ratio))));
      wt.push(Float64Array.of(1));
      continue;
    }
    // Source interval [a, b) covered by output pixel o.
    const a = o * ratio;
    const b = (o + 1) * ratio;
    const first = Math.floor(a);
    const last = Math.min(inLen - 1, Math.ceil(b) - 1);
    const i: number[] = [];
    const w: number[] = [];
    for (let s = first; s <= last; s++) {
      const overlap = Math.min(b, s + 1) - Math.max(a, s);
      if (overlap > 1e-12) {
        i.push(s);
        w.push(overlap / ratio);
      }
    }
    idx.push(Int32Array.from(i));
    wt.push(Float64Array.from(w));
  }
  return { idx, wt };
}

/** Resamples N×C×H×W images to N×C×outH×outW. */
export function resizeImages(
  images: Float32Array,
  shape: { n: number; c: number; h: number; w: number },
  outH: number,
  outW: number,
  filter: ResizeFilter = 'area',
): Float32Array {
  const { n, c, h, w } = shape;
  if (images.length !== n * c * h * w) throw new Error(`resize: ${images.length} values do not make ${n}×${c}×${h}×${w}`);
  if (outH === h && outW === w) return images;
  const tx = taps(w, outW, filter);
  const ty = taps(h, outH, filter);
  const planes = n * c;
  const out = new Float32Array(planes * outH * outW);
  const row = new Float64Array(h * outW); // one plane resampled along W
  for (let p = 0; p < planes; p++) {
    const src = p * h * w;
    // Along W.
    for (let y = 0; y < h; y++) {
      for (let o = 0; o < outW; o++) {
        const ii = tx.idx[o];
        const ww = tx.wt[o];
        let s = 0;
        for (let k = 0; k < ii.length; k++) s += ww[k] * images[src + y * w + ii[k]];
        row[y * outW + o] = s;
      }
    }
    // Along H.
    const dst = p * outH * outW;
    for (let o = 0; o < outH; o++) {
      const ii = ty.idx[o];
      const ww = ty.wt[o];
      for (let x = 0; x < outW; x++) {
        let s = 0;
        for (let k = 0; k < ii.length; k++) s += ww[k] * row[ii[k] * outW + x];
        out[dst + o * outW + x] = s;
      }
    }
  }
  return out;
}
