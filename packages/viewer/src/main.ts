// The gausslens viewer: the same kernels as the CLI, on navigator.gpu.
import { getDevice } from '@gausslens/kernels';

async function start(): Promise<void> {
  const app = document.getElementById('app')!;
  try {
    const gpu = await getDevice();
    const a = gpu.adapter;
    app.innerHTML = `<h1>gausslens</h1><p id="adapter">WebGPU adapter: ${a.vendor} ${a.architecture} ${a.description}</p>`;
  } catch (err) {
    app.innerHTML = `<p id="error" role="alert">${(err as Error).message}</p>`;
  }
}

void start();
