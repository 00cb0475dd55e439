// gausslens gaussian: the Gaussian structure of a data set (μ, Σ's eigenpairs), saved for reuse,
// with its eigen-images and spectrum.
import { Command } from 'commander';
import { join } from 'node:path';
import { getDevice } from '@gausslens/kernels';
import { loadDataset, buildGaussianStructure, saveStructure, releaseStructure, imageShapeOf, writeImageGrid, linePlotSvg, writePlot, type StructureMeta } from '@gausslens/core';
import { phase } from '../util/progress.ts';
import { runDir, writeConfig, writeJson, slug, numberFlag } from '../util/run.ts';

export interface GaussianConfig {
  data: string; // data-set spec (mnist[:N], fashion-mnist[:N], png:<dir>, npy:<file>)
  out: string; // output directory
  route: 'auto' | 'covariance' | 'gram'; // how to get Σ's eigenpairs (auto: Gram when N < d)
  eigenImages: number; // how many eigen-images to draw
}

export const GAUSSIAN_DEFAULTS: GaussianConfig = { data: 'mnist', out: '', route: 'auto', eigenImages: 64 };

export function resolveGaussianConfig(o: Partial<Record<keyof GaussianConfig, string>>): GaussianConfig {
  const route = (o.route ?? GAUSSIAN_DEFAULTS.route) as GaussianConfig['route'];
  if (!['auto', 'covariance', 'gram'].includes(route)) throw new Error(`--route must be auto, covariance or gram, got '${route}'`);
  const data = o.data ?? GAUSSIAN_DEFAULTS.data;
  return { data, out: o.out || join('runs', `gaussian-${slug(data)}`), route, eigenImages: numberFlag('eigen-images', o.eigenImages ?? GAUSSIAN_DEFAULTS.eigenImages, { integer: true, min: 1 }) };
}

export interface GaussianReport {
  meta: StructureMeta;
  rank: number; // eigenpairs kept (λ > 1e-6·λ_max)
  solver: string; // which eigensolver ran (gpu-tridiagonal, gpu-jacobi, cpu-ql)
  sweeps: number; // Jacobi sweeps (0 for the tridiagonal method)
  offNorm: number; // final relative residual / off-diagonal norm
  eigSeconds: number;
  topEigenvalues: number[]; // the first 20
  varianceExplained: { k: number; fraction: number }[]; // Σ_{i<k} λ_i / Σ λ at a few k
  files: Record<string, string>;
}

export async function runGaussian(cfg: GaussianConfig): Promise<GaussianReport> {
  const dir = runDir(cfg.out);
  writeConfig(dir, cfg);
  phase(`loading ${cfg.data}`);
  const ds = await loadDataset(cfg.data);
  const gpu = await getDevice();
  const { structure, info } = await buildGaussianStructure(gpu, ds.images, ds.n, ds.d, imageShapeOf(ds), { route: cfg.route, onPhase: phase });
  phase(`rank ${structure.rank} of d = ${ds.d} (${info.route} route, ${info.solver} eigensolver, residual ${info.offNorm.toExponential(1)}, ${info.seconds.toFixed(1)} s)`);
  const meta: StructureMeta = { data: ds.spec, n: ds.n, d: ds.d, imageShape: imageShapeOf(ds), route: info.route, seconds: info.seconds, created: new Date().toISOString() };
  const files: Record<string, string> = { structure: join(dir, 'gaussian.safetensors') };
  await saveStructure(files.structure, structure, meta);
  const lam = Array.from(structure.eigenvalues);
  if (ds.imageShape) {
    const k = Math.min(cfg.eigenImages, structure.rank);
    const imgs = new Float32Array(k * ds.d);
    for (let i = 0; i < k; i++) {
      const u = structure.host.U.subarray(i * ds.d, (i + 1) * ds.d);
      const m = Math.max(1e-12, ...Array.from(u, Math.abs));
      for (let j = 0; j < ds.d; j++) imgs[i * ds.d + j] = u[j] / m;
    }
    files.eigenImages = join(dir, 'eigen-images.png');
    await writeImageGrid(files.eigenImages, imgs, { n: k, c: ds.c, h: ds.h, w: ds.w }, { scale: ds.h < 48 ? 2 : 1 });
    files.mean = join(dir, 'mean.png');
    await writeImageGrid(files.mean, structure.host.mean, { n: 1, c: ds.c, h: ds.h, w: ds.w }, { scale: ds.h < 48 ? 4 : 1 });
  }
  const svg = linePlotSvg([{ name: 'λ_k', x: lam.map((_, i) => i + 1), y: lam }], { title: `Covariance spectrum of ${ds.spec}`, xLabel: 'k', yLabel: 'eigenvalue λ_k', logY: true, logX: true, legend: 'none' });
  files.spectrum = join(dir, 'spectrum.png');
  await writePlot(join(dir, 'spectrum'), svg);
  const total = lam.reduce((a, b) => a + b, 0);
  let acc = 0;
  const varianceExplained: GaussianReport['varianceExplained'] = [];
  lam.forEach((l, i) => {
    acc += l;
    if ([1, 10, 50, 100, 200, 500].includes(i + 1)) varianceExplained.push({ k: i + 1, fraction: acc / total });
  });
  const report: GaussianReport = { meta, rank: structure.rank, solver: info.solver, sweeps: info.sweeps, offNorm: info.offNorm, eigSeconds: info.eigSeconds, topEigenvalues: lam.slice(0, 20), varianceExplained, files };
  writeJson(join(dir, 'report.json'), report);
  releaseStructure(structure);
  return report;
}

export function gaussianCommand(): Command {
  return new Command('gaussian')
    .description("build a data set's Gaussian structure (mean, covariance eigenpairs) on the GPU and save it")
    .requiredOption('--data <spec>', 'data set: mnist[:N], fashion-mnist[:N], png:<dir>, npy:<file>', GAUSSIAN_DEFAULTS.data)
    .option('--out <dir>', 'output directory (default runs/gaussian-<data>)')
    .option('--route <route>', 'auto | covariance | gram (auto: Gram when N < d)', GAUSSIAN_DEFAULTS.route)
    .option('--eigen-images <k>', 'eigen-images to draw', String(GAUSSIAN_DEFAULTS.eigenImages))
    .action(async (o) => {
      const r = await runGaussian(resolveGaussianConfig(o));
      process.stdout.write(`${JSON.stringify({ rank: r.rank, sweeps: r.sweeps, eigSeconds: r.eigSeconds, files: r.files }, null, 2)}\n`);
    });
}
