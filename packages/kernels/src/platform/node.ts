// Node platform: Dawn (npm `webgpu`) and shader sources read from the repository's shaders/ folder.
import { create, globals } from 'webgpu';
import { readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const platformName = 'node (Dawn)';
/** Dawn's default backend on this OS (Dawn does not report it on the adapter). */
export const platformBackend = ({ linux: 'vulkan', darwin: 'metal', win32: 'd3d12' } as Record<string, string>)[process.platform] ?? 'unknown';

// GPUBufferUsage, GPUMapMode, … as globals, as in a browser.
Object.assign(globalThis, globals);

// Kept at module scope for the life of the process: a dropped `create()` object crashes Dawn.
let gpu: GPU | undefined;

/** lavapipe doubles its speed with 512-bit vectors on AVX-512 CPUs; must be set before the driver loads. */
function tuneSoftwareVulkan(): void {
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `gausslens-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  if (process.env.LP_NATIVE_VECTOR_WIDTH === undefined && hasAvx512()) process.env.LP_NATIVE_VECTOR_WIDTH = '512';
}

function hasAvx512(): boolean {
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export function platformGpu(): GPU | undefined {
  if (!gpu) {
    tuneSoftwareVulkan();
    // Unquantised timestamps make GPU timing usable at kernel granularity.
    gpu = create(['disable-dawn-features=timestamp_quantization']);
  }
  return gpu;
}

/**
 * Waits for a Dawn promise without spinning a core. Dawn's Node binding polls for completed GPU work by
 * re-arming the global `setImmediate` while any promise is pending, a busy loop that took ~1 of this
 * machine's 2 cores from lavapipe's worker threads (which do the GPU work). While one of these waits is
 * pending, Dawn's poll (a native callback; JS callers are left alone) runs immediately for the first SPIN_MS
 * (short read-backs keep their latency) and then at 1 ms intervals. Measured here: training (16×16, 16 channels, batch 64) 19 → 35 img/s, the
 * same losses; a 768×768×1024 GEMM 55 → 48 ms with its run-to-run spread 45–78 → 39–50 ms.
 */
export async function gpuWait<T>(promise: Promise<T>): Promise<T> {
  if (waiters++ === 0) globalThis.setImmediate = politeSetImmediate as typeof setImmediate;
  waitStart = performance.now();
  try {
    return await promise;
  } finally {
    if (--waiters === 0) globalThis.setImmediate = nodeSetImmediate;
  }
}

const SPIN_MS = 0.5;
const nodeSetImmediate = globalThis.setImmediate;
const nodeClearImmediate = globalThis.clearImmediate;
let waiters = 0;
let waitStart = 0;
/** Timeouts standing in for immediates: clearImmediate must route them to clearTimeout (see below). */
const deferred = new WeakSet<object>();

/** Dawn's poll is a native function (Napi::Function) called with no arguments; JS callers keep real immediates. */
function isDawnPoll(fn: unknown, args: unknown[]): boolean {
  return typeof fn === 'function' && args.length === 0 && Function.prototype.toString.call(fn).includes('[native code]');
}

function politeSetImmediate(fn: (...args: unknown[]) => void, ...args: unknown[]): unknown {
  if (!isDawnPoll(fn, args) || performance.now() - waitStart < SPIN_MS) return nodeSetImmediate(fn, ...args);
  const t = setTimeout(fn, 1);
  deferred.add(t);
  return t;
}

// Installed once, for good: a stand-in Timeout passed to clearImmediate (even after a wait ended) is cleared as a
// timeout; Node's own clearImmediate would miscount its immediate queue on it.
globalThis.clearImmediate = ((h?: unknown) => {
  if (h && typeof h === 'object' && deferred.has(h)) clearTimeout(h as ReturnType<typeof setTimeout>);
  else nodeClearImmediate(h as ReturnType<typeof setImmediate>);
}) as typeof clearImmediate;

const shaderDir = new URL('../../../../shaders/', import.meta.url);
const sourceCache = new Map<string, string>();

/** The WGSL text of shaders/<file>.wgsl. */
export function loadShaderSource(file: string): string {
  let src = sourceCache.get(file);
  if (src === undefined) {
    src = readFileSync(new URL(`${file}.wgsl`, shaderDir), 'utf8');
    sourceCache.set(file, src);
  }
  return src;
}
