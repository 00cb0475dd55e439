// EDM preconditioning around a SongUNet (NVlabs/edm EDMPrecond, Karras et al. 2022, Table 1):
// D(x; σ) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x, c_noise(σ)), per-sample σ in training and one σ
// for a whole batch when sampling (the `Denoiser` interface), and its weights by name. No Node APIs
// (the browser viewer runs it); files are read and written in network.ts.
import type { Gpu, GpuBuffer } from '@gausslens/kernels';
import * as op from '../autograd/index.ts';
import { fromArray, scoped, numel, type Tensor } from '../autograd/index.ts';
import { SongUNet, type UNetConfig } from '../nn/unet.ts';
import { EVAL_CONTEXT, type ForwardContext } from '../nn/layers.ts';
import type { Denoiser, DenoiserSpec } from '../denoisers/types.ts';
import { precond } from './schedule.ts';
import type { SafetensorsFile, TensorInput } from '../io/safetensors_format.ts';

/** A network's definition: the U-Net and the data scale it is preconditioned for. */
export interface NetworkConfig {
  unet: UNetConfig; // architecture (nn/unet.ts)
  sigmaData: number; // σ_data of the preconditioning (0.5 for images in [-1, 1])
}

/** Per-sample preconditioning coefficients as GPU vectors [N] (from host float64 values). */
export interface PrecondTensors {
  cIn: Tensor;
  cSkip: Tensor;
  cOut: Tensor;
  cNoise: Tensor;
}

/** Uploads c_in, c_skip, c_out, c_noise of every σ (float64 on the host, then float32). */
export function precondTensors(gpu: Gpu, sigmas: ArrayLike<number>, sigmaData: number): PrecondTensors {
  const n = sigmas.length;
  const v = { cIn: new Float32Array(n), cSkip: new Float32Array(n), cOut: new Float32Array(n), cNoise: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const c = precond(sigmas[i], sigmaData);
    v.cIn[i] = c.cIn;
    v.cSkip[i] = c.cSkip;
    v.cOut[i] = c.cOut;
    v.cNoise[i] = c.cNoise;
  }
  return {
    cIn: fromArray(gpu, v.cIn, [n], { label: 'c_in' }),
    cSkip: fromArray(gpu, v.cSkip, [n], { label: 'c_skip' }),
    cOut: fromArray(gpu, v.cOut, [n], { label: 'c_out' }),
    cNoise: fromArray(gpu, v.cNoise, [n], { label: 'c_noise' }),
  };
}

/** Samples per forward pass when denoising a large batch (bounds activation memory). */
const DENOISE_CHUNK = 64;

/** EDMPrecond(SongUNet): the trained denoiser D_θ. */
export class EdmNetwork implements Denoiser {
  readonly unet: SongUNet;
  readonly d: number;
  spec: DenoiserSpec;

  constructor(readonly config: NetworkConfig, spec: DenoiserSpec = { kind: 'network', checkpoint: '<memory>' }) {
    this.unet = new SongUNet(config.unet);
    const u = config.unet;
    this.d = u.inChannels * u.resolution * u.resolution;
    this.spec = spec;
    if (u.inChannels !== u.outChannels) throw new RangeError('EdmNetwork: a denoiser needs outChannels = inChannels');
    if (!(config.sigmaData > 0)) throw new RangeError(`EdmNetwork: sigmaData = ${config.sigmaData} must be positive`);
  }

  get imageShape(): [number, number, number] {
    const u = this.config.unet;
    return [u.inChannels, u.resolution, u.resolution];
  }

  /**
   * D(x; σ_n) for x [N, C, H, W] with per-sample coefficients: recorded on the active tape
   * (training) or computed with every intermediate released (inference).
   */
  forward(x: Tensor, c: PrecondTensors, ctx: ForwardContext): Tensor {
    return scoped(() => {
      const d = this.d;
      const F = this.unet.forward(op.mulBroadcast(x, c.cIn, d), c.cNoise, ctx);
      return op.add(op.mulBroadcast(x, c.cSkip, d), op.mulBroadcast(F, c.cOut, d));
    });
  }

