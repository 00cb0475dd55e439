// 2-D convolution, forward and both backward passes (shaders/conv2d.wgsl, shaders/conv2d_sg.wgsl). Reference: conv2d.ref.ts.
// NCHW activations, OIHW weights (cout × cin × k × k), stride 1, zero padding `pad` on every side (any k ≥ 1 and
// pad ≥ 0; k = 3, pad = 1 and k = 1, pad = 0 keep the size). The output is b × cout × ho × wo with
// ho = h + 2·pad − k + 1 and wo = width + 2·pad − k + 1. Every buffer holds f32.
//
//   conv2d(gpu, { x, w, bias?, out, b, cin, cout, h, width, k, pad, accumulate? }, options?)
//     out = conv(x, w) + bias[co] (+ out when accumulate: a fused residual add / gradient accumulation).
//   conv2dBackwardData(gpu, { dy, w, dx, b, cin, cout, h, width, k, pad, accumulate? }, options?)
//     dx = conv_transpose(dy, w): the adjoint of conv2d in x (dx is b × cin × h × width; += when accumulate).
//   conv2dBackwardWeight(gpu, { x, dy, dw, dbias?, b, cin, cout, h, width, k, pad, accumulate? }, options?)
//     dw[co, ci, i, j] = Σ_{b,y,x} dy[b, co, y, x]·x[b, ci, y+i−pad, x+j−pad] and dbias[co] = Σ_{b,y,x} dy[b, co, y, x];
//     accumulate adds into dw and dbias (gradient accumulation), otherwise they are overwritten.
//   options (tests, benchmarks): { path?: 'subgroup' | 'tiled', chunks?: split-K count, vec?: false, rolling?: false, k9?: false,
//     maxBindingElements? } force a path, a chunk count, the scalar row loads, one kernel row a lane, small panels.
//   Helpers: conv2dOutSize(shape) → { ho, wo }, conv2dFlops(shape) (one pass), conv2dPath(gpu), conv2dSubgroupSize(gpu).
// In-place use is not supported (out must not be x; dx not dy; dw not x or dy).
//
// All three are implicit GEMMs whose im2col coordinates are computed inside the operand loads (never materialised):
//   forward          M = b·ho·wo pixels, N = cout, K = cin·k·k; bias (and the accumulate add) fused into the write
//   backward data    M = b·h·w pixels,   N = cin,  K = cout·k·k: the forward kernel over dy with the kernel transposed
//                    and flipped and padding k − 1 − pad
//   backward weight  M = cout, N = cin·k·k, K = b·ho·wo: split-K partial sums over chunks of output rows, then
//                    `conv2d_reduce` (deterministic, no atomics); dbias by `conv2d_bias_grad`.
// The weights are first repacked (`conv2d_pack`, a few KB) into K-major rows, output channels padded to the
// workgroup's block, which serves the forward and, transposed and flipped, the backward-data pass.
// Paths, chosen per call:
//   subgroup  software adapters with a fixed subgroup size of 8 or 16 (lavapipe: shaders/conv2d_sg.wgsl). A lane's own
//             load is a scalar loop there (~10 instructions a float) while a broadcast from a constant lane is one
//             permute, so the operand every lane needs (weights forward, dy backward) is loaded once per subgroup and
//             broadcast; rows are read as aligned vec4 where widths allow (w % 4 = 0, 3×3 pad 1 or 1×1 pad 0); the
//             forward block is 32 output channels (16 when cout ≤ 16) × 8·SG pixels; backward weight with 3×3 kernels
//             rolls three input-row windows down each chunk. About 6–12 GFLOP/s at batch 64 here, like a subgroup GEMM
//             at equal FLOPs (conv2d.bench.ts).
//   tiled     everything else: workgroup-memory tiles of 64×64 (16×16 threads, 4×4 a thread), shaders/conv2d.wgsl.
// Kernel ids: conv2d, conv2d_backward_data, conv2d_backward_weight (+ conv2d_pack, conv2d_reduce, conv2d_bias_grad).
// Bindings over maxStorageBufferBindingSize are split into batch panels (each image's offset a multiple of 64 elements).
import type { Gpu } from './device.ts';
import type { GpuBuffer } from './buffers.ts';
import { defineKernel, type BindingValue } from './kernel.ts';
import { conv2dOutSize, type Conv2dShape } from './conv2d.ref.ts';

