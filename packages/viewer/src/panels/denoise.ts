// D(x; σ) side by side: one clean image y, the noisy x = y + σ·n (n from the seeded Philox stream)
// and what each denoiser makes of the same x. A σ slider (log scale) moves all of them at once.
import { axpby, randomNormal } from '@gausslens/kernels';
import { PAPER_SIGMAS } from '@gausslens/core';
import { DENOISER_KINDS, DENOISER_LABELS, type DenoiserKind, type Session } from '../session.ts';
import { el, figure, gridCanvas, imageCanvas, relDiff, rmse } from '../draw.ts';
import { hooks } from '../hooks.ts';

const SIGMA_MIN = 0.002;
const SIGMA_MAX = 80;
const SLIDER_STEPS = 1000;

const toSlider = (sigma: number): number => Math.round((SLIDER_STEPS * Math.log(sigma / SIGMA_MIN)) / Math.log(SIGMA_MAX / SIGMA_MIN));
const fromSlider = (v: number): number => SIGMA_MIN * (SIGMA_MAX / SIGMA_MIN) ** (v / SLIDER_STEPS);

export interface DenoiseResult {
  token: number; // increases with every rendered result
  index: number; // which input image
  sigma: number;
  seed: number; // Philox seed of the noise n
  y: number[]; // the clean image
  x: number[]; // y + σ·n
  outputs: Partial<Record<DenoiserKind, number[]>>; // D(x; σ) of each ready denoiser
}

