// Linear distillation (Section 3.1, Appendix C, Algorithm 1): for each σ, fit D_L(x) = W x + b to a
// teacher denoiser D(x; σ) on noisy held-out images x = y + n, n ∼ N(0, σ²I), fresh every batch.
//   adam:  W, b start at 0; each step takes an Adam step on (1/B)·Σ‖W x + b − D(x; σ)‖² (eq 9), with
//          the reference code's reparameterisation W = w/√d (the learning rate applies to w).
//          The defaults change the path, not the model or its optimum, so that it converges in ~1000
//          steps here: inputs centred on the clean images' mean c (fit W(x − c) + b′, b = b′ − W·c:
//          the bias no longer couples to the weights through E[x]), b′ started at the teacher's mean
//          output, 'tuned' learning rates with a cosine decay. Algorithm 1 as written is
//          { lr: 'paper', lrDecay: 'none', init: 'zero', center: false } (and far more steps).
//   lstsq: the normal equations of (9), from Gram matrices of the centred inputs built on the GPU
//          (GEMM), accumulated and solved (Cholesky) in float64 on the host: the convex problem's
//          unique optimum, a cross-check of the Adam result.
// Everything per step stays on the GPU; losses (and weight NMSE) are read back every logEvery steps.
import { adamStep, axpbyRow, gemm, reduce, scale, axpby, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import type { Denoiser } from '../denoisers/types.ts';
import { learningRateAt, lstsqSamples, resolveDistillConfig, type DistillConfig } from './config.ts';
import type { LinearModel } from './linear_model.ts';
import { choleskySolve } from './lstsq.ts';
import { ImageStream, NoisyBatch, philoxKey } from './sampling.ts';

export interface DistillHooks {
  onProgress?(sigmaIndex: number, step: number, loss: number): void; // every logEvery steps (adam) or once per σ (lstsq: step = samples)
  reference?: LinearModel; // e.g. W_G from gaussianLinearModel at the same sigmas: then the weight NMSE is tracked
  onWeightNmse?(sigmaIndex: number, step: number, nmse: number): void; // ‖W − W_ref‖_F/‖W_ref‖_F at the logged steps
  onSamples?(sigmaIndex: number, done: number, total: number): void; // lstsq: samples accumulated so far
  imageShape?: [number, number, number] | null; // stored in the model (c, h, w)
}

export interface DistillCurve {
  sigma: number;
  lr: number | null; // adam learning rate (null for lstsq)
  steps: number[]; // logged steps (lstsq: [samples])
  loss: number[]; // (1/B)·Σ‖W x + b − D(x)‖² at those steps (lstsq: on one fresh batch after the solve)
  weightNmse?: number[]; // with a reference: ‖W − W_ref‖_F/‖W_ref‖_F at those steps
  seconds: number; // wall-clock time of this σ
}

export interface DistillResult {
  model: LinearModel;
  curves: DistillCurve[];
}

/** Index of σ in a reference model (exact to 1e-6 relative), or an error naming the missing σ. */
function referenceIndex(ref: LinearModel, sigma: number): number {
  const i = ref.sigmas.findIndex((s) => Math.abs(s - sigma) <= 1e-6 * sigma);
  if (i < 0) throw new Error(`distill: the reference model has no σ = ${sigma} (it has ${ref.sigmas.join(', ')}); build it at the same sigmas`);
  return i;
}

/** Tracks ‖W − W_ref‖_F/‖W_ref‖_F for one σ on the GPU (one read-back a call). */
class WeightTracker {
  private readonly diff: GpuBuffer;
  private readonly sum: GpuBuffer;
  private refNorm2 = 0;

  constructor(
    private readonly gpu: Gpu,
    private readonly ref: GpuBuffer,
    private readonly d: number,
  ) {
    this.diff = gpu.alloc(d * d, 'distill-weight-diff');
    this.sum = gpu.alloc(1, 'distill-weight-sum');
  }

  async init(): Promise<void> {
    reduce(this.gpu, 'sumsq', this.ref, this.sum, this.d * this.d);
    this.refNorm2 = (await this.gpu.read(this.sum, 1))[0];
  }

  /** NMSE of W = wScale·w against the reference. */
  async nmse(w: GpuBuffer, wScale: number): Promise<number> {
    axpby(this.gpu, wScale, w, -1, this.ref, this.diff, this.d * this.d);
    reduce(this.gpu, 'sumsq', this.diff, this.sum, this.d * this.d);
    const e = (await this.gpu.read(this.sum, 1))[0];
    return Math.sqrt(e / (this.refNorm2 > 0 ? this.refNorm2 : 1));
  }

  release(): void {
    this.diff.release();
    this.sum.release();
  }
}

/** (1/B)·Σ‖r‖² of a residual buffer (B×d), read back. */
async function meanSquaredNorm(gpu: Gpu, r: GpuBuffer, rows: number, d: number, tmp: GpuBuffer): Promise<number> {
  reduce(gpu, 'sumsq', r, tmp, rows * d);
  return (await gpu.read(tmp, 1))[0] / rows;
}

/** Algorithm 1 at one σ: returns w (d×d, W = w/√d) and b. */
async function distillAdam(gpu: Gpu, teacher: Denoiser, stream: ImageStream, cfg: DistillConfig, i: number, hooks: DistillHooks, curve: DistillCurve, tracker: WeightTracker | null, center: GpuBuffer | null): Promise<{ W: GpuBuffer; b: GpuBuffer }> {
  const d = teacher.d;
  const B = cfg.batch;
  const sigma = cfg.sigmas[i];
  const lr = learningRateAt(cfg, i);
  const invSqrtD = 1 / Math.sqrt(d);
  const key = philoxKey(cfg.seed, i);
  const batch = new NoisyBatch(gpu, B, d);
  const w = gpu.alloc(d * d, 'distill-w');
  const b = gpu.alloc(d, 'distill-b');
  const [mw, vw, gw] = [gpu.alloc(d * d, 'distill-m-w'), gpu.alloc(d * d, 'distill-v-w'), gpu.alloc(d * d, 'distill-grad-w')];
  const [mb, vb, gb] = [gpu.alloc(d, 'distill-m-b'), gpu.alloc(d, 'distill-v-b'), gpu.alloc(d, 'distill-grad-b')];
  for (const t of [w, b, mw, vw, mb, vb]) gpu.fill(t, 0);
  const r = gpu.alloc(B * d, 'distill-residual');
  const xc = center ? gpu.alloc(B * d, 'distill-centred') : null;
  const ones = gpu.upload(new Float32Array(B).fill(1), 'distill-ones');
  const tmp = gpu.alloc(1, 'distill-loss');
  // d/dW of (1/B)Σ‖W x + b − t‖² is (2/B)·Rᵀ·X; through W = w/√d it gains a factor 1/√d.
  const gScale = 2 / B;
  try {
    for (let step = 1; step <= cfg.steps; step++) {
      const x = batch.draw(gpu, stream, B, sigma, key, step);
      // R ← D(x; σ), then R ← x̃·wᵀ/√d + b − R: the residual of the linear model.
      teacher.denoise(gpu, x, B, sigma, r);
      const xin = center ? (axpbyRow(gpu, 1, x, -1, center, xc!, B, d), xc!) : x;
      gemm(gpu, { a: xin, b: w, c: r, m: B, n: d, k: d, transB: true, alpha: invSqrtD, beta: -1, bias: b, biasAxis: 'col' });
      if (step === 1 && cfg.init === 'mean') {
        // b ← the teacher's mean output on the first batch (the best bias for W = 0), then the residual again.
        gemm(gpu, { a: ones, b: r, c: b, m: 1, n: d, k: B, alpha: -1 / B });
        teacher.denoise(gpu, x, B, sigma, r);
        gemm(gpu, { a: xin, b: w, c: r, m: B, n: d, k: d, transB: true, alpha: invSqrtD, beta: -1, bias: b, biasAxis: 'col' });
      }
      const log = step % cfg.logEvery === 0 || step === cfg.steps || step === 1;
      const loss = log ? await meanSquaredNorm(gpu, r, B, d, tmp) : 0;
      gemm(gpu, { a: r, b: xin, c: gw, m: d, n: d, k: B, transA: true, alpha: gScale * invSqrtD });
      gemm(gpu, { a: ones, b: r, c: gb, m: 1, n: d, k: B, alpha: gScale });
      const rate = cfg.lrDecay === 'cosine' ? lr * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / cfg.steps)) : lr;
      adamStep(gpu, { param: w, grad: gw, m: mw, v: vw }, { step, lr: rate });
      adamStep(gpu, { param: b, grad: gb, m: mb, v: vb }, { step, lr: rate });
      if (log) {
        curve.steps.push(step);
        curve.loss.push(loss);
        if (!Number.isFinite(loss)) throw new Error(`distill: the loss at σ = ${sigma} is ${loss} at step ${step}; the teacher returned non-finite values or the learning rate ${lr} is too large`);
        hooks.onProgress?.(i, step, loss);
        if (tracker) {
          const e = await tracker.nmse(w, invSqrtD);
          curve.weightNmse!.push(e);
          hooks.onWeightNmse?.(i, step, e);
        }
      }
    }
    const W = gpu.alloc(d * d, 'W_L');
    scale(gpu, w, invSqrtD, W, d * d);
    if (!center) return { W, b };
    // b = b' − W·c for the centred parameterisation W(x − c) + b'.
    const bias = gpu.alloc(d, 'b_L');
    gemm(gpu, { a: center, b: W, c: bias, m: 1, n: d, k: d, transB: true, alpha: -1, bias: b });
    b.release();
    return { W, b: bias };
  } catch (e) {
    b.release();
    throw e;
  } finally {
    for (const t of [w, mw, vw, gw, mb, vb, gb, r, ones, tmp]) t.release();
    xc?.release();
    batch.release();
  }
}

