// The browser viewer from the CLI: built with Vite when its sources are newer than the build, and
// served with one run directory on 127.0.0.1 only — read-only (GET and HEAD), no path outside the
// build or the run, and requests naming another host refused (no DNS rebinding).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VIEWER_DIR = fileURLToPath(new URL('../../../viewer/', import.meta.url));
const REPO = join(VIEWER_DIR, '..', '..');
/** What a viewer build is made of: a newer file in any of these makes the build stale. */
const SOURCES = [join(VIEWER_DIR, 'index.html'), join(VIEWER_DIR, 'vite.config.ts'), join(VIEWER_DIR, 'src'), join(REPO, 'packages', 'core', 'src'), join(REPO, 'packages', 'kernels', 'src'), join(REPO, 'shaders')];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.safetensors': 'application/octet-stream', '.npy': 'application/octet-stream', '.txt': 'text/plain; charset=utf-8',
};

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of readdirSync(path)) t = Math.max(t, newestMtime(join(path, e)));
  return t;
}

/** True when `dist` has no build or a source is newer than it. */
export function viewerIsStale(dist: string): boolean {
  const stamp = join(dist, 'index.html');
  return !existsSync(stamp) || SOURCES.some((s) => newestMtime(s) > statSync(stamp).mtimeMs);
}

/** Builds the viewer into `outDir` (through a temporary folder, renamed into place when complete). */
export async function buildViewer(outDir: string): Promise<void> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error('building the viewer needs Vite, a development dependency of this repository: run `npm install`');
  }
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await vite.build({ root: VIEWER_DIR, configFile: join(VIEWER_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    const old = `${outDir}.old-${process.pid}-${Date.now()}`;
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The run's files (relative paths, '/'-separated), hidden files and temporary files left out. */
export function listRun(dir: string, maxFiles = 5000): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const walk = (abs: string, rel: string, depth: number): void => {
    for (const e of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || out.length >= maxFiles) continue;
      const p = join(abs, e.name);
      if (e.isDirectory() && depth < 3) walk(p, `${rel}${e.name}/`, depth + 1);
      else if (e.isFile()) out.push({ path: rel + e.name, size: statSync(p).size });
    }
  };
  walk(dir, '', 0);
  return out;
}

export interface ViewerServer {
  url: string; // the page, with the run preloaded when there is one
  port: number;
  close(): Promise<void>;
}

/** A file under `root` named by a URL path, or null (outside root, missing, not a regular file). */
function fileUnder(root: string, urlPath: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const abs = resolve(root, `.${rel.startsWith('/') ? '' : '/'}${rel}`);
  try {
    const real = realpathSync(abs);
    const base = realpathSync(root);
    if (real !== base && !real.startsWith(base + sep)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(`${text}\n`);
}

/** Serves the built viewer from `dist` and, read-only, the run directory under /run/ (listing: /run.json). */
export async function serveViewer(opts: { dist: string; runDir: string | null; port: number }): Promise<ViewerServer> {
  const dist = resolve(opts.dist);
  const runDir = opts.runDir ? resolve(opts.runDir) : null;
  let port = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 403, 'forbidden host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only: GET and HEAD only');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let file: string | null = null;
    if (path === '/run.json' && runDir) {
      const body = JSON.stringify({ name: basename(runDir), files: listRun(runDir) });
      res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (path.startsWith('/run/') && runDir) file = fileUnder(runDir, path.slice(4));
    else file = fileUnder(dist, path === '/' ? '/index.html' : path);
    if (!file) return send(res, 404, 'not found');
    const size = statSync(file).size;
    res.writeHead(200, { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  };
  const server = createServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(new Error(e.code === 'EADDRINUSE' ? `port ${opts.port} on 127.0.0.1 is in use: choose another with --port (0: any free port)` : `cannot listen on 127.0.0.1:${opts.port} (${e.message})`)));
    server.listen(opts.port, '127.0.0.1', ok);
  });
  port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/${runDir ? '?run=run.json' : ''}`;
  return {
    url,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
