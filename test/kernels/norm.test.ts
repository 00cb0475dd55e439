import { describe, it, beforeAll } from 'vitest';
import { getDevice, type Gpu, type GpuBuffer, groupNorm, groupNormBackward, groupNormRef, groupNormBackwardRef, type GroupNormShape, type GroupNormOptions } from '@gausslens/kernels';
import { NORM_REL, NORM_GRAD_REL, NORM_SHIFTED_REL, GRADCHECK_REL } from '../support/tolerances.ts';
import { expectClose, randomArray, randomNormalArray, POISON } from '../support/check.ts';
import { cotangent, numericGrad } from '../support/gradcheck.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getDevice();
});

const numel = (s: GroupNormShape): number => s.batch * s.channels * s.height * s.width;
const str = (s: GroupNormShape): string => `B=${s.batch} C=${s.channels} G=${s.groups} ${s.height}×${s.width}`;

/** Inputs with a non-zero mean and non-unit scale (per channel, so groups differ too). */
function input(s: GroupNormShape, mean = 1.5, std = 2.5): Float32Array {
  const x = randomNormalArray(numel(s), std);
  const hw = s.height * s.width;
  const shift = randomArray(s.channels, mean - 0.5, mean + 0.5);
  for (let i = 0; i < x.length; i++) x[i] += shift[Math.floor(i / hw) % s.channels];
  return x;
}

async function poisoned(n: number): Promise<GpuBuffer> {
  const b = gpu.alloc(n);
  gpu.fill(b, POISON);
  return b;
}

type Path = GroupNormOptions['path'];

async function forward(s: GroupNormShape, x: Float32Array, gamma: Float32Array, beta: Float32Array, fuseSilu: boolean, eps: number, panelElements?: number, path?: Path) {
  const [bx, bg, bb] = [gpu.upload(x), gpu.upload(gamma), gpu.upload(beta)];
  const [out, mean, rstd] = [await poisoned(numel(s)), await poisoned(s.batch * s.groups), await poisoned(s.batch * s.groups)];
  groupNorm(gpu, { x: bx, gamma: bg, beta: bb, out, mean, rstd }, s, { fuseSilu, eps, panelElements, path });
  return { bx, bg, bb, out, mean, rstd };
}

async function backward(s: GroupNormShape, f: Awaited<ReturnType<typeof forward>>, dyv: Float32Array, fuseSilu: boolean, eps: number, init?: { dgamma: Float32Array; dbeta: Float32Array }, panelElements?: number, path?: Path) {
  const dy = gpu.upload(dyv);
  const dx = await poisoned(numel(s));
  const dgamma = init ? gpu.upload(init.dgamma) : await poisoned(s.channels);
  const dbeta = init ? gpu.upload(init.dbeta) : await poisoned(s.channels);
  groupNormBackward(gpu, { x: f.bx, dy, gamma: f.bg, beta: f.bb, mean: f.mean, rstd: f.rstd, dx, dgamma, dbeta }, s, { fuseSilu, eps, accumulate: !!init, panelElements, path });
  const r = { dx: await gpu.read(dx), dgamma: await gpu.read(dgamma), dbeta: await gpu.read(dbeta) };
  for (const b of [dy, dx, dgamma, dbeta]) b.release();
  return r;
}

const release = (f: Awaited<ReturnType<typeof forward>>): void => [f.bx, f.bg, f.bb, f.out, f.mean, f.rstd].forEach((b) => b.release());

const SHAPES: GroupNormShape[] = [
  { batch: 1, channels: 3, groups: 1, height: 5, width: 7 },
  { batch: 3, channels: 3, groups: 3, height: 9, width: 9 },
  { batch: 3, channels: 6, groups: 2, height: 1, width: 1 },
  { batch: 1, channels: 6, groups: 2, height: 9, width: 9 },
  { batch: 3, channels: 6, groups: 3, height: 5, width: 7 },
  { batch: 2, channels: 12, groups: 3, height: 17, width: 19 }, // 1292 elements a group: several per thread
  // H·W % 4 = 0: the vec4 entry points (one to 144 vec4s a channel)
  { batch: 3, channels: 6, groups: 2, height: 2, width: 2 },
  { batch: 2, channels: 64, groups: 32, height: 8, width: 8 },
  { batch: 1, channels: 4, groups: 2, height: 24, width: 24 },
  { batch: 1, channels: 2, groups: 1, height: 36, width: 32 }, // 288 vec4s a channel: more than a thread each
];

