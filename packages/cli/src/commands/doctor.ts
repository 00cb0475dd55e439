// gausslens doctor: the adapter, its limits and features, and a self-test; exit 0 only if right.
import { Command } from 'commander';
import { getDevice, type Gpu, axpby, axpbyRef, reduce, reduceRowsRef, randomNormal, mib } from '@gausslens/kernels';

export interface SelfTest {
  name: string; // what was checked
  error: number; // relative error against the float64 reference
  ok: boolean; // error under the bound
}

export interface DoctorReport {
  adapter: Gpu['adapter'];
  lpNativeVectorWidth: string | null; // LP_NATIVE_VECTOR_WIDTH in force (lavapipe)
  features: string[];
  limits: Record<string, number>;
  selfTests: SelfTest[];
  ok: boolean;
}

const SHOWN_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage'] as const;

function rel(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (got[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Small kernels on fresh random data, checked against float64. */
export async function selfTest(gpu: Gpu): Promise<SelfTest[]> {
  const n = 100_003;
  const bx = gpu.alloc(n, 'doctor-x');
  const by = gpu.alloc(n, 'doctor-y');
  const seed = Date.now() % 2 ** 32;
  randomNormal(gpu, bx, { seed, offset: 0 });
  randomNormal(gpu, by, { seed, offset: 1 });
  const [x, y] = [await gpu.read(bx), await gpu.read(by)];
  const out = gpu.alloc(n, 'doctor-out');
  gpu.fill(out, Number.NaN);
  axpby(gpu, 0.75, bx, -2, by, out);
  const tests: SelfTest[] = [];
  const e1 = rel(await gpu.read(out), axpbyRef(0.75, x, -2, y));
  tests.push({ name: `axpby over ${n} elements`, error: e1, ok: e1 < 1e-6 });
  const sum = gpu.alloc(1, 'doctor-sum');
  reduce(gpu, 'sumsq', bx, sum, n);
  const e2 = rel(await gpu.read(sum), reduceRowsRef('sumsq', x, n));
  tests.push({ name: `sum of squares over ${n} elements`, error: e2, ok: e2 < 1e-5 });
  const var_ = (await gpu.read(sum))[0] / n;
  tests.push({ name: 'Philox normals have unit variance', error: Math.abs(var_ - 1), ok: Math.abs(var_ - 1) < 5 * Math.sqrt(2 / n) });
  for (const b of [bx, by, out, sum]) b.release();
  return tests;
}

export async function doctor(): Promise<DoctorReport> {
  const gpu = await getDevice();
  const limits: Record<string, number> = {};
  for (const k of SHOWN_LIMITS) limits[k] = (gpu.limits as unknown as Record<string, number>)[k];
  const selfTests = await selfTest(gpu);
  return {
    adapter: gpu.adapter,
    lpNativeVectorWidth: typeof process !== 'undefined' ? (process.env.LP_NATIVE_VECTOR_WIDTH ?? null) : null,
    features: [...gpu.features].sort(),
    limits,
    selfTests,
    ok: selfTests.every((t) => t.ok),
  };
}

function print(r: DoctorReport): void {
  const a = r.adapter;
  const line = (k: string, v: string): void => void process.stdout.write(`${k.padEnd(10)}${v}\n`);
  line('adapter', `${a.vendor || '?'} ${a.architecture || ''} ${a.device}`.replace(/\s+/g, ' ').trim() + (a.isSoftware ? ' (software)' : ''));
  line('driver', a.description || '-');
  line('runtime', `${a.platform}, backend ${a.backend || 'unknown'}` + (r.lpNativeVectorWidth ? `, LP_NATIVE_VECTOR_WIDTH=${r.lpNativeVectorWidth}` : ''));
  line('features', r.features.join(', ') || '-');
  if (a.subgroupMinSize) line('subgroups', `${a.subgroupMinSize}–${a.subgroupMaxSize} lanes`);
  for (const [k, v] of Object.entries(r.limits)) line('limit', `${k} = ${/Size$/.test(k) && v >= 2 ** 20 ? mib(v) : v}`);
  for (const t of r.selfTests) line('self-test', `${t.ok ? 'ok  ' : 'FAIL'} ${t.name} (error ${t.error.toExponential(2)})`);
  line('result', r.ok ? 'ok: WebGPU works and the kernels are right' : 'FAILED: a self-test is wrong on this adapter');
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('print the WebGPU adapter, limits and features and run a self-test (exit code 0 only if right)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const r = await doctor();
      if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else print(r);
      if (!r.ok) process.exitCode = 1;
    });
}