  /** Denoiser: out ← D(x; σ) for the b rows of x (b×d), in chunks, no gradient, nothing read back. */
  denoise(gpu: Gpu, x: GpuBuffer, b: number, sigma: number, out: GpuBuffer): void {
    const [C, H, W] = this.imageShape;
    const d = this.d;
    for (let n0 = 0; n0 < b; n0 += DENOISE_CHUNK) {
      const nb = Math.min(DENOISE_CHUNK, b - n0);
      op.noGrad(() =>
        scoped(() => {
          const xc = op.empty(gpu, [nb, C, H, W], 'denoise-x');
          gpu.copy(x, xc.buf, nb * d, n0 * d, 0);
          const c = precondTensors(gpu, new Array(nb).fill(sigma), this.config.sigmaData);
          const D = this.forward(xc, c, EVAL_CONTEXT);
          gpu.copy(D.buf, out, nb * d, 0, n0 * d);
          return [] as Tensor[];
        }),
      );
    }
  }

  /** Initialises every parameter from the seed (Philox, one stream a parameter). */
  materialize(gpu: Gpu, seed: number): void {
    this.unet.materialize(gpu, seed);
  }

  release(): void {
    this.unet.params.release();
  }
}

// ---- weights I/O -------------------------------------------------------------------------

/** Reads every parameter of `net` back to the host, by name (prefix + EDM-style name). */
export async function readWeights(gpu: Gpu, net: EdmNetwork, prefix = ''): Promise<Record<string, TensorInput>> {
  const out: Record<string, TensorInput> = {};
  for (const p of net.unet.params.list) {
    if (!p.tensor) throw new Error(`parameter '${p.name}' is not materialised`);
    out[prefix + p.name] = { shape: p.shape, data: await gpu.read(p.tensor.buf, numel(p.shape)) };
  }
  return out;
}

/** Loads named float32 tensors into `net`'s parameters (materialising them); every parameter must be present. */
export function loadWeights(gpu: Gpu, net: EdmNetwork, tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>, prefix = '', source = 'checkpoint'): void {
  for (const p of net.unet.params.list) {
    const t = tensors[prefix + p.name];
    if (!t) throw new Error(`${source}: no tensor '${prefix + p.name}'`);
    if (t.shape.join('x') !== p.shape.join('x')) throw new Error(`${source}: '${prefix + p.name}' has shape [${t.shape.join(', ')}], the network expects [${p.shape.join(', ')}]`);
    p.tensor?.release();
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    p.tensor = op.wrap(gpu, gpu.upload(data, p.name), p.shape, p.trainable);
  }
}

/** The safetensors metadata `format` of a network file (saveNetwork) and the prefix of a training checkpoint's. */
export const NETWORK_FORMAT = 'gausslens-edm-network/1';
const TRAIN_CHECKPOINT_FORMAT_PREFIX = 'gausslens-edm-train';

/**
 * A network from a decoded checkpoint (`name` names it in errors): a training checkpoint (train.ts:
 * the EMA weights by default, or the raw weights) or a file from saveNetwork.
 */
export function networkFromSafetensors(gpu: Gpu, file: SafetensorsFile, name: string, opts: { weights?: 'ema' | 'net' } = {}): EdmNetwork {
  const meta = file.metadata;
  if (!meta.config) throw new Error(`${name}: no network config in the metadata (not a gausslens checkpoint?)`);
  const parsed = JSON.parse(meta.config) as NetworkConfig | { network: NetworkConfig };
  const config = 'network' in parsed ? parsed.network : parsed;
  const net = new EdmNetwork(config, { kind: 'network', checkpoint: name });
  const training = meta.format?.startsWith(TRAIN_CHECKPOINT_FORMAT_PREFIX);
  const prefix = training ? `${opts.weights ?? 'ema'}.` : '';
  loadWeights(gpu, net, file.tensors as Record<string, { shape: number[]; data: Float32Array }>, prefix, name);
  return net;
}
