// SongUNet (NVlabs/edm training/networks.py), the U-Net of DDPM++ and NCSN++ (Song et al. 2021)
// as EDM trains it: noise embedding → 2-layer mapping MLP; an encoder of residual blocks with
// down-sampling (and, NCSN++, a residual path from the input image); a decoder of residual blocks
// fed by encoder skips, with up-sampling; GroupNorm + SiLU + 3×3 conv at the output.
import { copyChannels, fourierEmbedding, positionalEmbedding, type Gpu } from '@gausslens/kernels';
import { empty, scoped, type Tensor } from '../autograd/index.ts';
import * as op from '../autograd/index.ts';
import { ParamSet, t, type Param } from './params.ts';
import { Conv2d, GroupNorm, Linear, UNetBlock, type BlockOptions, type ForwardContext } from './layers.ts';

/** A SongUNet's architecture (NVlabs/edm SongUNet arguments, camelCased). */
export interface UNetConfig {
  resolution: number; // image side at input and output [pixels]
  inChannels: number; // colour channels of the input
  outChannels: number; // colour channels of the output
  modelChannels: number; // base channel count (4 … 128 in the paper)
  channelMult: number[]; // per-resolution channel multipliers, one a level (level l has side resolution/2^l)
  channelMultEmb: number; // embedding width = modelChannels·channelMultEmb
  channelMultNoise: number; // noise-embedding width = modelChannels·channelMultNoise (NCSN++ 2, DDPM++ 1)
  numBlocks: number; // residual blocks per resolution
  attnResolutions: number[]; // sides with self-attention
  dropout: number; // dropout probability of the blocks' inner activations
  embedding: 'fourier' | 'positional'; // noise embedding: Fourier (NCSN++) or positional (DDPM++)
  encoder: 'standard' | 'residual'; // 'residual': NCSN++'s down-sampled input path added at every level
  resampleFilter: number[]; // [1, 1] (DDPM++) or [1, 3, 3, 1] (NCSN++)
  augmentDim: number; // EDM's augmentation-label width (9 with --augment; 0 = no map_augment layer)
}

/** The two flavours (EDM train.py `--arch=ncsnpp|ddpmpp`), at the paper's 64×64 EDM-VE settings. */
export const UNET_FLAVOURS: Record<'ncsnpp' | 'ddpmpp', UNetConfig> = {
  ncsnpp: {
    resolution: 64, inChannels: 3, outChannels: 3, modelChannels: 128, channelMult: [1, 2, 2, 2], channelMultEmb: 4, channelMultNoise: 2,
    numBlocks: 4, attnResolutions: [16], dropout: 0.05, embedding: 'fourier', encoder: 'residual', resampleFilter: [1, 3, 3, 1], augmentDim: 0,
  },
  ddpmpp: {
    resolution: 64, inChannels: 3, outChannels: 3, modelChannels: 128, channelMult: [1, 2, 2, 2], channelMultEmb: 4, channelMultNoise: 1,
    numBlocks: 4, attnResolutions: [16], dropout: 0.05, embedding: 'positional', encoder: 'standard', resampleFilter: [1, 1], augmentDim: 0,
  },
};

export function validateUNetConfig(c: UNetConfig): void {
  const fail = (msg: string): never => {
    throw new RangeError(`unet: ${msg}`);
  };
  const posInt = (k: keyof UNetConfig): void => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < 1) fail(`${k} = ${v} must be a positive integer`);
  };
  (['resolution', 'inChannels', 'outChannels', 'modelChannels', 'channelMultEmb', 'channelMultNoise', 'numBlocks'] as const).forEach(posInt);
  if (!c.channelMult.length || !c.channelMult.every((m) => Number.isInteger(m) && m >= 1)) fail(`channelMult [${c.channelMult}] must be positive integers`);
  if (c.resolution % 2 ** (c.channelMult.length - 1)) fail(`resolution ${c.resolution} is not divisible by 2^${c.channelMult.length - 1} (one halving a level)`);
  if (c.modelChannels % 4 && c.modelChannels > 0) fail(`modelChannels = ${c.modelChannels} must be a multiple of 4 (GroupNorm uses ≥ 4 channels a group)`);
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(`dropout = ${c.dropout} must be in [0, 1)`);
  if (c.embedding === 'positional' && c.modelChannels * c.channelMultNoise < 4) fail('the positional embedding needs ≥ 4 channels');
  if (!['fourier', 'positional'].includes(c.embedding)) fail(`embedding '${c.embedding}' must be fourier or positional`);
  if (!['standard', 'residual'].includes(c.encoder)) fail(`encoder '${c.encoder}' must be standard or residual`);
  if (!Number.isInteger(c.augmentDim) || c.augmentDim < 0) fail(`augmentDim = ${c.augmentDim} must be a non-negative integer`);
}

