// Vite's import.meta.glob, used by the browser platform only.
interface ImportMeta {
  glob(pattern: string, options: { query: string; import: string; eager: true }): Record<string, unknown>;
}
declare module '#platform' {
  export const platformName: string;
  export const platformBackend: string;
  export function platformGpu(): GPU | undefined;
  export function loadShaderSource(file: string): string;
  export function gpuWait<T>(promise: Promise<T>): Promise<T>;
}
// wgsl_reflect 1.6's main entry is broken; its ES module is used with the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
