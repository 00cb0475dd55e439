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
