// @gausslens/kernels: the WebGPU runtime and every kernel's typed wrapper and float64 reference.
export * from './device.ts';
export * from './buffers.ts';
export * from './kernel.ts';
export * from './elementwise.ts';
export * from './elementwise.ref.ts';
export * from './reduce.ts';
export * from './reduce.ref.ts';
export * from './random.ts';
export * from './random.ref.ts';
export * from './bench.ts';
export * from './benches.ts';
export * from './channels.ts';
export * from './channels.ref.ts';
export * from './softmax.ts';
export * from './softmax.ref.ts';
