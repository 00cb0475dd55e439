// The layers of NVlabs/edm training/networks.py that SongUNet uses: Linear, Conv2d (with 2×
// resampling, optionally fused), GroupNorm and UNetBlock (residual block with noise-embedding
// bias, dropout and optional single-head self-attention). Parameter names, shapes and
// initialisers follow networks.py, so parameter counts match EDM's exactly.
import * as op from '../autograd/index.ts';
import { scoped, type Tensor } from '../autograd/index.ts';
import { t, type ParamSet, type Param } from './params.ts';

/** What a forward pass needs besides its inputs. */
export interface ForwardContext {
  training: boolean; // dropout active
  /** Philox key and a fresh stream offset for every dropout mask (training only). */
  dropoutSeed: number;
  nextOffset: () => number;
}

/** Inference: no dropout. */
export const EVAL_CONTEXT: ForwardContext = {
  training: false,
  dropoutSeed: 0,
  nextOffset: () => 0,
};

/** EDM `weight_init(mode='xavier_uniform')` scaled by init_weight. */
function xavier(fanIn: number, fanOut: number, gain = 1) {
  return { kind: 'xavier_uniform' as const, fanIn, fanOut, gain };
}
const ZEROS = { kind: 'constant' as const, value: 0 };
const ONES = { kind: 'constant' as const, value: 1 };

/** torch.nn.Linear as EDM initialises it: xavier-uniform weight [out, in], zero bias. */
export class Linear {
  readonly weight: Param;
  readonly bias: Param | null;
  constructor(ps: ParamSet, readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; initWeight?: number } = {}) {
    this.weight = ps.declare('weight', [outFeatures, inFeatures], xavier(inFeatures, outFeatures, opts.initWeight ?? 1));
    this.bias = opts.bias === false ? null : ps.declare('bias', [outFeatures], ZEROS);
  }
  forward(x: Tensor): Tensor {
    return op.linear(x, t(this.weight), this.bias && t(this.bias));
  }
}

export interface Conv2dOptions {
  bias?: boolean; // default true
  up?: boolean; // 2× up-sampling before the convolution
  down?: boolean; // 2× down-sampling before the convolution
  resampleFilter?: number[]; // [1, 1] or [1, 3, 3, 1]
  fusedResample?: boolean; // down: convolve first (padding + filter padding), then filter (EDM fused_resample)
  initWeight?: number; // scale of the xavier-uniform weights (EDM init_zero: 1e-5, init_attn: √0.2)
}

/** EDM Conv2d: optional 2× resampling and a k×k convolution (k = 0: resampling only), zero-init bias. */
export class Conv2d {
  readonly weight: Param | null;
  readonly bias: Param | null;
  private readonly filter: number[];
  constructor(ps: ParamSet, readonly inChannels: number, readonly outChannels: number, readonly kernel: number, readonly opts: Conv2dOptions = {}) {
    if (opts.up && opts.down) throw new Error('Conv2d: up and down at once');
    const fanIn = inChannels * kernel * kernel;
    const fanOut = outChannels * kernel * kernel;
    this.weight = kernel ? ps.declare('weight', [outChannels, inChannels, kernel, kernel], xavier(fanIn, fanOut, opts.initWeight ?? 1)) : null;
    this.bias = kernel && opts.bias !== false ? ps.declare('bias', [outChannels], ZEROS) : null;
    this.filter = opts.resampleFilter ?? [1, 1];
  }

  forward(x: Tensor): Tensor {
    return scoped(() => {
      const w = this.weight && t(this.weight);
      const b = this.bias && t(this.bias);
      const k = this.kernel;
      if (this.opts.fusedResample && this.opts.down && w) {
        // EDM: conv2d(x, w, padding = k//2 + f_pad), then the stride-2 filter without padding.
        // The filter kernel pads by f_pad itself: convolve with q = 2⌈f_pad/2⌉ − f_pad more pixels of
        // padding (a zero ring) and keep outputs [t, t + Q), t = ⌈f_pad/2⌉ — the same values.
        const fPad = (this.filter.length - 1) >> 1;
        const t = Math.ceil(fPad / 2);
        const q = 2 * t - fPad;
        const [, , H, W] = x.shape;
        const pad = (k >> 1) + fPad;
        const valid = (n: number): number => Math.floor((n + 2 * pad - k + 1 - this.filter.length) / 2) + 1;
        let y = op.downsample(op.conv2d(x, w, null, pad + q), this.filter);
        if (t > 0 || y.shape[2] !== valid(H) || y.shape[3] !== valid(W)) y = op.window(y, valid(H), valid(W), t, t);
        return b ? op.addBroadcast(y, b, y.shape[2] * y.shape[3]) : y;
      }
      let h = x;
      if (this.opts.up) h = op.upsample(h, this.filter);
      if (this.opts.down) h = op.downsample(h, this.filter);
      if (!w) return h;
      return k === 1 ? op.conv1x1(h, w, b) : op.conv2d(h, w, b, k >> 1);
    });
  }
}

