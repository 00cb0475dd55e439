// EDM training (Karras et al. 2022; NVlabs/edm training/training_loop.py): the EDM loss on
// minibatches, Adam with a linear learning-rate ramp-up, an EMA of the weights with EDM's
// half-life ramp-up, and atomic safetensors checkpoints that resume bit for bit.
//
// Reproducibility: every random number is Philox with an explicit key and stream offset derived
// from (seed, step): the weights from key 4·seed (offset = parameter index), σ, noise and dropout
// from key 4·seed + 1 (offsets step·STREAMS + slot), the data order from key 4·seed + 2 (offset =
// epoch). Nothing depends on wall-clock, buffer reuse or a host RNG, so the same config gives the
// same weights bit for bit, and a resumed run continues exactly where the checkpoint left it.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { adamStep, emaUpdate, emaBeta, randomUniformRef, getDevice, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import { Tape, backward, zeroGrad, submitOps, wrap, fromArray, numel, type Tensor } from '../autograd/index.ts';
import { UNET_FLAVOURS, type UNetConfig } from '../nn/unet.ts';
import type { ForwardContext } from '../nn/layers.ts';
import { loadDataset } from '../data/load.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { readSafetensors, writeSafetensors, type TensorInput } from '../io/safetensors.ts';
import { edmLoss, sampleSigmas } from './loss.ts';
import { EdmNetwork, type NetworkConfig } from './network.ts';

/** Everything a training run needs; one field a line (NVlabs/edm train.py options, camelCased). */
export interface TrainConfig {
  runDir: string; // output directory: config.json, checkpoint.safetensors [path]
  data: string; // training images, a data-set spec (data/spec.ts), e.g. 'mnist:1000?resize=32'
  arch: 'ncsnpp' | 'ddpmpp'; // U-Net flavour (EDM --arch): NCSN++ is the paper's EDM-VE network
  channels: number; // base channel count (EDM --cbase; the paper sweeps 4 … 128)
  channelMult: number[]; // channel multiplier per resolution (EDM --cres)
  numBlocks: number; // residual blocks per resolution
  attnResolutions: number[]; // resolutions with self-attention [pixels]
  dropout: number; // dropout probability (EDM --dropout)
  augmentDim: number; // EDM's augmentation-label width: 9 reproduces the paper's parameter counts (the layer is never used)
  sigmaData: number; // σ_data of the preconditioning and of λ(σ)
  pMean: number; // mean of ln σ during training
  pStd: number; // standard deviation of ln σ during training
  batch: number; // images per optimizer step (EDM --batch)
  steps: number; // optimizer steps in total (a resumed run continues to this)
  lr: number; // Adam learning rate after the ramp-up (EDM --lr)
  lrRampupKimg: number; // linear learning-rate ramp-up [thousands of images]
  adamBetas: [number, number]; // Adam β1, β2
  adamEps: number; // Adam ε
  emaHalflifeKimg: number; // EMA half-life [thousands of images] (EDM --ema)
  emaRampupRatio: number; // EMA half-life ≤ ratio·images seen (EDM 0.05); 0 disables the ramp-up
  seed: number; // Philox key of weights, data order, σ, noise and dropout (0 ≤ seed < 2^50)
  checkpointEvery: number; // steps between checkpoints (0: only after the last step)
  sampleEvery: number; // steps between onSample hooks (0: never)
  progressEvery: number; // steps between onProgress reports
  resume: boolean; // continue from runDir/checkpoint.safetensors when it exists
}

/** The paper's EDM-VE recipe (NCSN++, FFHQ-64 optimiser settings) at a width this machine can train. */
export const TRAIN_DEFAULTS = {
  runDir: 'runs/train',
  data: 'mnist:1000?resize=32',
  arch: 'ncsnpp',
  channels: 16,
  channelMult: [1, 2, 2, 2],
  numBlocks: 4,
  attnResolutions: [16],
  dropout: 0.05,
  augmentDim: 0,
  sigmaData: 0.5,
  pMean: -1.2,
  pStd: 1.2,
  batch: 64,
  steps: 10_000,
  lr: 2e-4,
  lrRampupKimg: 10,
  adamBetas: [0.9, 0.999],
  adamEps: 1e-8,
  emaHalflifeKimg: 500,
  emaRampupRatio: 0.05,
  seed: 0,
  checkpointEvery: 1000,
  sampleEvery: 0,
  progressEvery: 10,
  resume: true,
} satisfies TrainConfig;

