// The viewer end to end: Vite builds it, it is served on 127.0.0.1 by the server of `gausslens view`,
// and Debian's Chromium (headless, WebGPU on SwiftShader) computes the Gaussian structure of 500
// digits in the page and denoises a held-out digit at a fresh random σ and noise seed. Node builds
// the structure of the same 500 digits on Dawn and denoises the page's own x: the two D_G(x; σ)
// must agree. Also: a file that is not a gausslens export, a browser without WebGPU, trajectories,
// the benchmark page, and a run directory (Node's structure, saved as `gausslens gaussian` does)
// opened by the folder picker. The screenshot is saved to runs/e2e/viewer.png; GAUSSLENS_UPDATE_SCREENSHOT=1
// also writes docs/viewer.png (the README's), so a plain `npm test` leaves the checkout clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getDevice, randomNormal } from '@gausslens/kernels';
import { loadDataset, buildGaussianStructure, GaussianDenoiser, releaseStructure, saveStructure, gaussianLinearModel, saveLinearModel, releaseLinearModel } from '@gausslens/core';
import { buildViewer, serveViewer, type ViewerServer } from '../../packages/cli/src/util/viewer_server.ts';
import { expectClose, relError, POISON } from '../support/check.ts';
import { VIEWER_DENOISE_REL, VIEWER_NOISE_REL } from '../support/tolerances.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
// WebGPU on Chromium's software adapter (SwiftShader); no network traffic of the browser's own.
const FLAGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const SPEC = 'mnist:500';
const HELD_OUT = 16; // the viewer's inputs: the last 16 digits of the seeded order (session.ts)

interface PageDenoise {
  token: number;
  index: number;
  sigma: number;
  seed: number;
  y: number[];
  x: number[];
  outputs: Record<string, number[]>;
}

