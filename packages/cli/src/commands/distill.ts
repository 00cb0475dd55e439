// gausslens distill: linear distillation (Algorithm 1) of any denoiser into D_L(x; σ) = W_σ x + b_σ
// (eq 8), one model per σ, on held-out images with fresh noise every batch; or the closed-form
// least-squares solve. Writes <out>.safetensors (usable as --denoiser linear:<out>) and a JSON
// sidecar <out>.json with the resolved config, loss curves and timings.
import { Command } from 'commander';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { getDevice } from '@gausslens/kernels';
import {
  loadDataset, openDenoiser, distillLinear, resolveDistillConfig, saveLinearModel, writeLinearModelSidecar, releaseLinearModel, gaussianLinearModel, structureFor,
  releaseStructure, scoreFieldError, LinearDenoiser, GaussianDenoiser, lstsqSamples, linearModelSidecar, imageShapeOf, parseDenoiserSpec, DISTILL_DEFAULTS, DENOISER_FORMS,
  type DistillConfig, type DistillCurve, type LinearModel, type GaussianStructure,
} from '@gausslens/core';
import { phase, progress } from '../util/progress.ts';
import { numberFlag } from '../util/run.ts';

export interface DistillCommandConfig {
  teacher: string; // the denoiser to distil: gaussian | multi-delta | linear:<file> | network:<ckpt>
  data: string; // training set the teacher is built from; its held-out images (?held-out=K) are the distillation images
  images: 'held-out' | 'train'; // which images the noisy inputs are made from (the paper: held-out)
  reference: 'none' | 'gaussian'; // track ‖W_σ − W_G‖_F/‖W_G‖_F and report RMSE(D_L, D_G) against the data's Gaussian denoiser
  out: string; // the model file (.safetensors); the sidecar is <out without .safetensors>.json
  cache: string; // where Gaussian structures are kept ('' for none)
  distill: DistillConfig; // Algorithm 1 / least-squares settings (core DistillConfig)
}

export interface DistillSummary {
  sigma: number;
  loss: number; // last recorded loss (1/B)·Σ‖D_L(x) − D(x)‖²
  weightNmse?: number; // last ‖W_σ − W_G‖_F/‖W_G‖_F (with --reference gaussian)
  rmseGaussian?: number; // RMSE(D_L, D_G) on 256 held-out noisy inputs (eq 10; with --reference gaussian)
  seconds: number;
}

function numberList(name: string, v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (!parts.length || parts.some((p) => p === '')) throw new Error(`--${name} must be a comma-separated list of numbers, got '${v}'`);
  return parts.map((p) => numberFlag(name, p, { positive: true }));
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new Error(`--${name} must be ${allowed.join(' or ')}, got '${v}'`);
  return v as T;
}

/** Flags → a validated config (one-line errors naming the flag). */
export function resolveDistillCommand(o: Record<string, string | boolean | undefined>): DistillCommandConfig {
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  if (!str('teacher')) throw new Error(`--teacher is required: ${DENOISER_FORMS}`);
  parseDenoiserSpec(str('teacher')!);
  if (!str('data')) throw new Error("--data is required: a data spec with held-out images, e.g. 'mnist:1000?resize=16&held-out=500'");
  if (!str('out')) throw new Error('--out is required: the model file to write, e.g. runs/distill/linear.safetensors');
  if (!str('out')!.endsWith('.safetensors')) throw new Error(`--out must end in .safetensors, got '${str('out')}'`);
  const partial: Partial<DistillConfig> = {};
  const sig = str('sigmas');
  if (sig !== undefined && sig !== 'paper') partial.sigmas = numberList('sigmas', sig);
  if (str('method') !== undefined) partial.method = oneOf('method', str('method')!, ['adam', 'lstsq'] as const);
  if (str('steps') !== undefined) partial.steps = numberFlag('steps', str('steps')!, { integer: true, min: 1 });
  if (str('batch') !== undefined) partial.batch = numberFlag('batch', str('batch')!, { integer: true, min: 1 });
  const lr = str('lr');
  if (lr !== undefined) partial.lr = lr === 'paper' || lr === 'tuned' ? lr : numberList('lr', lr);
  if (str('lrScale') !== undefined) partial.lrScale = numberFlag('lr-scale', str('lrScale')!, { positive: true });
  if (str('lrDecay') !== undefined) partial.lrDecay = oneOf('lr-decay', str('lrDecay')!, ['none', 'cosine'] as const);
  if (str('init') !== undefined) partial.init = oneOf('init', str('init')!, ['zero', 'mean'] as const);
  if (o.center === false) partial.center = false;
  if (str('samples') !== undefined) partial.samples = numberFlag('samples', str('samples')!, { integer: true, min: 0 });
  if (str('seed') !== undefined) partial.seed = numberFlag('seed', str('seed')!, { integer: true, min: 0 });
  if (str('logEvery') !== undefined) partial.logEvery = numberFlag('log-every', str('logEvery')!, { integer: true, min: 1 });
  return {
    teacher: str('teacher')!,
    data: str('data')!,
    images: oneOf('images', str('images') ?? 'held-out', ['held-out', 'train'] as const),
    reference: oneOf('reference', str('reference') ?? 'none', ['none', 'gaussian'] as const),
    out: str('out')!,
    cache: str('cache') ?? 'runs/cache',
    distill: resolveDistillConfig(partial),
  };
}

