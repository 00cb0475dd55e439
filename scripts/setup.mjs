#!/usr/bin/env node
// Set-up for a fresh clone, run before `npm start` and `npm test` (plain Node: no dependencies).
// 1. npm packages: installed when node_modules is missing or older than package-lock.json.
// 2. A WebGPU adapter: probed with Dawn; where none exists on Linux and apt-get is usable as root,
//    Mesa's software Vulkan driver (lavapipe, Mesa >= 24) is installed — from bookworm-backports on
//    Debian 12, whose own Mesa is too old.
// 3. With --browser: Debian's Chromium, for the viewer's end-to-end test.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => process.stderr.write(`setup: ${msg}\n`);

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
}

function npmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
  if (!stale) return;
  log('installing npm packages');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

/** Asks Dawn for an adapter in a child process (a failed driver load must not take us down). */
function adapterProbe() {
  const probe = `
    import { create, globals } from 'webgpu';
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const a = await gpu.requestAdapter();
    console.log(JSON.stringify(a ? { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description } : null));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: join(root, 'packages', 'kernels'), encoding: 'utf8', env: { XDG_RUNTIME_DIR: '/tmp', ...process.env } });
  const line = (r.stdout || '').trim().split('\n').pop();
  try {
    return JSON.parse(line || 'null');
  } catch {
    return null;
  }
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = () => spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;

function osRelease() {
  try {
    return Object.fromEntries(readFileSync('/etc/os-release', 'utf8').split('\n').filter(Boolean).map((l) => { const i = l.indexOf('='); return [l.slice(0, i), l.slice(i + 1).replace(/^"|"$/g, '')]; }));
  } catch {
    return {};
  }
}

function installMesa() {
  const os = osRelease();
  const args = ['install', '-y', '--no-install-recommends'];
  if (os.ID === 'debian' && os.VERSION_CODENAME === 'bookworm') {
    const list = '/etc/apt/sources.list.d/bookworm-backports.list';
    if (!existsSync(list)) {
      log('Debian 12: adding bookworm-backports for Mesa >= 24');
      writeFileSync(list, 'deb http://deb.debian.org/debian bookworm-backports main\n');
    }
    args.push('-t', 'bookworm-backports');
  }
  run('apt-get', ['update', '-qq']);
  run('apt-get', [...args, 'mesa-vulkan-drivers']);
}

function webgpuAdapter() {
  let adapter = adapterProbe();
  if (adapter) return adapter;
  if (process.platform !== 'linux' || !isRoot() || !hasApt()) {
    log('no WebGPU adapter found and cannot install one here: install Mesa >= 24 `mesa-vulkan-drivers` (Debian 12: from bookworm-backports) or a GPU driver with Vulkan');
    return null;
  }
  log('no WebGPU adapter found: installing Mesa\'s software Vulkan driver (lavapipe)');
  installMesa();
  adapter = adapterProbe();
  if (!adapter) log('still no WebGPU adapter after installing Mesa: run `npx gausslens doctor` for details');
  return adapter;
}

function chromium() {
  if (existsSync('/usr/bin/chromium')) return;
  if (process.platform !== 'linux' || !isRoot() || !hasApt()) {
    log('Chromium not found at /usr/bin/chromium and cannot be installed here: the browser test will say so');
    return;
  }
  log('installing Debian Chromium for the browser end-to-end test');
  // Another apt job (e.g. an unattended upgrade) may hold dpkg's lock: wait for it instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  run('apt-get', [...lock, 'update', '-qq']);
  run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', 'chromium']);
}

try {
  npmPackages();
  const a = webgpuAdapter();
  if (a) log(`WebGPU adapter: ${a.vendor} ${a.architecture} (${a.description})`);
  if (process.argv.includes('--browser')) chromium();
} catch (err) {
  log(`failed: ${err.message}`);
  process.exit(1);
}
