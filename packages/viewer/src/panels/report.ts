// A run's report: the curves in report.json drawn again (any numeric series the CLI wrote: arrays
// of numbers, tables of rows against σ or steps, per-σ training curves), its tables and scalars,
// and the run's PNG figures. No GPU needed.
import { escapeHtml, formatTick, linePlotSvg, type PlotSeries } from '@gausslens/core';
import type { RunContents } from '../run.ts';
import { el, figure, svgElement } from '../draw.ts';

interface Curve {
  title: string;
  xLabel: string;
  series: PlotSeries[];
}

type Json = unknown;
type Obj = Record<string, Json>;

/** Keys that hold an x axis (a row field, or a parallel array). */
const X_KEYS = ['sigma', 'σ', 'step', 'steps', 'sigmas', 'n', 'k', 'channels', 'x', 'kimg', 'epoch'];
const MAX_CURVES = 16;
/** Settings, not results: not searched for curves. */
const SKIP = new Set(['config', 'train', 'network', 'unet', 'files', 'meta', 'imageShape']);

const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNumArray = (v: Json): v is number[] => Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'number');
const scalarText = (o: Obj): string => Object.entries(o).filter(([, v]) => typeof v === 'number' || typeof v === 'string').slice(0, 2).map(([k, v]) => `${k} = ${typeof v === 'number' ? formatTick(v) : v}`).join(', ');

/** Curves and tables found anywhere in a report. */
function walk(v: Json, path: string, curves: Curve[], tables: { title: string; rows: Obj[] }[]): void {
  if (Array.isArray(v)) {
    if (v.length >= 2 && v.every(isObj)) {
      const rows = v as Obj[];
      const xKey = X_KEYS.find((k) => rows.every((r) => typeof r[k] === 'number'));
      if (xKey) {
        for (const key of Object.keys(rows[0])) {
          if (key !== xKey && rows.every((r) => typeof r[key] === 'number')) curves.push({ title: `${path}: ${key}`, xLabel: xKey, series: [{ name: key, x: rows.map((r) => r[xKey] as number), y: rows.map((r) => r[key] as number) }] });
        }
      }
      // Rows holding parallel arrays (e.g. per-σ training curves: steps and a loss): one series a row.
      const ax = X_KEYS.find((k) => rows.every((r) => isNumArray(r[k])));
      if (ax) {
        for (const key of Object.keys(rows[0])) {
          if (key === ax || !rows.some((r) => isNumArray(r[key]))) continue;
          const series = rows.filter((r) => isNumArray(r[key]) && (r[key] as number[]).length === (r[ax] as number[]).length).map((r) => ({ name: scalarText(r) || key, x: r[ax] as number[], y: r[key] as number[] }));
          if (series.length) curves.push({ title: `${path}: ${key}`, xLabel: ax, series });
        }
      }
      if (!xKey && !ax) tables.push({ title: path, rows });
      return;
    }
    if (isNumArray(v) && v.length >= 5) curves.push({ title: path, xLabel: 'index', series: [{ name: path, x: v.map((_, i) => i + 1), y: v }] });
    return;
  }
  if (!isObj(v)) return;
  const parallelX = X_KEYS.find((k) => isNumArray(v[k]));
  for (const [k, child] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    if (parallelX && k !== parallelX && isNumArray(child) && child.length === (v[parallelX] as number[]).length) {
      curves.push({ title: p, xLabel: parallelX, series: [{ name: k, x: v[parallelX] as number[], y: child }] });
    } else if (k !== parallelX && !SKIP.has(k)) walk(child, p, curves, tables);
  }
}

const spans = (xs: number[], ratio: number): boolean => xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) > ratio;

function plot(c: Curve): Element {
  const xs = c.series.flatMap((s) => Array.from(s.x));
  const ys = c.series.flatMap((s) => Array.from(s.y));
  return svgElement(linePlotSvg(c.series, { title: c.title, xLabel: c.xLabel, logX: spans(xs, 50), logY: spans(ys, 1000), width: 420, height: 280, legend: c.series.length > 1 ? 'auto' : 'none' }));
}

function table(title: string, rows: Obj[]): HTMLElement {
  const keys = Object.keys(rows[0]).filter((k) => rows.every((r) => typeof r[k] !== 'object' || r[k] === null));
  const cell = (v: Json): string => (typeof v === 'number' ? formatTick(v) : escapeHtml(String(v)));
  const t = el('table');
  t.innerHTML = `<caption>${escapeHtml(title)}</caption><thead><tr>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${keys.map((k) => `<td>${cell(r[k])}</td>`).join('')}</tr>`).join('')}</tbody>`;
  return t;
}

export function renderReport(root: HTMLElement, run: RunContents | null): void {
  const body = root.querySelector('.body') as HTMLElement;
  body.replaceChildren();
  if (!run) {
    body.append(el('p', { className: 'muted', textContent: 'Open a run directory to see its report (report.json, report.html and figures).' }));
    return;
  }
  const head = el('p', { className: 'facts', textContent: `run ${run.name}: ${[run.structure?.path, run.network?.path, ...run.linear.map((l) => l.path), run.report?.path, run.config?.path].filter(Boolean).join(', ')}` });
  body.append(head);
  if (run.reportHtml) {
    const a = el('a', { href: run.reportHtml.url(), target: '_blank', rel: 'noopener', textContent: 'open report.html' });
    head.append(' — ', a);
  }
  if (run.report) {
    const curves: Curve[] = [];
    const tables: { title: string; rows: Obj[] }[] = [];
    walk(run.report.json, '', curves, tables);
    const figs = el('div', { className: 'figures' });
    for (const c of curves.slice(0, MAX_CURVES)) figs.append(figure(plot(c), c.title, 'plot'));
    body.append(figs);
    if (curves.length > MAX_CURVES) body.append(el('p', { className: 'muted', textContent: `${curves.length - MAX_CURVES} more curves in report.json are not drawn.` }));
    for (const t of tables) body.append(table(t.title, t.rows));
    if (!curves.length && !tables.length) body.append(el('p', { className: 'muted', textContent: 'report.json holds no curves or tables.' }));
  } else body.append(el('p', { className: 'muted', textContent: 'This run has no report.json.' }));
  if (run.images.length) {
    const gallery = el('div', { className: 'figures gallery' });
    for (const f of run.images.slice(0, 24)) gallery.append(figure(el('img', { src: f.url(), alt: f.path, loading: 'lazy' }), f.path));
    body.append(gallery);
  }
}
