/// <reference path="./shims.d.ts" />
// defineKernel: a compute kernel declared once next to its WGSL file. wgsl_reflect reads the
// shader; the declaration is checked against it (binding names, numbers and access, Params fields,
// workgroup size); explicit bind-group layouts and the Params uniform layout come from the WGSL.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { loadShaderSource } from '#platform';
import type { Gpu } from './device.ts';
import { GpuBuffer, mib } from './buffers.ts';

export type Access = 'read' | 'read_write';
export type Vec3 = [number, number, number];

export interface KernelSpec<B extends string, P extends string, O extends string> {
  name: string; // snake_case id: label and pipeline-cache key
  file?: string; // shaders/<file>.wgsl (default: name)
  entry?: string; // entry point (default 'main')
  bindings: Record<B, Access>; // storage bindings by WGSL name (numbers are read from the WGSL; Params is 0)
  params: readonly P[]; // fields of the Params uniform at binding 0
  overrides?: Record<O, number>; // override constants with their defaults
  workgroupSize: Vec3 | ((o: Record<O, number>) => Vec3); // must equal the WGSL's at the defaults
}

/** A buffer, or a panel of one (offset and length in 4-byte elements). */
export type BindingValue = GpuBuffer | { buffer: GpuBuffer; offset: number; length: number };

export interface RunArgs<B extends string, P extends string, O extends string> {
  bind: Record<B, BindingValue>;
  params: Record<P, number | readonly number[]>;
  workgroups: number | Vec3; // a number is folded into a 2-D grid when over the per-dimension limit
  overrides?: Partial<Record<O, number>>;
}

export class KernelDeclarationError extends Error {
  override name = 'KernelDeclarationError';
}

interface ParamField {
  name: string;
  offset: number;
  scalar: 'f32' | 'u32' | 'i32';
  count: number;
}

interface DeviceState {
  layout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
  module: GPUShaderModule;
  pipelines: Map<string, GPUComputePipeline>;
}

export class Kernel<B extends string, P extends string, O extends string> {
  readonly name: string;
  readonly source: string;
  readonly entry: string;
  readonly paramsSize: number;
  private readonly fields: ParamField[];
  private readonly bindingNames: B[];
  private readonly bindingNumbers: number[];
  private readonly perDevice = new WeakMap<GPUDevice, DeviceState>();

  constructor(readonly spec: KernelSpec<B, P, O>, source?: string) {
    this.name = spec.name;
    this.entry = spec.entry ?? 'main';
    this.source = source ?? expandIncludes(loadShaderSource(spec.file ?? spec.name), spec.file ?? spec.name);
    this.bindingNames = Object.keys(spec.bindings) as B[];
    const reflected = reflect(this.source, spec, this.bindingNames);
    this.bindingNumbers = reflected.bindingNumbers;
    this.fields = reflected.fields;
    this.paramsSize = reflected.paramsSize;
  }

  /** Override constants resolved against the defaults. */
  resolveOverrides(o?: Partial<Record<O, number>>): Record<O, number> {
    return { ...(this.spec.overrides ?? ({} as Record<O, number>)), ...(o ?? {}) } as Record<O, number>;
  }

  workgroupSize(o?: Partial<Record<O, number>>): Vec3 {
    const ws = this.spec.workgroupSize;
    return typeof ws === 'function' ? ws(this.resolveOverrides(o)) : ws;
  }

