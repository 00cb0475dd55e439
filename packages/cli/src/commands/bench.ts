// gausslens bench: every kernel family at several sizes (warm-up, median of repeats, GPU
// timestamps), and the peers a user would otherwise use, timed in the same run.
import { Command } from 'commander';
import { cpus, loadavg } from 'node:os';
import { getDevice, allBenches, runBenchRounds, pairedFractions, median, type BenchCase, type BenchResult } from '@gausslens/kernels';
import { numpyTimings, type NumpyJob, type PeerTiming } from '../peers/numpy.ts';
import { tfjsMatmul, tfjsConv2d } from '../peers/tfjs.ts';
import { writeFileAtomicSync } from '@gausslens/core';
import { benchTrain, TRAIN_BENCHES, type TrainBenchResult, type TrainPeerResult } from '../bench/train.ts';

export interface BenchConfig {
  families: string[] | null; // kernel families to run, and 'train' for the training step (null: all)
  quick: boolean; // only the small quick set
  repeats: number; // timed repeats a case (median reported)
  peers: boolean; // also time TF.js WebGPU and NumPy where installed
  json: string | null; // write results as JSON to this file
  markdown: string | null; // write a BENCHMARKS.md-style report to this file
  profile: boolean; // training step: also GPU time by kernel of one extra step
}

export const BENCH_DEFAULTS: BenchConfig = { families: null, quick: false, repeats: 5, peers: true, json: null, markdown: null, profile: false };

export interface PeerComparison {
  what: string; // the operation and size
  oursMs: number; // our wall time (submit to completion), the same method the peers use
  peer: string;
  peerMs: number;
  ratio: number; // peerMs / oursMs: > 1 means we are faster
}

/** A case against its reference case at equal FLOPs (conv2d passes against our GEMM). */
export interface ReferenceComparison {
  what: string;
  gflops: number;
  reference: string;
  referenceGflops: number;
  fraction: number; // median over rounds of (GFLOP/s / reference GFLOP/s), each round's pair timed back to back
  fractionRange: [number, number]; // the lowest and highest of those per-round fractions
}


export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; adapter: string; lpNativeVectorWidth: string | null; load: string };
  results: BenchResult[];
  references: ReferenceComparison[];
  peers: PeerComparison[];
  training: TrainBenchResult[];
  trainingPeers: TrainPeerResult[];
  notes: string[];
}

function selectCases(cfg: BenchConfig): BenchCase[] {
  const known = new Set([...allBenches.map((c) => c.family), 'train']);
  for (const f of cfg.families ?? []) if (!known.has(f)) throw new Error(`bench: unknown family '${f}' (known: ${[...known].join(', ')})`);
  return allBenches.filter((c) => (!cfg.families || cfg.families.includes(c.family)) && (!cfg.quick || c.quick));
}

/** The cases in order, a reference case grouped with the cases measured against it (others alone). */
function referenceGroups(cases: BenchCase[]): BenchCase[][] {
  const groups: BenchCase[][] = [];
  const placed = new Set<BenchCase>();
  for (const c of cases) {
    if (placed.has(c)) continue;
    const ref = c.reference ? cases.find((x) => x.name === c.reference) : c;
    const group = ref ? [ref, ...cases.filter((x) => x.reference === ref.name)].filter((x) => !placed.has(x)) : [c];
    if (!group.includes(c)) group.push(c);
    group.forEach((x) => placed.add(x));
    groups.push(group);
  }
  return groups;
}

/** The machine's load averages (1, 5, 15 min) at the time of the run. */
function loadAverage(): string {
  return loadavg().map((v) => v.toFixed(2)).join(', ');
}

const fmt = (v: number | undefined, digits = 2): string => (v === undefined ? '' : v >= 100 ? v.toFixed(0) : v.toFixed(digits));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

