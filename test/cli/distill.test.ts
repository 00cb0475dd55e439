// gausslens distill end to end: distil D_G on a tiny set, use the result as --denoiser linear:<file>;
// bad flags are one-line errors.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '@gausslens/core';
import { runCli } from '../support/cli.ts';
import { resolveDistillCommand } from '../../packages/cli/src/commands/distill.ts';
import { randomArray } from '../support/check.ts';
import { DISTILL_ADAM_WEIGHT_NMSE, DISTILL_LSTSQ_WEIGHT_NMSE } from '../support/tolerances.ts';

let dir: string;
const data = 'mnist:200?resize=8&held-out=150';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gausslens-distill-cli-'));
});

describe('gausslens distill', () => {
  it('bad flags and data without held-out images are one-line errors', () => {
    const out = join(dir, 'x.safetensors');
    const flags = (o: Record<string, string>) => () => resolveDistillCommand(o);
    expect(flags({ data, out })).toThrow(/^--teacher is required/);
    expect(flags({ teacher: 'gaussian', data, out, steps: 'many' })).toThrow(/^--steps must be a number, got 'many'$/);
    expect(flags({ teacher: 'gaussian', data, out, method: 'sgd' })).toThrow(/^--method must be adam or lstsq, got 'sgd'$/);
    expect(flags({ teacher: 'gaussian', data, out, sigmas: '1,2', lr: '1,2,3' })).toThrow(/lr has 3 values for 2 sigmas/);
    expect(flags({ teacher: 'gauss', data, out })).toThrow(/unknown denoiser 'gauss'/);
    expect(flags({ teacher: 'gaussian', data, out: join(dir, 'x.bin') })).toThrow(/--out must end in \.safetensors/);
    for (const args of [['--steps', '0'], []]) {
      const r = runCli(['distill', '--teacher', 'gaussian', '--data', args.length ? data : 'mnist:50?resize=8', '--out', out, ...args]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.errors.filter((l) => !/gausslens: loading/.test(l)), r.stderr).toHaveLength(1);
      expect(r.errors.at(-1)).toMatch(args.length ? /--steps must be ≥ 1, got 0/ : /holds no images out: add \?held-out=K/);
    }
  });

  it('distils D_G (adam and lstsq), writes the model and sidecar; `denoise --denoiser linear:<file>` applies it', async () => {
    const out = join(dir, 'linear.safetensors');
    const r = runCli(['distill', '--teacher', 'gaussian', '--data', data, '--sigmas', '40,4', '--steps', '300', '--batch', '64', '--reference', 'gaussian', '--cache', '', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.sigmas.map((s: { sigma: number }) => s.sigma)).toEqual([40, 4]);
    for (const s of summary.sigmas) expect(s.weightNmse, `σ = ${s.sigma}`).toBeLessThan(DISTILL_ADAM_WEIGHT_NMSE);
    expect(existsSync(out)).toBe(true);
    const side = JSON.parse(readFileSync(join(dir, 'linear.json'), 'utf8'));
    expect(side.config.distill.steps).toBe(300);
    expect(side.curves[0].steps.at(-1)).toBe(300);

    const ls = runCli(['distill', '--teacher', 'gaussian', '--data', data, '--sigmas', '4', '--method', 'lstsq', '--reference', 'gaussian', '--cache', '', '--out', join(dir, 'ls.safetensors')]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout).sigmas[0].weightNmse).toBeLessThan(DISTILL_LSTSQ_WEIGHT_NMSE);

    const input = join(dir, 'x.npy');
    await writeNpy(input, randomArray(3 * 64, -2, 2), [3, 1, 8, 8]);
    const output = join(dir, 'y.npy');
    const d = runCli(['denoise', '--data', data, '--denoiser', `linear:${out}`, '--sigma', '4', '--input', input, '--output', output, '--cache', '']);
    expect(d.code, d.stderr).toBe(0);
    const y = await readNpy(output);
    expect(y.shape).toEqual([3, 1, 8, 8]);
    expect(y.data.every(Number.isFinite)).toBe(true);
    // D_L at σ = 4 is the distilled D_G at σ = 4: compare with `denoise --denoiser gaussian`.
    const g = runCli(['denoise', '--data', data, '--denoiser', 'gaussian', '--sigma', '4', '--input', input, '--output', join(dir, 'g.npy'), '--cache', '']);
    expect(g.code, g.stderr).toBe(0);
    const yg = (await readNpy(join(dir, 'g.npy'))).data;
    let num = 0;
    let den = 0;
    for (let i = 0; i < yg.length; i++) {
      num += (y.data[i] - yg[i]) ** 2;
      den += yg[i] ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(DISTILL_ADAM_WEIGHT_NMSE);
    const small = join(dir, 'x16.npy');
    await writeNpy(small, randomArray(16, -2, 2), [1, 16]);
    const wrong = runCli(['denoise', '--data', 'mnist:200?resize=4', '--denoiser', `linear:${out}`, '--sigma', '4', '--input', small, '--output', output, '--cache', '']);
    expect(wrong.code).toBe(1);
    expect(wrong.errors.at(-1)).toMatch(/d = 64 values, the data set .* has d = 16/);
  });
});
