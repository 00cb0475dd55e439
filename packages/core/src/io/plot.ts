// Small dependency-free SVG line plots for the HTML reports (eigenvalue spectra, RMSE against σ):
// several series, linear or log axes, ticks, axis labels, a title and a legend, as one SVG string.
// Non-finite points (and non-positive ones on a log axis) break a line instead of corrupting it.

export interface PlotSeries {
  name: string; // legend text
  x: ArrayLike<number>;
  y: ArrayLike<number>; // same length as x
  color?: string; // any SVG colour [default: the next of a 10-colour palette]
  dashed?: boolean; // dashed line (e.g. a reference or theory curve)
  markers?: boolean; // a dot at every point [default: only when the series has ≤ 30 points]
}

export interface LinePlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean; // log10 x axis
  logY?: boolean; // log10 y axis
  width?: number; // [px] [default 640]
  height?: number; // [px] [default 400]
  xRange?: [number, number]; // fixed x domain [default: from the data]
  yRange?: [number, number]; // fixed y domain [default: from the data]
  legend?: 'auto' | 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left' | 'none'; // [default 'auto': the corner covering the fewest points; none for one unnamed series]
}

/** matplotlib's tab10: distinct, colour-blind-friendlier than a rainbow. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const FONT = 12; // [px]

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A number as a short label: 0.001 → "0.001", 1e-5 → "1e-5", 25000 → "25000", 2.5e6 → "2.5e6". */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(6)));
  const [m, e] = v.toExponential().split('e');
  return `${Number(Number(m).toPrecision(6))}e${Number(e)}`;
}

/** The "nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks over [lo, hi]. */
function niceStep(lo: number, hi: number, target: number): number {
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
}