/** Chromium from Debian (scripts/setup.mjs --browser installs it as root with apt); a clear failure otherwise. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'setup.mjs'), '--browser'], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
  if (!existsSync(CHROMIUM)) {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop();
    throw new Error(`Chromium is not installed at ${CHROMIUM} and \`node scripts/setup.mjs --browser\` could not install it (${why}): install Debian's \`chromium\` package (apt-get install chromium, as root)`);
  }
}

describe('the browser viewer', () => {
  let dist = '';
  let server: ViewerServer | null = null;
  let browser: Browser | null = null;
  const t0 = performance.now();
  const log = (what: string): void => console.log(`viewer e2e: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  beforeAll(async () => {
    ensureChromium();
    dist = mkdtempSync(join(tmpdir(), 'gausslens-viewer-'));
    await buildViewer(dist);
    log('built');
    server = await serveViewer({ dist, runDir: null, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
    log('Chromium started');
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  async function openViewer(init?: () => void): Promise<Page> {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    if (init) await page.addInitScript(init);
    await page.goto((server as ViewerServer).url);
    await page.waitForSelector('#status[data-state="idle"]', { timeout: 60_000 });
    return page;
  }

  it('says so when WebGPU is missing', async () => {
    const page = await openViewer(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    expect(await page.isVisible('#no-webgpu')).toBe(true);
    expect(await page.textContent('#no-webgpu')).toMatch(/no WebGPU \(navigator\.gpu is missing\)/);
    await page.close();
  });

  it('computes the Gaussian structure of 500 digits in the page; D_G(x; σ) equals Node’s', async () => {
    const page = await openViewer();
    expect(await page.textContent('#adapter')).toMatch(/WebGPU: /);

    // A file that is not a gausslens export: a one-line message, nothing loaded.
    await page.setInputFiles('#open-files', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) });
    await page.waitForSelector('#status[data-state="error"]');
    expect(await page.textContent('#error')).toMatch(/^holiday\.jpg: not a gausslens export/);

    await page.fill('#data-spec', SPEC);
    await page.click('#compute');
    await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 150_000 });
    expect(await page.textContent('#error')).toBe('');
    log(`in the page: ${await page.textContent('#status')}`);

    // Fresh random inputs: σ, noise seed and which held-out digit.
    const sigma = Number((0.2 * 25 ** Math.random()).toPrecision(4));
    const seed = Math.floor(Math.random() * 1e6);
    const index = Math.floor(Math.random() * HELD_OUT);
    await page.fill('#sigma', String(sigma));
    await page.fill('#noise-seed', String(seed));
    await page.fill('#input-index', String(index));
    await page.waitForFunction(
      ([s, n, i]) => {
        const r = (globalThis as unknown as { gausslens: { denoise: PageDenoise | null } }).gausslens.denoise;
        return r !== null && r.sigma === s && r.seed === n && r.index === i && document.getElementById('denoise')?.dataset.state === 'ready';
      },
      [sigma, seed, index] as const,
      { timeout: 60_000 },
    );
    const got = (await page.evaluate(() => (globalThis as unknown as { gausslens: { denoise: PageDenoise } }).gausslens.denoise)) as PageDenoise;
    log(`denoised in the page at σ = ${sigma}, seed ${seed}, input ${index}`);

    // Node: the same digits, the same held-out input, the same Philox noise, D_G on the page's x.
    const gpu = await getDevice();
    const ds = await loadDataset(SPEC);
    const withHeld = await loadDataset(SPEC, { heldOut: HELD_OUT });
    expect(relError(withHeld.images, ds.images)).toBe(0); // holding out the last 16 leaves the 500 as they are
    const d = ds.d;
    const y = (withHeld.heldOut as Float32Array).subarray(index * d, (index + 1) * d);
    expect(got.y).toEqual(Array.from(y));
    const noise = gpu.alloc(d, 'test-noise');
    randomNormal(gpu, noise, { seed }, d);
    const n = await gpu.read(noise, d);
    const xRef = Array.from(y, (v, j) => v + sigma * n[j]);
    expectClose(got.x, xRef, VIEWER_NOISE_REL, 'x = y + σ·n (page vs Node)');

    const { structure, info } = await buildGaussianStructure(gpu, ds.images, ds.n, d, [ds.c, ds.h, ds.w]);
    const den = new GaussianDenoiser(gpu, structure);
    /** Node's D_G(x; σ) on the page's x. */
    const nodeDG = async (xPage: number[]): Promise<Float32Array> => {
      const x = gpu.upload(Float32Array.from(xPage), 'test-x');
      const out = gpu.alloc(d, 'test-out');
      gpu.fill(out, POISON);
      den.denoise(gpu, x, 1, sigma, out);
      const ref = await gpu.read(out, d);
      for (const b of [x, out]) b.release();
      return ref;
    };
    const ref = await nodeDG(got.x);
    log(`D_G page vs Node: relative error ${relError(got.outputs.gaussian, ref).toExponential(2)} (rank ${structure.rank})`);
    expectClose(got.outputs.gaussian, ref, VIEWER_DENOISE_REL, 'D_G(x; σ): page vs Node');
    expect(got.outputs['multi-delta']?.every(Number.isFinite)).toBe(true);
    noise.release();

    // Trajectories and the benchmark page, then the screenshot for the README.
    await page.click('#sample');
    await page.waitForSelector('#trajectories[data-state="ready"]', { timeout: 120_000 });
    await page.waitForFunction(() => /^step (\d+)\/\1:/.test(document.querySelector('.traj-rows .facts')?.textContent ?? ''), undefined, { timeout: 30_000 });
    log('sampled trajectories');
    await page.locator('#bench .case', { hasText: 'jacobi sweep' }).locator('input').uncheck(); // ~10 s on SwiftShader
    await page.click('#bench-run');
    await page.waitForSelector('#bench[data-state="ready"]', { timeout: 120_000 });
    const rows = await page.locator('#bench-table tbody tr').count();
    expect(rows).toBe(4);
    log(`benchmarks: ${rows} cases`);
    mkdirSync(join(ROOT, 'runs', 'e2e'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'runs', 'e2e', 'viewer.png'), fullPage: true });
    if (process.env.GAUSSLENS_UPDATE_SCREENSHOT === '1') copyFileSync(join(ROOT, 'runs', 'e2e', 'viewer.png'), join(ROOT, 'docs', 'viewer.png'));

    // A run directory as `gausslens gaussian` writes it, opened by the folder picker: Node's own structure in the page.
    const run = mkdtempSync(join(tmpdir(), 'gausslens-viewer-run-'));
    try {
      await saveStructure(join(run, 'gaussian.safetensors'), structure, { data: ds.spec, n: ds.n, d, imageShape: [ds.c, ds.h, ds.w], route: info.route, seconds: info.seconds, created: new Date().toISOString() });
      // A linear model in the same run: W_G, b_G at the page's σ (eq 6 as eq 8), so the page's D_L must equal D_G.
      const WG = gaussianLinearModel(gpu, structure, [sigma]);
      await saveLinearModel(join(run, 'linear.safetensors'), gpu, WG, { teacher: 'gaussian' });
      releaseLinearModel(WG);
      writeFileSync(join(run, 'report.json'), JSON.stringify({ rank: structure.rank, topEigenvalues: Array.from(structure.eigenvalues.subarray(0, 20)) }));
      await page.setInputFiles('#open-dir', run);
      await page.waitForFunction(() => /^opening .*: done/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 120_000 });
      expect(await page.textContent('#structure .facts')).toMatch(/from gaussian\.safetensors/);
      expect(await page.locator('#report svg').count()).toBeGreaterThanOrEqual(1); // topEigenvalues drawn
      await page.waitForFunction((t) => { const r = (globalThis as unknown as { gausslens: { denoise: PageDenoise | null } }).gausslens.denoise; return r !== null && r.token > t && document.getElementById('denoise')?.dataset.state === 'ready'; }, got.token, { timeout: 60_000 });
      const again = (await page.evaluate(() => (globalThis as unknown as { gausslens: { denoise: PageDenoise } }).gausslens.denoise)) as PageDenoise;
      expect([again.sigma, again.seed, again.index]).toEqual([sigma, seed, index]);
      expectClose(again.outputs.gaussian, await nodeDG(again.x), VIEWER_DENOISE_REL, 'D_G(x; σ) from the opened run: page vs Node');
      expectClose(again.outputs.linear, await nodeDG(again.x), VIEWER_DENOISE_REL, 'D_L(x; σ) of the run\'s linear model (W_G at σ): page vs Node D_G');
      log('opened a gaussian run directory');
    } finally {
      rmSync(run, { recursive: true, force: true });
      den.release();
      releaseStructure(structure);
    }
    await page.close();
  }, 300_000);
});
