// gausslens start (`npm start`): the study on the embedded MNIST digits. It builds the Gaussian
// structure, samples with the Gaussian and multi-delta denoisers from the same noise, finds each
// sample's nearest training image and writes report.html + report.json.
import { Command } from 'commander';
import { join } from 'node:path';
import { getDevice } from '@gausslens/kernels';
import { loadDataset, structureFor, GaussianDenoiser, MultiDeltaDenoiser, uploadTrainingSet, releaseStructure, generalisation, writeImageGrid, linePlotSvg, writePlot, renderReport, writeFileAtomic, PAPER_SIGMAS, type ReportSection, type NeighbourResult } from '@gausslens/core';
import { phase } from '../util/progress.ts';
import { runDir, writeConfig, writeJson, numberFlag } from '../util/run.ts';
import { startingNoise, generate, pairsWithNeighbours, type SamplerName } from './sample.ts';
import { runNetworkStudy, NETWORK_STUDY_DEFAULTS } from '../study/network_study.ts';
import { rmseOf } from '../study/measure.ts';

export interface StudyConfig {
  data: string; // training set (the embedded MNIST digits by default)
  out: string; // run directory
  count: number; // samples a denoiser
  seed: number; // Philox seed of the shared starting noise
  sampler: Exclude<SamplerName, 'closed-form'>; // step sampler for both denoisers
  steps: number; // noise levels (10: the paper's list)
  cache: string; // where Gaussian structures are kept
  networkStudy: boolean; // also study the shipped trained networks (analyze: Figs. 1–4; data-set size: Fig. 6)
  sweep: string; // the data-set-size sweep spec of those networks (its last cell is analyzed)
  checkpoints: string; // where they are shipped: <dir>/<sweep name>/<cell id>/checkpoint.safetensors
}

export const STUDY_DEFAULTS: StudyConfig = { data: 'mnist', out: 'runs/study', count: 64, seed: 0, sampler: 'euler', steps: 10, cache: 'runs/cache', networkStudy: true, sweep: NETWORK_STUDY_DEFAULTS.sweep, checkpoints: NETWORK_STUDY_DEFAULTS.checkpointsDir };

interface DenoiserResult {
  name: string;
  gl: number;
  glMin: number;
  glMax: number;
  grid: string;
}

