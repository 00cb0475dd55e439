// Runs the gausslens CLI as a user would, in a child process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../packages/cli/bin/gausslens.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr without the driver's own warnings (Dawn/Mesa print those themselves). */
  errors: string[];
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd, timeout: 600_000 });
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('gausslens:'));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, errors };
}
