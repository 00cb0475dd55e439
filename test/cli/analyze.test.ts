// gausslens analyze end to end on a tiny trained network: every figure of the report exists, every
// number of report.json is finite, the distilled linear model is a denoiser kind, bad flags fail in one line.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy, readNpy, decodePng } from '@gausslens/core';
import { runCli } from '../support/cli.ts';
import { randomArray } from '../support/check.ts';

let dir: string;
let ckpt: string;
const data = 'mnist:24?held-out=16&resize=8';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gausslens-analyze-'));
  const r = runCli(['train', '--data', data, '--channels', '4', '--channel-mult', '1,1', '--num-blocks', '1', '--attn-resolutions', '', '--batch', '4', '--steps', '2', '--lr-rampup-kimg', '0', '--out', join(dir, 'net')]);
  if (r.code !== 0) throw new Error(r.stderr);
  ckpt = join(dir, 'net', 'checkpoint.safetensors');
});

describe('gausslens analyze', () => {
  it("writes the paper's Figures 1–4 as report.html + report.json for one network", { timeout: 400_000 }, async () => {
    const out = join(dir, 'analyze');
    const r = runCli(['analyze', '--network', ckpt, '--out', out, '--sigmas', '0.2,2,20', '--alphas', '0.5,0.7071', '--samples', '4', '--pairs', '2', '--generate', '4', '--distill-samples', '200', '--distill-batch', '8', '--align-k', '4', '--cache', '']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.config.data).toBe(data); // read from the checkpoint's config.json
    expect(report.data.evalImages).toBe('held-out');
    expect(report.perSigma).toHaveLength(3);
    for (const row of report.perSigma) for (const [k, v] of Object.entries(row)) expect(Number.isFinite(v), k).toBe(true);
    // D_G is affine: its affine-form linearity score is 1 at every σ (the paper's form is off by (1 − α − β)·b_G).
    for (const row of report.perSigma) expect(row.linearity_gaussian_affine).toBeGreaterThan(1 - 1e-4);
    expect(report.samples.map((s: { name: string }) => s.name)).toHaveLength(4);
    expect(report.alignment.length).toBeGreaterThan(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs.length).toBeGreaterThanOrEqual(8);
    for (const src of srcs) expect(() => decodePng(readFileSync(join(out, src)), { name: src }), src).not.toThrow(); // present and a valid PNG
    // The distilled model is a denoiser kind everywhere.
    const input = join(dir, 'x.npy');
    await writeNpy(input, randomArray(2 * 64, -2, 2), [2, 1, 8, 8]);
    const d = runCli(['denoise', '--data', data, '--denoiser', `linear:${join(out, 'linear.safetensors')}`, '--sigma', '2', '--input', input, '--output', join(dir, 'y.npy')]);
    expect(d.code, d.stderr).toBe(0);
    expect((await readNpy(join(dir, 'y.npy'))).data.every(Number.isFinite)).toBe(true);
  });

  it('bad input fails with one line', () => {
    const missing = runCli(['analyze', '--network', join(dir, 'nope.safetensors')]);
    expect(missing.code).toBe(1);
    expect(missing.errors.at(-1)).toMatch(/nope\.safetensors: no such file/);
    const alphas = runCli(['analyze', '--network', ckpt, '--alphas', '1.5']);
    expect(alphas.code).toBe(1);
    expect(alphas.errors.at(-1)).toMatch(/--alphas must lie in \(0, 1\)/);
  });
});
