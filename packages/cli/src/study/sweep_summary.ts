// The summary of a sweep: every measured cell joined into <out>/summary/report.html + report.json —
// RMSE(D_θ, D_G) and RMSE(D_θ, D_M) against σ, one curve a cell; the gap over σ ∈ [0.1, 20] against
// the swept value; linearity; GL; samples side by side; for halves, how alike the two networks are.
import { join, relative } from 'node:path';
import { existsSync } from 'node:fs';
import { linePlotSvg, writePlot, renderReport, writeFileAtomic, readNpy, type ReportSection, type Block } from '@gausslens/core';
import { writeJson, runDir } from '../util/run.ts';
import { GAP_RANGE, rmseOf, type NetworkMetrics } from './measure.ts';
import type { SweepSpec, SweepCell } from './sweep_spec.ts';

interface Done {
  cell: SweepCell;
  metrics: NetworkMetrics;
}

/** Pairwise RMSE between the cells' samples (the same noise in every cell): Fig. 9's comparison. */
async function sampleDistances(done: Done[]): Promise<{ a: string; b: string; rmse: number }[]> {
  const out: { a: string; b: string; rmse: number }[] = [];
  const x = await Promise.all(done.map(async (d) => (existsSync(join(d.cell.dir, 'samples.npy')) ? (await readNpy(join(d.cell.dir, 'samples.npy'))).data : null)));
  for (let i = 0; i < done.length; i++) {
    for (let j = i + 1; j < done.length; j++) {
      const [p, q] = [x[i], x[j]];
      if (p && q && p.length === q.length) out.push({ a: done[i].cell.id, b: done[j].cell.id, rmse: rmseOf(Float32Array.from(p), Float32Array.from(q)) });
    }
  }
  return out;
}

export async function writeSweepSummary(spec: SweepSpec, done: Done[], total: number): Promise<string> {
  const dir = runDir(join(spec.out, 'summary'));
  const field = spec.vary.field;
  const sigmas = spec.measure.sigmas;
  const curve = (key: 'rmseGaussian' | 'rmseMultiDelta' | 'linearity') =>
    done.map((d) => ({ name: `${field} = ${d.cell.value}`, x: d.metrics.perSigma.map((r) => r.sigma), y: d.metrics.perSigma.map((r) => r[key]) }));
  const plots: { file: string; svg: string; caption: string }[] = [];
  const add = (file: string, svg: string, caption: string): void => void plots.push({ file, svg, caption });
  if (done.length) {
    add('rmse-gaussian', linePlotSvg(curve('rmseGaussian'), { title: 'RMSE(D_θ, D_G) against σ', xLabel: 'σ', yLabel: 'RMSE (eq 10)', logX: true }), `RMSE between each cell's network and the Gaussian denoiser of its own training set, over held-out images plus noise (eq 10). Lower: the network is closer to D_G.`);
    add('rmse-multi-delta', linePlotSvg(curve('rmseMultiDelta'), { title: 'RMSE(D_θ, D_M) against σ', xLabel: 'σ', yLabel: 'RMSE (eq 10)', logX: true }), 'RMSE between each network and the multi-delta (memorising) denoiser of its training set. Low at small σ means the network replays training images.');
    add('linearity', linePlotSvg(curve('linearity'), { title: 'Linearity score of D_θ', xLabel: 'σ', yLabel: 'LS (cosine)', logX: true }), 'Cosine linearity score with α = β = 1/√2: 1 for a linear denoiser.');
    const numeric = done.every((d) => typeof d.cell.value === 'number');
    if (numeric) {
      const xs = done.map((d) => d.cell.value as number);
      add(
        'gap',
        linePlotSvg(
          [
            { name: 'RMSE(D_θ, D_G)', x: xs, y: done.map((d) => d.metrics.gapGaussian) },
            { name: 'RMSE(D_θ, D_M)', x: xs, y: done.map((d) => d.metrics.gapMultiDelta), dashed: true },
          ],
          { title: `Mean RMSE over σ ∈ [${GAP_RANGE.join(', ')}] against ${field}`, xLabel: field, yLabel: 'mean RMSE', logX: xs.every((v) => v > 0) && Math.max(...xs) / Math.min(...xs) > 20 },
        ),
        `The paper's trend: as ${field} changes, does the network move towards the Gaussian denoiser (solid) and away from the memorising one (dashed)?`,
      );
    }
  }
  for (const p of plots) await writePlot(join(dir, p.file), p.svg);
  const pairs = await sampleDistances(done);
  const rows = done.map((d) => [d.cell.id, d.metrics.n, d.metrics.gapGaussian, d.metrics.gapMultiDelta, d.metrics.gl, d.metrics.glGaussian, d.metrics.sampleRmseGaussian, d.metrics.evalImages]);
  const sections: ReportSection[] = [
    {
      title: 'Distance to the Gaussian and the multi-delta denoisers',
      blocks: [
        { kind: 'table', head: ['cell', 'N', `RMSE(D_θ, D_G) σ∈[${GAP_RANGE}]`, `RMSE(D_θ, D_M) σ∈[${GAP_RANGE}]`, 'GL of D_θ samples', 'GL of D_G samples', 'RMSE(D_θ, D_G samples)', 'eval images'], rows, caption: 'One row a cell. GL (eq 14) near 0: samples replay training images; above ~0.6: new images.' },
        ...plots.map((p): Block => ({ kind: 'image', src: `${p.file}.png`, caption: p.caption })),
      ],
    },
    {
      title: 'Samples from the same noise',
      blocks: done.flatMap((d): Block[] => [
        { kind: 'image', src: relative(dir, join(d.cell.dir, 'samples-network.png')), caption: `${d.cell.id}: D_θ (Euler, the paper's 10 σ), GL = ${d.metrics.gl.toFixed(3)}.` },
        { kind: 'image', src: relative(dir, join(d.cell.dir, 'samples-gaussian.png')), caption: `${d.cell.id}: D_G of the same training set, from the same noise.` },
      ]),
    },
  ];
  if (pairs.length) sections.push({ title: 'How alike are the networks? (Fig. 9)', blocks: [{ kind: 'table', head: ['cell', 'cell', 'RMSE between their samples'], rows: pairs.map((p) => [p.a, p.b, p.rmse]), caption: 'Samples from the same noise by two cells’ networks: for two disjoint halves of a data set, a small RMSE means both networks learnt the same function (strong generalisation).' }] });
  const title = `gausslens sweep ${spec.name}`;
  const intro = `${spec.figure ? `${spec.figure}. ` : ''}${done.length} of ${total} cells measured (vary ${field} over ${spec.vary.values.join(', ')}); σ list: ${sigmas.join(', ')}.`;
  await writeFileAtomic(join(dir, 'report.html'), renderReport(title, intro, sections));
  writeJson(join(dir, 'report.json'), { spec, cells: done.map((d) => ({ id: d.cell.id, value: d.cell.value, dir: d.cell.dir, ...d.metrics })), sampleDistances: pairs });
  return join(dir, 'report.html');
}