export async function runDistill(cfg: DistillCommandConfig): Promise<{ summary: DistillSummary[]; curves: DistillCurve[]; seconds: number }> {
  const t0 = performance.now();
  phase(`loading ${cfg.data}`);
  const ds = await loadDataset(cfg.data);
  let images: Float32Array;
  let n: number;
  if (cfg.images === 'held-out') {
    if (!ds.heldOut) throw new Error(`data spec '${cfg.data}' holds no images out: add ?held-out=K (e.g. '${cfg.data}${cfg.data.includes('?') ? '&' : '?'}held-out=500') or pass --images train`);
    images = ds.heldOut;
    n = ds.heldOut.length / ds.d;
  } else {
    images = ds.images;
    n = ds.n;
  }
  const d = ds.d;
  const gpu = await getDevice();
  const opened = await openDenoiser(cfg.teacher, { gpu, data: ds, cacheDir: cfg.cache || null, onPhase: phase });
  let structure: GaussianStructure | null = null;
  let ownStructure = false;
  let WG: LinearModel | null = null;
  let model: LinearModel | null = null;
  try {
    if (cfg.reference === 'gaussian') {
      structure = opened.structure ?? null;
      if (!structure) {
        structure = (await structureFor(gpu, ds, cfg.cache || null, { onPhase: phase })).structure;
        ownStructure = true;
      }
      WG = gaussianLinearModel(gpu, structure, cfg.distill.sigmas);
    }
    const dc = cfg.distill;
    const perSigma = dc.method === 'adam' ? dc.steps : lstsqSamples(dc, d);
    phase(`distilling ${cfg.teacher} on ${n} ${cfg.images} images of d = ${d}: ${dc.method}, ${dc.sigmas.length} σ × ${perSigma} ${dc.method === 'adam' ? `steps of ${dc.batch}` : 'samples'}`);
    const bar = progress('distill', dc.sigmas.length * perSigma, dc.method === 'adam' ? 'steps' : 'samples');
    let last = 0;
    const tick = (i: number, done: number, fields: Record<string, string>) => {
      const at = i * perSigma + done;
      bar.tick(at - last, fields);
      last = at;
    };
    const result = await distillLinear(gpu, opened.denoiser, images, n, dc, {
      reference: WG ?? undefined,
      imageShape: imageShapeOf(ds),
      onProgress: (i, step, loss) => dc.method === 'adam' && tick(i, step, { σ: dc.sigmas[i].toPrecision(3), loss: loss.toExponential(2) }),
      onSamples: (i, done) => tick(i, done, { σ: dc.sigmas[i].toPrecision(3) }),
    });
    bar.stop();
    model = result.model;
    const summary: DistillSummary[] = result.curves.map((c) => ({ sigma: c.sigma, loss: c.loss.at(-1)!, ...(c.weightNmse ? { weightNmse: c.weightNmse.at(-1)! } : {}), seconds: c.seconds }));
    if (WG && structure) {
      const L = new LinearDenoiser(gpu, model);
      const G = opened.denoiser instanceof GaussianDenoiser ? opened.denoiser : new GaussianDenoiser(gpu, structure);
      for (const s of summary) s.rmseGaussian = (await scoreFieldError(gpu, L, G, images, n, s.sigma, { samples: 256, seed: dc.seed })).rmse;
      if (G !== opened.denoiser) G.release();
    }
    const seconds = (performance.now() - t0) / 1000;
    mkdirSync(dirname(cfg.out), { recursive: true });
    await saveLinearModel(cfg.out, gpu, model, { teacher: cfg.teacher, data: ds.spec, images: cfg.images, method: dc.method });
    writeLinearModelSidecar(cfg.out, { config: cfg, data: { spec: ds.spec, n: ds.n, d, distillImages: n }, summary, curves: result.curves, seconds });
    phase(`wrote ${cfg.out} and ${linearModelSidecar(cfg.out)} (${seconds.toFixed(1)} s)`);
    return { summary, curves: result.curves, seconds };
  } finally {
    if (model) releaseLinearModel(model);
    if (WG) releaseLinearModel(WG);
    if (ownStructure && structure) releaseStructure(structure);
    opened.close();
  }
}

