import { describe, it, expect } from 'vitest';
import { runCli } from '../support/cli.ts';

describe('gausslens doctor', () => {
  it('prints the adapter and a passing self-test, exit code 0', () => {
    const r = runCli(['doctor']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^adapter\s+\S+/m);
    expect(r.stdout).toMatch(/maxStorageBufferBindingSize/);
    expect(r.stdout).toMatch(/self-test ok\s+axpby/);
    expect(r.stdout).toMatch(/^result\s+ok/m);
  });

  it('--json gives the same report as data', () => {
    const r = runCli(['doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.selfTests.length).toBeGreaterThan(0);
    expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  });

  it('without an adapter: one line that says how to fix it, exit code 1', () => {
    const r = runCli(['doctor'], { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^gausslens: no WebGPU adapter found: .*mesa-vulkan-drivers/);
    expect(r.stdout).toBe('');
  });

  it('an unknown command is a usage error, exit code 2', () => {
    const r = runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
