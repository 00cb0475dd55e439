// Sweep specs: one JSON file names a base training config, one axis to vary (data-set size for the
// paper's Fig. 6, channels for Fig. 7, training steps for Fig. 8, disjoint halves for Fig. 9) and
// what to measure. Each value of the axis is a cell: an independent, resumable job with its own run
// directory `<out>/<cell id>/`, so cells can run one at a time, in parallel, or on other machines.
import { readFileSync } from 'node:fs';
import { resolveTrainConfig, PAPER_SIGMAS, type TrainConfig } from '@gausslens/core';

/** What each cell measures on its trained network (the EMA weights). */
export interface MeasureConfig {
  sigmas: number[]; // noise levels of the per-σ metrics (the paper's 10 by default)
  samples: number; // held-out noisy images per σ for the score-field RMSE (eq 10)
  pairs: number; // pairs per σ for the linearity score
  generate: number; // images generated from the shared noise (Euler, the paper's 10 σ)
  seed: number; // Philox seed of the shared noise and of the metric noise
}

export const MEASURE_DEFAULTS: MeasureConfig = { sigmas: [...PAPER_SIGMAS], samples: 64, pairs: 32, generate: 32, seed: 0 };

export interface SweepSpec {
  name: string; // the sweep's name (titles, default output directory)
  figure: string; // what the sweep reproduces, e.g. 'Fig. 6: …'
  out: string; // directory holding one run directory per cell and summary/
  train: Partial<TrainConfig>; // the base training config (TRAIN_DEFAULTS fill the rest)
  vary: { field: string; values: (number | string)[] }; // a TrainConfig field, or a {placeholder} in train.data
  measure: MeasureConfig; // per-cell measurements
}

export interface SweepCell {
  id: string; // `<field><value>`, e.g. n64, channels16, steps400, half1: the run directory's name
  value: number | string; // the axis value
  dir: string; // <out>/<id>
  train: TrainConfig; // the resolved training config of this cell
}

const fail = (file: string, msg: string): never => {
  throw new Error(`sweep spec ${file}: ${msg}`);
};

/** Reads and validates a spec; every problem is a one-line error naming the file. */
export function readSweepSpec(file: string): SweepSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`);
  }
  return validateSweepSpec(raw, file);
}

export function validateSweepSpec(raw: unknown, file = '<spec>'): SweepSpec {
  if (!raw || typeof raw !== 'object') return fail(file, 'must be a JSON object');
  const r = raw as Record<string, unknown>;
  const known = ['name', 'figure', 'out', 'train', 'vary', 'measure'];
  for (const k of Object.keys(r)) if (!known.includes(k)) fail(file, `unknown key '${k}' (known: ${known.join(', ')})`);
  if (typeof r.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(r.name)) fail(file, "'name' must be a file-name-safe string");
  const name = r.name as string;
  const vary = r.vary as SweepSpec['vary'] | undefined;
  if (!vary || typeof vary.field !== 'string' || !Array.isArray(vary.values) || vary.values.length === 0) fail(file, "'vary' must be { \"field\": <TrainConfig field or data placeholder>, \"values\": [ … ] }");
  const values = vary!.values;
  if (new Set(values.map(String)).size !== values.length) fail(file, `'vary.values' has duplicates: ${values.join(', ')}`);
  const train = (r.train ?? {}) as Partial<TrainConfig>;
  if (typeof train !== 'object') fail(file, "'train' must be an object of TrainConfig fields");
  const measure: MeasureConfig = { ...MEASURE_DEFAULTS, ...((r.measure ?? {}) as Partial<MeasureConfig>) };
  if (!Array.isArray(measure.sigmas) || !measure.sigmas.length || !measure.sigmas.every((s) => s > 0 && Number.isFinite(s))) fail(file, "'measure.sigmas' must be positive numbers");
  for (const k of ['samples', 'pairs', 'generate'] as const) if (!Number.isInteger(measure[k]) || measure[k] < 1) fail(file, `'measure.${k}' must be a positive integer`);
  const spec: SweepSpec = { name, figure: typeof r.figure === 'string' ? r.figure : '', out: typeof r.out === 'string' ? r.out : `runs/sweep-${name}`, train, vary: vary!, measure };
  sweepCells(spec, file); // validates every cell's training config
  return spec;
}

/** The cells of a sweep, each with its resolved training config. */
export function sweepCells(spec: SweepSpec, file = '<spec>'): SweepCell[] {
  const { field, values } = spec.vary;
  const placeholder = `{${field}}`;
  const inData = typeof spec.train.data === 'string' && spec.train.data.includes(placeholder);
  return values.map((value) => {
    const id = `${field}${value}`;
    if (!/^[A-Za-z0-9._-]+$/.test(id)) fail(file, `cell id '${id}' is not file-name safe`);
    const dir = `${spec.out}/${id}`;
    const partial: Record<string, unknown> = { ...spec.train, runDir: dir };
    if (inData) partial.data = (spec.train.data as string).replaceAll(placeholder, String(value));
    else if (field in resolveTrainConfig({})) partial[field] = value;
    else fail(file, `vary.field '${field}' is neither a training-config field nor a {${field}} placeholder in train.data`);
    try {
      return { id, value, dir, train: resolveTrainConfig(partial as Partial<TrainConfig>) };
    } catch (e) {
      return fail(file, `cell ${id}: ${(e as Error).message}`);
    }
  });
}