export async function runStudy(cfg: StudyConfig): Promise<{ reportHtml: string; report: Record<string, unknown> }> {
  const t0 = performance.now();
  const dir = runDir(cfg.out);
  writeConfig(dir, cfg);
  phase(`loading ${cfg.data}`);
  const ds = await loadDataset(cfg.data);
  if (!ds.imageShape) throw new Error(`${cfg.data}: the study needs images of a known shape`);
  const gpu = await getDevice();
  const shape = { c: ds.c, h: ds.h, w: ds.w };
  const scale = ds.h < 48 ? 2 : 1;

  phase('Gaussian structure (mean, covariance, eigendecomposition)');
  const { structure, meta, cached } = await structureFor(gpu, ds, cfg.cache || null, { onPhase: phase });
  const lam = Array.from(structure.eigenvalues);
  const eigenImages = new Float32Array(32 * ds.d);
  for (let i = 0; i < Math.min(32, structure.rank); i++) {
    const u = structure.host.U.subarray(i * ds.d, (i + 1) * ds.d);
    const m = Math.max(1e-12, ...Array.from(u, Math.abs));
    for (let j = 0; j < ds.d; j++) eigenImages[i * ds.d + j] = u[j] / m;
  }
  await writeImageGrid(join(dir, 'eigen-images.png'), eigenImages, { n: Math.min(32, structure.rank), ...shape }, { cols: 8, scale });
  await writeImageGrid(join(dir, 'mean.png'), structure.host.mean, { n: 1, ...shape }, { scale: 4 });
  const spectrumSvg = linePlotSvg([{ name: 'λ_k', x: lam.map((_, i) => i + 1), y: lam }], { title: `Covariance spectrum of ${ds.spec} (N = ${ds.n}, d = ${ds.d})`, xLabel: 'k', yLabel: 'eigenvalue λ_k', logX: true, logY: true, legend: 'none' });
  await writePlot(join(dir, 'spectrum'), spectrumSvg);

  const gaussian = new GaussianDenoiser(gpu, structure);
  const train = uploadTrainingSet(gpu, ds);
  const multiDelta = new MultiDeltaDenoiser(train, ds.n, ds.d);
  const { xT, count } = await startingNoise(gpu, { noise: null, seed: cfg.seed, count: cfg.count, sigmaMax: 80 }, ds.d);

  const runs: { name: string; file: string; x: Float32Array; nn?: NeighbourResult }[] = [];
  phase(`sampling ${count} images with D_G (${cfg.sampler}, ${cfg.steps} steps)`);
  runs.push({ name: `Gaussian D_G, ${cfg.sampler}`, file: 'samples-gaussian', x: await generate(gpu, gaussian, cfg.sampler, xT, count, cfg.steps, 80, 'D_G') });
  phase('closed-form Gaussian trajectory (eq 7)');
  runs.push({ name: 'Gaussian, closed form (eq 7)', file: 'samples-gaussian-closed-form', x: await generate(gpu, gaussian, 'closed-form', xT, count, cfg.steps, 80) });
  phase(`sampling ${count} images with D_M (${cfg.sampler}, ${cfg.steps} steps)`);
  runs.push({ name: `multi-delta D_M, ${cfg.sampler}`, file: 'samples-multi-delta', x: await generate(gpu, multiDelta, cfg.sampler, xT, count, cfg.steps, 80, 'D_M') });
  xT.release();

  const results: DenoiserResult[] = [];
  for (const r of runs) {
    phase(`nearest training images of ${r.name}`);
    r.nn = await generalisation(gpu, r.x, ds.images, count, ds.n, ds.d);
    await writeImageGrid(join(dir, `${r.file}.png`), r.x, { n: count, ...shape }, { cols: 8, scale });
    await writeImageGrid(join(dir, `${r.file}-nn.png`), pairsWithNeighbours(r.x, ds, r.nn), { n: 2 * count, ...shape }, { cols: 16, scale });
    const ratios = Array.from(r.nn.ratios);
    results.push({ name: r.name, gl: r.nn.gl, glMin: Math.min(...ratios), glMax: Math.max(...ratios), grid: `${r.file}.png` });
  }
  const gap = { gaussianVsClosedForm: rmseOf(runs[0].x, runs[1].x), gaussianVsMultiDelta: rmseOf(runs[0].x, runs[2].x) };
  gaussian.release();
  releaseStructure(structure);
  train.release();

  let network: Awaited<ReturnType<typeof runNetworkStudy>> | null = null;
  if (cfg.networkStudy) network = await runNetworkStudy(dir, { ...NETWORK_STUDY_DEFAULTS, sweep: cfg.sweep, checkpointsDir: cfg.checkpoints }, cfg.cache);

  const seconds = (performance.now() - t0) / 1000;
  const report = {
    config: cfg,
    data: { spec: ds.spec, n: ds.n, d: ds.d, imageShape: [ds.c, ds.h, ds.w] },
    gaussian: { rank: structure.rank, route: meta.route, buildSeconds: meta.seconds, cached, topEigenvalues: lam.slice(0, 10) },
    sigmas: cfg.steps === 10 ? PAPER_SIGMAS : undefined,
    samples: results,
    rmseBetweenSamples: gap,
    network: network?.summary ?? null,
    seconds,
  };
  const sections: ReportSection[] = [
    {
      title: 'The Gaussian structure of the training set',
      blocks: [
        { kind: 'text', html: `μ and Σ = (1/N)Σ(y_i − μ)(y_i − μ)ᵀ of ${ds.n} images of d = ${ds.d} pixels, eigendecomposed on the GPU by parallel Jacobi (${meta.route} route; rank ${structure.rank}).` },
        { kind: 'image', src: 'mean.png', caption: 'The mean image μ.' },
        { kind: 'image', src: 'eigen-images.png', caption: 'The top 32 eigenvectors of Σ (eigen-images), each scaled to its largest magnitude: the directions D_G keeps at low noise.' },
        { kind: 'svg', svg: spectrumSvg, caption: 'The covariance spectrum λ_k (log–log): a few hundred directions carry almost all the variance.' },
      ],
    },
    {
      title: 'Samples from the same noise',
      blocks: [
        { kind: 'text', html: `${count} images from the same seeded noise x_T = 80·n (seed ${cfg.seed}), ${cfg.sampler} sampler with the ρ = 7 schedule (${cfg.steps} steps${cfg.steps === 10 ? ': the paper’s σ list' : ''}). The Gaussian denoiser D_G (eq 6) is the Wiener filter of μ and Σ; the multi-delta denoiser D_M (eq 5) is the exact optimum for the training set, a softmax over the training images.` },
        ...results.map((r) => ({ kind: 'image' as const, src: r.grid, caption: `${r.name}: GL = ${r.gl.toFixed(3)}.` })),
        { kind: 'text', html: `RMSE between the D_G Euler samples and the closed-form trajectory: ${gap.gaussianVsClosedForm.toFixed(4)} (Euler's discretisation error); between D_G and D_M samples: ${gap.gaussianVsMultiDelta.toFixed(4)}.` },
      ],
    },
    {
      title: 'Memorisation: each sample beside its nearest training image',
      blocks: [
        ...runs.map((r) => ({ kind: 'image' as const, src: `${r.file}-nn.png`, caption: `${r.name}: pairs (sample, nearest training image by Euclidean distance).` })),
        {
          kind: 'table',
          head: ['denoiser', 'GL (eq 14)', 'min ratio', 'max ratio'],
          rows: results.map((r) => [r.name, r.gl, r.glMin, r.glMax]),
          caption: 'GL = mean over samples of ‖x − NN(x)‖/‖x‖. Near 0: the sampler replays training images (D_M memorises); above ~0.6 it makes new images (the paper’s threshold for generalisation).',
        },
      ],
    },
  ];
  if (network) sections.push(...network.sections);
  const html = renderReport('gausslens: the hidden Gaussian structure of diffusion models, on MNIST', `Reproducing the first observation of Li, Dai &amp; Qu (NeurIPS 2024): the empirical optimal denoiser only replays training images, while the Gaussian denoiser built from the same training set makes new, smooth digits. Run finished in ${seconds.toFixed(0)} s.`, sections);
  await writeFileAtomic(join(dir, 'report.html'), html);
  writeJson(join(dir, 'report.json'), report);
  return { reportHtml: join(dir, 'report.html'), report };
}

