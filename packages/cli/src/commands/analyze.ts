// gausslens analyze --network <checkpoint>: the paper's Figures 1–4 for one trained model —
// Fig. 1: samples from the same noise by D_θ, D_L, D_G, D_M; Fig. 2: the linearity score of D_θ over σ
// (α sweep); Fig. 3: RMSE of D_L, D_G, D_M against D_θ and of D_L against D_G (eq 10); Fig. 4: the
// weight NMSE ‖W_σ − W_G‖/‖W_G‖ during distillation (Algorithm 1) and the singular-vector alignment
// |V_Lᵀ V_G|. Writes report.html (plots as PNG images) and report.json with every number.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { getDevice, type Gpu } from '@gausslens/kernels';
import {
  loadDataset, loadNetwork, openDenoiser, scoreFieldError, linearityScore, generalisation, distillLinear, resolveDistillConfig, gaussianLinearModel, LinearDenoiser, saveLinearModel,
  releaseLinearModel, lstsqSamples, weightNmse, singularAlignment, alignmentHeatmapPng, linePlotSvg, writePlot, writeImageGrid, renderReport, writeFileAtomic, PAPER_SIGMAS, type Block, type Denoiser, type ReportSection, type PlotSeries,
} from '@gausslens/core';
import { phase } from '../util/progress.ts';
import { runDir, writeConfig, writeJson, numberFlag, slug } from '../util/run.ts';
import { evalSet, sampleSide, rmseOf } from '../study/measure.ts';

export interface AnalyzeConfig {
  network: string; // the trained checkpoint D_θ (EMA weights)
  data: string; // its training set ('' → the `data` of the checkpoint's config.json); held-out images (?held-out=K) feed the metrics and distillation
  out: string; // run directory ('' → runs/analyze-<checkpoint's run name>)
  sigmas: number[]; // noise levels (the paper's 10)
  alphas: number[]; // α of the linearity sweep (β = √(1 − α²)); 1/√2 is the main text's
  samples: number; // noisy held-out images per σ for the RMSE curves (eq 10)
  pairs: number; // pairs per σ for each linearity score
  generate: number; // images generated from shared noise per denoiser (Fig. 1)
  distillMethod: 'adam' | 'lstsq'; // Algorithm 1 by Adam, or the closed-form least-squares solve of (9) (its unique optimum)
  distillSteps: number; // adam: steps per σ of Algorithm 1
  distillBatch: number; // images per distillation step or teacher call (fresh noise each)
  distillSamples: number; // lstsq: noisy samples per σ (0: 8·(d + 1), at least 2048)
  alignK: number; // top-k singular vectors in the alignment maps (the paper: 100)
  seed: number; // Philox seed of every noise draw
  cache: string; // where Gaussian structures are kept ('' for none)
}

export const ANALYZE_DEFAULTS: AnalyzeConfig = {
  network: '',
  data: '',
  out: '',
  sigmas: [...PAPER_SIGMAS],
  alphas: [0.25, 0.5, Math.SQRT1_2, 0.9],
  samples: 64,
  pairs: 32,
  generate: 16,
  distillMethod: 'lstsq',
  distillSteps: 1000,
  distillBatch: 64,
  distillSamples: 0,
  alignK: 32,
  seed: 0,
  cache: 'runs/cache',
};

/** The training data of a checkpoint, from the config.json beside it. */
function dataOfCheckpoint(ckpt: string): string {
  const f = join(dirname(ckpt), 'config.json');
  if (!existsSync(f)) throw new Error(`--data is needed: ${f} does not exist to say what ${ckpt} was trained on`);
  const c = JSON.parse(readFileSync(f, 'utf8')) as { train?: { data?: string } };
  if (!c.train?.data) throw new Error(`--data is needed: ${f} has no train.data`);
  return c.train.data;
}