/** The closed-form optimum of (9) at one σ from `samples` fresh noisy inputs. */
async function distillLstsq(gpu: Gpu, teacher: Denoiser, stream: ImageStream, cfg: DistillConfig, i: number, hooks: DistillHooks, curve: DistillCurve, tracker: WeightTracker | null, center: Float32Array): Promise<{ W: GpuBuffer; b: GpuBuffer }> {
  const d = teacher.d;
  const sigma = cfg.sigmas[i];
  const M = lstsqSamples(cfg, d);
  const B = cfg.batch;
  const key = philoxKey(cfg.seed, i);
  const batch = new NoisyBatch(gpu, B, d);
  const m = gpu.upload(center, 'lstsq-center');
  const xc = gpu.alloc(B * d, 'lstsq-centred');
  const t = gpu.alloc(B * d, 'lstsq-teacher');
  const ones = gpu.upload(new Float32Array(B).fill(1), 'lstsq-ones');
  const gxx = gpu.alloc(d * d, 'lstsq-Gxx');
  const gxt = gpu.alloc(d * d, 'lstsq-Gxt');
  const sx = gpu.alloc(d, 'lstsq-sx');
  const st = gpu.alloc(d, 'lstsq-st');
  // float64 sums on the host; the GPU sums up to FLUSH_ROWS rows in float32 between read-backs.
  const FLUSH_ROWS = Math.max(B, 1024);
  const A = new Float64Array(d * d);
  const C = new Float64Array(d * d);
  const Sx = new Float64Array(d);
  const St = new Float64Array(d);
  const add = async (dst: Float64Array, src: GpuBuffer, n: number) => {
    const v = await gpu.read(src, n);
    for (let k = 0; k < n; k++) dst[k] += v[k];
  };
  try {
    let done = 0;
    let pending = 0;
    for (let call = 0; done < M; call++) {
      const rows = Math.min(B, M - done);
      const x = batch.draw(gpu, stream, rows, sigma, key, call + 1);
      teacher.denoise(gpu, x, rows, sigma, t);
      axpbyRow(gpu, 1, x, -1, m, xc, rows, d);
      const beta = pending > 0 ? 1 : 0;
      // Σ x̃x̃ᵀ, Σ x̃tᵀ (d×d) and Σ x̃, Σ t (d), x̃ = x − m.
      gemm(gpu, { a: xc, b: xc, c: gxx, m: d, n: d, k: rows, transA: true, beta });
      gemm(gpu, { a: xc, b: t, c: gxt, m: d, n: d, k: rows, transA: true, beta });
      gemm(gpu, { a: ones, b: xc, c: sx, m: 1, n: d, k: rows, beta });
      gemm(gpu, { a: ones, b: t, c: st, m: 1, n: d, k: rows, beta });
      done += rows;
      pending += rows;
      if (pending >= FLUSH_ROWS || done === M) {
        await add(A, gxx, d * d);
        await add(C, gxt, d * d);
        await add(Sx, sx, d);
        await add(St, st, d);
        pending = 0;
        hooks.onSamples?.(i, done, M);
      }
    }
    // Covariances of the centred inputs: A = E[x̃x̃ᵀ] − E[x̃]E[x̃]ᵀ, C = E[x̃tᵀ] − E[x̃]E[t]ᵀ; then A·Wᵀ = C.
    for (let k = 0; k < d; k++) {
      Sx[k] /= M;
      St[k] /= M;
    }
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) {
        A[r * d + c] = A[r * d + c] / M - Sx[r] * Sx[c];
        C[r * d + c] = C[r * d + c] / M - Sx[r] * St[c];
      }
    }
    choleskySolve(A, C, d, d); // C ← Wᵀ
    const Wt = new Float32Array(d * d);
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) Wt[r * d + c] = C[c * d + r];
    // b = E[t] − W·E[x], E[x] = E[x̃] + m.
    const bias = new Float32Array(d);
    for (let r = 0; r < d; r++) {
      let s = St[r];
      for (let c = 0; c < d; c++) s -= C[c * d + r] * (Sx[c] + center[c]);
      bias[r] = s;
    }
    const W = gpu.upload(Wt, 'W_L');
    const b = gpu.upload(bias, 'b_L');
    // The loss of the solution on one fresh batch.
    const rows = Math.min(B, M);
    const x = batch.draw(gpu, stream, rows, sigma, key, 0);
    teacher.denoise(gpu, x, rows, sigma, t);
    gemm(gpu, { a: x, b: W, c: t, m: rows, n: d, k: d, transB: true, beta: -1, bias: b, biasAxis: 'col' });
    const loss = await meanSquaredNorm(gpu, t, rows, d, sx);
    curve.steps.push(M);
    curve.loss.push(loss);
    hooks.onProgress?.(i, M, loss);
    if (tracker) {
      const e = await tracker.nmse(W, 1);
      curve.weightNmse!.push(e);
      hooks.onWeightNmse?.(i, M, e);
    }
    return { W, b };
  } finally {
    for (const buf of [m, xc, t, ones, gxx, gxt, sx, st]) buf.release();
    batch.release();
  }
}