  private state(gpu: Gpu): DeviceState {
    let s = this.perDevice.get(gpu.device);
    if (!s) {
      const device = gpu.device;
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ...this.bindingNames.map((b, i) => ({
          binding: this.bindingNumbers[i],
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: this.spec.bindings[b] === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
        })),
      ];
      const layout = device.createBindGroupLayout({ label: this.name, entries });
      const pipelineLayout = device.createPipelineLayout({ label: this.name, bindGroupLayouts: [layout] });
      const module = device.createShaderModule({ label: this.name, code: this.source });
      s = { layout, pipelineLayout, module, pipelines: new Map() };
      this.perDevice.set(device, s);
    }
    return s;
  }

  /** The pipeline for these override constants (cached by kernel name + constants). */
  pipeline(gpu: Gpu, overrides?: Partial<Record<O, number>>): GPUComputePipeline {
    const s = this.state(gpu);
    const constants = this.resolveOverrides(overrides);
    const key = JSON.stringify(constants);
    let p = s.pipelines.get(key);
    if (!p) {
      this.checkWorkgroup(gpu, constants);
      p = gpu.device.createComputePipeline({
        label: this.name,
        layout: s.pipelineLayout,
        compute: { module: s.module, entryPoint: this.entry, constants: constants as Record<string, number> },
      });
      s.pipelines.set(key, p);
    }
    return p;
  }

  /** Compiles the pipeline ahead of use and reports WGSL compile errors with line numbers. */
  async prepare(gpu: Gpu, overrides?: Partial<Record<O, number>>): Promise<void> {
    const info = await this.state(gpu).module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) throw new KernelDeclarationError(`${this.name}: WGSL does not compile: ${errors.map((m) => `line ${m.lineNum}: ${m.message}`).join('; ')}`);
    this.pipeline(gpu, overrides);
    await gpu.sync();
  }

  private checkWorkgroup(gpu: Gpu, o: Record<O, number>): void {
    const [x, y, z] = this.workgroupSize(o);
    const l = gpu.limits;
    if (x * y * z > l.maxComputeInvocationsPerWorkgroup || x > l.maxComputeWorkgroupSizeX || y > l.maxComputeWorkgroupSizeY || z > l.maxComputeWorkgroupSizeZ) {
      throw new RangeError(`${this.name}: workgroup ${x}×${y}×${z} exceeds this device's limits (${l.maxComputeInvocationsPerWorkgroup} invocations)`);
    }
  }

  /** Packs Params values into the uniform layout reflected from the WGSL. */
  packParams(values: Record<P, number | readonly number[]>): ArrayBuffer {
    const buf = new ArrayBuffer(this.paramsSize);
    const view = new DataView(buf);
    for (const f of this.fields) {
      const v = values[f.name as P];
      if (v === undefined) throw new TypeError(`${this.name}: missing param '${f.name}'`);
      const arr: readonly number[] = typeof v === "number" ? [v] : v;
      if (arr.length !== f.count) throw new TypeError(`${this.name}: param '${f.name}' needs ${f.count} value(s), got ${arr.length}`);
      arr.forEach((x, i) => {
        const at = f.offset + 4 * i;
        if (f.scalar === 'f32') view.setFloat32(at, x, true);
        else {
          if (!Number.isInteger(x)) throw new TypeError(`${this.name}: param '${f.name}' is ${f.scalar}, got ${x}`);
          if (f.scalar === 'u32') {
            if (x < 0 || x > 0xffffffff) throw new RangeError(`${this.name}: param '${f.name}' = ${x} is outside u32`);
            view.setUint32(at, x, true);
          } else view.setInt32(at, x, true);
        }
      });
    }
    return buf;
  }

  /** WebGPU forbids binding a buffer that one binding writes again in the same dispatch (any range: a buffer is one subresource). */
  private checkAliasing(bind: Record<B, BindingValue>): void {
    const bufs = this.bindingNames.map((b) => {
      const v = bind[b];
      return { b, buf: v instanceof GpuBuffer ? v : v.buffer };
    });
    for (let i = 0; i < bufs.length; i++)
      for (let j = i + 1; j < bufs.length; j++) {
        const [p, q] = [bufs[i], bufs[j]];
        const writes = this.spec.bindings[p.b] === 'read_write' || this.spec.bindings[q.b] === 'read_write';
        if (writes && p.buf === q.buf) {
          throw new Error(`${this.name}: bindings '${p.b}' and '${q.b}' use the same buffer '${p.buf.label}' and one is written: in-place use is not allowed, write to a separate buffer`);
        }
      }
  }

  /** Records one dispatch into the device's command stream (no waiting, no read-back). */
  run(gpu: Gpu, args: RunArgs<B, P, O>): void {
    const pipeline = this.pipeline(gpu, args.overrides);
    const maxBinding = gpu.limits.maxStorageBufferBindingSize;
    const entries: GPUBindGroupEntry[] = [];
    this.bindingNames.forEach((b, i) => {
      const v = args.bind[b];
      if (!v) throw new TypeError(`${this.name}: missing binding '${b}'`);
      const buf = v instanceof GpuBuffer ? v : v.buffer;
      const offset = v instanceof GpuBuffer ? 0 : v.offset;
      const length = v instanceof GpuBuffer ? v.length : v.length;
      if (buf.released) throw new Error(`${this.name}: binding '${b}' uses released buffer '${buf.label}'`);
      if (offset < 0 || length <= 0 || offset + length > buf.length) throw new RangeError(`${this.name}: binding '${b}' panel [${offset}, ${offset + length}) is outside '${buf.label}' (${buf.length} elements)`);
      if (length * 4 > maxBinding) {
        throw new RangeError(`${this.name}: binding '${b}' is ${mib(length * 4)}, over this device's maxStorageBufferBindingSize ${mib(maxBinding)}: bind it in panels or use a smaller batch`);
      }
      entries.push({ binding: this.bindingNumbers[i], resource: { buffer: buf.buffer, offset: offset * 4, size: length * 4 } });
    });
    this.checkAliasing(args.bind);
    const workgroups = foldWorkgroups(args.workgroups, gpu.limits.maxComputeWorkgroupsPerDimension);
    if (workgroups.some((v) => v === 0)) return;
    const layout = this.state(gpu).layout;
    gpu.dispatch(this.packParams(args.params), (params) => ({
      pipeline,
      bindGroup: gpu.device.createBindGroup({ label: this.name, layout, entries: [{ binding: 0, resource: params }, ...entries] }),
      workgroups,
    }), this.name);
  }
}

