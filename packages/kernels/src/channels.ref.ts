// Float64 references for shaders/channels.wgsl.
import type { Broadcast, ChannelCopy, Window } from './channels.ts';

export function broadcastMulRef(x: ArrayLike<number>, v: ArrayLike<number>, b: Broadcast, alpha = 1): Float64Array {
  const n = b.n ?? x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = alpha * x[i] * v[Math.floor(i / b.inner) % b.m];
  return out;
}

export function broadcastAddRef(alpha: number, x: ArrayLike<number>, beta: number, v: ArrayLike<number>, b: Broadcast): Float64Array {
  const n = b.n ?? x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = alpha * x[i] + beta * v[Math.floor(i / b.inner) % b.m];
  return out;
}

/** Copies into `out` (which keeps its other channels) and returns it. */
export function copyChannelsRef(x: ArrayLike<number>, out: Float64Array, c: ChannelCopy): Float64Array {
  const so = c.srcOffset ?? 0;
  const dof = c.dstOffset ?? 0;
  for (let b = 0; b < c.batch; b++)
    for (let ch = 0; ch < c.count; ch++)
      for (let p = 0; p < c.inner; p++) out[(b * c.dstChannels + dof + ch) * c.inner + p] = x[(b * c.srcChannels + so + ch) * c.inner + p];
  return out;
}

export function sumOuterRef(x: ArrayLike<number>, outer: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let o = 0; o < outer; o++) for (let j = 0; j < m; j++) out[j] += x[o * m + j];
  return out;
}

export function expandRef(v: ArrayLike<number>, b: Broadcast & { n: number }, alpha = 1): Float64Array {
  const out = new Float64Array(b.n);
  for (let i = 0; i < b.n; i++) out[i] = alpha * v[Math.floor(i / b.inner) % b.m];
  return out;
}

export function window2dRef(x: ArrayLike<number>, w: Window): Float64Array {
  const out = new Float64Array(w.planes * w.outH * w.outW);
  for (let p = 0; p < w.planes; p++)
    for (let i = 0; i < w.outH; i++)
      for (let j = 0; j < w.outW; j++) {
        const [sy, sx] = [i + w.offY, j + w.offX];
        if (sy >= 0 && sx >= 0 && sy < w.inH && sx < w.inW) out[(p * w.outH + i) * w.outW + j] = x[(p * w.inH + sy) * w.inW + sx];
      }
  return out;
}

export function sumPlanesRef(x: ArrayLike<number>, outer: number, m: number, inner: number): Float64Array {
  const out = new Float64Array(m);
  for (let o = 0; o < outer; o++) for (let j = 0; j < m; j++) for (let p = 0; p < inner; p++) out[j] += x[(o * m + j) * inner + p];
  return out;
}