/**
 * Distils a teacher denoiser into one linear model per σ (eq 8) on the n×d clean `images` (held-out
 * images in the paper). `cfg` is completed from DISTILL_DEFAULTS and validated.
 */
export async function distillLinear(gpu: Gpu, teacher: Denoiser, images: Float32Array, n: number, cfgIn: Partial<DistillConfig> = {}, hooks: DistillHooks = {}): Promise<DistillResult> {
  const cfg = resolveDistillConfig(cfgIn);
  const d = teacher.d;
  if (images.length < n * d) throw new Error(`distill: images hold ${images.length} values, fewer than n·d = ${n}·${d}`);
  const maxD = Math.floor(Math.sqrt(gpu.limits.maxStorageBufferBindingSize / 4));
  if (d > maxD) throw new Error(`distill: W is ${d}×${d}, over this device's storage binding limit (d ≤ ${maxD}); use smaller images (e.g. ?resize=)`);
  if (hooks.reference && hooks.reference.d !== d) throw new Error(`distill: the reference model has d = ${hooks.reference.d}, the teacher d = ${d}`);
  const refIdx = hooks.reference ? cfg.sigmas.map((s) => referenceIndex(hooks.reference!, s)) : null;
  // The clean images' mean c: lstsq always centres its Gram matrices on it; adam with cfg.center.
  const center = new Float32Array(d);
  const acc = new Float64Array(d);
  for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) acc[j] += images[k * d + j];
  for (let j = 0; j < d; j++) center[j] = acc[j] / n;
  const centerGpu = cfg.method === 'adam' && cfg.center ? gpu.upload(center, 'distill-center') : null;
  const model: LinearModel = { d, sigmas: [...cfg.sigmas], W: [], b: [], imageShape: hooks.imageShape ?? null };
  const curves: DistillCurve[] = [];
  try {
    for (let i = 0; i < cfg.sigmas.length; i++) {
      const t0 = performance.now();
      const stream = new ImageStream(images, n, d, cfg.seed * 4096 + i);
      const curve: DistillCurve = { sigma: cfg.sigmas[i], lr: cfg.method === 'adam' ? learningRateAt(cfg, i) : null, steps: [], loss: [], seconds: 0 };
      if (refIdx) curve.weightNmse = [];
      const tracker = refIdx ? new WeightTracker(gpu, hooks.reference!.W[refIdx[i]], d) : null;
      try {
        await tracker?.init();
        const r = cfg.method === 'adam' ? await distillAdam(gpu, teacher, stream, cfg, i, hooks, curve, tracker, centerGpu) : await distillLstsq(gpu, teacher, stream, cfg, i, hooks, curve, tracker, center);
        model.W.push(r.W);
        model.b.push(r.b);
      } finally {
        tracker?.release();
      }
      await gpu.sync();
      curve.seconds = (performance.now() - t0) / 1000;
      curves.push(curve);
    }
  } catch (e) {
    for (const t of [...model.W, ...model.b]) t.release();
    throw e;
  } finally {
    centerGpu?.release();
  }
  return { model, curves };
}
