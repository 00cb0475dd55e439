// Named parameters of a network: declared with shape and initialiser when the modules are built
// (no GPU needed, so parameter counts come from the declarations), then materialised on the GPU
// from a seed: parameter i draws from the Philox stream (seed, offset = i), so the same seed gives
// the same weights bit for bit on any device.
import { randomUniform, randomNormal, fillValue, type Gpu } from '@gausslens/kernels';
import { wrap, numel, submitOps, type Tensor } from '../autograd/index.ts';

/** How a parameter starts (NVlabs/edm `weight_init`, `init_weight`, `init_bias`). */
export type Init =
  | { kind: 'xavier_uniform'; fanIn: number; fanOut: number; gain: number } // gain·√(6/(fanIn + fanOut))·U(−1, 1)
  | { kind: 'normal'; std: number } // std·N(0, 1) (Fourier frequencies)
  | { kind: 'constant'; value: number }; // zeros for biases, ones for norm scales

export interface Param {
  readonly name: string; // EDM state-dict style: 'enc.32x32_block0.conv0.weight'
  readonly shape: readonly number[];
  readonly init: Init;
  readonly trainable: boolean; // false for buffers (Fourier frequencies): saved, not optimised
  tensor: Tensor | null; // set by materialize
}

/** Collects a network's parameters in declaration order under dotted names. */
export class ParamSet {
  readonly list: Param[] = [];
  private byName = new Map<string, Param>();

  constructor(private readonly prefix = '', private readonly root?: ParamSet) {}

  /** A view that declares into the same set under `prefix.name`. */
  scope(name: string): ParamSet {
    return new ParamSet(this.prefix + name + '.', this.root ?? this);
  }

  declare(name: string, shape: readonly number[], init: Init, trainable = true): Param {
    const set = this.root ?? this;
    const full = this.prefix + name;
    if (set.byName.has(full)) throw new Error(`parameter '${full}' declared twice`);
    const p: Param = { name: full, shape: [...shape], init, trainable, tensor: null };
    set.list.push(p);
    set.byName.set(full, p);
    return p;
  }

  get(name: string): Param | undefined {
    return (this.root ?? this).byName.get(name);
  }

  /** Σ elements of the trainable parameters. */
  count(): number {
    return (this.root ?? this).list.filter((p) => p.trainable).reduce((s, p) => s + numel(p.shape), 0);
  }

  trainable(): Param[] {
    return (this.root ?? this).list.filter((p) => p.trainable);
  }

  /** Allocates every parameter and initialises it from (seed, offset = declaration index). */
  materialize(gpu: Gpu, seed: number): void {
    (this.root ?? this).list.forEach((p, i) => {
      submitOps(gpu);
      p.tensor?.release();
      const buf = gpu.alloc(numel(p.shape), p.name);
      initialise(gpu, buf, p.init, seed, i);
      p.tensor = wrap(gpu, buf, p.shape, p.trainable);
    });
  }

  /** Releases every parameter tensor (and gradient). */
  release(): void {
    for (const p of (this.root ?? this).list) {
      p.tensor?.release();
      p.tensor = null;
    }
  }
}

function initialise(gpu: Gpu, buf: Tensor['buf'], init: Init, seed: number, offset: number): void {
  if (init.kind === 'constant') fillValue(gpu, buf, init.value);
  else if (init.kind === 'normal') randomNormal(gpu, buf, { seed, offset, mean: 0, std: init.std });
  else {
    const a = init.gain * Math.sqrt(6 / (init.fanIn + init.fanOut));
    randomUniform(gpu, buf, { seed, offset, mean: -a, std: 2 * a });
  }
}

/** The tensor of a materialised parameter. */
export function t(p: Param): Tensor {
  if (!p.tensor) throw new Error(`parameter '${p.name}' is not materialised (call materialize or load a checkpoint)`);
  return p.tensor;
}