/** Fields that may change when a run is resumed (they do not alter the trajectory). */
const RESUMABLE_CHANGES: readonly (keyof TrainConfig)[] = ['runDir', 'steps', 'checkpointEvery', 'sampleEvery', 'progressEvery', 'resume'];

/** Merges over TRAIN_DEFAULTS and validates; throws one message listing every problem. */
export function resolveTrainConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const c: TrainConfig = { ...TRAIN_DEFAULTS, adamBetas: [...TRAIN_DEFAULTS.adamBetas], ...partial } as TrainConfig;
  const errors: string[] = [];
  const int = (k: keyof TrainConfig, min: number): void => {
    const v = c[k] as number;
    if (!Number.isSafeInteger(v) || v < min) errors.push(`${k} = ${v} must be an integer ≥ ${min}`);
  };
  const pos = (k: keyof TrainConfig): void => {
    const v = c[k] as number;
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) errors.push(`${k} = ${v} must be a positive number`);
  };
  if (!c.runDir) errors.push('runDir must be a path');
  if (!c.data) errors.push('data must be a data-set spec');
  if (!['ncsnpp', 'ddpmpp'].includes(c.arch)) errors.push(`arch = '${c.arch}' must be ncsnpp or ddpmpp`);
  int('channels', 4);
  if (c.channels % 4) errors.push(`channels = ${c.channels} must be a multiple of 4 (GroupNorm groups of ≥ 4 channels)`);
  if (!Array.isArray(c.channelMult) || !c.channelMult.length || !c.channelMult.every((m) => Number.isInteger(m) && m >= 1)) errors.push(`channelMult = [${c.channelMult}] must be positive integers`);
  int('numBlocks', 1);
  if (!Array.isArray(c.attnResolutions) || !c.attnResolutions.every((r) => Number.isInteger(r) && r >= 1)) errors.push(`attnResolutions = [${c.attnResolutions}] must be positive integers`);
  if (!(c.dropout >= 0 && c.dropout < 1)) errors.push(`dropout = ${c.dropout} must be in [0, 1)`);
  int('augmentDim', 0);
  pos('sigmaData');
  if (!Number.isFinite(c.pMean)) errors.push(`pMean = ${c.pMean} must be finite`);
  pos('pStd');
  int('batch', 1);
  int('steps', 1);
  pos('lr');
  if (!(c.lrRampupKimg >= 0)) errors.push(`lrRampupKimg = ${c.lrRampupKimg} must be ≥ 0`);
  if (!Array.isArray(c.adamBetas) || c.adamBetas.length !== 2 || !c.adamBetas.every((b) => b >= 0 && b < 1)) errors.push(`adamBetas = [${c.adamBetas}] must be two numbers in [0, 1)`);
  pos('adamEps');
  pos('emaHalflifeKimg');
  if (!(c.emaRampupRatio >= 0)) errors.push(`emaRampupRatio = ${c.emaRampupRatio} must be ≥ 0`);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0 || c.seed >= 2 ** 50) errors.push(`seed = ${c.seed} must be an integer in [0, 2^50)`);
  int('checkpointEvery', 0);
  int('sampleEvery', 0);
  int('progressEvery', 1);
  if (errors.length) throw new RangeError(`train config: ${errors.join('; ')}`);
  return c;
}

/** The network a training config describes for images of `channels`×`resolution`². */
export function networkConfigFor(c: TrainConfig, channels: number, resolution: number): NetworkConfig {
  const unet: UNetConfig = {
    ...UNET_FLAVOURS[c.arch],
    resolution,
    inChannels: channels,
    outChannels: channels,
    modelChannels: c.channels,
    channelMult: [...c.channelMult],
    numBlocks: c.numBlocks,
    attnResolutions: [...c.attnResolutions],
    dropout: c.dropout,
    augmentDim: c.augmentDim,
  };
  return { unet, sigmaData: c.sigmaData };
}