export function resolveAnalyzeConfig(p: Partial<AnalyzeConfig>): AnalyzeConfig {
  const c = { ...ANALYZE_DEFAULTS, ...p };
  if (!c.network) throw new Error('--network <checkpoint.safetensors> is required');
  if (!existsSync(c.network)) throw new Error(`--network ${c.network}: no such file (train one with \`gausslens train\`)`);
  if (!c.data) c.data = dataOfCheckpoint(c.network);
  if (!c.out) c.out = join('runs', `analyze-${slug(basename(dirname(c.network)) || 'network')}`);
  if (!c.sigmas.length || !c.sigmas.every((s) => s > 0 && Number.isFinite(s))) throw new Error(`--sigmas must be positive numbers, got ${c.sigmas}`);
  if (!c.alphas.every((a) => a > 0 && a < 1)) throw new Error(`--alphas must lie in (0, 1), got ${c.alphas}`);
  if (!['adam', 'lstsq'].includes(c.distillMethod)) throw new Error(`--distill-method must be adam or lstsq, got '${c.distillMethod}'`);
  return c;
}

const gridScale = (h: number): number => (h < 24 ? 4 : h < 48 ? 2 : 1);

export async function runAnalyze(cfg: AnalyzeConfig): Promise<{ reportHtml: string; report: Record<string, unknown> }> {
  const t0 = performance.now();
  const dir = runDir(cfg.out);
  writeConfig(dir, cfg);
  const gpu: Gpu = await getDevice();
  const ds = await loadDataset(cfg.data);
  const ev = evalSet(ds);
  if (ev.from === 'training') phase(`warning: ${cfg.data} holds no images out (add ?held-out=K): metrics and distillation use training images`);
  const net = await loadNetwork(gpu, cfg.network);
  if (net.d !== ds.d) throw new Error(`${cfg.network}: the network takes d = ${net.d} values, ${cfg.data} has d = ${ds.d} (use the data spec it was trained on)`);
  const g = await openDenoiser('gaussian', { gpu, data: ds, cacheDir: cfg.cache || null, onPhase: phase });
  const m = await openDenoiser('multi-delta', { gpu, data: ds, cacheDir: null });
  const structure = g.structure!;
  const WG = gaussianLinearModel(gpu, structure, cfg.sigmas);

  // Fig. 4 (left) and D_L: Algorithm 1 with D_θ as the teacher, weight NMSE tracked against W_G.
  const distillCfg = resolveDistillConfig({ sigmas: cfg.sigmas, steps: cfg.distillSteps, batch: cfg.distillBatch, method: cfg.distillMethod, samples: cfg.distillSamples, seed: cfg.seed });
  phase(`distilling D_L from D_θ (${cfg.distillMethod === 'adam' ? `Adam, ${cfg.distillSteps} steps of ${cfg.distillBatch}` : `least squares, ${lstsqSamples(distillCfg, ds.d)} samples`} at each of ${cfg.sigmas.length} σ)`);
  const distilled = await distillLinear(gpu, net, ev.images, ev.n, distillCfg, {
    reference: WG,
    onProgress: (i, step, loss) => {
      if (step % 25 === 0 || step === cfg.distillSteps) phase(`  σ = ${cfg.sigmas[i]}: step ${step}/${cfg.distillSteps}, loss ${loss.toExponential(3)}`);
    },
  });
  const L = distilled.model;
  await saveLinearModel(join(dir, 'linear.safetensors'), gpu, L, { teacher: `network:${cfg.network}`, data: cfg.data });
  const linear = new LinearDenoiser(gpu, L);

  // Fig. 2 and 3: per σ.
  const perSigma: Record<string, number>[] = [];
  for (const [i, sigma] of cfg.sigmas.entries()) {
    phase(`σ = ${+sigma.toPrecision(4)} (${i + 1}/${cfg.sigmas.length}): RMSE curves, linearity, weights`);
    const seed = cfg.seed + 1000 * (i + 1);
    const err = (a: Denoiser, b: Denoiser) => scoreFieldError(gpu, a, b, ev.images, ev.n, sigma, { samples: cfg.samples, seed });
    const row: Record<string, number> = { sigma };
    for (const [k, a, b] of [['L_theta', linear, net], ['G_theta', g.denoiser, net], ['M_theta', m.denoiser, net], ['L_G', linear, g.denoiser]] as const) {
      const e = await err(b, a); // NMSE relative to the reference: D_θ (D_G for RMSE(D_L, D_G))
      row[`rmse_${k}`] = e.rmse;
      row[`nmse_${k}`] = e.nmse;
    }
    for (const alpha of cfg.alphas) row[`linearity_${alpha.toFixed(3)}`] = (await linearityScore(gpu, net, ev.images, ev.n, sigma, { pairs: cfg.pairs, alpha, seed })).cosine;
    // The paper's score compares D(αx₁+βx₂) with αD(x₁)+βD(x₂): an affine D = Wx + b is off by (1−α−β)b,
    // so the affine form (adding (1−α−β)D(0)) is reported too: exactly 1 for D_G and any D_L.
    row.linearity_affine = (await linearityScore(gpu, net, ev.images, ev.n, sigma, { pairs: cfg.pairs, seed, affine: true })).cosine;
    row.linearity_gaussian = (await linearityScore(gpu, g.denoiser, ev.images, ev.n, sigma, { pairs: cfg.pairs, seed })).cosine;
    row.linearity_gaussian_affine = (await linearityScore(gpu, g.denoiser, ev.images, ev.n, sigma, { pairs: cfg.pairs, seed, affine: true })).cosine;
    row.linearity_multi_delta = (await linearityScore(gpu, m.denoiser, ev.images, ev.n, sigma, { pairs: cfg.pairs, seed })).cosine;
    row.weight_nmse = await weightNmse(gpu, L.W[i], WG.W[i], ds.d);
    perSigma.push(row);
  }

  // Fig. 4 (right): alignment maps at three σ.
  const k = Math.min(cfg.alignK, ds.d);
  const alignSigmas = [...new Set([0, Math.floor(cfg.sigmas.length / 2), cfg.sigmas.length - 1].map((j) => cfg.sigmas[j]))].sort((a, b) => b - a);
  const alignment: { sigma: number; file: string; diagonal: number }[] = [];
  for (const sigma of alignSigmas) {
    const i = cfg.sigmas.indexOf(sigma);
    const a = await singularAlignment(gpu, L.W[i], WG.W[i], ds.d, k);
    const file = `alignment-sigma-${+sigma.toPrecision(3)}.png`;
    await writeFileAtomic(join(dir, file), alignmentHeatmapPng(a, k, Math.max(2, Math.floor(256 / k))));
    let diag = 0;
    for (let j = 0; j < k; j++) diag += a[j * k + j] / k;
    alignment.push({ sigma, file, diagonal: diag });
  }

  // Fig. 1: samples from the same noise.
  phase(`generating ${cfg.generate} images from shared noise with D_θ, D_L, D_G, D_M`);
  const names = ['D_θ (network)', 'D_L (distilled linear)', 'D_G (Gaussian)', 'D_M (multi-delta)'];
  const files = ['samples-network', 'samples-linear', 'samples-gaussian', 'samples-multi-delta'];
  const xs = await sampleSide(gpu, [net, linear, g.denoiser, m.denoiser], { generate: cfg.generate, seed: cfg.seed }, ds);
  const samples: { name: string; file: string; gl: number; rmseToNetwork: number }[] = [];
  for (const [j, x] of xs.entries()) {
    await writeImageGrid(join(dir, `${files[j]}.png`), x, { n: cfg.generate, c: ds.c, h: ds.h, w: ds.w }, { cols: 4, scale: gridScale(ds.h) });
    const nn = await generalisation(gpu, x, ds.images, cfg.generate, ds.n, ds.d);
    samples.push({ name: names[j], file: `${files[j]}.png`, gl: nn.gl, rmseToNetwork: rmseOf(x, xs[0]) });
  }

  // Plots.
  const sig = perSigma.map((r) => r.sigma);
  const col = (key: string) => perSigma.map((r) => r[key]);
  const plots: { file: string; svg: string; caption: string }[] = [
    {
      file: 'linearity',
      svg: linePlotSvg(
        [
          ...cfg.alphas.map((a): PlotSeries => ({ name: `D_θ, α = ${a.toFixed(2)}`, x: sig, y: col(`linearity_${a.toFixed(3)}`) })),
          { name: 'D_θ, affine form', x: sig, y: col('linearity_affine') },
          { name: 'D_G', x: sig, y: col('linearity_gaussian'), dashed: true },
          { name: 'D_M', x: sig, y: col('linearity_multi_delta'), dashed: true },
        ],
        { title: 'Linearity score (Fig. 2)', xLabel: 'σ', yLabel: 'E|cos(D(αx₁+βx₂), αD(x₁)+βD(x₂))|', logX: true },
      ),
      caption: 'Fig. 2: the cosine linearity score E|cos(D(αx₁+βx₂), αD(x₁)+βD(x₂))| of D_θ over σ for several α (β = √(1−α²)), and its affine form (adding (1−α−β)D(0), exactly 1 for any affine denoiser) at α = 1/√2. D_G is affine: its paper-form score dips only by its bias (1−α−β)b_G; D_M is far from linear at intermediate σ.',
    },
    {
      file: 'rmse',
      svg: linePlotSvg(
        [
          { name: 'RMSE(D_L, D_θ)', x: sig, y: col('rmse_L_theta') },
          { name: 'RMSE(D_G, D_θ)', x: sig, y: col('rmse_G_theta') },
          { name: 'RMSE(D_M, D_θ)', x: sig, y: col('rmse_M_theta') },
          { name: 'RMSE(D_L, D_G)', x: sig, y: col('rmse_L_G'), dashed: true },
        ],
        { title: 'Score-field approximation error (Fig. 3, eq 10)', xLabel: 'σ', yLabel: 'RMSE', logX: true },
      ),
      caption: 'Fig. 3: RMSE between denoisers over held-out images plus noise (eq 10). The paper: D_L and D_G track D_θ, D_M does not (≈ 0.3 in σ ∈ [0.1, 20]); D_L ≈ D_G at every σ.',
    },
    {
      file: 'weight-nmse',
      svg: linePlotSvg([{ name: '‖W_σ − W_G‖_F / ‖W_G‖_F', x: sig, y: col('weight_nmse') }], { title: 'Distilled weights vs the Gaussian denoiser’s (Fig. 4)', xLabel: 'σ', yLabel: 'weight NMSE', logX: true, logY: true, legend: 'none' }),
      caption: `Fig. 4: ‖W_σ − W_G‖_F/‖W_G‖_F of the linear model distilled from D_θ (${cfg.distillMethod === 'adam' ? 'Algorithm 1, Adam' : 'least squares, the optimum of (9)'}) against σ; 1 would mean no relation (W = 0), the paper finds < 0.2 for most σ.`,
    },
    ...(distilled.curves.some((c) => c.weightNmse?.length)
      ? [{
          file: 'weight-nmse-steps',
          svg: linePlotSvg(
            distilled.curves.filter((c) => c.weightNmse?.length).map((c): PlotSeries => ({ name: `σ = ${c.sigma}`, x: c.steps, y: c.weightNmse! })),
            { title: 'Weight NMSE during distillation (Fig. 4 left)', xLabel: 'Adam step', yLabel: '‖W_σ − W_G‖_F / ‖W_G‖_F', logY: true },
          ),
          caption: 'Fig. 4 (left): ‖W_σ − W_G‖_F/‖W_G‖_F while Algorithm 1 distils D_L from D_θ; 1 at W = 0. Falling curves: the network’s linear part is the Gaussian denoiser.',
        }]
      : []),
  ];
  for (const p of plots) await writePlot(join(dir, p.file), p.svg);

  const seconds = (performance.now() - t0) / 1000;
  const report = { config: cfg, data: { spec: ds.spec, n: ds.n, d: ds.d, evalImages: ev.from, evalCount: ev.n }, perSigma, distillation: distilled.curves, alignment, samples, seconds };
  const sections: ReportSection[] = [
    { title: 'Fig. 1: samples from the same noise', blocks: [...samples.map((s): Block => ({ kind: 'image', src: s.file, caption: `${s.name}: GL = ${s.gl.toFixed(3)}, RMSE to D_θ's samples ${s.rmseToNetwork.toFixed(4)}.` })), { kind: 'text', html: 'Euler sampler over the paper’s 10 σ from the same x_T = 80·n. A generalising network’s samples resemble the Gaussian and linear denoisers’ and not the multi-delta denoiser’s (which replays training images).' }] },
    { title: 'Fig. 2: how linear is the network?', blocks: [{ kind: 'image', src: 'linearity.png', caption: plots[0].caption }] },
    { title: 'Fig. 3: how close are the denoisers?', blocks: [{ kind: 'image', src: 'rmse.png', caption: plots[1].caption }, { kind: 'table', head: ['σ', 'RMSE(D_L,D_θ)', 'RMSE(D_G,D_θ)', 'RMSE(D_M,D_θ)', 'RMSE(D_L,D_G)', 'LS(D_θ) α=1/√2', 'weight NMSE'], rows: perSigma.map((r) => [r.sigma, r.rmse_L_theta, r.rmse_G_theta, r.rmse_M_theta, r.rmse_L_G, r[`linearity_${Math.SQRT1_2.toFixed(3)}`] ?? NaN, r.weight_nmse]) }] },
    {
      title: 'Fig. 4: the distilled weights are the Gaussian denoiser’s',
      blocks: [
        ...plots.slice(2).map((p): Block => ({ kind: 'image', src: `${p.file}.png`, caption: p.caption })),
        ...alignment.map((a): Block => ({ kind: 'image', src: a.file, caption: `Fig. 4 (right), σ = ${+a.sigma.toPrecision(3)}: |V_Lᵀ V_G| of the top ${k} singular vectors (bright diagonal = aligned; mean diagonal ${a.diagonal.toFixed(3)}).` })),
      ],
    },
  ];
  const title = `gausslens analyze: ${cfg.network}`;
  const intro = `The paper’s Figures 1–4 for one network, trained on ${ds.spec} (N = ${ds.n}, d = ${ds.d}); metrics over ${ev.n} ${ev.from} images. Finished in ${seconds.toFixed(0)} s.`;
  await writeFileAtomic(join(dir, 'report.html'), renderReport(title, intro, sections));
  writeJson(join(dir, 'report.json'), report);

  linear.release();
  releaseLinearModel(L);
  releaseLinearModel(WG);
  net.release();
  g.close();
  m.close();
  return { reportHtml: join(dir, 'report.html'), report };
}