/** Multiples of `step` inside [lo, hi]. */
function linearTicks(lo: number, hi: number, step: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

interface Axis {
  log: boolean;
  lo: number; // domain in data units
  hi: number;
  ticks: number[];
}

function makeAxis(values: number[], log: boolean, fixed: [number, number] | undefined): Axis {
  let lo: number;
  let hi: number;
  if (fixed) {
    [lo, hi] = fixed;
    if (!(hi > lo) || (log && lo <= 0)) throw new Error(`plot: bad axis range [${fixed.join(', ')}]${log ? ' for a log axis' : ''}`);
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (const v of values) {
      if (Number.isFinite(v) && (!log || v > 0)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (lo > hi) [lo, hi] = log ? [1, 10] : [0, 1]; // no plottable point
    if (lo === hi) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - (lo === 0 ? 1 : Math.abs(lo) / 2), hi + (hi === 0 ? 1 : Math.abs(hi) / 2)];
  }
  if (log) {
    let l = Math.log10(lo);
    let h = Math.log10(hi);
    if (!fixed && h - l >= 1) [l, h] = [Math.floor(l + 1e-9), Math.ceil(h - 1e-9)]; // whole decades
    const ticks: number[] = [];
    for (let k = Math.ceil(l - 1e-9); k <= h + 1e-9; k++) ticks.push(k);
    // Under two decades shown: ticks at 2 and 5 as well (in log10 units).
    if (ticks.length < 3) {
      for (let k = Math.floor(l) - 1; k <= Math.ceil(h); k++) for (const f of [2, 5]) ticks.push(k + Math.log10(f));
    }
    let shown = ticks.filter((t) => t >= l - 1e-9 && t <= h + 1e-9).sort((a, b) => a - b);
    // A narrow range with no 1-2-5 tick inside: linear ticks in value space.
    if (shown.length < 2) {
      shown = linearTicks(10 ** l, 10 ** h, niceStep(10 ** l, 10 ** h, 4)).filter((v) => v > 0).map(Math.log10).filter((t) => t >= l - 1e-9 && t <= h + 1e-9);
    }
    return { log, lo: l, hi: h, ticks: shown };
  }
  const step = niceStep(lo, hi, 6);
  // A data-driven domain is widened to whole steps, so it starts and ends on a tick.
  if (!fixed) [lo, hi] = [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
  return { log, lo, hi, ticks: linearTicks(lo, hi, step) };
}

/** A tick label as SVG text content: 10^k as 10 with a superscript on log axes (whole decades). */
function tickLabel(axis: Axis, t: number): string {
  if (!axis.log) return esc(formatTick(t));
  const k = Math.round(t);
  if (Math.abs(t - k) < 1e-9) {
    if (k === 0) return '1';
    if (k === 1) return '10';
    return `10<tspan dy="-0.45em" font-size="${FONT * 0.75}">${k}</tspan>`;
  }
  return esc(formatTick(10 ** t));
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

const r2 = (v: number): string => String(Math.round(v * 100) / 100);

/** An SVG line plot of `series`, as a standalone `<svg>` string (inline it in HTML or save as .svg). */
export function linePlotSvg(series: readonly PlotSeries[], options: LinePlotOptions = {}): string {
  const W = options.width ?? 640;
  const H = options.height ?? 400;
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new Error(`plot: series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values`);
  }
  const xs = series.flatMap((s) => Array.from(s.x));
  const ys = series.flatMap((s) => Array.from(s.y));
  const ax = makeAxis(xs, !!options.logX, options.xRange);
  const ay = makeAxis(ys, !!options.logY, options.yRange);

  const yLabels = ay.ticks.map((t) => (ay.log ? (Math.abs(t - Math.round(t)) < 1e-9 ? `10${Math.round(t)}` : formatTick(10 ** t)) : formatTick(t)));
  const left = 18 + (options.yLabel ? FONT + 6 : 0) + Math.max(2, ...yLabels.map((l) => l.length)) * FONT * 0.6;
  const top = options.title ? 2.5 * FONT + 8 : FONT;
  const bottom = 2 * FONT + 10 + (options.xLabel ? FONT + 8 : 0);
  const right = 16;
  const pw = Math.max(10, W - left - right);
  const ph = Math.max(10, H - top - bottom);
  const tx = (t: number): number => left + ((t - ax.lo) / (ax.hi - ax.lo)) * pw; // t in axis units (log10 on log axes)
  const ty = (t: number): number => top + ph - ((t - ay.lo) / (ay.hi - ay.lo)) * ph;
  const vx = (v: number): number => (ax.log ? Math.log10(v) : v);
  const vy = (v: number): number => (ay.log ? Math.log10(v) : v);

  const out: string[] = [];
  // Series paths first (the clip id is a hash of them, so it is stable and unique per plot).
  const paths: string[] = [];
  const drawn: [number, number][] = []; // every plotted point, in pixels (for the legend's placement)
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    let d = '';
    let pen = false;
    const dots: string[] = [];
    const showDots = s.markers ?? s.x.length <= 30;
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i];
      const y = s.y[i];
      const ok = Number.isFinite(x) && Number.isFinite(y) && (!ax.log || x > 0) && (!ay.log || y > 0);
      if (!ok) {
        pen = false;
        continue;
      }
      const [fx, fy] = [tx(vx(x)), ty(vy(y))];
      // Points along the segment too, so the legend avoids lines between sparse points.
      const prev = drawn[drawn.length - 1];
      if (pen && prev) for (let f = 1; f < 8; f++) drawn.push([prev[0] + ((fx - prev[0]) * f) / 8, prev[1] + ((fy - prev[1]) * f) / 8]);
      drawn.push([fx, fy]);
      const px = r2(tx(vx(x)));
      const py = r2(ty(vy(y)));
      d += `${pen ? 'L' : 'M'}${px} ${py}`;
      pen = true;
      if (showDots) dots.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${esc(color)}"/>`);
    }
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (d) paths.push(`<path d="${d}" fill="none" stroke="${esc(color)}" stroke-width="1.8"${dash} stroke-linejoin="round"/>`);
    paths.push(...dots);
  });
  const clip = `glp-${fnv1a(paths.join('') + (options.title ?? '') + W + 'x' + H)}`;

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="${FONT}">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<defs><clipPath id="${clip}"><rect x="${r2(left)}" y="${r2(top)}" width="${r2(pw)}" height="${r2(ph)}"/></clipPath></defs>`);
  if (options.title) out.push(`<text x="${r2(left + pw / 2)}" y="${r2(1.5 * FONT + 2)}" text-anchor="middle" font-size="${FONT * 1.25}" font-weight="bold">${esc(options.title)}</text>`);

  // Grid and ticks.
  for (const t of ax.ticks) {
    const x = r2(tx(t));
    out.push(`<line x1="${x}" y1="${r2(top)}" x2="${x}" y2="${r2(top + ph)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${r2(top + ph + FONT + 6)}" text-anchor="middle">${tickLabel(ax, t)}</text>`);
  }
  for (const t of ay.ticks) {
    const y = r2(ty(t));
    out.push(`<line x1="${r2(left)}" y1="${y}" x2="${r2(left + pw)}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${r2(left - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(ay, t)}</text>`);
  }
  out.push(`<rect x="${r2(left)}" y="${r2(top)}" width="${r2(pw)}" height="${r2(ph)}" fill="none" stroke="#333"/>`);
  if (options.xLabel) out.push(`<text x="${r2(left + pw / 2)}" y="${r2(H - 8)}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  if (options.yLabel) {
    const x = FONT + 2;
    const y = r2(top + ph / 2);
    out.push(`<text x="${x}" y="${y}" text-anchor="middle" transform="rotate(-90 ${x} ${y})">${esc(options.yLabel)}</text>`);
  }

  out.push(`<g clip-path="url(#${clip})">${paths.join('')}</g>`);

  // Legend.
  const asked = options.legend ?? (series.length === 1 && !series[0].name ? 'none' : 'auto');
  if (asked !== 'none' && series.length) {
    const lh = FONT + 6;
    const lw = 36 + Math.max(...series.map((s) => s.name.length)) * FONT * 0.6;
    const boxH = series.length * lh + 8;
    const place = (corner: string): [number, number] => [corner.endsWith('right') ? left + pw - lw - 8 : left + 8, corner.startsWith('top') ? top + 8 : top + ph - boxH - 8];
    const covered = (corner: string): number => {
      const [x0, y0] = place(corner);
      return drawn.filter(([x, y]) => x >= x0 - 4 && x <= x0 + lw + 4 && y >= y0 - 4 && y <= y0 + boxH + 4).length;
    };
    const corners = ['top-right', 'top-left', 'bottom-right', 'bottom-left'];
    const where = asked === 'auto' ? corners.reduce((best, c) => (covered(c) < covered(best) ? c : best)) : asked;
    const [bx, by] = place(where);
    out.push(`<g><rect x="${r2(bx)}" y="${r2(by)}" width="${r2(lw)}" height="${r2(boxH)}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`);
    series.forEach((s, k) => {
      const color = esc(s.color ?? PALETTE[k % PALETTE.length]);
      const y = r2(by + 4 + lh * k + lh / 2);
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(`<line x1="${r2(bx + 6)}" y1="${y}" x2="${r2(bx + 28)}" y2="${y}" stroke="${color}" stroke-width="2"${dash}/>`);
      out.push(`<text x="${r2(bx + 34)}" y="${y}" dominant-baseline="middle">${esc(s.name)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