/** Philox keys and per-step stream layout. */
export const STREAMS_PER_STEP = 256; // slot 0: σ, 1: noise, 2…: dropout masks
export function philoxKeys(seed: number): { init: number; train: number; data: number } {
  return { init: 4 * seed, train: 4 * seed + 1, data: 4 * seed + 2 };
}

/** The order of epoch e: a Fisher–Yates shuffle of 0 … n−1 by Philox uniforms (data key, offset e). */
export function epochOrder(n: number, dataKey: number, epoch: number): Int32Array {
  const u = randomUniformRef(n, dataKey, epoch);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i] * (i + 1)));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** One progress report. */
export interface TrainProgress {
  step: number; // optimizer steps done
  steps: number; // total steps of the run
  nimg: number; // images seen
  loss: number; // mean over the steps since the last report of EDM's per-pixel loss λ·(D − y)²
  losses: number[]; // that loss for each of those steps
  imagesPerSec: number; // throughput since the last report (wall clock, GPU work included)
  etaSec: number; // estimated time to the last step
  lr: number; // learning rate of the last step
  bytesLive: number; // GPU bytes held (flat from the second step on)
}

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void | Promise<void>;
  /** Every sampleEvery steps: the EMA network (and the raw one) to sample from; do not release them. */
  onSample?: (s: { step: number; ema: EdmNetwork; net: EdmNetwork; gpu: Gpu }) => void | Promise<void>;
  onCheckpoint?: (c: { step: number; path: string }) => void | Promise<void>;
  /** Images instead of loading config.data (tests): N×C×H×W in [-1, 1], square. */
  dataset?: { images: Float32Array; n: number; c: number; h: number; w: number };
  /** Stop after this many steps of this session (simulates a killed run; a checkpoint is written first). */
  stopAfter?: number;
}

export interface TrainResult {
  step: number; // steps done in total
  nimg: number;
  checkpoint: string; // path of the last checkpoint
  resumedFrom: number | null; // the step a resumed run started at
}

export const CHECKPOINT_FORMAT = 'gausslens-edm-train/1';

/**
 * Training state. The optimiser works on flat buffers (every trainable parameter at a 64-element
 * aligned offset): one Adam and one EMA dispatch a step instead of two a parameter (dispatches
 * cost far more than the buffer copies that gather gradients and scatter weights on llvmpipe).
 */
interface State {
  net: EdmNetwork; // the trained weights, one buffer a parameter (what the ops use)
  ema: EdmNetwork; // EMA weights for onSample (filled from `flat.ema` when needed)
  layout: { name: string; offset: number; size: number; shape: readonly number[] }[]; // trainable parameters in `flat`
  flat: { param: GpuBuffer; grad: GpuBuffer; m: GpuBuffer; v: GpuBuffer; ema: GpuBuffer; length: number };
  step: number;
}

function flatLayout(net: EdmNetwork): { layout: State['layout']; length: number } {
  let at = 0;
  const layout = net.unet.params.trainable().map((p) => {
    const size = numel(p.shape);
    const entry = { name: p.name, offset: at, size, shape: p.shape };
    at += Math.ceil(size / 64) * 64;
    return entry;
  });
  return { layout, length: Math.max(64, at) };
}

function allocFlat(gpu: Gpu, length: number): State['flat'] {
  const make = (label: string): GpuBuffer => {
    const b = gpu.alloc(length, label);
    gpu.fill(b, 0);
    return b;
  };
  return { param: make('flat-param'), grad: make('flat-grad'), m: make('adam-m'), v: make('adam-v'), ema: make('ema'), length };
}

/** flat.param ← every trainable parameter (gather). */
function gatherParams(gpu: Gpu, s: State): void {
  const byName = new Map(s.net.unet.params.list.map((p) => [p.name, p]));
  for (const e of s.layout) gpu.copy((byName.get(e.name)?.tensor as Tensor).buf, s.flat.param, e.size, 0, e.offset);
}

/** The EMA network's weights ← flat.ema (its non-trainable buffers stay those of the initial net). */
function scatterEma(gpu: Gpu, s: State): void {
  const byName = new Map(s.ema.unet.params.list.map((p) => [p.name, p]));
  for (const e of s.layout) gpu.copy(s.flat.ema, (byName.get(e.name)?.tensor as Tensor).buf, e.size, e.offset, 0);
}

