// Tensors on GPU buffers, a tape, reverse-mode gradients (rules.ts: one line per op).
export * from './tensor.ts';
export * from './ops.ts';
export * from './rules.ts';
export * from './backward.ts';
