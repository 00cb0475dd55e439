import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu, fourierEmbedding, positionalEmbedding, fourierEmbeddingRef, positionalEmbeddingRef } from '@gausslens/kernels';
import { EMBEDDING_REL, EMBEDDING_LARGE_ARG_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, randomNormalArray, POISON } from '../support/check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

function poisoned(n: number) {
  const b = gpu.alloc(n);
  gpu.fill(b, POISON);
  return b;
}

/** EDM's c_noise = ln(σ)/4 with ln σ ~ N(−1.2, 1.2) (training) widened to σ ∈ [0.002, 80] (sampling). */
function edmNoise(n: number): Float32Array {
  const x = randomNormalArray(n, 1.2).map((v) => (v - 1.2) / 4);
  x[0] = Math.log(0.002) / 4;
  if (n > 1) x[1] = Math.log(80) / 4;
  return x;
}

describe('noise embeddings', () => {
  for (const [batch, channels] of [[1, 2], [3, 6], [64, 256], [5, 10]] as const) {
    it(`Fourier (NCSN++), B = ${batch}, C = ${channels}`, async () => {
      const x = edmNoise(batch);
      const freqs = randomNormalArray(channels / 2, 16); // EDM: randn(C/2)·scale, scale = 16
      const [bx, bf, out] = [gpu.upload(x), gpu.upload(freqs), poisoned(batch * channels)];
      fourierEmbedding(gpu, bx, bf, out, batch, channels);
      expectClose(await gpu.read(out), fourierEmbeddingRef(x, freqs), EMBEDDING_REL, 'fourier');
      for (const b of [bx, bf, out]) b.release();
    });
  }

  for (const [batch, channels] of [[1, 4], [3, 6], [64, 256], [5, 10]] as const) {
    it(`positional (DDPM++, endpoint), B = ${batch}, C = ${channels}`, async () => {
      const x = edmNoise(batch);
      const [bx, out] = [gpu.upload(x), poisoned(batch * channels)];
      positionalEmbedding(gpu, bx, out, batch, channels);
      expectClose(await gpu.read(out), positionalEmbeddingRef(x, channels), EMBEDDING_REL, 'positional');
      gpu.fill(out, POISON);
      positionalEmbedding(gpu, bx, out, batch, channels, { endpoint: false, maxPositions: 1000 });
      expectClose(await gpu.read(out), positionalEmbeddingRef(x, channels, 1000, false), EMBEDDING_REL, 'positional, no endpoint');
      bx.release();
      out.release();
    });
  }

  it('large arguments (VP-style c_noise = 999·t): Fourier stays exact, positional within float32 frequency error', async () => {
    const [batch, channels] = [33, 128];
    const x = randomArray(batch, 0, 999);
    const freqs = randomNormalArray(channels / 2, 16);
    const [bx, bf, out] = [gpu.upload(x), gpu.upload(freqs), poisoned(batch * channels)];
    fourierEmbedding(gpu, bx, bf, out, batch, channels);
    expectClose(await gpu.read(out), fourierEmbeddingRef(x, freqs), EMBEDDING_REL, 'fourier');
    gpu.fill(out, POISON);
    positionalEmbedding(gpu, bx, out, batch, channels);
    expectClose(await gpu.read(out), positionalEmbeddingRef(x, channels), EMBEDDING_LARGE_ARG_REL, 'positional');
    for (const b of [bx, bf, out]) b.release();
  });

  it('layout: cos in the first half, sin in the second', async () => {
    const x = Float32Array.of(0, 0.25);
    const [bx, bf, out] = [gpu.upload(x), gpu.upload(Float32Array.of(1, 2)), poisoned(8)];
    fourierEmbedding(gpu, bx, bf, out, 2, 4);
    // b = 0: cos 0 = 1, sin 0 = 0; b = 1: phases 2π·0.25 = π/2 and π
    expectClose(await gpu.read(out), [1, 1, 0, 0, 0, -1, 1, 0], EMBEDDING_REL, 'layout');
    for (const b of [bx, bf, out]) b.release();
  });

  it('rejects odd channel counts', () => {
    const b = gpu.alloc(16);
    expect(() => positionalEmbedding(gpu, b, b, 1, 5)).toThrow(RangeError);
    expect(() => positionalEmbedding(gpu, b, b, 1, 2)).toThrow(RangeError); // endpoint needs C/2 ≥ 2
    b.release();
  });
});
