// gausslens view: serves the built viewer and one run directory, read-only, on 127.0.0.1; a run
// directory that does not exist (or is not a run) ends in one line and exit code 1.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSafetensors } from '@gausslens/core';
import { runCli } from '../support/cli.ts';
import { randomArray } from '../support/check.ts';

const bin = fileURLToPath(new URL('../../packages/cli/bin/gausslens.js', import.meta.url));
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gausslens-view-'));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts `gausslens view` and resolves with the URL it prints (rejects with stderr if it exits first). */
function startView(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'view', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((ok, fail) => {
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(out);
      if (m) ok({ child, url: m[0] });
    });
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => fail(new Error(`gausslens view exited (${code}) before serving: ${err}`)));
  });
}

/** A GET with a chosen Host header (fetch does not let a test set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('gausslens view', () => {
  it('a run directory that does not exist: one line, exit 1', () => {
    const missing = join(tmpdir(), `gausslens-no-such-run-${process.pid}-${Date.now()}`);
    const r = runCli(['view', missing]);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([`gausslens: run directory ${missing} does not exist: give a directory written by gausslens (e.g. runs/study after npm start)`]);
    const notRun = tempDir();
    writeFileSync(join(notRun, 'notes.txt'), 'hello');
    const r2 = runCli(['view', notRun]);
    expect(r2.code).toBe(1);
    expect(r2.errors).toHaveLength(1);
    expect(r2.errors[0]).toMatch(/is not a gausslens run directory/);
  });

  it('serves the viewer and the run directory, read-only, on 127.0.0.1', async () => {
    const run = tempDir();
    const report = JSON.stringify({ curve: Array.from(randomArray(7)) });
    writeFileSync(join(run, 'report.json'), report);
    const mean = randomArray(5);
    const chunks = encodeSafetensors({ mean: { shape: [5], data: mean }, eigenvalues: { shape: [1], data: Float64Array.of(1.5) }, eigenvectors: { shape: [1, 5], data: randomArray(5) } }, { format: 'gausslens-gaussian-structure', data: 'mnist:5' });
    writeFileSync(join(run, 'gaussian.safetensors'), Buffer.concat(chunks));
    const { child, url } = await startView([run, '--port', '0']);
    try {
      const origin = new URL(url).origin;
      expect(new URL(url).searchParams.get('run')).toBe('run.json');
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>gausslens viewer</title>');
      const list = (await (await fetch(`${origin}/run.json`)).json()) as { files: { path: string; size: number }[] };
      expect(list.files.map((f) => f.path)).toEqual(['gaussian.safetensors', 'report.json']);
      expect(await (await fetch(`${origin}/run/report.json`)).text()).toBe(report);
      expect((await fetch(`${origin}/mnist-digits.safetensors`)).status).toBe(200);
      expect((await fetch(`${origin}/run/..%2f..%2fpackage.json`)).status).toBe(404);
      expect((await fetch(`${origin}/run/report.json`, { method: 'POST', body: 'x' })).status).toBe(405);
      expect(await getWithHost(`${origin}/run/report.json`, 'attacker.example')).toBe(403);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((ok) => (child.exitCode !== null ? ok(child.exitCode) : child.on('exit', ok)));
    expect(code).toBe(0);
  }, 180_000);
});