/**
 * Trains an EDM network as config says (on the process's GPU device); returns when config.steps
 * are done (or after hooks.stopAfter steps). A function as second argument is the onProgress hook.
 */
export async function train(partial: Partial<TrainConfig>, hooksOrProgress: TrainHooks | TrainHooks['onProgress'] = {}): Promise<TrainResult> {
  const hooks: TrainHooks = typeof hooksOrProgress === 'function' ? { onProgress: hooksOrProgress } : (hooksOrProgress ?? {});
  const cfg = resolveTrainConfig(partial);
  const gpu = await getDevice();
  const data = hooks.dataset ?? (await loadDataset(cfg.data));
  if (data.h !== data.w) throw new RangeError(`train: images are ${data.h}×${data.w}; SongUNet needs square images`);
  const netCfg = networkConfigFor(cfg, data.c, data.h);
  const keys = philoxKeys(cfg.seed);
  const d = data.c * data.h * data.w;
  const ckptPath = join(cfg.runDir, 'checkpoint.safetensors');

  // State: fresh, or from the checkpoint.
  const resume = cfg.resume && existsSync(ckptPath);
  const state = resume ? await loadState(gpu, ckptPath, cfg, netCfg) : freshState(gpu, netCfg, keys.init);
  const resumedFrom = resume ? state.step : null;
  await writeFileAtomic(join(cfg.runDir, 'config.json'), JSON.stringify({ train: cfg, network: netCfg, parameters: state.net.unet.paramCount(), dataset: { n: data.n, c: data.c, h: data.h, w: data.w }, resumedFrom }, null, 2) + '\n');

  const trainable = state.net.unet.params.trainable();
  const slot = new Map(state.layout.map((e) => [e.name, e]));
  const y = fromArray(gpu, new Float32Array(cfg.batch * d), [cfg.batch, data.c, data.h, data.w], { label: 'batch' });
  const host = new Float32Array(cfg.batch * d);
  const orders = new Map<number, Int32Array>();
  const pending: Tensor[] = [];
  let lr = 0;
  let lastReport = { time: performance.now(), step: state.step };
  const sessionStart = { time: performance.now(), step: state.step };
  const stopAt = Math.min(cfg.steps, hooks.stopAfter !== undefined ? state.step + hooks.stopAfter : Infinity);
  // At most two steps in flight: recording runs ahead of the GPU by one step, never unboundedly
  // (an unbounded queue of submissions crashes Dawn on lavapipe).
  let inFlight: Promise<unknown> | null = null;

  try {
    while (state.step < stopAt) {
      const step = state.step;
      const nimg = step * cfg.batch;

      // Minibatch: images [nimg, nimg + batch) of the endless sequence of shuffled epochs.
      for (let b = 0; b < cfg.batch; b++) {
        const pos = nimg + b;
        const epoch = Math.floor(pos / data.n);
        let order = orders.get(epoch);
        if (!order) {
          orders.clear();
          order = epochOrder(data.n, keys.data, epoch);
          orders.set(epoch, order);
        }
        const i = order[pos % data.n];
        host.set(data.images.subarray(i * d, (i + 1) * d), b * d);
      }
      gpu.write(y.buf, host);

      // Loss and gradients.
      const base = step * STREAMS_PER_STEP;
      let dropoutSlot = 2;
      const ctx: ForwardContext = {
        training: true,
        dropoutSeed: keys.train,
        nextOffset: () => {
          if (dropoutSlot >= STREAMS_PER_STEP) throw new Error('train: more dropout layers than Philox streams a step');
          return base + dropoutSlot++;
        },
      };
      const sigmas = sampleSigmas(cfg.batch, keys.train, base, { pMean: cfg.pMean, pStd: cfg.pStd, sigmaData: cfg.sigmaData });
      const tape = new Tape();
      const loss = tape.run(() => edmLoss(state.net, y, sigmas, { seed: keys.train, offset: base + 1 }, ctx, { pMean: cfg.pMean, pStd: cfg.pStd, sigmaData: cfg.sigmaData }));
      backward(loss, { retain: [loss] });
      pending.push(loss);

      // Adam with EDM's learning-rate ramp-up (lr · min(nimg / rampup, 1), nimg before this step),
      // on the flat buffers: gather gradients, one update, scatter the weights back.
      lr = cfg.lr * Math.min(nimg / Math.max(cfg.lrRampupKimg * 1000, 1e-8), 1);
      for (const p of trainable) {
        const t = p.tensor as Tensor;
        const e = slot.get(p.name) as State['layout'][number];
        // A parameter the loss never reaches (map_augment) keeps a zero gradient: Adam leaves it unchanged, as torch's skip does.
        if (t.grad) gpu.copy(t.grad.buf, state.flat.grad, e.size, 0, e.offset);
      }
      zeroGrad(trainable.map((p) => p.tensor as Tensor));
      submitOps(gpu, 16);
      adamStep(gpu, { param: state.flat.param, grad: state.flat.grad, m: state.flat.m, v: state.flat.v }, {
        step: step + 1, lr, beta1: cfg.adamBetas[0], beta2: cfg.adamBetas[1], eps: cfg.adamEps, sanitize: true, n: state.flat.length,
      });
      for (const p of trainable) {
        const e = slot.get(p.name) as State['layout'][number];
        gpu.copy(state.flat.param, (p.tensor as Tensor).buf, e.size, e.offset, 0);
      }

      // EMA of the weights (EDM: half-life ≤ ratio·nimg, β = 0.5^(batch / half-life)).
      const beta = emaBeta(cfg.batch, cfg.emaHalflifeKimg, { curNimg: nimg, rampupRatio: cfg.emaRampupRatio > 0 ? cfg.emaRampupRatio : undefined });
      submitOps(gpu, 16);
      emaUpdate(gpu, state.flat.ema, state.flat.param, beta, state.flat.length);
      state.step = step + 1;
      gpu.flush();
      const submitted = gpu.workDone();
      if (inFlight) await inFlight;
      inFlight = submitted;

      const done = state.step === stopAt;
      if (state.step % cfg.progressEvery === 0 || done) {
        const losses: number[] = [];
        for (const l of pending) losses.push((await l.read())[0] / d);
        for (const l of pending) l.dispose();
        pending.length = 0;
        const now = performance.now();
        const rate = ((state.step - lastReport.step) * cfg.batch) / Math.max(1e-9, (now - lastReport.time) / 1000);
        const perStep = (now - sessionStart.time) / 1000 / Math.max(1, state.step - sessionStart.step);
        lastReport = { time: now, step: state.step };
        await hooks.onProgress?.({
          step: state.step, steps: cfg.steps, nimg: state.step * cfg.batch, loss: losses.reduce((a, b) => a + b, 0) / losses.length, losses,
          imagesPerSec: rate, etaSec: perStep * (cfg.steps - state.step), lr, bytesLive: gpu.pool.bytesLive,
        });
      }
      if (cfg.sampleEvery && state.step % cfg.sampleEvery === 0 && hooks.onSample) {
        scatterEma(gpu, state);
        await hooks.onSample({ step: state.step, ema: state.ema, net: state.net, gpu });
      }
      if ((cfg.checkpointEvery && state.step % cfg.checkpointEvery === 0) || done) {
        await saveState(gpu, ckptPath, state, cfg, netCfg);
        await hooks.onCheckpoint?.({ step: state.step, path: ckptPath });
      }
    }
    await gpu.sync();
    if (!existsSync(ckptPath)) await saveState(gpu, ckptPath, state, cfg, netCfg);
    return { step: state.step, nimg: state.step * cfg.batch, checkpoint: ckptPath, resumedFrom };
  } finally {
    for (const l of pending) l.dispose();
    y.dispose();
    releaseState(state);
  }
}