type EncoderStep =
  | { kind: 'conv'; conv: Conv2d }
  | { kind: 'block'; block: UNetBlock }
  | { kind: 'aux_residual'; conv: Conv2d };
type DecoderStep = { kind: 'block'; block: UNetBlock; concat: boolean } | { kind: 'aux_norm'; norm: GroupNorm } | { kind: 'aux_conv'; conv: Conv2d };

/** NVlabs/edm SongUNet: F(x, c_noise) on NCHW images, the network inside EDM's preconditioning. */
export class SongUNet {
  readonly params = new ParamSet();
  private readonly freqs: Param | null;
  /** EDM's augmentation-label mapping: declared (and counted) when augmentDim > 0; used only with augment labels, which gausslens never passes. */
  readonly mapAugment: Linear | null;
  private readonly mapLayer0: Linear;
  private readonly mapLayer1: Linear;
  private readonly enc: EncoderStep[] = [];
  private readonly dec: DecoderStep[] = [];
  readonly noiseChannels: number;
  readonly embChannels: number;

  constructor(readonly config: UNetConfig) {
    validateUNetConfig(config);
    const c = config;
    const ps = this.params;
    this.embChannels = c.modelChannels * c.channelMultEmb;
    this.noiseChannels = c.modelChannels * c.channelMultNoise;
    const emb = this.embChannels;
    const block: Omit<BlockOptions, 'attention' | 'up' | 'down'> = { embChannels: emb, dropout: c.dropout, skipScale: Math.SQRT1_2, eps: 1e-6, resampleFilter: c.resampleFilter };

    // Mapping.
    this.freqs = c.embedding === 'fourier' ? ps.scope('map_noise').declare('freqs', [this.noiseChannels / 2], { kind: 'normal', std: 16 }, false) : null;
    this.mapAugment = c.augmentDim ? new Linear(ps.scope('map_augment'), c.augmentDim, this.noiseChannels, { bias: false }) : null;
    this.mapLayer0 = new Linear(ps.scope('map_layer0'), this.noiseChannels, emb);
    this.mapLayer1 = new Linear(ps.scope('map_layer1'), emb, emb);

    // Encoder.
    const enc = ps.scope('enc');
    const skips: number[] = [];
    let cout = c.inChannels;
    let caux = c.inChannels;
    c.channelMult.forEach((mult, level) => {
      const res = c.resolution >> level;
      if (level === 0) {
        const cin = cout;
        cout = c.modelChannels;
        this.enc.push({ kind: 'conv', conv: new Conv2d(enc.scope(`${res}x${res}_conv`), cin, cout, 3) });
        skips.push(cout);
      } else {
        this.enc.push({ kind: 'block', block: new UNetBlock(enc.scope(`${res}x${res}_down`), cout, cout, { ...block, down: true }) });
        skips.push(cout);
        if (c.encoder === 'residual') {
          this.enc.push({ kind: 'aux_residual', conv: new Conv2d(enc.scope(`${res}x${res}_aux_residual`), caux, cout, 3, { down: true, resampleFilter: c.resampleFilter, fusedResample: true }) });
          caux = cout;
        }
      }
      for (let idx = 0; idx < c.numBlocks; idx++) {
        const cin = cout;
        cout = c.modelChannels * mult;
        const attention = c.attnResolutions.includes(res);
        this.enc.push({ kind: 'block', block: new UNetBlock(enc.scope(`${res}x${res}_block${idx}`), cin, cout, { ...block, attention }) });
        skips.push(cout);
      }
    });

    // Decoder.
    const dec = ps.scope('dec');
    for (let level = c.channelMult.length - 1; level >= 0; level--) {
      const mult = c.channelMult[level];
      const res = c.resolution >> level;
      if (level === c.channelMult.length - 1) {
        this.dec.push({ kind: 'block', concat: false, block: new UNetBlock(dec.scope(`${res}x${res}_in0`), cout, cout, { ...block, attention: true }) });
        this.dec.push({ kind: 'block', concat: false, block: new UNetBlock(dec.scope(`${res}x${res}_in1`), cout, cout, block) });
      } else {
        this.dec.push({ kind: 'block', concat: false, block: new UNetBlock(dec.scope(`${res}x${res}_up`), cout, cout, { ...block, up: true }) });
      }
      for (let idx = 0; idx <= c.numBlocks; idx++) {
        const cin = cout + (skips.pop() as number);
        cout = c.modelChannels * mult;
        const attention = idx === c.numBlocks && c.attnResolutions.includes(res);
        this.dec.push({ kind: 'block', concat: true, block: new UNetBlock(dec.scope(`${res}x${res}_block${idx}`), cin, cout, { ...block, attention }) });
      }
      if (level === 0) {
        this.dec.push({ kind: 'aux_norm', norm: new GroupNorm(dec.scope(`${res}x${res}_aux_norm`), cout, 1e-6) });
        this.dec.push({ kind: 'aux_conv', conv: new Conv2d(dec.scope(`${res}x${res}_aux_conv`), cout, c.outChannels, 3, { initWeight: 1e-5 }) });
      }
    }
  }

