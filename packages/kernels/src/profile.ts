// Per-kernel GPU time (Gpu.startProfile / Gpu.stopProfile): while profiling, every dispatch runs in its own compute
// pass with GPU timestamps at its beginning and end, and the times are summed by kernel name. Slower than normal
// batching (one pass a dispatch, no overlap): a tool for finding the hot kernels of a workload, not for timing it.

/** One kernel's share of the profiled GPU time. */
export interface ProfileRow {
  kernel: string; // the defineKernel name
  calls: number; // dispatches
  ms: number; // summed GPU time [ms]
  share: number; // of all profiled GPU time (0..1)
}

const PAIRS = 1024; // dispatches a query set holds before it is resolved

interface Resolved {
  labels: string[];
  set: GPUQuerySet;
  resolveBuf: GPUBuffer;
  staging: GPUBuffer;
}

export class DispatchProfiler {
  private set: GPUQuerySet;
  private labels: string[] = [];
  private resolved: Resolved[] = [];

  constructor(private readonly device: GPUDevice) {
    this.set = device.createQuerySet({ label: 'profile', type: 'timestamp', count: 2 * PAIRS });
  }

  /** The timestamp writes of the next dispatch's own pass; a full query set is first resolved into `encoder`. */
  next(encoder: GPUCommandEncoder, label: string): GPUComputePassTimestampWrites {
    if (this.labels.length === PAIRS) this.resolve(encoder);
    const i = this.labels.length;
    this.labels.push(label);
    return { querySet: this.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the copy of the timestamps so far into a mappable buffer (read by report after the work is done). */
  resolve(encoder: GPUCommandEncoder): void {
    const n = this.labels.length;
    if (n === 0) return;
    const bytes = 16 * n;
    const resolveBuf = this.device.createBuffer({ label: 'profile-resolve', size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ label: 'profile-staging', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.set, 0, 2 * n, resolveBuf, 0);
    encoder.copyBufferToBuffer(resolveBuf, 0, staging, 0, bytes);
    this.resolved.push({ labels: this.labels, set: this.set, resolveBuf, staging });
    this.labels = [];
    this.set = this.device.createQuerySet({ label: 'profile', type: 'timestamp', count: 2 * PAIRS });
  }

  /** Reads every resolved set (call after the GPU finished them) and sums by kernel, largest first. */
  async report(wait: <T>(p: Promise<T>) => Promise<T>): Promise<ProfileRow[]> {
    const byKernel = new Map<string, { calls: number; ns: number }>();
    for (const r of this.resolved) {
      await wait(r.staging.mapAsync(GPUMapMode.READ));
      const t = new BigUint64Array(r.staging.getMappedRange());
      r.labels.forEach((label, i) => {
        const e = byKernel.get(label) ?? { calls: 0, ns: 0 };
        e.calls++;
        e.ns += Number(t[2 * i + 1] - t[2 * i]);
        byKernel.set(label, e);
      });
      r.staging.destroy();
      r.resolveBuf.destroy();
      r.set.destroy();
    }
    this.set.destroy();
    const total = [...byKernel.values()].reduce((s, e) => s + e.ns, 0) || 1;
    return [...byKernel.entries()]
      .map(([kernel, e]) => ({ kernel, calls: e.calls, ms: e.ns / 1e6, share: e.ns / total }))
      .sort((a, b) => b.ms - a.ms);
  }
}