/** The kernel families a shape can take here: H·W % 4 = 0 has a subgroup path where subgroups are fixed-size. */
const pathsFor = (s: GroupNormShape): Path[] => ((s.height * s.width) % 4 === 0 && gpu.fixedSubgroupSize ? ['workgroup', 'subgroup'] : ['workgroup']);

describe('group norm', () => {
  for (const s of SHAPES)
    for (const fuseSilu of [false, true]) {
      it(`forward and backward vs float64, ${str(s)}${fuseSilu ? ', fused SiLU' : ''}, every kernel path`, async () => {
        for (const path of pathsFor(s)) await checkShape(s, fuseSilu, path);
      });
    }

  async function checkShape(s: GroupNormShape, fuseSilu: boolean, path: Path): Promise<void> {
        const eps = fuseSilu ? 1e-6 : 1e-5;
        const x = input(s);
        const gamma = randomArray(s.channels, 0.5, 1.5);
        const beta = randomArray(s.channels, -0.5, 0.5);
        const f = await forward(s, x, gamma, beta, fuseSilu, eps, undefined, path);
        const ref = groupNormRef(x, gamma, beta, s, { fuseSilu, eps });
        expectClose(await gpu.read(f.out), ref.out, NORM_REL, 'out');
        expectClose(await gpu.read(f.mean), ref.mean, NORM_REL, 'mean');
        expectClose(await gpu.read(f.rstd), ref.rstd, NORM_REL, 'rstd');
        const dy = randomNormalArray(numel(s));
        const g = await backward(s, f, dy, fuseSilu, eps, undefined, undefined, path);
        const gr = groupNormBackwardRef(x, dy, gamma, beta, s, { fuseSilu, eps });
        expectClose(g.dx, gr.dx, NORM_GRAD_REL, 'dx');
        expectClose(g.dgamma, gr.dgamma, NORM_GRAD_REL, 'dgamma');
        expectClose(g.dbeta, gr.dbeta, NORM_GRAD_REL, 'dbeta');
        // accumulate: added to what the buffers held
        const init = { dgamma: randomArray(s.channels), dbeta: randomArray(s.channels) };
        const a = await backward(s, f, dy, fuseSilu, eps, init, undefined, path);
        expectClose(a.dgamma, gr.dgamma.map((v, i) => v + init.dgamma[i]), NORM_GRAD_REL, 'dgamma accumulated');
        expectClose(a.dbeta, gr.dbeta.map((v, i) => v + init.dbeta[i]), NORM_GRAD_REL, 'dbeta accumulated');
        release(f);
  }

  for (const s of [{ batch: 2, channels: 8, groups: 4, height: 16, width: 16 }, { batch: 2, channels: 8, groups: 4, height: 15, width: 15 }])
  it(`large mean / std ratio (mean 100, std 0.05): corrected two-pass statistics, forward and backward, ${str(s)}`, async () => {
    const x = input(s, 100, 0.05);
    const gamma = randomArray(s.channels, 0.5, 1.5);
    const beta = randomArray(s.channels, -0.5, 0.5);
    const f = await forward(s, x, gamma, beta, false, 1e-6);
    const ref = groupNormRef(x, gamma, beta, s, { eps: 1e-6 });
    expectClose(await gpu.read(f.out), ref.out, NORM_SHIFTED_REL, 'out');
    expectClose(await gpu.read(f.rstd), ref.rstd, NORM_SHIFTED_REL, 'rstd');
    // the backward recovers the stored mean's rounding residual, so it stays accurate too
    const dy = randomNormalArray(numel(s));
    const g = await backward(s, f, dy, true, 1e-6);
    const gr = groupNormBackwardRef(x, dy, gamma, beta, s, { fuseSilu: true, eps: 1e-6 });
    expectClose(g.dx, gr.dx, NORM_GRAD_REL, 'dx');
    expectClose(g.dgamma, gr.dgamma, NORM_GRAD_REL, 'dgamma');
    expectClose(g.dbeta, gr.dbeta, NORM_GRAD_REL, 'dbeta');
    release(f);
  });

  // Batches over the binding limit run in panels of samples (forced small here): 32 samples a panel, as
  // mean/rstd panel offsets b0·G must be multiples of 64 elements with G = 2.
  for (const s of [{ batch: 70, channels: 4, groups: 2, height: 4, width: 4 }, { batch: 70, channels: 4, groups: 2, height: 3, width: 3 }])
    it(`panels of samples (forced), ${str(s)}`, async () => {
      const x = input(s);
      const gamma = randomArray(s.channels, 0.5, 1.5);
      const beta = randomArray(s.channels, -0.5, 0.5);
      const panelElements = 32 * s.channels * s.height * s.width;
      const f = await forward(s, x, gamma, beta, true, 1e-6, panelElements);
      const ref = groupNormRef(x, gamma, beta, s, { fuseSilu: true, eps: 1e-6 });
      expectClose(await gpu.read(f.out), ref.out, NORM_REL, 'out');
      expectClose(await gpu.read(f.mean), ref.mean, NORM_REL, 'mean');
      expectClose(await gpu.read(f.rstd), ref.rstd, NORM_REL, 'rstd');
      const dy = randomNormalArray(numel(s));
      const g = await backward(s, f, dy, true, 1e-6, undefined, panelElements);
      const gr = groupNormBackwardRef(x, dy, gamma, beta, s, { fuseSilu: true, eps: 1e-6 });
      expectClose(g.dx, gr.dx, NORM_GRAD_REL, 'dx');
      expectClose(g.dgamma, gr.dgamma, NORM_GRAD_REL, 'dgamma');
      expectClose(g.dbeta, gr.dbeta, NORM_GRAD_REL, 'dbeta');
      release(f);
    });

  // dx, dγ, dβ of L = Σ y·g against float64 central differences of groupNormRef.
  const SMALL: GroupNormShape[] = [
    { batch: 2, channels: 6, groups: 2, height: 3, width: 2 },
    { batch: 1, channels: 3, groups: 3, height: 2, width: 3 },
    { batch: 3, channels: 3, groups: 1, height: 1, width: 1 },
    { batch: 2, channels: 3, groups: 3, height: 1, width: 1 }, // one element a group: y = β, dx = 0
    { batch: 2, channels: 4, groups: 2, height: 2, width: 2 }, // vec4 entry points
  ];
  for (const s of SMALL)
    for (const fuseSilu of [false, true]) {
      it(`finite-difference gradient check, ${str(s)}${fuseSilu ? ', fused SiLU' : ''}`, async () => {
        const eps = 1e-5;
        const x = input(s);
        const gamma = randomArray(s.channels, 0.5, 1.5);
        const beta = randomArray(s.channels, -0.5, 0.5);
        const g = cotangent(numel(s));
        const f = await forward(s, x, gamma, beta, fuseSilu, eps);
        const got = await backward(s, f, Float32Array.from(g), fuseSilu, eps);
        const opts = { fuseSilu, eps };
        expectClose(got.dx, numericGrad((p) => groupNormRef(p, gamma, beta, s, opts).out, x, g), GRADCHECK_REL, 'dx');
        expectClose(got.dgamma, numericGrad((p) => groupNormRef(x, p, beta, s, opts).out, gamma, g), GRADCHECK_REL, 'dgamma');
        expectClose(got.dbeta, numericGrad((p) => groupNormRef(x, gamma, p, s, opts).out, beta, g), GRADCHECK_REL, 'dbeta');
        release(f);
      });
    }
});
