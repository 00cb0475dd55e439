// Noisy inputs x = y + n, n ∼ N(0, σ²I), from clean images y (held-out images in the paper): the
// images come in a seeded shuffled order (host, mulberry32; reshuffled every epoch), the noise from
// the GPU's Philox stream (a new stream offset for every draw), so nothing is reused.
import { axpby, randomNormal, type Gpu, type GpuBuffer } from '@gausslens/kernels';
import { mulberry32, shuffleInPlace, type Prng } from '../data/prng.ts';

/** Largest seed whose Philox keys seed·2^12 + tag stay below 2^53. */
export const MAX_DISTILL_SEED = 2 ** 40 - 1;

/** The Philox key of stream `tag` (0 ≤ tag < 4096) under a user seed. */
export function philoxKey(seed: number, tag: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_DISTILL_SEED) throw new RangeError(`seed = ${seed} must be an integer in [0, 2^40)`);
  if (!Number.isInteger(tag) || tag < 0 || tag >= 4096) throw new RangeError(`philoxKey: tag = ${tag} must be in [0, 4096)`);
  return seed * 4096 + tag;
}

/** Rows of n clean images (n×d, host) in a seeded order without replacement within an epoch. */
export class ImageStream {
  private readonly order: Int32Array;
  private readonly rng: Prng;
  private at = 0;

  constructor(
    readonly images: Float32Array,
    readonly n: number,
    readonly d: number,
    seed: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`need at least one clean image, got n = ${n}`);
    if (images.length < n * d) throw new Error(`images hold ${images.length} values, fewer than n·d = ${n}·${d}`);
    this.rng = mulberry32(seed >>> 0 ^ Math.floor(seed / 2 ** 32));
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    shuffleInPlace(this.order, this.rng);
  }

  /** Copies the next `count` images (count×d) into `out`, continuing the shuffled order (reshuffled every epoch). */
  next<T extends Float32Array>(count: number, out: T): T {
    const d = this.d;
    for (let r = 0; r < count; r++) {
      if (this.at === this.n) {
        shuffleInPlace(this.order, this.rng);
        this.at = 0;
      }
      const i = this.order[this.at++];
      out.set(this.images.subarray(i * d, (i + 1) * d), r * d);
    }
    return out;
  }
}

/** Scratch buffers for noisy batches of up to `rows` images. */
export class NoisyBatch {
  readonly clean: GpuBuffer; // y, rows×d
  readonly noise: GpuBuffer; // n, rows×d
  readonly x: GpuBuffer; // y + n, rows×d
  private readonly host: Float32Array<ArrayBuffer>;

  constructor(
    gpu: Gpu,
    readonly rows: number,
    readonly d: number,
  ) {
    this.clean = gpu.alloc(rows * d, 'distill-clean');
    this.noise = gpu.alloc(rows * d, 'distill-noise');
    this.x = gpu.alloc(rows * d, 'distill-noisy');
    this.host = new Float32Array(rows * d);
  }

  /**
   * x ← y + σ·ε for the next `count` images of the stream, ε from Philox (key, offset); returns x.
   * Uploads the clean rows (a queue write, no read-back).
   */
  draw(gpu: Gpu, stream: ImageStream, count: number, sigma: number, key: number, offset: number): GpuBuffer {
    if (count > this.rows) throw new RangeError(`NoisyBatch: ${count} rows asked of a batch of ${this.rows}`);
    const len = count * this.d;
    gpu.write(this.clean, stream.next(count, this.host.subarray(0, len)));
    randomNormal(gpu, this.noise, { seed: key, offset, std: sigma }, len);
    axpby(gpu, 1, this.clean, 1, this.noise, this.x, len);
    return this.x;
  }

  release(): void {
    for (const b of [this.clean, this.noise, this.x]) b.release();
  }
}
