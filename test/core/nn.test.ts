import { describe, it, beforeAll, expect } from 'vitest';
import { getDevice, type Gpu } from '@gausslens/kernels';
import * as ag from '../../packages/core/src/autograd/index.ts';
import { SongUNet, UNET_FLAVOURS, unetParamCount, EVAL_CONTEXT, Conv2d, ParamSet, type UNetConfig, type ForwardContext } from '../../packages/core/src/nn/index.ts';
import { gradcheck } from './gradcheck.ts';
import { NETWORK_DIRECTIONAL_REL } from '../support/tolerances.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

// The paper's EDM-VE networks at 64×64 (NCSN++, multipliers 1,2,2,2, 4 blocks, attention at 16×16):
// ≈ 64.6k, 252k, 993k, 3.94M, 15.7M, 62.8M. They match exactly with EDM's augmentation mapping
// (augment_dim = 9, a bias-free Linear(9, 2·channels) that EDM declares whenever --augment > 0).
const PAPER: [number, number, number, string][] = [
  // [channels, without augment, with augment_dim = 9, paper]
  [4, 64_511, 64_583, '64.6k'],
  [8, 251_387, 251_531, '252k'],
  [16, 992_243, 992_531, '993k'],
  [32, 3_942_371, 3_942_947, '3.94M'],
  [64, 15_716_291, 15_717_443, '15.7M'],
  [128, 62_758_787, 62_761_091, '62.8M'],
];

function rounded(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  return n >= 1e5 ? `${Math.round(n / 1e3)}k` : `${(n / 1e3).toFixed(1)}k`;
}

describe('SongUNet parameter counts', () => {
  for (const [ch, plain, augmented, paper] of PAPER) {
    it(`${ch} channels: ${plain} (${augmented} with augment_dim 9; paper ≈ ${paper})`, () => {
      const cfg: UNetConfig = { ...UNET_FLAVOURS.ncsnpp, modelChannels: ch };
      expect(unetParamCount(cfg)).toBe(plain);
      expect(unetParamCount({ ...cfg, augmentDim: 9 })).toBe(augmented);
      expect(rounded(augmented)).toBe(paper);
    });
  }
});

/**
 * NVlabs/edm Conv2d(kernel=3, down=True, fused_resample=True) in float64, as torch computes it:
 * conv2d(x, w, padding = 1 + f_pad), then the depthwise stride-2 filter f⊗f/(Σf)² without padding, + b.
 */
function fusedDownRef(x: Float64Array, w: Float64Array, b: Float64Array, N: number, C: number, H: number, O: number, f: number[]): Float64Array {
  const pad = 1 + ((f.length - 1) >> 1); // EDM: w_pad + f_pad
  const P = H + 2 * pad - 2; // conv output side
  const y = new Float64Array(N * O * P * P);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < P; i++)
        for (let j = 0; j < P; j++) {
          let acc = 0;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const [sy, sx] = [i + ky - pad, j + kx - pad];
                if (sy >= 0 && sx >= 0 && sy < H && sx < H) acc += w[((o * C + c) * 3 + ky) * 3 + kx] * x[((n * C + c) * H + sy) * H + sx];
              }
          y[((n * O + o) * P + i) * P + j] = acc;
        }
  const s = f.reduce((a, v) => a + v, 0);
  const Q = (P - f.length) / 2 + 1;
  const out = new Float64Array(N * O * Q * Q);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < Q; i++)
        for (let j = 0; j < Q; j++) {
          let acc = 0;
          for (let a = 0; a < f.length; a++) for (let c = 0; c < f.length; c++) acc += ((f[a] * f[c]) / (s * s)) * y[((n * O + o) * P + 2 * i + a) * P + 2 * j + c];
          out[((n * O + o) * Q + i) * Q + j] = acc + b[o];
        }
  return out;
}

describe('EDM Conv2d with fused down-sampling (NCSN++ residual path)', () => {
  for (const f of [[1, 3, 3, 1], [1, 1]]) {
    it(`equals conv(pad 1 + f_pad) → filter without padding, filter [${f}]; gradients`, async () => {
      const [N, C, H, O] = [2, 2, 6, 3];
      const conv = new Conv2d(new ParamSet(), C, O, 3, { down: true, resampleFilter: f, fusedResample: true });
      await gradcheck(gpu, {
        name: `fused down ${f}`,
        inputs: [{ shape: [N, C, H, H] }, { shape: [O, C, 3, 3] }, { shape: [O] }],
        forward: ([x, w, b]) => {
          conv.weight!.tensor = w;
          conv.bias!.tensor = b;
          return conv.forward(x);
        },
        reference: ([x, w, b]) => fusedDownRef(x, w, b, N, C, H, O, f),
      });
    }, 600_000);
  }
});

/** A U-Net with every kind of layer: FIR down/up, fused residual down, attention, dropout. */
const TINY: UNetConfig = {
  ...UNET_FLAVOURS.ncsnpp,
  resolution: 8, inChannels: 1, outChannels: 1, modelChannels: 4, channelMult: [1, 2], numBlocks: 1, attnResolutions: [4], dropout: 0,
};

function trainingContext(): ForwardContext {
  let offset = 0;
  return { training: true, dropoutSeed: 7, nextOffset: () => offset++ };
}

function randn(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
}