export { conv2dOutSize, type Conv2dShape } from './conv2d.ref.ts';

export interface Conv2dArgs extends Conv2dShape {
  x: GpuBuffer; // b × cin × h × width
  w: GpuBuffer; // cout × cin × k × k
  bias?: GpuBuffer; // cout
  out: GpuBuffer; // b × cout × ho × wo
  accumulate?: boolean; // out += conv(x, w) + bias
}

export interface Conv2dBackwardDataArgs extends Conv2dShape {
  dy: GpuBuffer; // b × cout × ho × wo
  w: GpuBuffer; // cout × cin × k × k
  dx: GpuBuffer; // b × cin × h × width
  accumulate?: boolean; // dx += …
}

export interface Conv2dBackwardWeightArgs extends Conv2dShape {
  x: GpuBuffer; // b × cin × h × width
  dy: GpuBuffer; // b × cout × ho × wo
  dw: GpuBuffer; // cout × cin × k × k
  dbias?: GpuBuffer; // cout
  accumulate?: boolean; // dw += …, dbias += …
}

export type Conv2dPath = 'subgroup' | 'tiled';

export interface Conv2dKernelOptions {
  path?: Conv2dPath;
  chunks?: number; // backward weight: split-K chunks (default: enough workgroups to fill the device)
  maxBindingElements?: number; // default maxStorageBufferBindingSize / 4; tests lower it to exercise batch panels
  vec?: boolean; // subgroup path: allow aligned vec4 input rows where the shape permits (default true)
  rolling?: boolean; // subgroup backward weight: allow rolled row windows for 3×3 kernels (default true)
  k9?: boolean; // subgroup forward / backward data: allow nine taps a step for 3×3 kernels on 16 lanes (default true)
}

/** Floating-point operations of one pass (forward, backward-data or backward-weight): 2·b·ho·wo·cout·cin·k². */
export function conv2dFlops(s: Conv2dShape): number {
  const { ho, wo } = conv2dOutSize(s);
  return 2 * s.b * ho * wo * s.cout * s.cin * s.k * s.k;
}

// ---- kernels ---------------------------------------------------------------------------------------

const PARAMS = ['a', 'h', 'w', 'n', 'ho', 'wo', 'kh', 'kw', 'kwp', 'pad_y', 'pad_x', 'np', 'bsz', 'ncol', 'kdim', 'mtiles', 'ntiles', 'chunks', 'chunk_len', 'len', 'flip', 'acc', 'has_bias'] as const;
const SG_PARAMS = ['a', 'h', 'w', 'n', 'ho', 'wo', 'kh', 'kw', 'kwp', 'pad_y', 'pad_x', 'np', 'groups', 'gw', 'nblk', 'mblk', 'rows', 'rows_per_chunk', 'chunks', 'nr', 'acc', 'has_bias'] as const;

function params<P extends string>(names: readonly P[], p: Partial<Record<P, number>>): Record<P, number> {
  const all = {} as Record<P, number>;
  for (const k of names) all[k] = p[k] ?? 0;
  return all;
}