/**
 * A 1-D count over the per-dimension limit becomes an (x, y) grid with x·y ≥ count; shaders
 * recover the linear index as wid.x + wid.y·num_workgroups.x and bound-check it.
 */
export function foldWorkgroups(w: number | Vec3, maxPerDim: number): Vec3 {
  if (typeof w !== 'number') {
    if (w.some((v) => v > maxPerDim)) throw new RangeError(`dispatch ${w.join('×')} exceeds ${maxPerDim} workgroups per dimension`);
    return w;
  }
  if (w <= maxPerDim) return [w, 1, 1];
  const y = Math.ceil(w / maxPerDim);
  if (y > maxPerDim) throw new RangeError(`dispatch of ${w} workgroups is too large to fold`);
  return [Math.ceil(w / y), y, 1];
}

export function defineKernel<B extends string, P extends string = never, O extends string = never>(spec: KernelSpec<B, P, O>, source?: string): Kernel<B, P, O> {
  return new Kernel(spec, source);
}

// ---- reflection ------------------------------------------------------------------------------

interface ReflectedResource {
  name: string;
  group: number;
  binding: number;
  resourceType: number;
  access: string;
  type: { name: string };
}

function reflect<B extends string, P extends string, O extends string>(source: string, spec: KernelSpec<B, P, O>, bindingNames: B[]): { fields: ParamField[]; paramsSize: number; bindingNumbers: number[] } {
  const where = `kernel '${spec.name}' (shaders/${spec.file ?? spec.name}.wgsl)`;
  const fail = (msg: string): never => {
    throw new KernelDeclarationError(`${where}: ${msg}`);
  };
  let r: WgslReflect;
  try {
    r = new WgslReflect(source);
  } catch (e) {
    return fail(`WGSL does not parse: ${(e as Error).message}`);
  }
  const entry = spec.entry ?? 'main';
  const fn = r.entry.compute.find((e) => e.name === entry);
  if (!fn) return fail(`no @compute entry point '${entry}' (found: ${r.entry.compute.map((e) => e.name).join(', ') || 'none'})`);

  // Bindings: the Params uniform at 0, storage buffers found by name, all in group 0.
  const used = fn.resources as unknown as ReflectedResource[];
  for (const u of used) if (u.group !== 0) fail(`binding '${u.name}' is in group ${u.group}; only group 0 is supported`);
  const params = used.find((u) => u.binding === 0);
  if (spec.params.length > 0 && (!params || params.resourceType !== 0)) fail(`expects a uniform Params at @binding(0)`);
  const bindingNumbers = bindingNames.map((name) => {
    const u = used.find((x) => x.name === name);
    if (!u) return fail(`declared binding '${name}' is not used by entry point '${entry}'`);
    if (u.resourceType !== 1) fail(`binding '${name}' is not a storage buffer`);
    const access = u.access === 'read_write' || u.access === 'write' ? 'read_write' : 'read';
    if (access !== spec.bindings[name]) fail(`binding '${name}' is var<storage, ${u.access}> in WGSL but '${spec.bindings[name]}' in the declaration`);
    return u.binding;
  });
  for (const u of used) if (u.binding !== 0 && !bindingNames.includes(u.name as B)) fail(`entry point '${entry}' uses @binding(${u.binding}) '${u.name}', which the declaration does not list`);

  // Params layout.
  let fields: ParamField[] = [];
  let paramsSize = 16;
  if (params) {
    const st = params.type as unknown as { name: string; members?: { name: string; offset: number; type: { name: string; format?: { name: string } } }[] };
    const structInfo = r.uniforms.find((u) => u.binding === 0);
    paramsSize = Math.max(16, Math.ceil((structInfo?.size ?? 16) / 16) * 16);
    fields = (st.members ?? []).map((m) => {
      const t = m.type.name;
      // vecN<T> reflects as 'vecN' with a format; the aliases vec2f, vec4u, … as one name.
      const alias = /^vec([234])([fiu])$/.exec(t);
      const scalar = alias ? { f: 'f32', i: 'i32', u: 'u32' }[alias[2]]! : ((m.type.format?.name ?? t) as string);
      const count = t.startsWith('vec') ? Number(t[3]) : 1;
      if (!['f32', 'u32', 'i32'].includes(scalar)) fail(`Params field '${m.name}' has type ${t}; use f32, u32, i32 or vecN of them`);
      return { name: m.name, offset: m.offset, scalar: scalar as ParamField['scalar'], count };
    });
    const names = fields.map((f) => f.name).sort();
    const declared = [...spec.params].sort();
    if (names.join(',') !== declared.join(',')) fail(`Params fields are {${names.join(', ')}} in WGSL but {${declared.join(', ')}} in the declaration`);
  }

  // Override constants and workgroup size at the defaults.
  const overrideNames = new Set(r.overrides.map((o) => o.name));
  for (const o of Object.keys(spec.overrides ?? {})) if (!overrideNames.has(o)) fail(`override '${o}' is not declared in WGSL`);
  const declaredWs = typeof spec.workgroupSize === 'function' ? spec.workgroupSize({ ...(spec.overrides ?? {}) } as Record<O, number>) : spec.workgroupSize;
  const ws = (fn as unknown as { workgroupSize: number[] }).workgroupSize;
  // wgsl_reflect evaluates override-sized workgroups at the WGSL default; defaults must agree.
  const wgslDefaults = wgslOverrideDefaults(source);
  const ownDefaults = spec.overrides ?? ({} as Record<O, number>);
  const sameDefaults = Object.entries(ownDefaults).every(([k, v]) => wgslDefaults[k] === undefined || wgslDefaults[k] === v);
  if (!sameDefaults) fail(`override defaults differ from the WGSL's (${JSON.stringify(wgslDefaults)})`);
  if (ws && ws.join(',') !== declaredWs.join(',')) fail(`@workgroup_size is (${ws.join(', ')}) in WGSL but (${declaredWs.join(', ')}) in the declaration`);
  return { fields, paramsSize, bindingNumbers };
}

function wgslOverrideDefaults(source: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of source.matchAll(/override\s+(\w+)\s*(?::\s*\w+)?\s*=\s*([0-9.eE+-]+)[uif]?\s*;/g)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * Splices library files into a shader: a line `//#include <name>` becomes shaders/<name>.wgsl (WGSL has no
 * includes; the line stays a comment to tools that read the file alone). One level, each library once.
 */
export function expandIncludes(source: string, file: string): string {
  const seen = new Set<string>();
  return source.replace(/^\/\/#include ([\w-]+)[ \t]*$/gm, (_, name: string) => {
    if (seen.has(name)) return `// (${name}.wgsl included above)`;
    seen.add(name);
    const lib = loadShaderSource(name);
    if (/^\/\/#include /m.test(lib)) throw new Error(`shaders/${name}.wgsl (included by ${file}.wgsl) includes another file: one level only`);
    return `// ---- shaders/${name}.wgsl ----\n${lib}// ---- end of shaders/${name}.wgsl ----`;
  });
}
