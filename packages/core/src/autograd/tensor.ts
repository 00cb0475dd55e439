// Tensors on GPU buffers and the tape that records the ops applied to them.
//
// Ownership is explicit and deterministic:
// - a tensor made while a tape is recording belongs to the tape: `backward` (or `tape.dispose()`)
//   releases it; calling `dispose()` on it does nothing;
// - a tensor made with no tape recording (inference, gradients, parameters) belongs to the caller,
//   who releases it with `dispose()` once it is last used;
// - views (`reshape`) share a reference-counted storage, released when its last tensor is.
import type { Gpu, GpuBuffer } from '@gausslens/kernels';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A GPU buffer shared by a tensor and its views; released when the last of them is disposed. */
export class Storage {
  private refs = 1;
  constructor(readonly buf: GpuBuffer) {}
  retain(): this {
    if (this.refs <= 0) throw new Error(`storage '${this.buf.label}' was already released`);
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.buf.release();
  }
  /** Held by more than one tensor (a view exists): not to be modified in place. */
  get shared(): boolean {
    return this.refs > 1;
  }
}

/** One recorded op: its inputs (null where an optional input is absent), output, attributes and saved buffers. */
export interface Node<A = unknown> {
  readonly op: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly out: Tensor;
  readonly attrs: A;
  readonly saved: readonly Tensor[]; // extra forward results the gradient needs (statistics, masks)
}

export class Tensor {
  /** Accumulated gradient of a leaf (parameters), owned by the tensor's owner. */
  grad: Tensor | null = null;
  /** The op that made this tensor on a tape (null for leaves and untracked results). */
  node: Node | null = null;
  /** The tape that owns this tensor (null: the caller owns it). */
  owner: Tape | null = null;
  private disposed = false;

  constructor(
    readonly gpu: Gpu,
    readonly storage: Storage,
    readonly shape: Shape,
    public requiresGrad = false,
    readonly name = storage.buf.label,
  ) {
    if (numel(shape) > storage.buf.length) throw new RangeError(`tensor '${name}' of shape [${shape.join(', ')}] does not fit its buffer (${storage.buf.length} elements)`);
  }

  get buf(): GpuBuffer {
    if (this.disposed) throw new Error(`tensor '${this.name}' was disposed`);
    return this.storage.buf;
  }

