// @gausslens/core in the browser (package.json export condition "browser"): the modules that need
// no Node APIs. Files come in as bytes (decode*, *FromSafetensors), data sets from images in memory.
export * from './io/float16.ts';
export * from './io/safetensors_format.ts';
export * from './io/plot.ts';
export * from './report/html.ts';
export * from './data/prng.ts';
export * from './data/spec.ts';
export * from './data/resize.ts';
export { datasetFromU8Images, type Dataset, type LoadOptions } from './data/assemble.ts';
export type { U8Images } from './data/mnist.ts';
export * from './edm/schedule.ts';
export * from './edm/samplers.ts';
export * from './edm/network_model.ts';
export * from './denoisers/types.ts';
export * from './denoisers/gaussian.ts';
export * from './denoisers/gaussian.ref.ts';
export * from './denoisers/multi_delta.ts';
export * from './gaussian/structure.ts';
export * from './gaussian/build.ts';
export * from './gaussian/decode.ts';
export * from './gaussian/eigh_cpu.ts';
export * from './distill/linear_model.ts';