export async function bench(cfg: BenchConfig, log: (line: string) => void = () => undefined): Promise<BenchReport> {
  const cases = selectCases(cfg);
  const gpu = await getDevice();
  const loadBefore = loadAverage();
  const results: BenchResult[] = [];
  for (const group of referenceGroups(cases)) {
    // A case and its reference at equal FLOPs are timed in interleaved rounds (the same load for both).
    for (const r of await runBenchRounds(gpu, group, { repeats: cfg.repeats })) {
      results.push(r);
      log(`${r.family.padEnd(12)} ${r.name.padEnd(34)} ${fmt(r.ms).padStart(9)} ms  ${r.gflops !== undefined ? `${fmt(r.gflops)} GFLOP/s` : ''}${r.gbps !== undefined ? `  ${fmt(r.gbps)} GB/s` : ''}`);
    }
  }
  const references: ReferenceComparison[] = [];
  for (const c of cases) {
    const ours = results.find((r) => r.name === c.name);
    const ref = results.find((r) => r.name === c.reference);
    if (!ours?.gflops || !ref?.gflops) continue;
    const f = pairedFractions(ours, ref);
    const fraction = median(f);
    references.push({ what: c.name, gflops: ours.gflops, reference: ref.name, referenceGflops: ref.gflops, fraction, fractionRange: [Math.min(...f), Math.max(...f)] });
    log(`vs reference ${c.name.padEnd(34)} ${(100 * fraction).toFixed(0).padStart(5)} % of ${ref.name}`);
  }
  const peers: PeerComparison[] = [];
  const notes: string[] = [];
  if (cfg.peers) {
    const jobs: NumpyJob[] = [];
    for (const c of cases) {
      const p = c.peer;
      if (!p) continue;
      const ours = results.find((r) => r.name === c.name)!;
      if (p.kind === 'matmul') {
        const t = await tfjsMatmul(p.m, p.n, p.k, Math.min(cfg.repeats, 5));
        if (t) peers.push({ what: c.name, oursMs: ours.msWall, peer: 'tfjs-webgpu', peerMs: t.ms, ratio: t.ms / ours.msWall });
        else if (!notes.some((n) => n.startsWith('TF.js'))) notes.push('TF.js WebGPU not installed: no TF.js comparison');
        jobs.push({ kind: 'matmul', what: c.name, m: p.m, n: p.n, k: p.k });
      } else if (p.kind === 'conv2d') {
        const t = await tfjsConv2d(p, Math.min(cfg.repeats, 5));
        if (t) peers.push({ what: c.name, oursMs: ours.msWall, peer: 'tfjs-webgpu', peerMs: t.ms, ratio: t.ms / ours.msWall });
        else if (!notes.some((n) => n.startsWith('TF.js'))) notes.push('TF.js WebGPU not installed: no TF.js comparison');
      } else jobs.push({ kind: 'eigh', what: c.name, n: p.n });
    }
    const np = numpyTimings(jobs);
    if (np) {
      notes.push(`NumPy ${np.version} on the CPU (OpenBLAS, ${cpus().length} cores)`);
      for (const t of np.results as PeerTiming[]) {
        const ours = results.find((r) => r.name === t.what)!;
        peers.push({ what: t.what, oursMs: ours.msWall, peer: 'numpy', peerMs: t.ms, ratio: t.ms / ours.msWall });
      }
    } else if (jobs.length) notes.push('python3 with NumPy not found: no NumPy comparison');
    for (const p of peers) log(`peer ${p.peer.padEnd(12)} ${p.what.padEnd(34)} ${fmt(p.peerMs).padStart(9)} ms  ours ${fmt(p.oursMs)} ms  ratio ${fmt(p.ratio)}×`);
  }
  const trainCases = !cfg.families || cfg.families.includes('train') ? TRAIN_BENCHES.filter((c) => !cfg.quick || c.quick) : [];
  const train = await benchTrain(trainCases, { repeats: cfg.repeats, peers: cfg.peers, profile: cfg.profile }, log);
  notes.push(...train.notes);
  if (cases.some((c) => c.peer?.kind === 'conv2d') && cfg.peers) notes.push('TF.js conv2d: NHWC (its native layout), fused conv2d + bias, Conv2DBackpropInput and Conv2DBackpropFilter kernels; completion forced by reading one element');
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      adapter: `${gpu.adapter.vendor} ${gpu.adapter.architecture} ${gpu.adapter.description}`.trim(),
      lpNativeVectorWidth: process.env.LP_NATIVE_VECTOR_WIDTH ?? null,
      load: `load average ${loadBefore} at the start, ${loadAverage()} at the end`,
    },
    results,
    references,
    peers,
    training: train.results,
    trainingPeers: train.peers,
    notes,
  };
}

const referenceRows = (r: BenchReport): string[][] => [
  ['case', 'reference at equal FLOPs', 'GFLOP/s', 'reference GFLOP/s', 'fraction (rounds paired)', 'range over rounds'],
  ...r.references.map((x) => [x.what, x.reference, fmt(x.gflops), fmt(x.referenceGflops), `${(100 * x.fraction).toFixed(0)} %`, `${(100 * x.fractionRange[0]).toFixed(0)}–${(100 * x.fractionRange[1]).toFixed(0)} %`]),
];
const trainingRows = (r: BenchReport): string[][] => [
  ['case', 'parameters', 'timed steps', 'ms a step', 'images/s', 'torch parameters', 'torch images/s (threads)', 'ratio'],
  ...r.training.map((x) => {
    const p = r.trainingPeers.find((q) => q.name === x.name);
    const torch = p ? p.runs.map((q) => `${fmt(q.imagesPerSec)} (${q.threads})`).join(', ') : '';
    return [x.name, String(x.parameters), String(x.steps), fmt(x.msPerStep), fmt(x.imagesPerSec), p ? String(p.parameters) : '', torch, p ? `${fmt(p.ratio)}×` : ''];
  }),
];

