// Reverse-mode differentiation over a tape: walks the recorded nodes backwards, applies each op's
// rule (rules.ts), sums gradients where a tensor feeds several ops, and leaves the gradients of
// leaves (parameters) in `.grad`. Every intermediate is released deterministically: forward
// activations as soon as no earlier node needs them, gradients as soon as they are consumed, and
// whatever the tape still owns at the end (except tensors the caller retains).
import { axpby as axpbyKernel, fillValue } from '@gausslens/kernels';
import { Tensor, noGrad, empty, type Node } from './tensor.ts';
import { rules, type Grad, type Rule } from './rules.ts';

export interface BackwardOptions {
  grad?: Tensor; // gradient of the output (default: ones, for a scalar loss); not modified or released
  retain?: readonly Tensor[]; // tape tensors handed to the caller instead of released (e.g. the loss, to read later)
}

/** Gradient bookkeeping: which tensor holds which gradient, and how many holders share each gradient. */
class Grads {
  private byTensor = new Map<Tensor, Tensor>();
  private holders = new Map<Tensor, number>();
  private external = new Set<Tensor>();

  constructor(seedFor: Tensor, seed: Tensor, external: boolean) {
    if (external) this.external.add(seed);
    this.set(seedFor, seed);
  }

  get(t: Tensor): Tensor | undefined {
    return this.byTensor.get(t);
  }

  entries(): IterableIterator<[Tensor, Tensor]> {
    return this.byTensor.entries();
  }

  private set(t: Tensor, g: Tensor): void {
    this.byTensor.set(t, g);
    this.holders.set(g, (this.holders.get(g) ?? 0) + 1);
  }

  /** May g be modified in place? (one holder, no views of its storage, not the caller's.) */
  private exclusive(g: Tensor): boolean {
    return this.holders.get(g) === 1 && !this.external.has(g) && !g.storage.shared;
  }

  /** Releases g if nothing holds it. */
  dropIfFree(g: Tensor): void {
    if (!(this.holders.get(g) ?? 0) && !this.external.has(g)) g.release();
  }

  /** Removes t's gradient, releasing it when no other tensor shares it. */
  remove(t: Tensor): void {
    const g = this.byTensor.get(t);
    if (!g) return;
    this.byTensor.delete(t);
    const h = (this.holders.get(g) ?? 1) - 1;
    if (h > 0) this.holders.set(g, h);
    else {
      this.holders.delete(g);
      this.dropIfFree(g);
    }
  }

  /** t's gradient += r (out of place: WebGPU forbids binding one buffer as input and output). */
  accumulate(t: Tensor, r: Tensor): void {
    const g = this.byTensor.get(t);
    if (!g) {
      this.set(t, r);
      return;
    }
    const s = empty(g.gpu, g.shape, 'grad-sum');
    axpbyKernel(g.gpu, 1, g.buf, 1, r.buf, s.buf, g.size);
    this.remove(t);
    this.set(t, s);
    this.dropIfFree(r);
  }

  /** Takes t's gradient out as a tensor the caller owns (copied if shared). */
  take(t: Tensor): Tensor {
    const g = this.byTensor.get(t) as Tensor;
    if (this.exclusive(g)) {
      this.byTensor.delete(t);
      this.holders.delete(g);
      return g;
    }
    const c = empty(g.gpu, g.shape, 'grad');
    g.gpu.copy(g.buf, c.buf, g.size);
    this.remove(t);
    return c;
  }
}

/**
 * Back-propagates from `loss` (a tensor recorded on a tape) to every leaf that requires a
 * gradient: leaf.grad += ∂loss/∂leaf (allocated on first use). Consumes the tape: everything it
 * owns is released except `retain`.
 */
export function backward(loss: Tensor, opts: BackwardOptions = {}): void {
  const tape = loss.owner;
  if (!tape || tape.isDisposed) throw new Error(`backward: '${loss.name}' was not computed on a live tape`);
  if (!loss.node) throw new Error(`backward: '${loss.name}' does not depend on anything that requires a gradient`);
  if (opts.grad && opts.grad.size !== loss.size) throw new RangeError(`backward: gradient of size ${opts.grad.size} for an output of size ${loss.size}`);
  for (const t of opts.retain ?? []) tape.keep(t);
  const nodes = tape.nodes;

  // Forward tensors released once the sweep passes below the first node that refers to them.
  const firstUse = new Map<Tensor, number>();
  nodes.forEach((n, i) => {
    for (const t of [...n.inputs, n.out, ...n.saved]) {
      // Leaves that receive a gradient stay until the end (the tape releases them with their .grad).
      if (t && t.owner === tape && !firstUse.has(t) && (t.node || !t.requiresGrad)) firstUse.set(t, i);
    }
  });
  const releaseAt: Tensor[][] = nodes.map(() => []);
  for (const [t, i] of firstUse) releaseAt[i].push(t);

  noGrad(() => {
    let seed = opts.grad;
    if (!seed) {
      seed = empty(loss.gpu, loss.shape, 'grad-seed');
      fillValue(loss.gpu, seed.buf, 1, seed.size);
    }
    const grads = new Grads(loss, seed, opts.grad !== undefined);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      const g = grads.get(node.out);
      if (g) {
        const need = node.inputs.map((t) => t?.requiresGrad === true);
        const rule = (rules as unknown as Record<string, Rule<unknown>>)[node.op];
        if (!rule) throw new Error(`backward: no gradient rule for op '${node.op}'`);
        const results: Grad[] = rule(g, node as Node<unknown>, need);
        results.forEach((r, j) => {
          if (!r) return;
          const input = node.inputs[j];
          if (need[j] && input) grads.accumulate(input, r);
          else grads.dropIfFree(r);
        });
        grads.remove(node.out);
      }
      for (const t of releaseAt[i]) t.release();
    }
    // What remains are the leaves' gradients.
    for (const [t] of [...grads.entries()]) {
      if (t.node) {
        grads.remove(t);
        continue;
      }
      const g = grads.take(t);
      if (t.grad) {
        const sum = empty(t.gpu, t.shape, 'grad');
        axpbyKernel(t.gpu, 1, t.grad.buf, 1, g.buf, sum.buf, t.size);
        t.grad.release();
        g.release();
        t.grad = sum;
      } else t.grad = g;
    }
  });
  tape.dispose();
}

/** Releases the gradients of these tensors (before the next accumulation). */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.release();
    p.grad = null;
  }
}
