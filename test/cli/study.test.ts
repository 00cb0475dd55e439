// End to end: the Gaussian-structure, denoise and sample commands and the study, as a user runs them.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readNpy, writeNpy, decodeNpy } from '@gausslens/core';
import { runCli } from '../support/cli.ts';
import { randomArray } from '../support/check.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gausslens-cli-'));
});

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('gausslens gaussian', () => {
  it('builds and saves the structure of 300 digits with eigen-images and spectrum', () => {
    const out = join(dir, 'g');
    const r = runCli(['gaussian', '--data', 'mnist:300', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['gaussian.safetensors', 'gaussian.json', 'eigen-images.png', 'mean.png', 'spectrum.png', 'spectrum.svg', 'config.json', 'report.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.meta.route).toBe('gram'); // N = 300 < d = 784
    expect(report.rank).toBeGreaterThan(200);
    expect(report.rank).toBeLessThanOrEqual(299);
  });
});

describe('gausslens denoise', () => {
  it('round-trips .npy: D_G at σ = 80 returns ≈ μ for every input', async () => {
    const x = randomArray(3 * 784, -3, 3);
    const input = join(dir, 'x.npy');
    await writeNpy(input, x, [3, 1, 28, 28]);
    const output = join(dir, 'y.npy');
    const r = runCli(['denoise', '--data', 'mnist:300', '--denoiser', 'gaussian', '--sigma', '80', '--input', input, '--output', output, '--cache', join(dir, 'cache')]);
    expect(r.code, r.stderr).toBe(0);
    const y = await readNpy(output);
    expect(y.shape).toEqual([3, 1, 28, 28]);
    for (let i = 0; i < 784; i++) expect(Math.abs(y.data[i] - y.data[784 + i])).toBeLessThan(0.02);
  });

  it('reads what NumPy wrote and NumPy reads what it writes', async () => {
    const input = join(dir, 'np-x.npy');
    const output = join(dir, 'np-y.npy');
    // With NumPy present both directions are checked live; without it, the input is ours and the
    // output header is checked against NumPy's exact format (the io tests pin our writer to NumPy's files).
    if (hasNumpy) expect(spawnSync('python3', ['-c', `import numpy as np; np.save(${JSON.stringify(input)}, np.random.default_rng().uniform(-1, 1, (2, 784)).astype(np.float32))`]).status).toBe(0);
    else await writeNpy(input, randomArray(2 * 784), [2, 784]);
    const r = runCli(['denoise', '--data', 'mnist:300', '--denoiser', 'multi-delta', '--sigma', '0.002', '--input', input, '--output', output]);
    expect(r.code, r.stderr).toBe(0);
    if (hasNumpy) {
      const check = spawnSync('python3', ['-c', `import numpy as np; y = np.load(${JSON.stringify(output)}); print(y.dtype, y.shape, bool(np.isfinite(y).all()))`], { encoding: 'utf8' });
      expect(check.stdout.trim()).toBe('float32 (2, 784) True');
    } else {
      const bytes = readFileSync(output);
      expect(bytes.subarray(0, 8).toString('latin1')).toBe('\x93NUMPY\x01\x00');
      expect(bytes.subarray(10, 70).toString('latin1')).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 784), }");
      expect(decodeNpy(new Uint8Array(bytes)).shape).toEqual([2, 784]);
    }
  });

  it('a corrupt input gives one line, exit code ≠ 0, and leaves the earlier output intact', async () => {
    const output = join(dir, 'keep.npy');
    await writeNpy(output, new Float32Array([1, 2, 3]), [1, 3]);
    const before = readFileSync(output);
    const bad = join(dir, 'bad.npy');
    writeFileSync(bad, readFileSync(join(dir, 'x.npy')).subarray(0, 200));
    const r = runCli(['denoise', '--data', 'mnist:300', '--sigma', '1', '--input', bad, '--output', output]);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/bad\.npy/);
    expect(readFileSync(output).equals(before)).toBe(true);
    const wrong = join(dir, 'wrong.npy');
    await writeNpy(wrong, randomArray(10), [2, 5]);
    const r2 = runCli(['denoise', '--data', 'mnist:300', '--sigma', '1', '--input', wrong, '--output', output]);
    expect(r2.errors[0]).toMatch(/each item has 5 values .* d = 784/);
    const r3 = runCli(['denoise', '--data', 'mnist:300', '--sigma', 'abc', '--input', wrong, '--output', output]);
    expect(r3.errors[0]).toMatch(/--sigma must be a number/);
    expect(readFileSync(output).equals(before)).toBe(true);
  });
});

describe('gausslens sample', () => {
  it('D_M at the smallest σ replays training images (GL ≈ 0); D_G does not', async () => {
    const common = ['--data', 'mnist:200', '--count', '6', '--seed', '3', '--cache', join(dir, 'cache')];
    const m = runCli(['sample', ...common, '--denoiser', 'multi-delta', '--output', join(dir, 'm.npy'), '--grid', join(dir, 'm.png')]);
    expect(m.code, m.stderr).toBe(0);
    const g = runCli(['sample', ...common, '--denoiser', 'gaussian', '--sampler', 'closed-form', '--output', join(dir, 'g.npy'), '--grid', join(dir, 'g.png'), '--trajectory', join(dir, 'g-traj.npy')]);
    expect(g.code, g.stderr).toBe(0);
    // The saved trajectory: 11 iterates of the 10-step schedule, x_T first, the samples last.
    const traj = await readNpy(join(dir, 'g-traj.npy'));
    const x0 = await readNpy(join(dir, 'g.npy'));
    expect(traj.shape).toEqual([11, 6, 1, 28, 28]);
    expect(Array.from(traj.data.subarray(10 * 6 * 784))).toEqual(Array.from(x0.data));
    const glM = JSON.parse(m.stdout.trim().split('\n').pop()!).gl;
    const glG = JSON.parse(g.stdout.trim().split('\n').pop()!).gl;
    expect(glM).toBeLessThan(0.05);
    expect(glG).toBeGreaterThan(0.2);
    expect(statSync(join(dir, 'm.png')).size).toBeGreaterThan(100);
  });

  it('closed-form with a non-Gaussian denoiser is a clear error', () => {
    const r = runCli(['sample', '--data', 'mnist:50', '--denoiser', 'multi-delta', '--sampler', 'closed-form', '--output', join(dir, 'x.npy')]);
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/closed-form is the exact trajectory of the Gaussian denoiser/);
  });
});

describe('the study (npm start)', () => {
  it('writes report.html with every figure and report.json', () => {
    const out = join(dir, 'study');
    const r = runCli(['start', '--no-network-study', '--data', 'mnist:400', '--count', '8', '--out', out, '--cache', join(dir, 'cache')]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const src of html.matchAll(/<img src="([^"]+)"/g)) expect(existsSync(join(out, src[1])), src[1]).toBe(true);
    expect(html).toMatch(/<svg/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [g, , m] = report.samples;
    expect(m.gl).toBeLessThan(0.1);
    expect(g.gl).toBeGreaterThan(m.gl);
  });
});