const FWD_BIND = { xin: 'read', wp: 'read', bias: 'read', out: 'read_write' } as const;
const BWDW_BIND = { xin: 'read', dy: 'read', out: 'read_write' } as const;
const SG_FWD_BIND = { ...FWD_BIND, xin4: 'read' } as const;
const tiled = {
  forward: defineKernel({ name: 'conv2d', file: 'conv2d', entry: 'forward', bindings: FWD_BIND, params: PARAMS, workgroupSize: [16, 16, 1] }),
  backwardData: defineKernel({ name: 'conv2d_backward_data', file: 'conv2d', entry: 'forward', bindings: FWD_BIND, params: PARAMS, workgroupSize: [16, 16, 1] }),
  backwardWeight: defineKernel({ name: 'conv2d_backward_weight', file: 'conv2d', entry: 'backward_weight', bindings: BWDW_BIND, params: PARAMS, workgroupSize: [16, 16, 1] }),
};
const packKernel = defineKernel({ name: 'conv2d_pack', file: 'conv2d', entry: 'pack_weights', bindings: { src: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [256, 1, 1] });
const reduceKernel = defineKernel({ name: 'conv2d_reduce', file: 'conv2d', entry: 'reduce_partials', bindings: { src: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [256, 1, 1] });
const biasGradKernel = defineKernel({ name: 'conv2d_bias_grad', file: 'conv2d', entry: 'bias_grad', bindings: { src: 'read', out: 'read_write' }, params: PARAMS, workgroupSize: [256, 1, 1] });

// The subgroup module needs `enable subgroups`: defined on first use, only on devices that have them.
function defineSubgroupKernels() {
  const o = { SG: 16, JW: 3, VEC: 0, TQ: 4, KR: 1, K9: 0, TR: 1 };
  const ws = (v: Record<keyof typeof o, number>): [number, number, number] => [v.SG, 1, 1];
  return {
    forward: defineKernel({ name: 'conv2d', file: 'conv2d_sg', entry: 'forward', bindings: SG_FWD_BIND, params: SG_PARAMS, overrides: o, workgroupSize: ws }),
    backwardData: defineKernel({ name: 'conv2d_backward_data', file: 'conv2d_sg', entry: 'forward', bindings: SG_FWD_BIND, params: SG_PARAMS, overrides: o, workgroupSize: ws }),
    backwardWeight: defineKernel({ name: 'conv2d_backward_weight', file: 'conv2d_sg', entry: 'backward_weight', bindings: { ...BWDW_BIND, xin4: 'read', dy4: 'read' }, params: SG_PARAMS, overrides: o, workgroupSize: ws }),
    biasGrad: defineKernel({ name: 'conv2d_bias_grad_sg', file: 'conv2d_sg', entry: 'bias_grad', bindings: { dy4: 'read', out: 'read_write' }, params: SG_PARAMS, overrides: o, workgroupSize: ws }),
  };
}
let sgKernels: ReturnType<typeof defineSubgroupKernels> | null = null;

// ---- device-dependent choices ----------------------------------------------------------------------

const TP = 8; // subgroup forward: output pixels a lane (shaders/conv2d_sg.wgsl)
const TILE = 64; // tiled path: output tile side

/** The fixed subgroup size (8 or 16) the subgroup path can use on this device, or 0 (= gpu.fixedSubgroupSize). */
export function conv2dSubgroupSize(gpu: Gpu): number {
  return gpu.fixedSubgroupSize;
}

/** The path a call takes: 'subgroup' on software adapters with a fixed subgroup size of 8 or 16, else 'tiled'. */
export function conv2dPath(gpu: Gpu, options: Conv2dKernelOptions = {}): Conv2dPath {
  const sg = conv2dSubgroupSize(gpu);
  const path = options.path ?? (gpu.subgroupKernelSize ? 'subgroup' : 'tiled');
  if (path === 'subgroup' && !sg) throw new Error('conv2d: the subgroup path needs the subgroups feature with a fixed subgroup size of 8 or 16');
  return path;
}

const dummies = new WeakMap<Gpu, GpuBuffer>();
function dummy(gpu: Gpu): GpuBuffer {
  let d = dummies.get(gpu);
  if (!d || d.released) dummies.set(gpu, (d = gpu.alloc(64, 'conv2d-dummy')));
  return d;
}

// ---- checks and batch panels -----------------------------------------------------------------------

function checkShape(what: string, s: Conv2dShape): { ho: number; wo: number } {
  for (const key of ['b', 'cin', 'cout', 'h', 'width', 'k'] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 1) throw new RangeError(`${what}: ${key} = ${s[key]} must be an integer ≥ 1`);
  }
  if (!Number.isInteger(s.pad) || s.pad < 0) throw new RangeError(`${what}: pad = ${s.pad} must be an integer ≥ 0`);
  const o = conv2dOutSize(s);
  if (o.ho < 1 || o.wo < 1) throw new RangeError(`${what}: a ${s.k}×${s.k} kernel with pad ${s.pad} leaves no output from ${s.h}×${s.width}`);
  return o;
}

function checkLength(what: string, name: string, buf: GpuBuffer, n: number): void {
  if (buf.length < n) throw new RangeError(`${what}: '${buf.label}' (${name}) holds ${buf.length} elements, fewer than ${n}`);
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/**
 * Batch panels [b0, nb) whose bindings (per-image sizes `perImage`) fit `maxElems` and start at multiples of 64
 * elements (the binding-offset alignment).
 */
function batchPanels(what: string, b: number, perImage: number[], maxElems: number): [number, number][] {
  const largest = Math.max(...perImage);
  if (largest * b <= maxElems) return [[0, b]];
  let step = 1;
  for (const e of perImage) {
    const s = 64 / gcd(e, 64);
    step = (step * s) / gcd(step, s);
  }
  const nb = Math.floor(maxElems / largest / step) * step;
  if (nb < 1) throw new RangeError(`${what}: a batch panel of ${step} image(s) (${largest * step} elements a binding) does not fit maxStorageBufferBindingSize (${maxElems} elements)`);
  const out: [number, number][] = [];
  for (let b0 = 0; b0 < b; b0 += nb) out.push([b0, Math.min(nb, b - b0)]);
  return out;
}

function panel(buf: GpuBuffer, perImage: number, b0: number, nb: number): BindingValue {
  return b0 === 0 && nb * perImage >= buf.length ? buf : { buffer: buf, offset: b0 * perImage, length: nb * perImage };
}

function maxElements(gpu: Gpu, options: Conv2dKernelOptions): number {
  return options.maxBindingElements ?? Math.floor(gpu.limits.maxStorageBufferBindingSize / 4);
}

// ---- weight packing ----------------------------------------------------------------------------------

interface Packed {
  wp: GpuBuffer;
  kwp: number; // packed kernel columns
  np: number; // packed output channels
}

/**
 * Packs OIHW weights into K-major rows wp[(a·k + i)·kwp + j][n] (n padded to np): a = input, n = output channels of
 * the convolution being run. flip: the backward-data kernel (a = cout, n = cin, rows and columns reversed).
 */
function pack(gpu: Gpu, w: GpuBuffer, s: Conv2dShape, flip: boolean, jw: number, npAlign: number): Packed {
  const a = flip ? s.cout : s.cin;
  const n = flip ? s.cin : s.cout;
  const kwp = Math.ceil(s.k / jw) * jw;
  const np = Math.ceil(n / npAlign) * npAlign;
  const len = a * s.k * kwp * np;
  const wp = gpu.alloc(len, 'conv2d-packed-weights');
  packKernel.run(gpu, { bind: { src: w, out: wp }, params: params(PARAMS, { a, n, kh: s.k, kw: s.k, kwp, np, len, flip: flip ? 1 : 0 }), workgroups: Math.ceil(len / 256) });
  return { wp, kwp, np };
}

// ---- forward-shaped passes (forward and backward data) ------------------------------------------------

interface ForwardJob {
  what: string;
  kind: 'forward' | 'backwardData';
  input: GpuBuffer; // b × a × hi × wi
  output: GpuBuffer; // b × n × ho × wo
  bias?: GpuBuffer;
  b: number;
  a: number;
  hi: number;
  wi: number;
  n: number;
  ho: number;
  wo: number;
  k: number;
  pad: number; // padding of this convolution (k − 1 − pad for backward data)
  accumulate: boolean;
}

function runForwardShaped(gpu: Gpu, job: ForwardJob, s: Conv2dShape, w: GpuBuffer, options: Conv2dKernelOptions): void {
  const path = conv2dPath(gpu, options);
  const flip = job.kind === 'backwardData';
  const inImage = job.a * job.hi * job.wi;
  const outImage = job.n * job.ho * job.wo;
  const panels = batchPanels(job.what, job.b, [inImage, outImage], maxElements(gpu, options));
  const biasBuf = job.bias ?? dummy(gpu);
  if (path === 'subgroup') {
    sgKernels ??= defineSubgroupKernels();
    const SG = conv2dSubgroupSize(gpu);
    const JW = job.k === 1 ? 1 : 3;
    // 32 output channels a workgroup (more multiply-adds a loaded input) unless there are only 16 or fewer.
    const TQ = job.n > 16 ? 8 : 4;
    const { wp, kwp, np } = pack(gpu, w, s, flip, JW, 4 * TQ);
    const kernel = sgKernels[job.kind];
    const k9 = options.k9 !== false && job.k === 3 && kwp === 3 && SG === 16;
    // With nine taps and 16 channels, a lane takes two output rows (four input-row windows serve both).
    const TR = k9 && TQ === 4 ? 2 : 1;
    const gw = Math.ceil(job.wo / TP);
    const nblk = np / (4 * TQ);
    // Rows read as aligned vec4 when every row starts at a multiple of 4 and the window is centred (3×3 pad 1, 1×1 pad 0).
    const vec = options.vec !== false && job.wi % 4 === 0 && job.wo === job.wi && kwp === JW && job.pad === (JW - 1) / 2;
    // 3×3 kernels on 16-lane subgroups: all nine taps of an input channel a step (accumulators touched a third as often).
    for (const [b0, nb] of panels) {
      const groups = nb * Math.ceil(job.ho / TR) * gw;
      const mblk = Math.ceil(groups / SG);
      const xin = panel(job.input, inImage, b0, nb);
      kernel.run(gpu, {
        // The vec4 alias is bound only where it is read (a tensor under 4 elements is too small for it).
        bind: { xin, xin4: vec ? xin : dummy(gpu), wp, bias: biasBuf, out: panel(job.output, outImage, b0, nb) },
        params: params(SG_PARAMS, { a: job.a, h: job.hi, w: job.wi, n: job.n, ho: job.ho, wo: job.wo, kh: job.k, kw: job.k, kwp, pad_y: job.pad, pad_x: job.pad, np, groups, gw, nblk, mblk, acc: job.accumulate ? 1 : 0, has_bias: job.bias ? 1 : 0 }),
        overrides: { SG, JW, VEC: vec ? 1 : 0, TQ, K9: k9 ? 1 : 0, TR },
        workgroups: mblk * nblk,
      });
    }
    wp.release();
    return;
  }
  const { wp, kwp, np } = pack(gpu, w, s, flip, 1, 4);
  const kernel = tiled[job.kind];
  const ntiles = Math.ceil(job.n / TILE);
  for (const [b0, nb] of panels) {
    const mtiles = Math.ceil((nb * job.ho * job.wo) / TILE);
    kernel.run(gpu, {
      bind: { xin: panel(job.input, inImage, b0, nb), wp, bias: biasBuf, out: panel(job.output, outImage, b0, nb) },
      params: params(PARAMS, { a: job.a, h: job.hi, w: job.wi, n: job.n, ho: job.ho, wo: job.wo, kh: job.k, kw: job.k, kwp, pad_y: job.pad, pad_x: job.pad, np, bsz: nb, kdim: job.a * job.k * kwp, mtiles, ntiles, acc: job.accumulate ? 1 : 0, has_bias: job.bias ? 1 : 0 }),
      workgroups: mtiles * ntiles,
    });
  }
  wp.release();
}

/** out = conv(x, w) + bias (+ out when accumulate). See the file header. */
export function conv2d(gpu: Gpu, args: Conv2dArgs, options: Conv2dKernelOptions = {}): void {
  const what = 'conv2d';
  const { ho, wo } = checkShape(what, args);
  const { b, cin, cout, h, width, k, pad } = args;
  checkLength(what, 'x', args.x, b * cin * h * width);
  checkLength(what, 'w', args.w, cout * cin * k * k);
  checkLength(what, 'out', args.out, b * cout * ho * wo);
  if (args.bias) checkLength(what, 'bias', args.bias, cout);
  runForwardShaped(gpu, { what, kind: 'forward', input: args.x, output: args.out, bias: args.bias, b, a: cin, hi: h, wi: width, n: cout, ho, wo, k, pad, accumulate: !!args.accumulate }, args, args.w, options);
}

/** dx = conv_transpose(dy, w) (+ dx when accumulate): the gradient of conv2d with respect to x. */
export function conv2dBackwardData(gpu: Gpu, args: Conv2dBackwardDataArgs, options: Conv2dKernelOptions = {}): void {
  const what = 'conv2dBackwardData';
  const { ho, wo } = checkShape(what, args);
  const { b, cin, cout, h, width, k, pad } = args;
  checkLength(what, 'dy', args.dy, b * cout * ho * wo);
  checkLength(what, 'w', args.w, cout * cin * k * k);
  checkLength(what, 'dx', args.dx, b * cin * h * width);
  // A stride-1 convolution of dy (ho × wo, cout channels) with the flipped kernel and padding k − 1 − pad gives h × width.
  runForwardShaped(gpu, { what, kind: 'backwardData', input: args.dy, output: args.dx, b, a: cout, hi: ho, wi: wo, n: cin, ho: h, wo: width, k, pad: k - 1 - pad, accumulate: !!args.accumulate }, args, args.w, options);
}

// ---- backward weight -----------------------------------------------------------------------------------

/** Split-K chunks: about `target` workgroups in all, at most one chunk a row, the partials at most 16M floats. */
function chunkCount(rows: number, tilesPerChunk: number, perChunk: number, requested?: number, target = 256): number {
  if (requested !== undefined) return Math.max(1, Math.min(rows, Math.floor(requested)));
  const cap = Math.max(1, Math.floor((16 << 20) / perChunk));
  return Math.max(1, Math.min(rows, cap, Math.ceil(target / tilesPerChunk)));
}

/** dw (and dbias) of conv2d: overwritten, or added to when accumulate. See the file header. */
export function conv2dBackwardWeight(gpu: Gpu, args: Conv2dBackwardWeightArgs, options: Conv2dKernelOptions = {}): void {
  const what = 'conv2dBackwardWeight';
  const { ho, wo } = checkShape(what, args);
  const { b, cin, cout, h, width, k, pad } = args;
  checkLength(what, 'x', args.x, b * cin * h * width);
  checkLength(what, 'dy', args.dy, b * cout * ho * wo);
  checkLength(what, 'dw', args.dw, cout * cin * k * k);
  if (args.dbias) checkLength(what, 'dbias', args.dbias, cout);
  const path = conv2dPath(gpu, options);
  const inImage = cin * h * width;
  const outImage = cout * ho * wo;
  const len = cout * cin * k * k;
  const panels = batchPanels(what, b, [inImage, outImage], maxElements(gpu, options));
  panels.forEach(([b0, nb], pi) => {
    const accumulate = pi > 0 || !!args.accumulate;
    const xs = panel(args.x, inImage, b0, nb);
    const dys = panel(args.dy, outImage, b0, nb);
    let partial: GpuBuffer;
    let chunks: number;
    if (path === 'subgroup') {
      sgKernels ??= defineSubgroupKernels();
      const SG = conv2dSubgroupSize(gpu);
      const JW = k === 1 ? 1 : 3;
      const kwp = Math.ceil(k / JW) * JW;
      // 3×3 kernels with enough input channels: a lane holds a channel's three kernel rows and rolls the input-row
      // windows down the rows of its chunk (each window loaded once, not three times). Otherwise a lane is one kernel row.
      const KR = k === 3 && cin >= SG / 2 && options.rolling !== false ? 3 : 1;
      const nr = KR === 3 ? cin : cin * k * (kwp / JW);
      const nblk = Math.ceil(cout / 16);
      const mblk = Math.ceil(nr / SG);
      const rows = nb * ho;
      chunks = chunkCount(rows, nblk * mblk, len, options.chunks, KR === 3 ? 64 : 256);
      const rowsPerChunk = Math.ceil(rows / chunks);
      chunks = Math.ceil(rows / rowsPerChunk);
      partial = gpu.alloc(chunks * len, 'conv2d-dw-partials');
      const vec = options.vec !== false && width % 4 === 0 && wo === width && kwp === JW && pad === (JW - 1) / 2;
      sgKernels.backwardWeight.run(gpu, {
        bind: { xin: xs, dy: dys, xin4: vec ? xs : dummy(gpu), dy4: vec ? dys : dummy(gpu), out: partial },
        params: params(SG_PARAMS, { a: cin, h, w: width, n: cout, ho, wo, kh: k, kw: k, kwp, pad_y: pad, pad_x: pad, nblk, mblk, rows, rows_per_chunk: rowsPerChunk, chunks, nr }),
        overrides: { SG, JW, VEC: vec ? 1 : 0, KR },
        workgroups: chunks * nblk * mblk,
      });
    } else {
      const ncol = cin * k * k;
      const mtiles = Math.ceil(cout / TILE);
      const ntiles = Math.ceil(ncol / TILE);
      const pixels = nb * ho * wo;
      chunks = chunkCount(Math.ceil(pixels / 16), mtiles * ntiles, len, options.chunks);
      const chunkLen = Math.ceil(pixels / chunks / 16) * 16;
      chunks = Math.ceil(pixels / chunkLen);
      partial = gpu.alloc(chunks * len, 'conv2d-dw-partials');
      tiled.backwardWeight.run(gpu, {
        bind: { xin: xs, dy: dys, out: partial },
        params: params(PARAMS, { a: cin, h, w: width, n: cout, ho, wo, kh: k, kw: k, kwp: k, pad_y: pad, pad_x: pad, bsz: nb, ncol, mtiles, ntiles, chunks, chunk_len: chunkLen }),
        workgroups: chunks * mtiles * ntiles,
      });
    }
    reduceKernel.run(gpu, { bind: { src: partial, out: args.dw }, params: params(PARAMS, { len, chunks, acc: accumulate ? 1 : 0 }), workgroups: Math.ceil(len / 256) });
    partial.release();
    if (args.dbias && path === 'subgroup' && (ho * wo) % 4 === 0 && sgKernels) {
      // A subgroup a channel, vec4 loads, one subgroupAdd (3× the barrier-tree kernel on lavapipe).
      const SG = conv2dSubgroupSize(gpu);
      sgKernels.biasGrad.run(gpu, { bind: { dy4: dys, out: args.dbias }, params: params(SG_PARAMS, { n: cout, ho, wo, rows: nb * ho, acc: accumulate ? 1 : 0 }), overrides: { SG }, workgroups: cout });
    } else if (args.dbias) {
      biasGradKernel.run(gpu, { bind: { src: dys, out: args.dbias }, params: params(PARAMS, { n: cout, ho, wo, bsz: nb, acc: accumulate ? 1 : 0 }), workgroups: cout });
    }
  });
}
