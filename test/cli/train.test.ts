// gausslens train end to end: a tiny run, its checkpoint as a denoiser in `denoise`, bad checkpoints.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '@gausslens/core';
import { runCli } from '../support/cli.ts';
import { randomArray } from '../support/check.ts';

let dir: string;
const data = 'mnist:32?resize=8';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gausslens-train-'));
});

describe('gausslens train', () => {
  it('--dry-run prints the resolved config; bad flags are one-line errors', () => {
    const r = runCli(['train', '--dry-run', '--channels', '8', '--channel-mult', '1,2']);
    expect(r.code, r.stderr).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(cfg.channels).toBe(8);
    expect(cfg.channelMult).toEqual([1, 2]);
    const bad = runCli(['train', '--dry-run', '--channels', '6', '--lr', 'fast']);
    expect(bad.code).toBe(1);
    expect(bad.errors[0]).toMatch(/--lr must be a number/);
    const bad2 = runCli(['train', '--dry-run', '--channels', '6']);
    expect(bad2.errors[0]).toMatch(/channels = 6 must be a multiple of 4/);
  });

  it('trains a tiny U-Net, writes config.json and a checkpoint that `denoise` runs as network:<ckpt>', async () => {
    const out = join(dir, 'run');
    const r = runCli(['train', '--data', data, '--channels', '8', '--channel-mult', '1,2', '--num-blocks', '1', '--attn-resolutions', '4', '--batch', '8', '--steps', '6', '--progress-every', '3', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step 6\/6 \| [\d.]+ img\/s \| loss [\d.]+/);
    const ckpt = join(out, 'checkpoint.safetensors');
    expect(existsSync(ckpt)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).train.channels).toBe(8);
    const input = join(dir, 'x.npy');
    await writeNpy(input, randomArray(2 * 64, -2, 2), [2, 1, 8, 8]);
    const output = join(dir, 'y.npy');
    const d = runCli(['denoise', '--data', data, '--denoiser', `network:${ckpt}`, '--sigma', '1.5', '--input', input, '--output', output]);
    expect(d.code, d.stderr).toBe(0);
    const y = await readNpy(output);
    expect(y.shape).toEqual([2, 1, 8, 8]);
    expect(y.data.every(Number.isFinite)).toBe(true);
    // A truncated checkpoint: one line naming the file.
    const broken = join(dir, 'broken.safetensors');
    writeFileSync(broken, readFileSync(ckpt).subarray(0, 1000));
    const b = runCli(['denoise', '--data', data, '--denoiser', `network:${broken}`, '--sigma', '1.5', '--input', input, '--output', output]);
    expect(b.code).toBe(1);
    expect(b.errors).toHaveLength(1);
    expect(b.errors[0]).toMatch(/broken\.safetensors/);
  });
});
