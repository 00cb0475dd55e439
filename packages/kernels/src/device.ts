/// <reference path="./shims.d.ts" />
// The one WebGPU device of a process: adapter limits and features, a batched command stream,
// buffer pool, uploads and read-backs, error surfacing and clean shutdown.
import { platformGpu, platformName, platformBackend, gpuWait } from '#platform';
import { BufferPool, GpuBuffer } from './buffers.ts';
import { DispatchProfiler, type ProfileRow } from './profile.ts';

/** Thrown when no WebGPU adapter exists; the message says how to get one. */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** A validation, out-of-memory or device-lost error raised by the GPU, with the label of the object at fault. */
export class GpuError extends Error {
  override name = 'GpuError';
}

export const NO_ADAPTER_HELP =
  'no WebGPU adapter found: install a Vulkan driver; without a GPU use Mesa >= 24 lavapipe ' +
  '(Debian/Ubuntu: `apt-get install mesa-vulkan-drivers`; on Debian 12 from bookworm-backports: ' +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers`), or run `npm run setup`';

export interface AdapterSummary {
  platform: string; // 'node (Dawn)' or 'browser'
  vendor: string; // e.g. 'mesa'
  architecture: string; // e.g. 'llvmpipe'
  device: string; // device name where exposed
  description: string; // driver description
  backend: string; // 'vulkan', 'metal', … where exposed
  isSoftware: boolean; // a CPU rasteriser (lavapipe, SwiftShader, WARP)
  subgroupMinSize: number | null; // subgroup width range where the adapter reports it
  subgroupMaxSize: number | null;
}

/** Limits we raise from the WebGPU defaults to what the adapter really has. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

const WANTED_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16'] as const;

const UNIFORM_ARENA_BYTES = 64 * 1024;
const DISPATCHES_PER_SUBMIT = 64;

export class Gpu {
  readonly pool: BufferPool;
  readonly features: ReadonlySet<string>;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatchesInBatch = 0;
  private arena: GPUBuffer | null = null;
  private arenaData = new Uint8Array(UNIFORM_ARENA_BYTES);
  private arenaUsed = 0;
  private spareArenas: GPUBuffer[] = [];
  private usedArenas: GPUBuffer[] = [];
  private pendingError: GpuError | null = null;
  private lostReason: string | null = null;
  private destroyed = false;
  private profiler: DispatchProfiler | null = null;
  readonly uniformAlign: number;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
  ) {
    this.features = new Set([...device.features].map(String));
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.pool = new BufferPool(device);
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.pendingError ??= new GpuError(`WebGPU ${e.constructor.name}: ${e.message}`);
    });
    void device.lost.then((info) => {
      if (!this.destroyed) this.lostReason = `device lost (${info.reason}): ${info.message}`;
    });
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  get hasTimestamps(): boolean {
    return this.features.has('timestamp-query');
  }

  /** The subgroup size when the adapter fixes it at 8 or 16 (lavapipe: 16 on AVX-512), else 0: what the *_sg.wgsl kernels need. */
  get fixedSubgroupSize(): number {
    if (!this.features.has('subgroups')) return 0;
    const info = (this.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
    const lo = this.adapter.subgroupMinSize ?? info?.subgroupMinSize;
    const hi = this.adapter.subgroupMaxSize ?? info?.subgroupMaxSize;
    return lo === hi && (lo === 8 || lo === 16) ? lo : 0;
  }

  /** The subgroup size the *_sg.wgsl kernels run at by default: fixedSubgroupSize on software adapters (CPU rasterisers, where they win), else 0. */
  get subgroupKernelSize(): number {
    return this.adapter.isSoftware ? this.fixedSubgroupSize : 0;
  }

  /** Throws the first GPU error seen since the last check, or if the device is gone. */
  checkErrors(): void {
    if (this.lostReason) throw new GpuError(this.lostReason);
    if (this.destroyed) throw new GpuError('the GPU device was destroyed');
    const e = this.pendingError;
    if (e) {
      this.pendingError = null;
      throw e;
    }
  }

  // ---- buffers ----------------------------------------------------------------------------

  /** A pooled storage buffer of `length` 4-byte elements (contents undefined). */
  alloc(length: number, label = 'tensor'): GpuBuffer {
    this.checkErrors();
    return this.pool.acquire(length * 4, label, this.limits.maxBufferSize);
  }

  /** Copies host data into a new pooled buffer. */
  upload(data: Float32Array | Uint32Array | Int32Array, label = 'upload'): GpuBuffer {
    const buf = this.alloc(data.length, label);
    this.write(buf, data);
    return buf;
  }

  /** Overwrites `buf` (from element `offset`) with host data, ordered after every dispatch recorded so far. */
  write(buf: GpuBuffer, data: Float32Array | Uint32Array | Int32Array, offset = 0): void {
    if (offset + data.length > buf.length) throw new RangeError(`write of ${data.length} elements at ${offset} overflows '${buf.label}' (${buf.length})`);
    // queue.writeBuffer runs before commands still being recorded: submit those first.
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(buf.buffer, offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Fills `buf` with a 32-bit pattern (e.g. NaN poison in tests) on the GPU timeline. */
  fill(buf: GpuBuffer, value: number): void {
    this.write(buf, new Float32Array(buf.length).fill(value));
  }

  /** Reads a buffer back to the host; the only place the CPU waits for the GPU. */
  async read(buf: GpuBuffer, length = buf.length, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.readBytes(buf, offset * 4, length * 4));
  }

  async readU32(buf: GpuBuffer, length = buf.length, offset = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.readBytes(buf, offset * 4, length * 4));
  }

  private async readBytes(buf: GpuBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
    if (buf.released) throw new Error(`read of released buffer '${buf.label}'`);
    const staging = this.device.createBuffer({ label: `readback:${buf.label}`, size: Math.max(4, byteLength), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(buf.buffer, byteOffset, staging, 0, byteLength);
    this.flush();
    try {
      await gpuWait(staging.mapAsync(GPUMapMode.READ));
    } catch (err) {
      this.checkErrors();
      throw err;
    }
    const out = staging.getMappedRange().slice(0);
    staging.destroy();
    this.checkErrors();
    return out;
  }

  // ---- command stream ----------------------------------------------------------------------

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'gausslens' });
    return this.encoder;
  }

  /**
   * Records one dispatch: submits first if the batch is full, then writes its Params into the
   * uniform arena (which may itself submit when full), then opens or reuses the compute pass.
   * In this order a submit never separates a dispatch from the arena that holds its Params.
   */
  dispatch(params: ArrayBuffer, record: (params: GPUBufferBinding) => { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number] }, label = 'dispatch'): void {
    if (this.dispatchesInBatch >= DISPATCHES_PER_SUBMIT) this.flush();
    const { pipeline, bindGroup, workgroups } = record(this.uniform(params));
    if (this.profiler) {
      // Profiling: the dispatch in a pass of its own, timestamped at its beginning and end.
      this.endPass();
      const encoder = this.commandEncoder();
      const pass = encoder.beginComputePass({ label, timestampWrites: this.profiler.next(encoder, label) });
      this.dispatchesInBatch++;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...workgroups);
      pass.end();
      return;
    }
    this.pass ??= this.commandEncoder().beginComputePass({ label: 'gausslens' });
    this.dispatchesInBatch++;
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(...workgroups);
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Records a buffer-to-buffer copy in stream order. */
  copy(src: GpuBuffer, dst: GpuBuffer, length = Math.min(src.length, dst.length), srcOffset = 0, dstOffset = 0): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src.buffer, srcOffset * 4, dst.buffer, dstOffset * 4, length * 4);
  }

  /** Writes `data` into the uniform arena and returns the binding for it (valid until the next submit). */
  private uniform(data: ArrayBuffer): GPUBufferBinding {
    const size = data.byteLength;
    if (size > UNIFORM_ARENA_BYTES) throw new RangeError(`params struct of ${size} bytes is larger than the uniform arena`);
    if (!this.arena || this.arenaUsed + size > UNIFORM_ARENA_BYTES) {
      if (this.arena) this.flush();
      this.arena = this.spareArenas.pop() ?? this.device.createBuffer({ label: 'params-arena', size: UNIFORM_ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      this.arenaUsed = 0;
    }
    const offset = this.arenaUsed;
    this.arenaData.set(new Uint8Array(data), offset);
    this.arenaUsed = Math.ceil((offset + size) / this.uniformAlign) * this.uniformAlign;
    return { buffer: this.arena, offset, size };
  }

  /** Submits everything recorded so far (no waiting). */
  flush(): void {
    this.endPass();
    if (this.arena && this.arenaUsed > 0) {
      this.device.queue.writeBuffer(this.arena, 0, this.arenaData.buffer, 0, this.arenaUsed);
      this.usedArenas.push(this.arena);
      this.arena = null;
      this.arenaUsed = 0;
    }
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
    }
    this.dispatchesInBatch = 0;
    // After submission, an arena's later writeBuffer is ordered after the commands that read it.
    this.spareArenas.push(...this.usedArenas);
    this.usedArenas = [];
  }

  /** Submits and waits until the GPU has finished all work; throws any GPU error. */
  async sync(): Promise<void> {
    this.flush();
    await this.workDone();
    this.checkErrors();
  }

  /** A promise for the completion of everything submitted so far (no flush; Dawn polled without spinning). */
  workDone(): Promise<void> {
    return gpuWait(this.device.queue.onSubmittedWorkDone());
  }

  // ---- timing ----------------------------------------------------------------------------

  /**
   * Time of the GPU work `fn` records, in ms: GPU timestamps around it where the adapter has
   * them, otherwise wall-clock from submission to completion.
   */
  async time(fn: () => void): Promise<{ ms: number; source: 'timestamp' | 'wall' }> {
    await this.sync();
    if (!this.hasTimestamps) {
      const t0 = performance.now();
      fn();
      await this.sync();
      return { ms: performance.now() - t0, source: 'wall' };
    }
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.commandEncoder().beginComputePass({ label: 'timestamp-begin', timestampWrites: { querySet, endOfPassWriteIndex: 0 } }).end();
    fn();
    this.endPass();
    this.commandEncoder().beginComputePass({ label: 'timestamp-end', timestampWrites: { querySet, beginningOfPassWriteIndex: 1 } }).end();
    this.commandEncoder().resolveQuerySet(querySet, 0, 2, resolve, 0);
    this.commandEncoder().copyBufferToBuffer(resolve, 0, staging, 0, 16);
    await this.sync();
    await gpuWait(staging.mapAsync(GPUMapMode.READ));
    const [t0, t1] = new BigUint64Array(staging.getMappedRange());
    const ms = Number(t1 - t0) / 1e6;
    staging.destroy();
    resolve.destroy();
    querySet.destroy();
    return { ms, source: 'timestamp' };
  }

  /** Starts timing every dispatch by kernel (see profile.ts); needs the timestamp-query feature. */
  startProfile(): void {
    if (!this.hasTimestamps) throw new Error('profiling needs the timestamp-query feature, which this adapter lacks');
    if (this.profiler) throw new Error('a profile is already running: stopProfile() first');
    this.flush();
    this.profiler = new DispatchProfiler(this.device);
  }

  /** Waits for the profiled work and returns GPU time by kernel, largest first. */
  async stopProfile(): Promise<ProfileRow[]> {
    const p = this.profiler;
    if (!p) throw new Error('no profile is running: startProfile() first');
    this.endPass();
    p.resolve(this.commandEncoder());
    this.profiler = null;
    await this.sync();
    return p.report(gpuWait);
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /** Drains the queue, frees every buffer and destroys the device. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    try {
      if (!this.lostReason) await this.sync();
    } finally {
      this.destroyed = true;
      this.pool.destroyAll();
      for (const b of [...this.spareArenas, ...this.usedArenas]) b.destroy();
      this.arena?.destroy();
      this.device.destroy();
    }
  }
}

function summarise(info: GPUAdapterInfo): AdapterSummary {
  const rec = info as unknown as Record<string, unknown>;
  const str = (k: string): string => (typeof rec[k] === 'string' ? (rec[k] as string) : '');
  const backend = str('backendType') || str('backend') || platformBackend;
  const text = `${str('vendor')} ${str('architecture')} ${str('device')} ${str('description')}`.toLowerCase();
  return {
    platform: platformName,
    vendor: str('vendor'),
    architecture: str('architecture'),
    device: str('device'),
    description: str('description'),
    backend,
    isSoftware: /llvmpipe|lavapipe|swiftshader|software|warp/.test(text) || rec['isFallbackAdapter'] === true,
    subgroupMinSize: typeof rec['subgroupMinSize'] === 'number' ? (rec['subgroupMinSize'] as number) : null,
    subgroupMaxSize: typeof rec['subgroupMaxSize'] === 'number' ? (rec['subgroupMaxSize'] as number) : null,
  };
}

/** The platform's GPU entry object (navigator.gpu, or Dawn's in Node), for peers such as TF.js. */
export function navigatorGpu(): GPU | undefined {
  return platformGpu();
}

let current: Promise<Gpu> | null = null;

/** The process-wide device, created on first use with the adapter's real limits and features. */
export function getDevice(): Promise<Gpu> {
  current ??= openDevice().catch((err) => {
    current = null;
    throw err;
  });
  return current;
}

async function openDevice(): Promise<Gpu> {
  const gpu = platformGpu();
  if (!gpu) throw new GpuUnavailableError(typeof window === 'undefined' ? NO_ADAPTER_HELP : 'this browser has no WebGPU (navigator.gpu is missing): use a recent Chrome/Edge, or Chromium with --enable-unsafe-webgpu');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuUnavailableError(typeof window === 'undefined' ? NO_ADAPTER_HELP : 'WebGPU is present but gave no adapter: enable WebGPU/hardware acceleration in the browser settings');
  const requiredLimits: Record<string, number> = {};
  for (const k of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ label: 'gausslens', requiredLimits, requiredFeatures });
  return new Gpu(device, summarise(adapter.info));
}

/** Drains the queue and destroys the device, so the process can exit by itself. */
export async function destroyDevice(): Promise<void> {
  const p = current;
  current = null;
  if (p) await (await p).destroy();
}