  /** Trainable parameters (the paper's counts). */
  paramCount(): number {
    return this.params.count();
  }

  materialize(gpu: Gpu, seed: number): void {
    this.params.materialize(gpu, seed);
  }

  /** The noise embedding [N, noiseChannels] with SongUNet's sin/cos halves swapped (no gradient flows into c_noise). */
  private embedNoise(gpu: Gpu, cNoise: Tensor): Tensor {
    const N = cNoise.size;
    const ch = this.noiseChannels;
    const raw = empty(gpu, [N, ch], 'noise-embedding');
    if (this.freqs) fourierEmbedding(gpu, cNoise.buf, t(this.freqs).buf, raw.buf, N, ch);
    else positionalEmbedding(gpu, cNoise.buf, raw.buf, N, ch, { endpoint: true });
    // [cos, sin] → [sin, cos] (networks.py: emb.reshape(N, 2, -1).flip(1)).
    const out = empty(gpu, [N, ch], 'noise-embedding');
    copyChannels(gpu, raw.buf, out.buf, { batch: N, inner: ch / 2, count: 1, srcChannels: 2, dstChannels: 2, srcOffset: 0, dstOffset: 1 });
    copyChannels(gpu, raw.buf, out.buf, { batch: N, inner: ch / 2, count: 1, srcChannels: 2, dstChannels: 2, srcOffset: 1, dstOffset: 0 });
    raw.dispose();
    return out;
  }

  /**
   * F(x, c_noise): x [N, inChannels, R, R], cNoise [N] → [N, outChannels, R, R]. On a tape every
   * intermediate is recorded for backward; with none (inference) each block's intermediates are
   * released when it returns and skips once the decoder has used them.
   */
  forward(x: Tensor, cNoise: Tensor, ctx: ForwardContext): Tensor {
    const gpu = x.gpu;
    return scoped(() => {
      // Mapping.
      const emb = scoped(() => {
        const e = this.embedNoise(gpu, cNoise);
        return op.silu(this.mapLayer1.forward(op.silu(this.mapLayer0.forward(e))));
      });

      // Encoder.
      const skips: Tensor[] = [];
      let h = x;
      let aux = x;
      for (const s of this.enc) {
        if (s.kind === 'aux_residual') {
          // x = skips[-1] = aux = (x + conv(aux)) / √2
          const prev = h;
          h = scoped(() => op.axpby(Math.SQRT1_2, prev, Math.SQRT1_2, s.conv.forward(aux)));
          skips[skips.length - 1] = h;
          // The previous aux is an earlier level's skip (x = skips[-1] = aux): the decoder still needs it.
          if (aux !== x && !skips.includes(aux)) aux.dispose();
          prev.dispose();
          aux = h;
        } else {
          h = s.kind === 'conv' ? s.conv.forward(h) : s.block.forward(h, emb, ctx);
          skips.push(h);
        }
      }

      // Decoder.
      let out: Tensor | null = null;
      for (const s of this.dec) {
        if (s.kind === 'aux_norm') {
          const prev = h;
          h = s.norm.forward(h, true);
          prev.dispose();
        } else if (s.kind === 'aux_conv') out = s.conv.forward(h);
        else {
          const prev = h;
          if (s.concat) {
            const skip = skips.pop() as Tensor;
            h = scoped(() => s.block.forward(op.concat(prev, skip), emb, ctx));
            if (skip !== aux) skip.dispose();
          } else h = s.block.forward(prev, emb, ctx);
          if (!skips.includes(prev) && prev !== aux) prev.dispose();
        }
      }
      return out as Tensor;
    });
  }
}

/** Parameters of the SongUNet of `config` (trainable, as the paper counts), without a GPU. */
export function unetParamCount(config: UNetConfig): number {
  return new SongUNet(config).paramCount();
}