describe('SongUNet on the GPU', () => {
  for (const arch of ['ncsnpp', 'ddpmpp'] as const) {
    it(`${arch}: forward shape, backward reaches every parameter, memory returns`, async () => {
      const cfg = { ...UNET_FLAVOURS[arch], ...TINY, embedding: UNET_FLAVOURS[arch].embedding, encoder: UNET_FLAVOURS[arch].encoder, resampleFilter: UNET_FLAVOURS[arch].resampleFilter, channelMultNoise: UNET_FLAVOURS[arch].channelMultNoise, dropout: 0.1 };
      const net = new SongUNet(cfg);
      net.materialize(gpu, 1);
      // Output convs start near zero (EDM init_zero): perturb every parameter so gradients are informative.
      await gpu.sync();
      const live0 = gpu.pool.bytesLive;
      const N = 3;
      const x = ag.fromArray(gpu, randn(N * 64), [N, 1, 8, 8]);
      const cn = ag.fromArray(gpu, Float32Array.from([-1, 0.2, 1]), [N]);
      const tape = new ag.Tape();
      const loss = tape.run(() => {
        const F = net.forward(x, cn, trainingContext());
        expect(F.shape).toEqual([N, 1, 8, 8]);
        return ag.sum(ag.mul(F, F));
      });
      ag.backward(loss);
      for (const p of net.params.trainable()) {
        expect(p.tensor!.grad, p.name).not.toBeNull();
        const g = await p.tensor!.grad!.read();
        expect(g.every(Number.isFinite), `${p.name}: finite gradient`).toBe(true);
      }
      ag.zeroGrad(net.params.trainable().map((p) => p.tensor!));
      x.dispose();
      cn.dispose();
      await gpu.sync();
      expect(gpu.pool.bytesLive).toBe(live0);
      net.params.release();
    }, 600_000);
  }

  // Three levels: the residual encoder's aux at level 2 is level 1's skip, which inference must keep.
  for (const channelMult of [[1, 2], [1, 1, 1]]) it(`inference (no tape) equals the recorded forward bit for bit and releases every intermediate (channelMult ${channelMult})`, async () => {
    const cfg: UNetConfig = { ...TINY, channelMult };
    const net = new SongUNet(cfg);
    net.materialize(gpu, 2);
    const N = 2;
    const x = ag.fromArray(gpu, randn(N * 64), [N, 1, 8, 8]);
    const cn = ag.fromArray(gpu, Float32Array.from([0.3, -0.7]), [N]);
    await gpu.sync();
    const live0 = gpu.pool.bytesLive;
    const F = net.forward(x, cn, EVAL_CONTEXT);
    const got = await F.read();
    F.dispose();
    await gpu.sync();
    expect(gpu.pool.bytesLive).toBe(live0);
    const tape = new ag.Tape();
    const G = tape.run(() => net.forward(x, cn, EVAL_CONTEXT));
    expect(Array.from(await G.read())).toEqual(Array.from(got));
    tape.dispose();
    // Same seed, same weights: the same output.
    const again = new SongUNet(cfg);
    again.materialize(gpu, 2);
    const H = again.forward(x, cn, EVAL_CONTEXT);
    expect(Array.from(await H.read())).toEqual(Array.from(got));
    H.dispose();
    for (const t of [x, cn]) t.dispose();
    net.params.release();
    again.params.release();
  }, 600_000);

  it('whole-network directional derivative matches float32 central differences', async () => {
    // Every op has a float64 gradient check (autograd.test.ts); this checks their composition.
    const net = new SongUNet(TINY);
    net.materialize(gpu, 3);
    const params = net.params.trainable();
    const N = 2;
    const x = ag.fromArray(gpu, randn(N * 64), [N, 1, 8, 8]);
    const cn = ag.fromArray(gpu, Float32Array.from([0.1, -0.4]), [N]);
    const G = ag.fromArray(gpu, randn(N * 64), [N, 1, 8, 8]);
    // Lift the near-zero output layers so every path carries gradient.
    for (const p of params) {
      const v = await p.tensor!.read();
      const u = Float32Array.from(v, (a) => a + 0.1 * (Math.random() - 0.5));
      gpu.write(p.tensor!.buf, u);
    }
    const L = async (): Promise<number> => {
      const F = net.forward(x, cn, EVAL_CONTEXT);
      const f = await F.read();
      const g = await G.read();
      F.dispose();
      let s = 0;
      for (let i = 0; i < f.length; i++) s += f[i] * g[i];
      return s;
    };
    const tape = new ag.Tape();
    const out = tape.run(() => net.forward(x, cn, EVAL_CONTEXT));
    ag.backward(out, { grad: G });
    // A random unit direction over all parameters; analytic = Σ ⟨grad, dir⟩.
    const dirs = new Map<string, Float32Array>();
    let norm = 0;
    for (const p of params) {
      const d = randn(p.tensor!.size);
      dirs.set(p.name, d);
      for (const v of d) norm += v * v;
    }
    let analytic = 0;
    for (const p of params) {
      const d = dirs.get(p.name)!;
      for (let i = 0; i < d.length; i++) d[i] /= Math.sqrt(norm);
      const g = await p.tensor!.grad!.read();
      for (let i = 0; i < d.length; i++) analytic += g[i] * d[i];
    }
    const base = new Map<string, Float32Array>();
    for (const p of params) base.set(p.name, await p.tensor!.read());
    const shift = async (h: number): Promise<void> => {
      for (const p of params) {
        const b = base.get(p.name)!;
        const d = dirs.get(p.name)!;
        gpu.write(p.tensor!.buf, Float32Array.from(b, (v, i) => v + h * d[i]));
      }
    };
    const h = 1e-2;
    await shift(h);
    const lp = await L();
    await shift(-h);
    const lm = await L();
    await shift(0);
    const numeric = (lp - lm) / (2 * h);
    expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(NETWORK_DIRECTIONAL_REL);
    for (const t of [x, cn, G]) t.dispose();
    net.params.release();
  }, 600_000);
});
