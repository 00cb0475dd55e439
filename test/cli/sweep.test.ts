// gausslens sweep: spec validation, cells as independent resumable jobs, the summary that joins them.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSweepSpec, sweepCells, readSweepSpec } from '../../packages/cli/src/study/sweep_spec.ts';
import { runCli } from '../support/cli.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gausslens-sweep-'));
});

const tiny = (out: string) => ({
  name: 'tiny',
  figure: 'a test',
  out,
  train: { data: 'mnist:{n}?held-out=8&resize=8', channels: 4, channelMult: [1, 1], numBlocks: 1, attnResolutions: [], dropout: 0, batch: 4, steps: 2, lrRampupKimg: 0, checkpointEvery: 0, progressEvery: 1 },
  vary: { field: 'n', values: [8, 24] },
  measure: { sigmas: [0.3, 4], samples: 4, pairs: 2, generate: 4, seed: 1 },
});

describe('sweep specs', () => {
  it('expands cells: a {placeholder} in train.data or a training-config field', () => {
    const spec = validateSweepSpec(tiny('runs/x'));
    const cells = sweepCells(spec);
    expect(cells.map((c) => c.id)).toEqual(['n8', 'n24']);
    expect(cells[1].train.data).toBe('mnist:24?held-out=8&resize=8');
    expect(cells[1].dir).toBe('runs/x/n24');
    const ch = sweepCells(validateSweepSpec({ ...tiny('o'), vary: { field: 'channels', values: [4, 8] } }));
    expect(ch.map((c) => c.train.channels)).toEqual([4, 8]);
    // The committed specs are valid.
    for (const f of ['sweeps/mnist16-data-size.json', 'sweeps/mnist16-channels-n64.json', 'sweeps/mnist16-steps-n64.json']) expect(readSweepSpec(f).name).toBeTruthy();
  });

  it('rejects bad specs with one line naming the problem', () => {
    expect(() => validateSweepSpec({ ...tiny('o'), colour: 1 }, 's.json')).toThrow(/s\.json: unknown key 'colour'/);
    expect(() => validateSweepSpec({ ...tiny('o'), vary: { field: 'nope', values: [1] } })).toThrow(/neither a training-config field nor a \{nope\} placeholder/);
    expect(() => validateSweepSpec({ ...tiny('o'), vary: { field: 'channels', values: [6] } })).toThrow(/cell channels6: .*multiple of 4/);
    expect(() => validateSweepSpec({ ...tiny('o'), vary: { field: 'n', values: [8, 8] } })).toThrow(/duplicates/);
    expect(() => validateSweepSpec({ ...tiny('o'), measure: { samples: 0 } })).toThrow(/measure\.samples/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const r = runCli(['sweep', bad]);
    expect(r.code).toBe(1);
    expect(r.errors.at(-1)).toMatch(/bad\.json: not valid JSON/);
  });

  it('trains and measures each cell once, skips done cells, and joins them in a summary', { timeout: 400_000 }, () => {
    const out = join(dir, 'tiny'); // = <checkpoints dir>/<sweep name>: the layout npm start reads shipped cells from
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(tiny(out)));
    const one = runCli(['sweep', file, '--cell', 'n8', '--cache', '']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/1\/2 cells done/);
    const all = runCli(['sweep', file, '--cache', '']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/cell n8: trained/);
    expect(all.stderr).toMatch(/cell n8: measured/);
    expect(all.stdout).toMatch(/2\/2 cells done/);
    const report = JSON.parse(readFileSync(join(out, 'summary', 'report.json'), 'utf8'));
    expect(report.cells.map((c: { id: string }) => c.id)).toEqual(['n8', 'n24']);
    for (const c of report.cells) {
      expect(c.perSigma).toHaveLength(2);
      expect(c.evalImages).toBe('held-out');
      for (const r of c.perSigma) for (const v of Object.values(r)) expect(Number.isFinite(v)).toBe(true);
      expect(c.gl).toBeGreaterThan(0);
    }
    expect(report.sampleDistances).toHaveLength(1);
    for (const f of ['report.html', 'rmse-gaussian.png', 'gap.png', 'linearity.png']) expect(existsSync(join(out, 'summary', f)), f).toBe(true);
    const html = readFileSync(join(out, 'summary', 'report.html'), 'utf8');
    for (const src of html.matchAll(/<img src="([^"]+)"/g)) expect(existsSync(join(out, 'summary', src[1])), src[1]).toBe(true);
    const unknown = runCli(['sweep', file, '--cell', 'n9']);
    expect(unknown.code).toBe(1);
    expect(unknown.errors.at(-1)).toMatch(/--cell n9: not in .*cells: n8, n24/);
  });

  it('npm start measures the shipped cells of a sweep (no training) and analyzes the last one', { timeout: 600_000 }, () => {
    const file = join(dir, 'tiny.json'); // trained by the test above
    const study = join(dir, 'study');
    const r = runCli(['start', '--data', 'mnist:400', '--count', '4', '--out', study, '--cache', '', '--sweep', file, '--checkpoints', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/training ncsnpp/); // the shipped checkpoints were used
    const report = JSON.parse(readFileSync(join(study, 'report.json'), 'utf8'));
    expect(report.network.analyze).toMatch(/analyze\/report\.html$/);
    const analyzed = JSON.parse(readFileSync(join(study, 'analyze', 'report.json'), 'utf8'));
    expect(analyzed.config.network).toMatch(/n24\/checkpoint\.safetensors$/);
    const html = readFileSync(join(study, 'report.html'), 'utf8');
    const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs.some((s) => s.startsWith('analyze/'))).toBe(true);
    for (const src of srcs) expect(existsSync(join(study, src)), src).toBe(true);
  });
});
