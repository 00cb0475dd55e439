// gausslens sweep <spec.json>: train and measure every cell of a sweep (data-set size, channels,
// training time, halves: the paper's Figs. 6–9), each an independent resumable job that is skipped
// when done, then join the cells into one summary report (<out>/summary/report.html + .json).
import { Command } from 'commander';
import { existsSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getDevice } from '@gausslens/kernels';
import { readSafetensorsHeader } from '@gausslens/core';
import { phase } from '../util/progress.ts';
import { writeJson, runDir } from '../util/run.ts';
import { readSweepSpec, sweepCells, type SweepSpec, type SweepCell } from '../study/sweep_spec.ts';
import { measureNetwork, type NetworkMetrics } from '../study/measure.ts';
import { writeSweepSummary } from '../study/sweep_summary.ts';
import { runTrain } from './train.ts';

export interface SweepOptions {
  spec: string; // the sweep spec file (JSON)
  cells: string[]; // run only these cell ids (all when empty)
  summaryOnly: boolean; // only join the cells that are done into the summary
  cache: string; // where Gaussian structures are kept ('' for none)
}

/** The cell's checkpoint step (0 when it has none): read from the safetensors header only. */
export async function checkpointStep(dir: string): Promise<number> {
  const path = join(dir, 'checkpoint.safetensors');
  if (!existsSync(path)) return 0;
  const h = await readSafetensorsHeader(path);
  return Number(h.metadata.step ?? 0);
}

/** What a cell's metrics.json was measured from; a different key means measure again. */
function measureKey(spec: SweepSpec, cell: SweepCell, step: number): string {
  return JSON.stringify({ measure: spec.measure, data: cell.train.data, step });
}

export function readCellMetrics(cell: SweepCell): (NetworkMetrics & { key: string }) | null {
  const f = join(cell.dir, 'metrics.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as NetworkMetrics & { key: string }) : null;
}

/** A training-time cell may start from the checkpoint of an earlier cell of the same run (training is bit-exact on resume). */
async function seedFromEarlierCell(spec: SweepSpec, cells: SweepCell[], cell: SweepCell): Promise<void> {
  if (spec.vary.field !== 'steps' || existsSync(join(cell.dir, 'checkpoint.safetensors'))) return;
  let best: { cell: SweepCell; step: number } | null = null;
  for (const c of cells) {
    const step = await checkpointStep(c.dir);
    if (step > 0 && step <= cell.train.steps && (!best || step > best.step)) best = { cell: c, step };
  }
  if (!best) return;
  mkdirSync(cell.dir, { recursive: true });
  copyFileSync(join(best.cell.dir, 'checkpoint.safetensors'), join(cell.dir, 'checkpoint.safetensors'));
  phase(`cell ${cell.id}: starting from cell ${best.cell.id}'s checkpoint at step ${best.step}`);
}

export async function runCell(spec: SweepSpec, cells: SweepCell[], cell: SweepCell, cacheDir: string | null): Promise<NetworkMetrics> {
  runDir(cell.dir);
  let step = await checkpointStep(cell.dir);
  if (step >= cell.train.steps) phase(`cell ${cell.id}: trained (step ${step})`);
  else {
    await seedFromEarlierCell(spec, cells, cell);
    await runTrain({ ...cell.train, resume: true });
    step = await checkpointStep(cell.dir);
  }
  const key = measureKey(spec, cell, step);
  const done = readCellMetrics(cell);
  if (done?.key === key) {
    phase(`cell ${cell.id}: measured`);
    return done;
  }
  phase(`cell ${cell.id}: measuring`);
  const gpu = await getDevice();
  const metrics = await measureNetwork(gpu, { checkpoint: join(cell.dir, 'checkpoint.safetensors'), data: cell.train.data, dir: cell.dir, measure: spec.measure, cacheDir, log: phase });
  writeJson(join(cell.dir, 'metrics.json'), { key, ...metrics });
  return metrics;
}

export async function runSweep(o: SweepOptions): Promise<{ summary: string; done: number; total: number }> {
  const spec = readSweepSpec(o.spec);
  const cells = sweepCells(spec, o.spec);
  const unknown = o.cells.filter((id) => !cells.some((c) => c.id === id));
  if (unknown.length) throw new Error(`--cell ${unknown.join(',')}: not in ${o.spec} (cells: ${cells.map((c) => c.id).join(', ')})`);
  runDir(spec.out);
  writeJson(join(spec.out, 'spec.json'), spec);
  if (!o.summaryOnly) {
    for (const cell of cells) {
      if (o.cells.length && !o.cells.includes(cell.id)) continue;
      await runCell(spec, cells, cell, o.cache || null);
    }
  }
  const measured = cells.map((c) => ({ cell: c, metrics: readCellMetrics(c) }));
  const ready = measured.filter((m): m is { cell: SweepCell; metrics: NetworkMetrics & { key: string } } => m.metrics !== null);
  const summary = await writeSweepSummary(spec, ready, cells.length);
  return { summary, done: ready.length, total: cells.length };
}

export function sweepCommand(): Command {
  return new Command('sweep')
    .description('train and measure every cell of a sweep spec (data size, channels, time, halves), then write the summary report')
    .argument('<spec>', 'sweep spec (JSON; see sweeps/*.json)')
    .option('--cell <ids>', 'run only these cells (comma-separated ids, e.g. n64,n9000); others can run elsewhere', '')
    .option('--summary-only', 'do not train or measure: join the cells that are done')
    .option('--cache <dir>', "where Gaussian structures are kept ('' for none)", 'runs/cache')
    .action(async (spec: string, o: { cell: string; summaryOnly?: boolean; cache: string }) => {
      const r = await runSweep({ spec, cells: o.cell ? o.cell.split(',').map((s) => s.trim()).filter(Boolean) : [], summaryOnly: !!o.summaryOnly, cache: o.cache });
      process.stdout.write(`${r.done}/${r.total} cells done; summary: ${r.summary}\n`);
    });
}
