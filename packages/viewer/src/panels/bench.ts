// Kernel timings in this browser: the GEMM and eigensolver (Jacobi / tridiagonal) cases of
// `gausslens bench`, and the attention kernel that computes D_M (eq 5), timed by the same code.
import { allBenches, runBenchCase, multiDelta, randomNormal, type BenchCase, type Gpu } from '@gausslens/kernels';
import type { Session } from '../session.ts';
import { el } from '../draw.ts';

/** The multi-delta attention over N training images for B queries (distances and weighted sum: ~4·B·N·d flops). */
function attentionCase(b: number, n: number, d: number): BenchCase {
  return {
    family: 'attention',
    name: `multi-delta attention B=${b}, N=${n}, d=${d}`,
    flops: 4 * b * n * d,
    bytes: 4 * (n * d + 2 * b * d),
    setup(gpu: Gpu) {
      const [x, train, out] = [gpu.alloc(b * d, 'bench-x'), gpu.alloc(n * d, 'bench-train'), gpu.alloc(b * d, 'bench-out')];
      randomNormal(gpu, x, { seed: 1 });
      randomNormal(gpu, train, { seed: 2 });
      return { run: () => void multiDelta(gpu, { x, train, b, n, d, sigma: 1, out }), dispose: () => [x, train, out].forEach((t) => t.release()) };
    },
  };
}

/** The cases offered, the quick ones checked. */
function cases(): { c: BenchCase; on: boolean }[] {
  const pick = (family: string, names: RegExp): BenchCase[] => allBenches.filter((c) => c.family === family && names.test(c.name));
  return [
    ...pick('gemm', /^gemm 256×|^gemv|^D_G shape/).map((c) => ({ c, on: c.quick === true })),
    { c: attentionCase(16, 1000, 784), on: true },
    { c: attentionCase(64, 10000, 784), on: false },
    ...pick('eigh', /^eigh 64×|^jacobi sweep|^eigh 257×/).map((c) => ({ c, on: c.quick === true || c.name.startsWith('jacobi') })),
  ];
}

const fmt = (v: number | undefined, digits = 3): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toPrecision(digits));

export class BenchPanel {
  private readonly list = cases();
  private readonly run = el('button', { id: 'bench-run', textContent: 'Run the checked benchmarks' });
  private readonly table = el('table', { id: 'bench-table' });
  private readonly note = el('p', { className: 'muted' });

  constructor(
    private readonly root: HTMLElement,
    private readonly session: Session,
  ) {
    const boxes = this.list.map((item, i) => {
      const box = el('input', { type: 'checkbox', checked: item.on, value: String(i) });
      box.addEventListener('change', () => (item.on = box.checked));
      return el('label', { className: 'case' }, box, ` ${item.c.name}`);
    });
    this.table.innerHTML = '<thead><tr><th>kernel</th><th>ms (GPU)</th><th>ms (wall)</th><th>GFLOP/s</th><th>GB/s</th><th>timer</th><th>runs</th></tr></thead><tbody></tbody>';
    (root.querySelector('.body') as HTMLElement).replaceChildren(el('div', { className: 'cases' }, ...boxes), this.run, this.note, this.table);
    this.run.addEventListener('click', () => void this.session.exclusive(() => this.start()));
    this.refresh();
  }

  refresh(): void {
    const g = this.session.gpu;
    this.run.disabled = !g;
    this.note.textContent = g ? `Adapter: ${g.adapter.vendor} ${g.adapter.architecture} ${g.adapter.description}${g.adapter.isSoftware ? ' (a software rasteriser: expect CPU speeds)' : ''}; timer: ${g.features.has('timestamp-query') ? 'GPU timestamps' : 'wall clock'}. The first run of a case includes shader compilation (not timed: one warm-up run).` : `Benchmarks need WebGPU: ${this.session.gpuError ?? ''}`;
  }

  private async start(): Promise<void> {
    const gpu = this.session.gpu;
    if (!gpu) return;
    const body = this.table.tBodies[0];
    this.run.disabled = true;
    this.root.dataset.state = 'busy';
    try {
      for (const { c, on } of this.list) {
        if (!on) continue;
        const row = body.insertRow();
        row.innerHTML = `<td>${c.name}</td><td colspan="6" class="muted">running…</td>`;
        const r = await runBenchCase(gpu, c, { warmup: 1, repeats: 5, minMs: 5000 });
        row.innerHTML = `<td>${c.name}</td><td>${fmt(r.ms)}</td><td>${fmt(r.msWall)}</td><td>${fmt(r.gflops)}</td><td>${fmt(r.gbps)}</td><td>${r.source}</td><td>${r.repeats}</td>`;
      }
      this.root.dataset.state = 'ready';
    } catch (e) {
      body.insertRow().innerHTML = `<td colspan="7" class="error"></td>`;
      (body.rows[body.rows.length - 1].cells[0] as HTMLElement).textContent = (e as Error).message;
      this.root.dataset.state = 'error';
    } finally {
      this.run.disabled = false;
    }
  }
}
