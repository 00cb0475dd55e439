// Run directories: runs/<name>/ with the resolved config.json and a report.json, written atomically.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '@gausslens/core';

export function runDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomicSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeConfig(dir: string, config: object): void {
  writeJson(join(dir, 'config.json'), config);
}

/** A file-system-safe name for a data spec or denoiser spec. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'run';
}

/** Parses a number flag, with a one-line error naming the flag. */
export function numberFlag(name: string, v: string | number, opts: { integer?: boolean; min?: number; max?: number; positive?: boolean } = {}): number {
  const x = typeof v === 'number' ? v : Number(v);
  if (typeof v === 'string' && v.trim() === '') throw new Error(`--${name} needs a value`);
  if (!Number.isFinite(x)) throw new Error(`--${name} must be a number, got '${v}'`);
  if (opts.integer && !Number.isInteger(x)) throw new Error(`--${name} must be an integer, got ${v}`);
  if (opts.positive && !(x > 0)) throw new Error(`--${name} must be positive, got ${v}`);
  if (opts.min !== undefined && x < opts.min) throw new Error(`--${name} must be ≥ ${opts.min}, got ${v}`);
  if (opts.max !== undefined && x > opts.max) throw new Error(`--${name} must be ≤ ${opts.max}, got ${v}`);
  return x;
}
