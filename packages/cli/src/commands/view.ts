// gausslens view <run-dir>: the browser viewer with that run preloaded, served on 127.0.0.1 (the
// viewer is rebuilt first when its sources changed). Nothing is written into the run directory.
import { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildViewer, serveViewer, viewerIsStale, VIEWER_DIR } from '../util/viewer_server.ts';
import { phase } from '../util/progress.ts';
import { numberFlag } from '../util/run.ts';

export interface ViewConfig {
  runDir: string; // the run directory to open in the viewer [path]
  port: number; // TCP port on 127.0.0.1 (0: any free port)
  build: 'auto' | 'always' | 'never'; // rebuild the viewer: when its sources are newer, always, or never
}

export const VIEW_DEFAULTS = { port: 0, build: 'auto' } satisfies Omit<ViewConfig, 'runDir'>;

/** What a directory must hold to be a gausslens run (one of these at its top level). */
const RUN_MARKERS = /\.safetensors$|^report\.json$|^config\.json$/;

export function resolveViewConfig(runDir: string | undefined, o: { port?: string; build?: string }): ViewConfig {
  if (!runDir) throw new Error('gausslens view needs a run directory, e.g. `gausslens view runs/study`');
  if (!existsSync(runDir)) throw new Error(`run directory ${runDir} does not exist: give a directory written by gausslens (e.g. runs/study after npm start)`);
  if (!statSync(runDir).isDirectory()) throw new Error(`${runDir} is not a directory: give the run directory that holds it`);
  if (!readdirSync(runDir).some((f) => RUN_MARKERS.test(f))) throw new Error(`${runDir} is not a gausslens run directory (no .safetensors, report.json or config.json in it)`);
  const build = (o.build ?? VIEW_DEFAULTS.build) as ViewConfig['build'];
  if (!['auto', 'always', 'never'].includes(build)) throw new Error(`--build must be auto, always or never, got '${build}'`);
  return { runDir, port: numberFlag('port', o.port ?? VIEW_DEFAULTS.port, { integer: true, min: 0, max: 65535 }), build };
}

export function viewCommand(): Command {
  return new Command('view')
    .description('open a run directory in the browser viewer (served on 127.0.0.1, read-only)')
    .argument('<run-dir>', 'a run directory of gausslens (gaussian, train, distill, start)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', String(VIEW_DEFAULTS.port))
    .option('--build <when>', 'rebuild the viewer: auto (when stale) | always | never', VIEW_DEFAULTS.build)
    .action(async (runDir: string, o: { port?: string; build?: string }) => {
      const cfg = resolveViewConfig(runDir, o);
      const dist = join(VIEWER_DIR, 'dist');
      if (cfg.build === 'always' || (cfg.build === 'auto' && viewerIsStale(dist))) {
        phase('building the viewer (vite build)');
        const t0 = performance.now();
        await buildViewer(dist);
        phase(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } else if (!existsSync(join(dist, 'index.html'))) throw new Error(`the viewer is not built (${dist}): run without --build never`);
      const server = await serveViewer({ dist, runDir: cfg.runDir, port: cfg.port });
      process.stdout.write(`gausslens view: ${cfg.runDir} at ${server.url}\n(open it in a browser with WebGPU; Ctrl-C stops the server)\n`);
      await new Promise<void>((done) => {
        const stop = (): void => void server.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
