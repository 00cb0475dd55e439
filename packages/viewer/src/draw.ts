// Images on canvases: C×H×W values in [-1, 1] (or scaled to ±max for eigen-images), gray or RGB,
// drawn at their own resolution and magnified by CSS without smoothing.
import type { ImageShape } from './session.ts';

export interface DrawOptions {
  scale?: number; // CSS pixels per image pixel [default 3]
  symmetric?: boolean; // map [−max|v|, max|v|] to black…white (eigen-images) instead of [−1, 1]
}

function toByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
}

/** Writes image `i` of `images` into `rgba` at pixel (x0, y0) of a canvas `stride` pixels wide. */
function blit(rgba: Uint8ClampedArray, stride: number, x0: number, y0: number, images: ArrayLike<number>, i: number, s: ImageShape, symmetric: boolean): void {
  const hw = s.h * s.w;
  const base = i * s.c * hw;
  let k = 1;
  if (symmetric) {
    let m = 1e-12;
    for (let j = 0; j < s.c * hw; j++) m = Math.max(m, Math.abs(images[base + j]));
    k = 1 / m;
  }
  for (let y = 0; y < s.h; y++) {
    for (let x = 0; x < s.w; x++) {
      const p = ((y0 + y) * stride + x0 + x) * 4;
      for (let ch = 0; ch < 3; ch++) rgba[p + ch] = toByte(k * images[base + (s.c === 3 ? ch : 0) * hw + y * s.w + x]);
      rgba[p + 3] = 255;
    }
  }
}

/** A grid of `n` images, `cols` a row, 1-pixel gaps. */
export function gridCanvas(images: ArrayLike<number>, n: number, s: ImageShape, cols: number, opts: DrawOptions = {}): HTMLCanvasElement {
  const rows = Math.max(1, Math.ceil(n / cols));
  const gap = n > 1 ? 1 : 0;
  const W = Math.min(n, cols) * (s.w + gap) - gap;
  const H = rows * (s.h + gap) - gap;
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, W);
  canvas.height = Math.max(1, H);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(255);
  for (let i = 0; i < n; i++) blit(img.data, canvas.width, (i % cols) * (s.w + gap), Math.floor(i / cols) * (s.h + gap), images, i, s, opts.symmetric ?? false);
  ctx.putImageData(img, 0, 0);
  const scale = opts.scale ?? 3;
  canvas.style.width = `${canvas.width * scale}px`;
  canvas.style.height = `${canvas.height * scale}px`;
  canvas.className = 'pixels';
  return canvas;
}

/** One image. */
export function imageCanvas(image: ArrayLike<number>, s: ImageShape, opts: DrawOptions = {}): HTMLCanvasElement {
  return gridCanvas(image, 1, s, 1, opts);
}

/** A figure: the canvas (or any element) over a caption. */
export function figure(content: Element, caption: string, className = ''): HTMLElement {
  const f = document.createElement('figure');
  if (className) f.className = className;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  f.append(content, cap);
  return f;
}

/** An element from trusted SVG text (our own plots). */
export function svgElement(svg: string): Element {
  const t = document.createElement('template');
  t.innerHTML = svg.trim();
  return t.content.firstElementChild as Element;
}

/** ‖a − b‖/‖b‖. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** Root-mean-square difference. */
export function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / Math.max(1, a.length));
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}