export function distillCommand(): Command {
  const D = DISTILL_DEFAULTS;
  return new Command('distill')
    .description('distil a denoiser into linear models D_L(x; σ) = W_σ x + b_σ (Algorithm 1, or least squares); use the result as --denoiser linear:<file>')
    .option('--teacher <denoiser>', `the denoiser to distil: ${DENOISER_FORMS}`)
    .option('--data <spec>', "its training set, with held-out images for distillation, e.g. 'mnist:1000?resize=16&held-out=500'")
    .option('--out <file.safetensors>', 'the model file (a JSON sidecar with config, curves and timings goes beside it)')
    .option('--sigmas <list>', "noise levels, comma-separated, or 'paper' (the paper's ten)", 'paper')
    .option('--method <m>', 'adam (Algorithm 1) | lstsq (closed-form least squares)', D.method)
    .option('--steps <n>', 'adam: steps per σ', String(D.steps))
    .option('--batch <n>', 'images per step (adam) or per teacher call (lstsq)', String(D.batch))
    .option('--lr <lr>', "adam: 'tuned' (0.06/σ in [1.5e-3, 0.5]), 'paper' (the reference code's), one rate, or one per σ", D.lr)
    .option('--lr-scale <x>', 'adam: multiplies the learning rates', String(D.lrScale))
    .option('--lr-decay <d>', 'adam: none | cosine', D.lrDecay)
    .option('--init <i>', 'adam: zero (Algorithm 1) | mean (b starts at the teacher’s mean output)', D.init)
    .option('--no-center', 'adam: fit W x + b directly (Algorithm 1 as written) instead of W(x − mean) + b′')
    .option('--samples <n>', 'lstsq: noisy samples per σ (0: 8·(d + 1), at least 2048)', String(D.samples))
    .option('--seed <s>', 'image order and noise seed', String(D.seed))
    .option('--log-every <n>', 'adam: steps between recorded losses', String(D.logEvery))
    .option('--images <which>', 'held-out | train: the clean images of the noisy inputs', 'held-out')
    .option('--reference <r>', "none | gaussian: track the weight NMSE to W_G and report RMSE(D_L, D_G)", 'none')
    .option('--cache <dir>', "where Gaussian structures are kept ('' for none)", 'runs/cache')
    .option('--dry-run', 'print the resolved config and exit')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const cfg = resolveDistillCommand(o);
      if (o.dryRun) {
        process.stdout.write(`${JSON.stringify(cfg, null, 2)}\n`);
        return;
      }
      const r = await runDistill(cfg);
      process.stdout.write(`${JSON.stringify({ out: cfg.out, seconds: +r.seconds.toFixed(1), sigmas: r.summary }, null, 2)}\n`);
    });
}