  get size(): number {
    return numel(this.shape);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Releases the tensor now, unless a tape owns it (the tape releases it after backward). */
  dispose(): void {
    if (this.owner && !this.owner.isDisposed) return;
    this.release();
  }

  /** Releases unconditionally (tapes and the backward pass use this). */
  release(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
    this.grad?.release();
    this.grad = null;
  }

  /** Reads the values back (waits for the GPU). */
  read(): Promise<Float32Array> {
    return this.gpu.read(this.buf, this.size);
  }

  /** A new tensor on the same storage with another shape of the same size (not recorded). */
  viewAs(shape: Shape, name = this.name): Tensor {
    if (numel(shape) !== this.size) throw new RangeError(`cannot view '${this.name}' [${this.shape.join(', ')}] as [${shape.join(', ')}]`);
    return adopt(new Tensor(this.gpu, this.storage.retain(), shape, false, name));
  }
}

/** Records ops while it runs a function; `backward` walks the records in reverse. */
export class Tape {
  readonly nodes: Node[] = [];
  readonly owned: Tensor[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Runs fn with this tape recording (synchronously: forward passes only record dispatches). */
  run<T>(fn: () => T): T {
    if (this.disposed) throw new Error('this tape was already used by backward or disposed');
    const prev = active;
    active = this;
    try {
      return fn();
    } finally {
      active = prev;
    }
  }

  /** Hands a tape-owned tensor to the caller (who must dispose it). */
  keep(t: Tensor): Tensor {
    const i = this.owned.indexOf(t);
    if (i >= 0) {
      this.owned.splice(i, 1);
      t.owner = null;
    }
    return t;
  }

  /** Releases every tensor the tape still owns. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) t.release();
    this.owned.length = 0;
    this.nodes.length = 0;
  }
}

let active: Tape | null = null;

/** The tape recording now, if any. */
export function activeTape(): Tape | null {
  return active;
}

/** Runs fn with no tape recording: results belong to the caller (inference mode). */
export function noGrad<T>(fn: () => T): T {
  const prev = active;
  active = null;
  try {
    return fn();
  } finally {
    active = prev;
  }
}

/** Gives a new tensor to the recording tape, if one is recording (else to the innermost scope). */
export function adopt(t: Tensor): Tensor {
  if (active) {
    t.owner = active;
    active.owned.push(t);
  } else if (scopes.length) scopes[scopes.length - 1].push(t);
  return t;
}

const scopes: Tensor[][] = [];

/**
 * Inference memory: with no tape recording, every tensor made inside fn is released when fn
 * returns, except those it returns (handed to the enclosing scope, if any). On a tape it only runs fn.
 */
export function scoped<T extends Tensor | readonly Tensor[]>(fn: () => T): T {
  if (active) return fn();
  const made: Tensor[] = [];
  scopes.push(made);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const x of made) x.release();
    throw e;
  }
  scopes.pop();
  const keep = new Set<Tensor>(Array.isArray(result) ? (result as readonly Tensor[]) : [result as Tensor]);
  for (const x of made) if (!keep.has(x)) x.release();
  const outer = scopes[scopes.length - 1];
  if (outer) for (const x of keep) if (made.includes(x)) outer.push(x);
  return result;
}

/**
 * Called before an op's dispatches (`cost` = at most how many it records, and once an iteration in
 * multi-dispatch loops): submits the recorded work every ~40 dispatches, so the GPU starts on it
 * while recording goes on (measured on llvmpipe: ~40 % less time a dispatch than one submit at the
 * end). Until e3c43bb it also kept batches under the runtime's automatic submit at 64 dispatches,
 * which corrupted the Params of the dispatch that triggered it.
 */
export function submitOps(gpu: Gpu, cost = 6): void {
  if (pendingDispatches + cost > SUBMIT_AT) {
    gpu.flush();
    pendingDispatches = 0;
  }
  pendingDispatches += cost;
}
const SUBMIT_AT = 40;
let pendingDispatches = 0;

/** A new tensor with uninitialised contents, owned by the recording tape if any. */
export function empty(gpu: Gpu, shape: Shape, label = 'tensor'): Tensor {
  submitOps(gpu);
  return adopt(new Tensor(gpu, new Storage(gpu.alloc(Math.max(1, numel(shape)), label)), shape, false, label));
}

/** A tensor holding host data (a leaf; requiresGrad for parameters and gradient checks). */
export function fromArray(gpu: Gpu, data: Float32Array, shape: Shape, opts: { requiresGrad?: boolean; label?: string } = {}): Tensor {
  if (data.length !== numel(shape)) throw new RangeError(`data of length ${data.length} does not match shape [${shape.join(', ')}]`);
  const label = opts.label ?? 'tensor';
  return adopt(new Tensor(gpu, new Storage(gpu.upload(data, label)), shape, opts.requiresGrad ?? false, label));
}

/** A leaf on an existing buffer, which the tensor then owns (released by its dispose). */
export function wrap(gpu: Gpu, buf: GpuBuffer, shape: Shape, requiresGrad = false): Tensor {
  return adopt(new Tensor(gpu, new Storage(buf), shape, requiresGrad, buf.label));
}

/** Records `out = op(inputs)` on the active tape when some input needs a gradient. */
export function record<A>(op: string, inputs: readonly (Tensor | null)[], out: Tensor, attrs: A, saved: readonly Tensor[] = []): Tensor {
  if (active && inputs.some((t) => t?.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, out, attrs, saved };
    active.nodes.push(out.node);
  }
  return out;
}
