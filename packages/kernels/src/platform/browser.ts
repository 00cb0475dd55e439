// Browser platform: navigator.gpu and the shaders bundled by Vite from the repository's shaders/ folder.
export const platformName = 'browser';
export const platformBackend = 'browser';

const sources = import.meta.glob('../../../../shaders/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export function platformGpu(): GPU | undefined {
  return typeof navigator !== 'undefined' ? navigator.gpu : undefined;
}

/** Browsers wait for GPU promises without busy polling: nothing to do. */
export function gpuWait<T>(promise: Promise<T>): Promise<T> {
  return promise;
}

export function loadShaderSource(file: string): string {
  const src = sources[`../../../../shaders/${file}.wgsl`];
  if (src === undefined) throw new Error(`shader '${file}.wgsl' is not bundled: is it in shaders/?`);
  return src;
}
