// Kernel benchmarks (llm.c style: each family's cases live in <family>.bench.ts beside the kernel).
// Usable in Node (`gausslens bench`) and in the browser (the viewer's benchmark page).
import type { Gpu } from './device.ts';

/** What a peer (TF.js, NumPy) times for comparison with a case. */
export type BenchPeer =
  | { kind: 'matmul'; m: number; n: number; k: number }
  | { kind: 'eigh'; n: number }
  | { kind: 'conv2d'; pass: 'forward' | 'backward data' | 'backward weight'; b: number; cin: number; cout: number; h: number; width: number; k: number; pad: number };

export interface BenchCase {
  family: string; // kernel family, e.g. 'gemm'
  name: string; // what is timed, with its size
  flops?: number; // floating-point operations one run performs
  bytes?: number; // bytes one run must move at least (for GB/s)
  quick?: boolean; // part of the quick set (`bench --quick`, the viewer)
  peer?: BenchPeer; // what a peer times for comparison
  reference?: string; // name of another case (same family, same FLOPs) whose GFLOP/s this one is measured against
  /** Allocates inputs; run() records one repetition's dispatches (no waiting). */
  setup(gpu: Gpu): { run(): void; dispose(): void };
}

export interface BenchResult {
  family: string;
  name: string;
  ms: number; // median GPU time of one run
  msWall: number; // median wall time of one run (submit to completion)
  gflops?: number; // from the median GPU time
  gbps?: number; // from the median GPU time
  source: 'timestamp' | 'wall';
  repeats: number;
  samples: number[]; // GPU time of each round, in round order (paired with the other cases of the same rounds)
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface BenchOptions {
  warmup?: number; // untimed runs first (pipeline JIT, caches)
  repeats?: number; // timed runs; the median is reported
  minMs?: number; // stop repeating early once this much time was spent (≥ 3 repeats)
}

/** Times one case: warm-up, then the median of repeats by GPU timestamps and by wall clock. */
export async function runBenchCase(gpu: Gpu, c: BenchCase, opts: BenchOptions = {}): Promise<BenchResult> {
  return (await runBenchRounds(gpu, [c], opts))[0];
}

/**
 * Times cases interleaved: each is set up and warmed up, then every round runs each case once, so a change of the
 * machine's load during the measurement hits all of them alike (a case and its reference at equal FLOPs); medians of
 * the rounds by GPU timestamps and by wall clock. The order within a round alternates (forward, then backward) so
 * that no case always runs first. This machine's speed flips between two states (~1.7×, for OpenBLAS too) that
 * last seconds: compare cases round by round (`samples`), not by their medians alone.
 */
export async function runBenchRounds(gpu: Gpu, cases: BenchCase[], opts: BenchOptions = {}): Promise<BenchResult[]> {
  const { warmup = 1, repeats = 5, minMs = 20_000 } = opts;
  const insts: { run(): void; dispose(): void }[] = [];
  try {
    for (const c of cases) insts.push(c.setup(gpu));
    for (const inst of insts) {
      for (let i = 0; i < warmup; i++) {
        inst.run();
        await gpu.sync();
      }
    }
    const gpuMs: number[][] = cases.map(() => []);
    const wallMs: number[][] = cases.map(() => []);
    const source: BenchResult['source'][] = cases.map(() => 'wall');
    const start = performance.now();
    for (let i = 0; i < repeats; i++) {
      for (let jj = 0; jj < cases.length; jj++) {
        const j = i % 2 ? cases.length - 1 - jj : jj;
        const t0 = performance.now();
        const t = await gpu.time(() => insts[j].run());
        wallMs[j].push(performance.now() - t0);
        gpuMs[j].push(t.ms);
        source[j] = t.source;
      }
      if (i >= 2 && performance.now() - start > minMs * cases.length) break;
    }
    return cases.map((c, j) => {
      const ms = median(gpuMs[j]);
      return {
        family: c.family,
        name: c.name,
        ms,
        msWall: median(wallMs[j]),
        gflops: c.flops ? c.flops / ms / 1e6 : undefined,
        gbps: c.bytes ? c.bytes / ms / 1e6 : undefined,
        source: source[j],
        repeats: gpuMs[j].length,
        samples: gpuMs[j],
      };
    });
  } finally {
    for (const inst of insts) inst.dispose();
  }
}

/** Per-round fractions of a case's GFLOP/s over its reference's, from the paired rounds of runBenchRounds. */
export function pairedFractions(ours: BenchResult, ref: BenchResult): number[] {
  const flopsOurs = (ours.gflops ?? 0) * ours.ms;
  const flopsRef = (ref.gflops ?? 0) * ref.ms;
  const n = Math.min(ours.samples.length, ref.samples.length);
  return Array.from({ length: n }, (_, i) => flopsOurs / ours.samples[i] / (flopsRef / ref.samples[i]));
}