const list = (name: string, v: string): number[] => v.split(',').map((s) => numberFlag(name, s.trim(), { positive: true }));

export function analyzeCommand(): Command {
  const d = ANALYZE_DEFAULTS;
  return new Command('analyze')
    .description("the paper's Figures 1–4 for one trained network: linearity, RMSE curves, samples, distilled weights (report.html + report.json)")
    .requiredOption('--network <checkpoint>', 'trained checkpoint (gausslens train)')
    .option('--data <spec>', "its training set (default: from the checkpoint's config.json); add ?held-out=K for held-out metrics", d.data)
    .option('--out <dir>', 'run directory (default runs/analyze-<run name>)', d.out)
    .option('--sigmas <list>', 'noise levels', d.sigmas.join(','))
    .option('--alphas <list>', 'α of the linearity sweep', d.alphas.map((a) => +a.toFixed(4)).join(','))
    .option('--samples <n>', 'noisy images per σ for the RMSE curves', String(d.samples))
    .option('--pairs <n>', 'pairs per σ for the linearity score', String(d.pairs))
    .option('--generate <n>', 'images generated per denoiser', String(d.generate))
    .option('--distill-method <m>', 'lstsq (the optimum of (9)) | adam (Algorithm 1)', d.distillMethod)
    .option('--distill-steps <n>', 'adam: steps per σ', String(d.distillSteps))
    .option('--distill-batch <n>', 'images per distillation step or teacher call', String(d.distillBatch))
    .option('--distill-samples <n>', 'lstsq: noisy samples per σ (0: 8·(d+1), at least 2048)', String(d.distillSamples))
    .option('--align-k <n>', 'singular vectors in the alignment maps', String(d.alignK))
    .option('--seed <n>', 'noise seed', String(d.seed))
    .option('--cache <dir>', "where Gaussian structures are kept ('' for none)", d.cache)
    .action(async (o) => {
      const int = (name: string, v: string) => numberFlag(name, v, { integer: true, min: 1 });
      const cfg = resolveAnalyzeConfig({
        network: o.network, data: o.data, out: o.out, sigmas: list('sigmas', o.sigmas), alphas: list('alphas', o.alphas), samples: int('samples', o.samples), pairs: int('pairs', o.pairs),
        generate: int('generate', o.generate), distillSteps: int('distill-steps', o.distillSteps), distillBatch: int('distill-batch', o.distillBatch), distillMethod: o.distillMethod, distillSamples: numberFlag('distill-samples', o.distillSamples, { integer: true, min: 0 }), alignK: int('align-k', o.alignK),
        seed: numberFlag('seed', o.seed, { integer: true, min: 0 }), cache: o.cache,
      });
      const r = await runAnalyze(cfg);
      process.stdout.write(`report: ${r.reportHtml}\n`);
    });
}