function freshState(gpu: Gpu, netCfg: NetworkConfig, initKey: number): State {
  const net = new EdmNetwork(netCfg);
  net.materialize(gpu, initKey);
  const ema = new EdmNetwork(netCfg);
  ema.materialize(gpu, initKey); // = the initial weights (EDM: ema = deepcopy(net))
  const { layout, length } = flatLayout(net);
  const state: State = { net, ema, layout, flat: allocFlat(gpu, length), step: 0 };
  gatherParams(gpu, state);
  gpu.copy(state.flat.param, state.flat.ema, length);
  return state;
}

function releaseState(s: State): void {
  s.net.release();
  s.ema.release();
  for (const b of [s.flat.param, s.flat.grad, s.flat.m, s.flat.v, s.flat.ema]) b.release();
}

/** Writes weights, EMA, Adam moments, step and RNG layout to one safetensors file (atomically). */
async function saveState(gpu: Gpu, path: string, s: State, cfg: TrainConfig, netCfg: NetworkConfig): Promise<void> {
  const tensors: Record<string, TensorInput> = {};
  for (const p of s.net.unet.params.list) {
    const data = await gpu.read((p.tensor as Tensor).buf, numel(p.shape));
    tensors['net.' + p.name] = { shape: p.shape, data };
    if (!p.trainable) tensors['ema.' + p.name] = { shape: p.shape, data }; // buffers are not averaged
  }
  const flat = { ema: await gpu.read(s.flat.ema), m: await gpu.read(s.flat.m), v: await gpu.read(s.flat.v) };
  for (const e of s.layout) {
    for (const [prefix, data] of [['ema.', flat.ema], ['adam_m.', flat.m], ['adam_v.', flat.v]] as const) tensors[prefix + e.name] = { shape: e.shape, data: data.slice(e.offset, e.offset + e.size) };
  }
  const keys = philoxKeys(cfg.seed);
  await writeSafetensors(path, tensors, {
    format: CHECKPOINT_FORMAT,
    step: String(s.step),
    nimg: String(s.step * cfg.batch),
    config: JSON.stringify({ network: netCfg, train: cfg }),
    rng: JSON.stringify({ generator: 'philox4x32-10', keys, streamsPerStep: STREAMS_PER_STEP, nextStreamOffset: s.step * STREAMS_PER_STEP, nextImage: s.step * cfg.batch }),
  });
}

