import { describe, it, beforeAll, expect } from 'vitest';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, randomNormalRef, type Gpu } from '@gausslens/kernels';
import * as ag from '../../packages/core/src/autograd/index.ts';
import { EVAL_CONTEXT } from '../../packages/core/src/nn/index.ts';
import { train, resolveTrainConfig, TRAIN_DEFAULTS, epochOrder, type TrainConfig, type TrainProgress } from '../../packages/core/src/edm/train.ts';
import { edmLoss, sampleSigmas } from '../../packages/core/src/edm/loss.ts';
import { EdmNetwork, loadNetwork } from '../../packages/core/src/edm/network.ts';
import { precond, lossWeight } from '../../packages/core/src/edm/schedule.ts';
import { readSafetensors } from '../../packages/core/src/io/safetensors.ts';
import { EDM_LOSS_REL } from '../support/tolerances.ts';

let gpu: Gpu;
let root: string;
beforeAll(async () => {
  gpu = await getDevice();
  root = mkdtempSync(join(tmpdir(), 'gausslens-train-'));
  return () => rmSync(root, { recursive: true, force: true });
});

/** n smooth random images R×R in [-0.8, 0.8] (products of random sinusoids): learnable structure. */
function smoothImages(n: number, R: number): Float32Array {
  const out = new Float32Array(n * R * R);
  for (let i = 0; i < n; i++) {
    const [a, b, f] = [Math.random() * 2 * Math.PI, Math.random() * 2 * Math.PI, 1 + Math.random()];
    for (let y = 0; y < R; y++) for (let x = 0; x < R; x++) out[(i * R + y) * R + x] = 0.8 * Math.sin((x / R) * 2 * Math.PI * f + a) * Math.cos((y / R) * 2 * Math.PI + b);
  }
  return out;
}

/** The smallest U-Net that still has every block kind: one level, one block, attention in the middle. */
const MINIMAL: Partial<TrainConfig> = { channels: 4, channelMult: [1], numBlocks: 1, attnResolutions: [], dropout: 0.1, batch: 4, lr: 1e-3, lrRampupKimg: 0.02, emaHalflifeKimg: 0.05, progressEvery: 1000, checkpointEvery: 0 };

describe('train config', () => {
  it('defaults validate and every bad field is named', () => {
    expect(resolveTrainConfig()).toEqual(TRAIN_DEFAULTS);
    expect(() => resolveTrainConfig({ channels: 6, batch: 0, dropout: 1, arch: 'unet' as never, seed: -1 })).toThrow(/channels = 6.*batch = 0.*dropout = 1|arch/);
    try {
      resolveTrainConfig({ channels: 6, batch: 0, dropout: 1, seed: -1 });
    } catch (e) {
      for (const k of ['channels', 'batch', 'dropout', 'seed']) expect((e as Error).message).toContain(k);
    }
  });

  it('epoch orders are permutations, fixed by (key, epoch)', () => {
    const a = epochOrder(100, 5, 3);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(epochOrder(100, 5, 3))).toEqual(Array.from(a));
    expect(Array.from(epochOrder(100, 5, 4))).not.toEqual(Array.from(a));
  });
});

describe('EDM loss', () => {
  it('equals λ(σ)·‖c_skip·(y + σn) + c_out·F − y‖² / N with F ≈ 0 at initialisation (float64 reference)', async () => {
    const cfg = resolveTrainConfig({ ...MINIMAL, dropout: 0 });
    const net = new EdmNetwork({ unet: { ...(await import('../../packages/core/src/nn/unet.ts')).UNET_FLAVOURS.ncsnpp, resolution: 4, inChannels: 1, outChannels: 1, modelChannels: 4, channelMult: [1], numBlocks: 1, attnResolutions: [], dropout: 0, augmentDim: 0 }, sigmaData: cfg.sigmaData });
    net.materialize(gpu, 9);
    const N = 5;
    const d = 16;
    const yv = Float32Array.from({ length: N * d }, () => Math.random() * 2 - 1);
    const y = ag.fromArray(gpu, yv, [N, 1, 4, 4]);
    const sigmas = sampleSigmas(N, 3, 7);
    const tape = new ag.Tape();
    const loss = tape.run(() => edmLoss(net, y, sigmas, { seed: 3, offset: 8 }, EVAL_CONTEXT));
    const got = (await loss.read())[0];
    tape.dispose();
    // Reference: the same Philox noise; F = c_out·F ≈ 1e-5-scale at EDM's init_zero, so D ≈ c_skip·x.
    const noise = randomNormalRef(N * d, 3, 8);
    let ref = 0;
    for (let n = 0; n < N; n++) {
      const s = sigmas[n];
      const { cSkip } = precond(s, 0.5);
      let e = 0;
      for (let i = 0; i < d; i++) {
        const x = yv[n * d + i] + s * noise[n * d + i];
        e += (cSkip * x - yv[n * d + i]) ** 2;
      }
      ref += (lossWeight(s, 0.5) * e) / N;
    }
    expect(Math.abs(got - ref) / ref).toBeLessThan(EDM_LOSS_REL);
    y.dispose();
    net.release();
  }, 600_000);
});

