// gausslens bench smoke test: the conv2d quick cases with their GEMM reference at equal FLOPs, and the quick training
// step (a tiny U-Net), without peers. Benchmarks are not tests: this only checks the cases run and report sanely.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';
import { pairedFractions } from '@gausslens/kernels';

describe('gausslens bench', () => {
  it('--family conv2d,train --quick --no-peers --profile: conv2d against GEMM at equal FLOPs, training images/s, GPU time by kernel', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'gausslens-bench-')), 'bench.json');
    const r = runCli(['bench', '--family', 'conv2d,train', '--quick', '--no-peers', '--repeats', '1', '--profile', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.references.map((x: { what: string }) => x.what)).toEqual([
      'conv2d forward 64×16×32×32→16 3×3',
      'conv2d backward data 64×16×32×32→16 3×3',
      'conv2d backward weight 64×16×32×32→16 3×3',
    ]);
    for (const x of report.references) {
      expect(x.reference).toMatch(/^gemm 512×512×576/);
      expect(x.fraction).toBeCloseTo(x.gflops / x.referenceGflops, 12);
      expect(x.fraction).toBeGreaterThan(0);
      expect(x.fractionRange).toEqual([x.fraction, x.fraction]); // one round
    }
    expect(report.training).toHaveLength(1);
    expect(report.training[0].parameters).toBeGreaterThan(0);
    expect(report.training[0].imagesPerSec).toBeGreaterThan(0);
    // --profile: one more step with every dispatch timed, by kernel (largest first, shares summing to 1)
    const prof = report.training[0].profile as { kernel: string; calls: number; ms: number; share: number }[];
    expect(prof.map((x) => x.kernel)).toEqual(expect.arrayContaining(['conv2d', 'conv2d_backward_data', 'conv2d_backward_weight']));
    expect(prof.every((x, i) => x.calls > 0 && x.ms > 0 && (i === 0 || x.ms <= prof[i - 1].ms))).toBe(true);
    expect(prof.reduce((t, x) => t + x.share, 0)).toBeCloseTo(1, 9);
    expect(r.stderr).toMatch(/GPU time of one step by kernel/);
    expect(r.stdout).toMatch(/GFLOP\/s against our GEMM at equal FLOPs/);
    expect(r.stdout).toMatch(/machine: load average/);
    const bad = runCli(['bench', '--family', 'conv3d']);
    expect(bad.code).toBe(1);
    expect(bad.errors[0]).toMatch(/unknown family 'conv3d' \(known: .*train/);
  });
});

describe('pairedFractions', () => {
  it('compares a case with its reference round by round, so a machine that changes speed between rounds cancels', () => {
    // Equal FLOPs (1 GFLOP); the machine runs 2× slower in round 2: both cases slow down together.
    const result = (samples: number[]) => ({ family: 'f', name: 'x', ms: samples[1], msWall: samples[1], gflops: 1 / samples[1] * 1e3, source: 'timestamp' as const, repeats: samples.length, samples });
    const ours = result([10, 20, 12]);
    const ref = result([8, 16, 6]);
    const f = pairedFractions(ours, ref);
    expect(f.map((v) => +v.toFixed(12))).toEqual([0.8, 0.8, 0.5]);
  });
});