/** The state of a checkpoint, after checking it belongs to this run (same network and trajectory settings). */
async function loadState(gpu: Gpu, path: string, cfg: TrainConfig, netCfg: NetworkConfig): Promise<State> {
  const file = await readSafetensors(path);
  if (file.metadata.format !== CHECKPOINT_FORMAT) throw new Error(`${path}: not a training checkpoint (format '${file.metadata.format ?? ''}')`);
  const saved = JSON.parse(file.metadata.config) as { network: NetworkConfig; train: TrainConfig };
  if (JSON.stringify(saved.network) !== JSON.stringify(netCfg)) throw new Error(`${path}: the checkpoint's network differs from this config's; use another runDir or resume: false`);
  const differs = (Object.keys(cfg) as (keyof TrainConfig)[]).filter((k) => !RESUMABLE_CHANGES.includes(k) && JSON.stringify(saved.train[k]) !== JSON.stringify(cfg[k]));
  if (differs.length) throw new Error(`${path}: resuming needs the same ${differs.join(', ')} as the checkpoint (${differs.map((k) => `${k} = ${JSON.stringify(saved.train[k])}`).join(', ')})`);
  const tensors = file.tensors as Record<string, { shape: number[]; data: Float32Array }>;
  const net = new EdmNetwork(netCfg);
  const ema = new EdmNetwork(netCfg);
  const load = (target: EdmNetwork, prefix: string): void => {
    for (const p of target.unet.params.list) {
      const t = tensors[prefix + p.name];
      if (!t || t.shape.join('x') !== p.shape.join('x')) throw new Error(`${path}: '${prefix + p.name}' is missing or has another shape`);
      submitOps(gpu);
      p.tensor = wrap(gpu, gpu.upload(t.data, p.name), p.shape, p.trainable);
    }
  };
  load(net, 'net.');
  load(ema, 'ema.');
  const { layout, length } = flatLayout(net);
  const state: State = { net, ema, layout, flat: allocFlat(gpu, length), step: Number(file.metadata.step) };
  gatherParams(gpu, state);
  for (const [prefix, buf] of [['ema.', state.flat.ema], ['adam_m.', state.flat.m], ['adam_v.', state.flat.v]] as const) {
    const host = new Float32Array(length);
    for (const e of layout) {
      const t = tensors[prefix + e.name];
      if (!t || t.data.length !== e.size) throw new Error(`${path}: '${prefix + e.name}' is missing or has another size`);
      host.set(t.data, e.offset);
    }
    gpu.write(buf, host);
  }
  return state;
}