describe('EDM training', () => {
  it('a tiny U-Net on 64 smooth 8×8 images: the loss falls well below its start; device memory is flat', async () => {
    const images = smoothImages(64, 8);
    const steps = 200;
    const losses: number[] = [];
    const live: number[] = [];
    const t0 = performance.now();
    await train(
      { runDir: join(root, 'fall'), channels: 8, channelMult: [1], numBlocks: 2, attnResolutions: [8], dropout: 0, batch: 16, steps, lr: 2e-3, lrRampupKimg: 0.16, emaHalflifeKimg: 0.5, progressEvery: 1, checkpointEvery: 0, resume: false, seed: 1 },
      { dataset: { images, n: 64, c: 1, h: 8, w: 8 }, onProgress: (p: TrainProgress) => { losses.push(p.loss); live.push(p.bytesLive); } },
    );
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-10));
    console.log(`loss ${first.toFixed(3)} → ${last.toFixed(3)} in ${steps} steps, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    expect(last).toBeLessThan(0.6 * first);
    expect(new Set(live.slice(1)).size, 'GPU bytes held after each step').toBe(1);
  }, 900_000);

  it('same seed ⇒ same weights bit for bit; killed and resumed ⇒ the same weights as straight through; save → load ⇒ identical outputs', async () => {
    const slow = process.env.GAUSSLENS_SLOW === '1';
    const half = slow ? 1000 : 100;
    const images = smoothImages(16, 4);
    const dataset = { images, n: 16, c: 1, h: 4, w: 4 };
    const base = { ...MINIMAL, steps: 2 * half, seed: 42, resume: true };
    const straight = await train({ ...base, runDir: join(root, 'a') }, { dataset });
    const again = await train({ ...base, runDir: join(root, 'b'), resume: false }, { dataset });
    // Killed after `half` steps (checkpoint written), then resumed to the end.
    const killed = await train({ ...base, runDir: join(root, 'c') }, { dataset, stopAfter: half });
    expect(killed.step).toBe(half);
    let sampled: Float32Array | null = null;
    const probe = Float32Array.from({ length: 3 * 16 }, () => Math.random() * 2 - 1);
    const resumed = await train({ ...base, runDir: join(root, 'c'), sampleEvery: 2 * half }, {
      dataset,
      onSample: async ({ ema }) => {
        const x = gpu.upload(probe);
        const out = gpu.alloc(probe.length);
        ema.denoise(gpu, x, 3, 1.7, out);
        sampled = await gpu.read(out);
        x.release();
        out.release();
      },
    });
    expect(resumed.resumedFrom).toBe(half);
    const [fa, fb, fc] = await Promise.all([straight, again, resumed].map((r) => readSafetensors(r.checkpoint)));
    expect(Object.keys(fa.tensors).length).toBeGreaterThan(10);
    for (const [name, t] of Object.entries(fa.tensors)) {
      expect(Buffer.from((fb.tensors[name].data as Float32Array).buffer).equals(Buffer.from((t.data as Float32Array).buffer)), `same seed: ${name}`).toBe(true);
      expect(Buffer.from((fc.tensors[name].data as Float32Array).buffer).equals(Buffer.from((t.data as Float32Array).buffer)), `resumed: ${name}`).toBe(true);
    }
    expect(fc.metadata.step).toBe(String(2 * half));
    // The EMA network from the checkpoint denoises exactly as the one in memory did.
    const net: EdmNetwork = await loadNetwork(gpu, resumed.checkpoint);
    const x = gpu.upload(probe);
    const out = gpu.alloc(probe.length);
    net.denoise(gpu, x, 3, 1.7, out);
    const loaded = await gpu.read(out);
    expect(sampled).not.toBeNull();
    expect(Array.from(loaded)).toEqual(Array.from(sampled as unknown as Float32Array));
    x.release();
    out.release();
    net.release();
  }, 1_800_000);
});
