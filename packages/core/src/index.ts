// @gausslens/core: the research library (data sets, file formats, denoisers, samplers, analysis).
export * from './io/atomic.ts';
export * from './io/npy.ts';
export * from './io/safetensors.ts';
export * from './io/png.ts';
export * from './io/plot.ts';
export * from './data/prng.ts';
export * from './data/spec.ts';
export * from './data/mnist.ts';
export * from './data/resize.ts';
export * from './data/load.ts';
export * from './edm/schedule.ts';
export * from './edm/samplers.ts';
export * from './edm/samplers.ref.ts';
export * from './denoisers/types.ts';
