import { defineConfig } from 'vite';

export default defineConfig({
  // The kernels package picks its browser platform (navigator.gpu, bundled shaders) by this condition.
  resolve: { conditions: ['browser', 'import', 'module', 'default'] },
  server: { host: '127.0.0.1', fs: { allow: ['../..'] } },
  build: { target: 'es2022', outDir: 'dist' },
});