export function startCommand(): Command {
  return new Command('start')
    .description('the main study on the embedded MNIST digits: Gaussian vs multi-delta denoiser, report.html')
    .option('--data <spec>', 'training set', STUDY_DEFAULTS.data)
    .option('--out <dir>', 'run directory', STUDY_DEFAULTS.out)
    .option('--count <n>', 'samples a denoiser', String(STUDY_DEFAULTS.count))
    .option('--seed <n>', 'seed of the shared noise', String(STUDY_DEFAULTS.seed))
    .option('--sampler <name>', 'euler | heun', STUDY_DEFAULTS.sampler)
    .option('--steps <n>', 'noise levels', String(STUDY_DEFAULTS.steps))
    .option('--cache <dir>', "where Gaussian structures are kept ('' for none)", STUDY_DEFAULTS.cache)
    .option('--no-network-study', 'skip the shipped trained networks (analyze, data-set-size sweep)')
    .option('--sweep <spec>', 'data-set-size sweep of the shipped networks', STUDY_DEFAULTS.sweep)
    .option('--checkpoints <dir>', 'where its cells are shipped (<dir>/<name>/<cell>/checkpoint.safetensors)', STUDY_DEFAULTS.checkpoints)
    .action(async (o) => {
      if (!['euler', 'heun'].includes(o.sampler)) throw new Error(`--sampler must be euler or heun, got '${o.sampler}'`);
      const cfg: StudyConfig = { data: o.data, out: o.out, count: numberFlag('count', o.count, { integer: true, min: 1 }), seed: numberFlag('seed', o.seed, { integer: true, min: 0 }), sampler: o.sampler, steps: numberFlag('steps', o.steps, { integer: true, min: 1 }), cache: o.cache, networkStudy: o.networkStudy !== false, sweep: o.sweep, checkpoints: o.checkpoints };
      const r = await runStudy(cfg);
      process.stdout.write(`${JSON.stringify((r.report as { samples: unknown }).samples, null, 2)}\nreport: ${r.reportHtml}\n`);
    });
}
