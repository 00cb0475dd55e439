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
}

function median(xs: number[]): number {
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
  const { warmup = 1, repeats = 5, minMs = 20_000 } = opts;
  const inst = c.setup(gpu);
  try {
    for (let i = 0; i < warmup; i++) {
      inst.run();
      await gpu.sync();
    }
    const gpuMs: number[] = [];
    const wallMs: number[] = [];
    let source: BenchResult['source'] = 'wall';
    const start = performance.now();
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const t = await gpu.time(() => inst.run());
      wallMs.push(performance.now() - t0);
      gpuMs.push(t.ms);
      source = t.source;
      if (i >= 2 && performance.now() - start > minMs) break;
    }
    const ms = median(gpuMs);
    return {
      family: c.family,
      name: c.name,
      ms,
      msWall: median(wallMs),
      gflops: c.flops ? c.flops / ms / 1e6 : undefined,
      gbps: c.bytes ? c.bytes / ms / 1e6 : undefined,
      source,
      repeats: gpuMs.length,
    };
  } finally {
    inst.dispose();
  }
}

