// Sampling trajectories from the same noise x_T = σ_max·n: the probability-flow ODE integrated
// by Euler (eq 4) or Heun (EDM Algorithm 1) with each denoiser, and the closed-form trajectory
// under D_G (eq 7), played step by step on the ρ = 7 schedule.
import { randomNormal, type GpuBuffer } from '@gausslens/kernels';
import { edmSigmas, sampleOde, SCHEDULE_DEFAULTS, type GaussianDenoiser, type StepSampler } from '@gausslens/core';
import { DENOISER_LABELS, type Session } from '../session.ts';
import { el, figure, gridCanvas } from '../draw.ts';

interface Row {
  label: string;
  frames: Float32Array[]; // one count×d batch per noise level
}

const FRAME_MS = 450;

export class TrajectoryPanel {
  private readonly sampler = el('select', { id: 'traj-sampler' }, el('option', { value: 'euler', textContent: 'Euler (eq 4)' }), el('option', { value: 'heun', textContent: 'Heun (EDM Alg. 1)' }));
  private readonly steps = el('input', { type: 'number', id: 'traj-steps', min: '2', max: '64', value: '10' });
  private readonly count = el('input', { type: 'number', id: 'traj-count', min: '1', max: '32', value: '8' });
  private readonly seed = el('input', { type: 'number', id: 'traj-seed', min: '0', value: '0' });
  private readonly button = el('button', { id: 'sample', textContent: 'Sample' });
  private readonly timeline = el('input', { type: 'range', id: 'traj-step', min: '0', max: '0', value: '0' });
  private readonly play = el('button', { id: 'traj-play', textContent: '▶' });
  private readonly info = el('p', { className: 'muted' });
  private readonly rowsEl = el('div', { className: 'traj-rows' });
  private rows: Row[] = [];
  private sigmas: number[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly session: Session,
  ) {
    const controls = el(
      'div',
      { className: 'controls' },
      el('label', {}, 'sampler ', this.sampler),
      el('label', {}, 'steps ', this.steps),
      el('label', {}, 'images ', this.count),
      el('label', {}, 'noise seed ', this.seed),
      this.button,
    );
    const player = el('div', { className: 'controls' }, this.play, el('label', {}, 'step ', this.timeline));
    (root.querySelector('.body') as HTMLElement).replaceChildren(controls, this.info, player, this.rowsEl);
    this.button.addEventListener('click', () => void this.session.exclusive(() => this.sample()));
    this.timeline.addEventListener('input', () => {
      this.stop();
      this.show(Number(this.timeline.value));
    });
    this.play.addEventListener('click', () => (this.timer ? this.stop() : this.start()));
    this.refresh();
  }

  refresh(): void {
    this.stop();
    this.rows = [];
    this.rowsEl.replaceChildren();
    const ready = this.session.gpu && this.session.shape && this.session.denoisers.size > 0;
    this.button.disabled = !ready;
    this.info.textContent = ready ? `Samples every ready denoiser (${[...this.session.denoisers.keys()].join(', ')}) from the same x_T.` : 'No denoiser is ready yet.';
  }

  private async sample(): Promise<void> {
    const { gpu } = this.session;
    const shape = this.session.shape;
    if (!gpu || !shape) return;
    const [steps, count, seed] = [Number(this.steps.value), Number(this.count.value), Number(this.seed.value)];
    if (!Number.isInteger(steps) || steps < 2 || steps > 64 || !Number.isInteger(count) || count < 1 || count > 32 || !Number.isSafeInteger(seed) || seed < 0) {
      this.info.textContent = 'steps must be 2…64, images 1…32 and the seed a non-negative integer';
      return;
    }
    const sampler = this.sampler.value as StepSampler;
    const d = shape.c * shape.h * shape.w;
    const n = count * d;
    const sigmaMax = SCHEDULE_DEFAULTS.sigmaMax;
    this.stop();
    this.button.disabled = true;
    this.root.dataset.state = 'busy';
    const xT = gpu.alloc(n, 'viewer-xT');
    const t0 = performance.now();
    try {
      randomNormal(gpu, xT, { seed, std: sigmaMax }, n);
      this.sigmas = edmSigmas({ steps, sigmaMax });
      this.rows = [];
      for (const [kind, den] of this.session.denoisers) {
        const frames: Float32Array[] = [];
        const x0 = await sampleOde(gpu, den, xT, count, {
          sampler,
          steps,
          sigmaMax,
          onStep: async (s) => {
            this.info.textContent = `${DENOISER_LABELS[kind]}: step ${s.i}/${steps}`;
            frames.push(await gpu.read(s.x, n));
          },
        });
        x0.release();
        this.rows.push({ label: `${DENOISER_LABELS[kind]}, ${sampler}`, frames });
        if (kind === 'gaussian') this.rows.push({ label: 'Gaussian, closed form (eq 7)', frames: await this.closedForm(den as GaussianDenoiser, xT, count, n) });
      }
      this.info.textContent = `${count} samples from x_T = ${sigmaMax}·n (seed ${seed}), ${steps} noise levels on the ρ = 7 schedule, in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
      this.timeline.max = String(this.sigmas.length - 1);
      this.root.dataset.state = 'ready';
      this.start();
    } catch (e) {
      this.info.textContent = (e as Error).message;
      this.root.dataset.state = 'error';
    } finally {
      xT.release();
      this.button.disabled = false;
    }
  }

  private async closedForm(den: GaussianDenoiser, xT: GpuBuffer, count: number, n: number): Promise<Float32Array[]> {
    const { gpu } = this.session;
    if (!gpu) return [];
    const out = gpu.alloc(n, 'viewer-closed-form');
    const frames: Float32Array[] = [];
    for (const sigma of this.sigmas) {
      den.trajectory(gpu, xT, count, this.sigmas[0], sigma, out);
      frames.push(await gpu.read(out, n));
    }
    out.release();
    return frames;
  }

  private show(i: number): void {
    const shape = this.session.shape;
    if (!shape || !this.rows.length) return;
    this.timeline.value = String(i);
    const count = this.rows[0].frames[0].length / (shape.c * shape.h * shape.w);
    const sigma = this.sigmas[i];
    this.rowsEl.replaceChildren(
      el('p', { className: 'facts', textContent: `step ${i}/${this.sigmas.length - 1}: σ = ${sigma === 0 ? '0 (the samples)' : sigma.toPrecision(3)}` }),
      ...this.rows.map((r) => figure(gridCanvas(r.frames[i], count, shape, count, { scale: shape.h <= 16 ? 4 : 2 }), r.label)),
    );
  }

  private start(): void {
    this.stop();
    let i = Number(this.timeline.value) >= this.sigmas.length - 1 ? 0 : Number(this.timeline.value);
    this.show(i);
    this.play.textContent = '❚❚';
    this.timer = setInterval(() => {
      i++;
      this.show(i);
      if (i >= this.sigmas.length - 1) this.stop();
    }, FRAME_MS);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = '▶';
  }
}