export class DenoisePanel {
  private readonly controls: HTMLElement;
  private readonly results: HTMLElement;
  private readonly sigmaSlider: HTMLInputElement;
  private readonly sigmaInput: HTMLInputElement;
  private readonly seedInput: HTMLInputElement;
  private readonly indexInput: HTMLInputElement;
  private readonly thumbs: HTMLElement;
  private running = false;
  private pending = false;
  private token = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly session: Session,
  ) {
    this.sigmaSlider = el('input', { type: 'range', id: 'sigma-slider', min: '0', max: String(SLIDER_STEPS), value: String(toSlider(1)) });
    this.sigmaInput = el('input', { type: 'number', id: 'sigma', step: 'any', min: String(SIGMA_MIN), max: String(SIGMA_MAX), value: '1' });
    this.seedInput = el('input', { type: 'number', id: 'noise-seed', min: '0', step: '1', value: '0' });
    this.indexInput = el('input', { type: 'number', id: 'input-index', min: '0', step: '1', value: '0' });
    const marks = el('datalist', { id: 'paper-sigmas' }, ...PAPER_SIGMAS.map((s) => el('option', { value: String(toSlider(s)) })));
    this.sigmaSlider.setAttribute('list', 'paper-sigmas');
    this.thumbs = el('div', { className: 'thumbs' });
    this.controls = el(
      'div',
      { className: 'controls' },
      el('label', {}, 'σ ', this.sigmaSlider, marks, ' ', this.sigmaInput),
      el('label', {}, 'noise seed ', this.seedInput),
      el('label', {}, 'input ', this.indexInput),
    );
    this.results = el('div', { className: 'figures denoised' });
    (root.querySelector('.body') as HTMLElement).replaceChildren(this.controls, this.thumbs, this.results);
    this.sigmaSlider.addEventListener('input', () => {
      this.sigmaInput.value = fromSlider(Number(this.sigmaSlider.value)).toPrecision(4);
      this.schedule();
    });
    this.sigmaInput.addEventListener('input', () => {
      const s = Number(this.sigmaInput.value);
      if (s > 0) this.sigmaSlider.value = String(toSlider(Math.min(SIGMA_MAX, Math.max(SIGMA_MIN, s))));
      this.schedule();
    });
    for (const i of [this.seedInput, this.indexInput]) i.addEventListener('input', () => this.schedule());
  }

  /** Called when the session changed: new inputs, new denoisers. */
  refresh(): void {
    const { inputs } = this.session;
    const shape = this.session.shape;
    this.thumbs.replaceChildren();
    if (!inputs || !shape || !this.session.gpu) {
      this.results.replaceChildren(el('p', { className: 'muted', textContent: this.session.gpu ? 'Nothing to denoise yet: open a run or compute from the digits.' : 'Denoising needs WebGPU.' }));
      return;
    }
    this.indexInput.max = String(inputs.count - 1);
    const strip = gridCanvas(inputs.images, inputs.count, shape, inputs.count, { scale: shape.h <= 16 ? 3 : 2 });
    strip.title = 'click to choose the input';
    strip.addEventListener('click', (ev) => {
      const x = (ev.offsetX / strip.clientWidth) * strip.width;
      this.indexInput.value = String(Math.min(inputs.count - 1, Math.floor(x / (shape.w + 1))));
      this.schedule();
    });
    this.thumbs.append(figure(strip, `inputs: ${inputs.what}`));
    this.schedule();
  }

  private params(): { index: number; sigma: number; seed: number } | string {
    const count = this.session.inputs?.count ?? 0;
    const index = Number(this.indexInput.value);
    const sigma = Number(this.sigmaInput.value);
    const seed = Number(this.seedInput.value);
    if (!Number.isInteger(index) || index < 0 || index >= count) return `input must be an integer in [0, ${count - 1}]`;
    if (!(sigma >= SIGMA_MIN && sigma <= SIGMA_MAX)) return `σ must be in [${SIGMA_MIN}, ${SIGMA_MAX}]`;
    if (!Number.isSafeInteger(seed) || seed < 0) return 'the noise seed must be a non-negative integer';
    return { index, sigma, seed };
  }

  /** Recomputes after the current computation (slider drags coalesce). */
  private schedule(): void {
    this.pending = true;
    if (this.running) return;
    this.running = true;
    this.root.dataset.state = 'busy';
    void (async () => {
      try {
        while (this.pending) {
          this.pending = false;
          await this.session.exclusive(() => this.compute());
        }
        this.root.dataset.state = 'ready';
      } catch (e) {
        this.results.replaceChildren(el('p', { className: 'error', textContent: (e as Error).message }));
        this.root.dataset.state = 'error';
      } finally {
        this.running = false;
      }
    })();
  }

  private async compute(): Promise<void> {
    const { gpu, inputs } = this.session;
    const shape = this.session.shape;
    if (!gpu || !inputs || !shape) return;
    const p = this.params();
    if (typeof p === 'string') {
      this.results.replaceChildren(el('p', { className: 'error', textContent: p }));
      return;
    }
    const d = shape.c * shape.h * shape.w;
    const y = inputs.images.slice(p.index * d, (p.index + 1) * d);
    const clean = gpu.upload(y, 'viewer-clean');
    const noise = gpu.alloc(d, 'viewer-noise');
    const x = gpu.alloc(d, 'viewer-noisy');
    randomNormal(gpu, noise, { seed: p.seed }, d);
    axpby(gpu, 1, clean, p.sigma, noise, x, d);
    const outs = new Map<DenoiserKind, ReturnType<typeof gpu.alloc>>();
    try {
      for (const [k, den] of this.session.denoisers) {
        const out = gpu.alloc(d, `viewer-${k}`);
        outs.set(k, out);
        den.denoise(gpu, x, 1, p.sigma, out);
      }
      const xHost = await gpu.read(x, d);
      const results = new Map<DenoiserKind, Float32Array>();
      for (const [k, out] of outs) results.set(k, await gpu.read(out, d));
      this.render(p, y, xHost, results);
    } finally {
      for (const b of [clean, noise, x, ...outs.values()]) b.release();
    }
  }

  private render(p: { index: number; sigma: number; seed: number }, y: Float32Array, x: Float32Array, results: Map<DenoiserKind, Float32Array>): void {
    const shape = this.session.shape as NonNullable<Session['shape']>;
    const scale = shape.h <= 16 ? 8 : 4;
    const dg = results.get('gaussian');
    const figs = [figure(imageCanvas(y, shape, { scale }), 'clean y'), figure(imageCanvas(x, shape, { scale }), `noisy x = y + ${p.sigma.toPrecision(3)}·n`)];
    for (const k of DENOISER_KINDS) {
      const out = results.get(k);
      if (!out) {
        figs.push(figure(el('div', { className: 'missing', textContent: this.session.missing.get(k) ?? 'not available' }), DENOISER_LABELS[k], 'absent'));
        continue;
      }
      const vsG = dg && k !== 'gaussian' ? `, ‖D − D_G‖/‖D_G‖ = ${relDiff(out, dg).toFixed(3)}` : '';
      figs.push(figure(imageCanvas(out, shape, { scale }), `${DENOISER_LABELS[k]}: RMSE to y ${rmse(out, y).toFixed(3)}${vsG}`));
    }
    this.results.replaceChildren(...figs);
    this.token++;
    this.root.dataset.token = String(this.token);
    hooks.denoise = { token: this.token, ...p, y: Array.from(y), x: Array.from(x), outputs: Object.fromEntries([...results].map(([k, v]) => [k, Array.from(v)])) };
  }
}
