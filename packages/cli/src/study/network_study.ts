// The trained-network half of `npm start`: `analyze` on the shipped MNIST checkpoint (the paper's
// Figs. 1–4) and the data-set-size sweep (Fig. 6) measured on the shipped checkpoints of its cells,
// which were trained by the committed sweep spec (so no training happens here unless they are gone).
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { ReportSection, Block } from '@gausslens/core';
import { phase } from '../util/progress.ts';
import { writeJson } from '../util/run.ts';
import { readSweepSpec, sweepCells } from './sweep_spec.ts';
import { runAnalyze, resolveAnalyzeConfig, type AnalyzeConfig } from '../commands/analyze.ts';
import { runSweep } from '../commands/sweep.ts';

export interface NetworkStudyConfig {
  sweep: string; // the data-set-size sweep spec whose cells are shipped in checkpointsDir
  checkpointsDir: string; // shipped checkpoints: <dir>/<sweep name>/<cell id>/checkpoint.safetensors
  analyze: Partial<AnalyzeConfig>; // analyze's distillation settings (σ list and sample counts come from the sweep's measure)
}

export const NETWORK_STUDY_DEFAULTS: NetworkStudyConfig = {
  sweep: 'sweeps/mnist16-data-size.json',
  checkpointsDir: 'checkpoints',
  analyze: { distillMethod: 'lstsq', distillSamples: 768, alignK: 32 }, // with the sweep's measure budget: ≈ 12k network calls, ~8 min here
};

/** Runs both parts under `dir`; returns report sections whose figures are relative to `dir`. */
export async function runNetworkStudy(dir: string, cfg: NetworkStudyConfig, cache: string): Promise<{ sections: ReportSection[]; summary: Record<string, unknown> }> {
  const base = readSweepSpec(cfg.sweep);
  const spec = { ...base, out: join(dir, 'data-size') };
  const cells = sweepCells(spec, cfg.sweep);
  // Seed each cell's run directory with its shipped checkpoint (the sweep then only measures).
  for (const cell of cells) {
    const shipped = join(cfg.checkpointsDir, base.name, cell.id, 'checkpoint.safetensors');
    const target = join(cell.dir, 'checkpoint.safetensors');
    if (!existsSync(target) && existsSync(shipped)) {
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(shipped, target);
    } else if (!existsSync(shipped)) phase(`warning: ${shipped} is missing: the sweep trains cell ${cell.id} from scratch`);
  }
  // The sweep's config was trained for `steps`; shipped checkpoints may have stopped earlier: measure what is there.
  const specFile = join(dir, 'data-size.json');
  mkdirSync(dir, { recursive: true });
  writeJson(specFile, spec);
  phase(`data-set-size sweep (${cells.map((c) => c.id).join(', ')}): measuring the shipped networks`);
  const sweep = await runSweep({ spec: specFile, cells: [], summaryOnly: false, cache });

  const cell = cells[cells.length - 1]; // the last cell: the largest training set of a data-size sweep
  phase(`analyze: the paper's Figs. 1–4 for the network of cell ${cell.id}`);
  // The sweep's measurement budget (σ list, samples, pairs, generated images, seed) applies to analyze too.
  const { sigmas, samples, pairs, generate, seed } = spec.measure;
  const a = await runAnalyze(resolveAnalyzeConfig({ ...cfg.analyze, sigmas, samples, pairs, generate, seed, network: join(cell.dir, 'checkpoint.safetensors'), data: cell.train.data, out: join(dir, 'analyze'), cache }));

  const img = (src: string, caption: string): Block => ({ kind: 'image', src, caption });
  const sections: ReportSection[] = [
    {
      title: `A trained network is close to the Gaussian denoiser (Figs. 1–4; network trained on ${cell.train.data})`,
      blocks: [
        { kind: 'text', html: `From <a href="analyze/report.html">analyze/report.html</a> (every number in analyze/report.json): an EDM U-Net (${cell.train.channels} channels) trained on ${cell.train.data} by the committed sweep spec ${cfg.sweep}, compared with the Gaussian (D_G), multi-delta (D_M) and a linear denoiser (D_L) distilled from it by Algorithm 1.` },
        img('analyze/samples-network.png', 'D_θ: samples from the shared noise.'),
        img('analyze/samples-linear.png', 'D_L distilled from D_θ: the same noise.'),
        img('analyze/samples-gaussian.png', 'D_G: the same noise.'),
        img('analyze/samples-multi-delta.png', 'D_M: the same noise (replays training images).'),
        img('analyze/linearity.png', 'Fig. 2: linearity score of D_θ.'),
        img('analyze/rmse.png', 'Fig. 3: RMSE between denoisers (eq 10).'),
        img('analyze/weight-nmse.png', 'Fig. 4 (left): weight NMSE to W_G during distillation.'),
      ],
    },
    {
      title: 'More data, closer to the Gaussian denoiser (Fig. 6)',
      blocks: [
        { kind: 'text', html: `From <a href="data-size/summary/report.html">data-size/summary/report.html</a>: the same network trained on ${cells.map((c) => c.train.data).join(' and ')}.` },
        img('data-size/summary/rmse-gaussian.png', 'RMSE(D_θ, D_G) against σ, one curve a training-set size.'),
        img('data-size/summary/rmse-multi-delta.png', 'RMSE(D_θ, D_M) against σ.'),
        ...cells.map((c) => img(`data-size/${c.id}/samples-network.png`, `${c.id}: samples from the shared noise.`)),
      ],
    },
  ];
  return { sections, summary: { analyze: a.reportHtml, sweep: sweep.summary } };
}
