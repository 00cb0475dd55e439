// The Gaussian structure (eq 6): the mean μ, the top eigen-images u_k of Σ and the spectrum λ_k.
import { linePlotSvg } from '@gausslens/core';
import type { Session } from '../session.ts';
import { el, figure, gridCanvas, imageCanvas, svgElement } from '../draw.ts';

const EIGEN_IMAGES = 32;

export function renderStructure(root: HTMLElement, session: Session): void {
  const body = root.querySelector('.body') as HTMLElement;
  body.replaceChildren();
  const st = session.structure;
  const shape = st?.s.imageShape ? { c: st.s.imageShape[0], h: st.s.imageShape[1], w: st.s.imageShape[2] } : null;
  if (!st) {
    body.append(el('p', { className: 'muted', textContent: session.gpu ? 'No Gaussian structure yet: open a run directory or compute one from the embedded digits above.' : 'The Gaussian structure needs WebGPU.' }));
    return;
  }
  const { s, meta, info } = st;
  const lam = Array.from(s.eigenvalues);
  const total = lam.reduce((a, b) => a + b, 0);
  const explained = [1, 10, 50, 100].filter((k) => k <= lam.length).map((k) => `${k}: ${((100 * lam.slice(0, k).reduce((a, b) => a + b, 0)) / total).toFixed(1)} %`);
  const how = info ? `built in this page in ${info.seconds.toFixed(1)} s (${info.route} route, ${info.solver}, residual ${info.offNorm.toExponential(1)})` : `from ${st.source}`;
  body.append(
    el('p', { className: 'facts', textContent: `${meta.data}: N = ${s.n} images, d = ${s.d}, rank ${s.rank}; ${how}. Variance in the top k directions — ${explained.join(', ')}.` }),
  );
  const figs = el('div', { className: 'figures' });
  if (shape) {
    const k = Math.min(EIGEN_IMAGES, s.rank);
    figs.append(figure(imageCanvas(s.host.mean, shape, { scale: shape.h <= 32 ? 5 : 2 }), 'mean μ'));
    figs.append(figure(gridCanvas(s.host.U.subarray(0, k * s.d), k, shape, 8, { symmetric: true, scale: shape.h <= 32 ? 2 : 1 }), `top ${k} eigen-images u_k of Σ (each scaled to its largest |value|)`, 'eigen'));
  }
  const svg = linePlotSvg([{ name: 'λ_k', x: lam.map((_, i) => i + 1), y: lam }], { title: `Covariance spectrum (${meta.data})`, xLabel: 'k', yLabel: 'eigenvalue λ_k', logX: true, logY: true, legend: 'none', width: 480, height: 300 });
  figs.append(figure(svgElement(svg), 'the spectrum λ_k (log–log): D_G keeps direction k at noise σ by λ_k/(λ_k + σ²)', 'plot'));
  body.append(figs);
}
