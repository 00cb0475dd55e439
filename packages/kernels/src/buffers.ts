// Pooled GPU storage buffers with deterministic release.
// A released buffer returns to its size class and is handed out again; because every later use is
// recorded after the release in the same ordered command stream, reuse is race-free.


/** A storage buffer holding `length` 4-byte elements (f32, u32 or i32 by the kernel's contract). */
export class GpuBuffer {
  released = false;
  constructor(
    readonly buffer: GPUBuffer,
    readonly length: number,
    readonly label: string,
    private readonly pool: BufferPool,
  ) {}

  get byteLength(): number {
    return this.length * 4;
  }

  /** Returns the buffer to the pool; using it afterwards is an error. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.pool.give(this.buffer);
  }
}

/** Size classes: multiples of 256 B up to 64 KiB, then 1/8-octave steps (≤ 12.5 % waste). */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 256) * 256);
  if (b <= 65536) return b;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private live = new Set<GPUBuffer>();
  bytesLive = 0; // bytes handed out and not yet released
  bytesPooled = 0; // bytes held for reuse

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, label: string, maxBufferSize: number): GpuBuffer {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`buffer '${label}': invalid size ${bytes} bytes`);
    const size = sizeClass(bytes);
    if (size > maxBufferSize) {
      throw new RangeError(`buffer '${label}' needs ${mib(bytes)}, over this device's maxBufferSize ${mib(maxBufferSize)}: use a smaller batch or data set`);
    }
    let buffer = this.free.get(size)?.pop();
    if (buffer) this.bytesPooled -= size;
    else buffer = this.device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.live.add(buffer);
    this.bytesLive += size;
    return new GpuBuffer(buffer, Math.ceil(bytes / 4), label, this);
  }

  give(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const size = buffer.size;
    this.bytesLive -= size;
    this.bytesPooled += size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
  }

  /** Frees the buffers held for reuse. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.bytesPooled = 0;
  }

  destroyAll(): void {
    this.trim();
    for (const b of this.live) b.destroy();
    this.live.clear();
    this.bytesLive = 0;
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 1)} MiB`;
}