export function renderBenchTables(r: BenchReport): string {
  const rows = [['family', 'case', 'GPU ms', 'wall ms', 'GFLOP/s', 'GB/s'], ...r.results.map((x) => [x.family, x.name, fmt(x.ms), fmt(x.msWall), fmt(x.gflops), fmt(x.gbps)])];
  let out = r.results.length ? table(rows) : '';
  if (r.references.length) out += `\n\nGFLOP/s against our GEMM at equal FLOPs (GPU time)\n${table(referenceRows(r))}`;
  if (r.peers.length) {
    const prow = [['peer', 'case', 'peer ms', 'ours ms', 'ratio', ''], ...r.peers.map((p) => [p.peer, p.what, fmt(p.peerMs), fmt(p.oursMs), `${fmt(p.ratio)}×`, ''])];
    out += `\n\nratio = peer time / our time (wall clock, submit to completion; > 1: gausslens is faster)\n${table(prow)}`;
  }
  if (r.training.length) out += `\n\ntraining steps (EDM loss + backward + Adam + EMA; ratio = our images/s / torch's at its faster thread count)\n${table(trainingRows(r))}`;
  out += `\nmachine: ${r.machine.load}`;
  for (const n of r.notes) out += `\nnote: ${n}`;
  return out.trimStart();
}

export function renderBenchMarkdown(r: BenchReport): string {
  const md = (rows: string[][]): string => [`| ${rows[0].join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`, ...rows.slice(1).map((x) => `| ${x.join(' | ')} |`)].join('\n');
  const lines = [
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cpu} (${r.machine.cores} cores), adapter ${r.machine.adapter}` + (r.machine.lpNativeVectorWidth ? `, LP_NATIVE_VECTOR_WIDTH=${r.machine.lpNativeVectorWidth}` : '') + '.',
    '',
    `Machine load: ${r.machine.load}.`,
  ];
  if (r.results.length) lines.push('', md([['family', 'case', 'GPU ms (median)', 'wall ms', 'GFLOP/s', 'GB/s'], ...r.results.map((x) => [x.family, x.name, fmt(x.ms), fmt(x.msWall), fmt(x.gflops), fmt(x.gbps)])]));
  if (r.references.length) lines.push('', 'Against our GEMM at equal FLOPs (GPU time, the same run):', '', md(referenceRows(r)));
  if (r.peers.length) lines.push('', 'Peers in the same run (ratio = peer time / our time, wall clock; > 1 means gausslens is faster):', '', md([['peer', 'case', 'peer ms', 'ours ms', 'ratio'], ...r.peers.map((p) => [p.peer, p.what, fmt(p.peerMs), fmt(p.oursMs), `${fmt(p.ratio)}×`])]));
  if (r.training.length) lines.push('', 'Training steps (EDM loss + backward + Adam + EMA, wall clock; ratio = our images/s / torch\'s at its faster thread count, > 1 means gausslens is faster):', '', md(trainingRows(r)));
  for (const n of r.notes) lines.push('', `Note: ${n}`);
  return lines.join('\n') + '\n';
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('time every kernel family (median of repeats after warm-up) and a training step, with the peers TF.js WebGPU, NumPy and PyTorch')
    .option('--family <names>', "comma-separated kernel families, 'train' for the training step (default: all)")
    .option('--quick', 'only the small quick set', BENCH_DEFAULTS.quick)
    .option('--repeats <n>', 'timed repeats a case (training: at most this many timed steps)', String(BENCH_DEFAULTS.repeats))
    .option('--no-peers', 'do not time TF.js, NumPy and PyTorch')
    .option('--json <file>', 'write the results as JSON')
    .option('--markdown <file>', 'write a BENCHMARKS.md-style report')
    .option('--profile', 'training step: also GPU time by kernel of one extra step (each dispatch timed on its own)', BENCH_DEFAULTS.profile)
    .action(async (o: { family?: string; quick: boolean; repeats: string; peers: boolean; json?: string; markdown?: string; profile: boolean }) => {
      const repeats = Number(o.repeats);
      if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got '${o.repeats}'`);
      const cfg: BenchConfig = { families: o.family ? o.family.split(',').map((s) => s.trim()) : null, quick: o.quick, repeats, peers: o.peers, json: o.json ?? null, markdown: o.markdown ?? null, profile: o.profile };
      const report = await bench(cfg, (l) => process.stderr.write(`${l}\n`));
      process.stdout.write(`${renderBenchTables(report)}\n`);
      if (cfg.json) writeFileAtomicSync(cfg.json, JSON.stringify(report, null, 2));
      if (cfg.markdown) writeFileAtomicSync(cfg.markdown, renderBenchMarkdown(report));
    });
}
