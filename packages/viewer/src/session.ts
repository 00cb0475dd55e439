// What the viewer holds: the device, a data set (from the embedded digits), the Gaussian structure
// (from a run or built in the page) and the denoisers D_G, D_M, D_L, D_θ, each either ready or with
// the reason it is not.
import { getDevice, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import {
  buildGaussianStructure, structureFromSafetensors, networkFromSafetensors, GaussianDenoiser, MultiDeltaDenoiser,
  LinearDenoiser, linearModelFromSafetensors, releaseLinearModel, type LinearModel,
  datasetFromU8Images, parseDataSpec, releaseStructure, mulberry32,
  type BuildInfo, type Dataset, type Denoiser, type EdmNetwork, type GaussianStructure, type StructureMeta,
} from '@gausslens/core';
import { embeddedDigits } from './digits.ts';
import type { RunContents } from './run.ts';

export type DenoiserKind = 'gaussian' | 'multi-delta' | 'linear' | 'network';
export const DENOISER_KINDS: readonly DenoiserKind[] = ['gaussian', 'multi-delta', 'linear', 'network'];
export const DENOISER_LABELS: Record<DenoiserKind, string> = { gaussian: 'Gaussian D_G (eq 6)', 'multi-delta': 'multi-delta D_M (eq 5)', linear: 'linear D_L (eq 8)', network: 'network D_θ' };

export interface ImageShape {
  c: number;
  h: number;
  w: number;
}

/** Clean images to add noise to: held-out digits where the data set leaves some out. */
export interface Inputs {
  images: Float32Array; // count×d
  count: number;
  what: string; // where they come from, for the caption
}

export interface StructureState {
  s: GaussianStructure;
  meta: StructureMeta;
  info: BuildInfo | null; // when built in the page
  source: string; // a file of the run, or 'built in this page'
}

/** Held-out digits shown as inputs (the last of the seeded order, never in the training set). */
const HELD_OUT = 16;

export class Session {
  gpu: Gpu | null = null;
  gpuError: string | null = null;
  run: RunContents | null = null;
  spec: string | null = null; // the data spec of the data set and structure
  data: Dataset | null = null;
  inputs: Inputs | null = null;
  structure: StructureState | null = null;
  readonly denoisers = new Map<DenoiserKind, Denoiser>();
  readonly missing = new Map<DenoiserKind, string>();
  private network: EdmNetwork | null = null;
  private linear: { model: LinearModel; path: string } | null = null;
  private trainBuf: GpuBuffer | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs GPU work one piece at a time: a job never frees buffers a panel is using. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async init(): Promise<void> {
    try {
      this.gpu = await getDevice();
    } catch (e) {
      this.gpuError = (e as Error).message;
    }
    this.updateDenoisers();
  }

  get shape(): ImageShape | null {
    const s = this.data ? [this.data.c, this.data.h, this.data.w] : (this.structure?.s.imageShape ?? this.network?.imageShape ?? null);
    return s ? { c: s[0], h: s[1], w: s[2] } : null;
  }

  get d(): number | null {
    return this.data?.d ?? this.structure?.s.d ?? this.network?.d ?? null;
  }

  private requireGpu(what: string): Gpu {
    if (!this.gpu) throw new Error(`${what} needs WebGPU: ${this.gpuError ?? 'no device'}`);
    return this.gpu;
  }

  /** Computes the Gaussian structure of `spec` (mnist[:N][?…]) from the embedded digits. */
  async computeFromDigits(spec: string, onPhase: (p: string) => void): Promise<void> {
    const gpu = this.requireGpu('computing the Gaussian structure');
    this.clearData();
    try {
      await this.loadData(spec, onPhase);
      if (!this.data) throw new Error(this.missing.get('multi-delta') ?? `cannot load ${spec}`);
      await this.buildStructure(gpu, onPhase);
    } finally {
      this.updateDenoisers();
    }
  }

  /** Opens a run: its structure and network as saved, its data set from the digits where it is MNIST. */
  async openRun(run: RunContents, onPhase: (p: string) => void): Promise<void> {
    this.clearData();
    this.network?.release();
    this.network = null;
    this.denoisers.delete('network');
    this.denoisers.get('linear')?.release();
    this.denoisers.delete('linear');
    if (this.linear) releaseLinearModel(this.linear.model);
    this.linear = null;
    this.run = run;
    try {
      await this.openRunFiles(run, onPhase);
    } finally {
      this.updateDenoisers();
    }
  }

  private async openRunFiles(run: RunContents, onPhase: (p: string) => void): Promise<void> {
    const gpu = this.gpu as Gpu; // without WebGPU only the report is shown (updateDenoisers says why)
    if (run.structure && this.gpu) {
      onPhase(`uploading ${run.structure.path}`);
      const { structure, meta } = structureFromSafetensors(gpu, run.structure.file, run.structure.path, run.structure.sidecar);
      this.structure = { s: structure, meta, info: null, source: run.structure.path };
    }
    if (run.network && this.gpu) {
      onPhase(`loading the network ${run.network.path}`);
      this.network = networkFromSafetensors(gpu, run.network.file, run.network.path);
    }
    if (run.linear.length && this.gpu) {
      const { path, file } = run.linear[0];
      onPhase(`uploading the linear model ${path}`);
      this.linear = { model: linearModelFromSafetensors(gpu, file, path), path };
    }
    if (run.dataSpec) await this.loadData(run.dataSpec, onPhase);
    // A network run saves no structure: build it in the page from the same digits.
    if (!this.structure && this.data && this.gpu) await this.buildStructure(gpu, onPhase);
    if (!this.inputs && this.structure) this.inputs = gaussianSamples(this.structure.s, 8);
  }

  private async loadData(spec: string, onPhase: (p: string) => void): Promise<void> {
    this.spec = spec;
    const parsed = parseDataSpec(spec);
    if (parsed.kind !== 'mnist') {
      this.missing.set('multi-delta', `D_M needs the training images of ${spec}; the viewer embeds only the MNIST digits`);
      return;
    }
    onPhase('loading the embedded MNIST digits');
    const digits = await embeddedDigits();
    // Holding out the last K of the order leaves the first N the same (spec.ts), when N + K ≤ m.
    const canHoldOut = parsed.heldOut === undefined && parsed.half === undefined && (parsed.n ?? digits.m) + HELD_OUT <= digits.m;
    const ds = datasetFromU8Images(digits, 'mnist', spec, canHoldOut ? { heldOut: HELD_OUT } : {});
    this.data = ds;
    if (ds.heldOut && ds.heldOutIndex) this.inputs = { images: ds.heldOut, count: ds.heldOutIndex.length, what: `held-out digits of ${spec} (not in its training set)` };
    else this.inputs = { images: ds.images.subarray(0, Math.min(HELD_OUT, ds.n) * ds.d), count: Math.min(HELD_OUT, ds.n), what: `training digits of ${spec} (it leaves none out)` };
  }

  private async buildStructure(gpu: Gpu, onPhase: (p: string) => void): Promise<void> {
    const ds = this.data as Dataset;
    const t0 = performance.now();
    const { structure, info } = await buildGaussianStructure(gpu, ds.images, ds.n, ds.d, [ds.c, ds.h, ds.w], { onPhase });
    const meta: StructureMeta = { data: this.spec ?? ds.spec, n: ds.n, d: ds.d, imageShape: [ds.c, ds.h, ds.w], route: info.route, seconds: (performance.now() - t0) / 1000, created: new Date().toISOString() };
    this.structure = { s: structure, meta, info, source: 'built in this page' };
  }

  /** Frees the data set, the structure and the denoisers built on them (the network stays). */
  private clearData(): void {
    for (const k of ['gaussian', 'multi-delta'] as const) {
      this.denoisers.get(k)?.release();
      this.denoisers.delete(k);
    }
    if (this.structure) releaseStructure(this.structure.s);
    this.trainBuf?.release();
    this.trainBuf = null;
    this.structure = null;
    this.data = null;
    this.inputs = null;
    this.spec = null;
    this.missing.clear();
  }

  private updateDenoisers(): void {
    const noGpu = this.gpu ? null : `needs WebGPU (${this.gpuError ?? 'no device'})`;
    const d = this.d;
    const set = (k: DenoiserKind, make: () => Denoiser | string): void => {
      const prev = this.denoisers.get(k);
      this.denoisers.delete(k);
      if (prev && k !== 'network') prev.release();
      const r = noGpu ?? make();
      if (typeof r === 'string') this.missing.set(k, r);
      else {
        this.missing.delete(k);
        this.denoisers.set(k, r);
      }
    };
    const gpu = this.gpu as Gpu;
    set('gaussian', () => {
      if (!this.structure) return 'no Gaussian structure: open a run with gaussian.safetensors or compute one from the digits';
      if (d !== this.structure.s.d) return `the structure has d = ${this.structure.s.d}, the data here d = ${d}`;
      return new GaussianDenoiser(gpu, this.structure.s);
    });
    const mdWhy = this.missing.get('multi-delta');
    set('multi-delta', () => {
      if (!this.data) return mdWhy ?? 'D_M needs the training images: compute from the digits or open a run whose data is MNIST';
      this.trainBuf ??= gpu.upload(this.data.images.subarray(0, this.data.n * this.data.d), 'viewer-training-set');
      return new MultiDeltaDenoiser(this.trainBuf, this.data.n, this.data.d);
    });
    set('linear', () => {
      if (!this.linear) return 'no linear model in this run (gausslens distill or analyze writes one)';
      if (d !== null && this.linear.model.d !== d) return `the linear model ${this.linear.path} has d = ${this.linear.model.d}, the data here d = ${d}`;
      return new LinearDenoiser(gpu, this.linear.model, { kind: 'linear', file: this.linear.path });
    });
    set('network', () => {
      if (!this.network) return 'no network checkpoint in this run';
      if (d !== null && this.network.d !== d) {
        const [c, h, w] = this.network.imageShape;
        return `the network takes ${c}×${h}×${w} images (d = ${this.network.d}), the data here has d = ${d}`;
      }
      return this.network;
    });
  }
}

/** Inputs when no training images are at hand: samples of N(μ, Σ) = μ + Σ_k √λ_k·z_k·u_k (seeded). */
function gaussianSamples(s: GaussianStructure, count: number): Inputs {
  const rng = mulberry32(7);
  const uniform = (): number => (rng.nextUint32() + 0.5) / 2 ** 32;
  const images = new Float32Array(count * s.d);
  for (let b = 0; b < count; b++) {
    const row = images.subarray(b * s.d, (b + 1) * s.d);
    row.set(s.host.mean);
    for (let k = 0; k < s.rank; k++) {
      const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      const a = Math.sqrt(s.eigenvalues[k]) * z;
      const u = s.host.U.subarray(k * s.d, (k + 1) * s.d);
      for (let j = 0; j < s.d; j++) row[j] += a * u[j];
    }
  }
  return { images, count, what: `samples of N(μ, Σ) (no training images of ${s.d}-dimensional data at hand)` };
}