/** EDM GroupNorm: min(32, C/4) groups, γ = 1, β = 0. */
export class GroupNorm {
  readonly weight: Param;
  readonly bias: Param;
  readonly groups: number;
  constructor(ps: ParamSet, readonly channels: number, readonly eps = 1e-5) {
    this.groups = Math.min(32, Math.floor(channels / 4));
    if (this.groups < 1 || channels % this.groups) throw new RangeError(`GroupNorm: ${channels} channels do not split into ${this.groups} groups`);
    this.weight = ps.declare('weight', [channels], ONES);
    this.bias = ps.declare('bias', [channels], ZEROS);
  }
  forward(x: Tensor, silu = false): Tensor {
    return op.groupNorm(x, t(this.weight), t(this.bias), { groups: this.groups, eps: this.eps, silu });
  }
}

export interface BlockOptions {
  embChannels: number; // width of the noise embedding
  up?: boolean;
  down?: boolean;
  attention?: boolean; // single-head self-attention after the residual
  dropout: number;
  skipScale: number; // √½ in SongUNet
  eps: number; // GroupNorm epsilon (1e-6 in SongUNet)
  resampleFilter: number[];
}

/**
 * EDM UNetBlock as SongUNet configures it (adaptive_scale = False, resample_proj = True, one
 * attention head): x + conv1(dropout(silu(norm1(conv0(silu(norm0(x))) + affine(emb))))), scaled by
 * skipScale; then optionally x + proj(attention(qkv(norm2(x)))), scaled again.
 */
export class UNetBlock {
  private readonly norm0: GroupNorm;
  private readonly conv0: Conv2d;
  private readonly affine: Linear;
  private readonly norm1: GroupNorm;
  private readonly conv1: Conv2d;
  private readonly skip: Conv2d | null;
  private readonly norm2: GroupNorm | null = null;
  private readonly qkv: Conv2d | null = null;
  private readonly proj: Conv2d | null = null;

  constructor(ps: ParamSet, readonly inChannels: number, readonly outChannels: number, readonly opts: BlockOptions) {
    const { up, down, resampleFilter } = opts;
    this.norm0 = new GroupNorm(ps.scope('norm0'), inChannels, opts.eps);
    this.conv0 = new Conv2d(ps.scope('conv0'), inChannels, outChannels, 3, { up, down, resampleFilter });
    this.affine = new Linear(ps.scope('affine'), opts.embChannels, outChannels);
    this.norm1 = new GroupNorm(ps.scope('norm1'), outChannels, opts.eps);
    this.conv1 = new Conv2d(ps.scope('conv1'), outChannels, outChannels, 3, { initWeight: 1e-5 });
    this.skip = outChannels !== inChannels || up || down ? new Conv2d(ps.scope('skip'), inChannels, outChannels, 1, { up, down, resampleFilter }) : null;
    if (opts.attention) {
      this.norm2 = new GroupNorm(ps.scope('norm2'), outChannels, opts.eps);
      this.qkv = new Conv2d(ps.scope('qkv'), outChannels, outChannels * 3, 1, { initWeight: Math.sqrt(0.2) });
      this.proj = new Conv2d(ps.scope('proj'), outChannels, outChannels, 1, { initWeight: 1e-5 });
    }
  }

  forward(x: Tensor, emb: Tensor, ctx: ForwardContext): Tensor {
    return scoped(() => {
      const s = this.opts.skipScale;
      let h = this.conv0.forward(this.norm0.forward(x, true));
      h = op.addBroadcast(h, this.affine.forward(emb), h.shape[2] * h.shape[3]);
      h = this.norm1.forward(h, true);
      if (ctx.training && this.opts.dropout > 0) h = op.dropout(h, { p: this.opts.dropout, seed: ctx.dropoutSeed, offset: ctx.nextOffset() });
      h = this.conv1.forward(h);
      let out = op.axpby(s, h, s, this.skip ? this.skip.forward(x) : x);
      if (this.qkv && this.norm2 && this.proj) {
        const a = op.attention(this.qkv.forward(this.norm2.forward(out)), this.outChannels);
        out = op.axpby(s, this.proj.forward(a), s, out);
      }
      return out;
    });
  }
}
