// Subgroup-broadcast GEMM (needs the 'subgroups' feature; otherwise shaders/gemm.wgsl `tiled`). Same contract,
// Params, bindings and grid-z slicing as shaders/gemm.wgsl: C = alpha·op(A)·op(B) + beta·C (+ bias).
// One subgroup = one workgroup of SG lanes (SG = the device's fixed subgroup size, 8 or 16) computes RG·SG rows ×
// SG·4·NV columns: lane l loads op(A) rows i0 + l (+ SG), 4 k at a time, and owns 4·NV columns (vec4 B rows); every
// row's A value reaches all lanes by subgroupBroadcast, so each loaded A element feeds SG·4·NV multiply-adds. On CPU
// drivers (lavapipe) a lane's load is a scalar loop, so this runs ~4× the workgroup-memory `tiled` kernel there.
// Grid (⌈n/(SG·4·NV)⌉, ⌈m/(RG·SG)⌉, batch·splits).
enable subgroups;

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  lda: u32, ldb: u32, ldc: u32, splits: u32,
  stride_a: u32, stride_b: u32, stride_c: u32, k_chunk: u32,
  off_a: u32, off_b: u32, off_c: u32, off_bias: u32,
  alpha: f32, beta: f32, bias_mode: u32,
}

override SG: u32 = 16u;          // subgroup size = workgroup size: 8 or 16
override RG: u32 = 2u;           // row groups of SG rows: 1 or 2
override NV: u32 = 2u;           // vec4 columns a lane: 1 or 2
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override VEC_A: bool = false;    // op(A) rows read as vec4 along k (not TRANS_A; lda, offsets, k_chunk multiples of 4)
override VEC_B: bool = false;    // B read as vec4: along n, or with TRANS_B along k (ldb, offsets multiples of 4)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> a4: array<vec4<f32>>;  // the same panel as a, read as vec4
@group(0) @binding(6) var<storage, read> b4: array<vec4<f32>>;  // the same panel as b, read as vec4

fn epilogue(ci: u32, i: u32, j: u32, acc: f32) {
  var v = params.alpha * acc;
  if (params.beta != 0.0) { v += params.beta * out[ci]; }
  if (params.bias_mode == 1u) { v += bias[params.off_bias + j]; }
  if (params.bias_mode == 2u) { v += bias[params.off_bias + i]; }
  out[ci] = v;
}

struct Slice { oa: u32, ob: u32, oc: u32, kb: u32, ke: u32 }

fn slice(z: u32) -> Slice {
  let bi = z / params.splits;
  let kb = (z % params.splits) * params.k_chunk;
  return Slice(params.off_a + bi * params.stride_a, params.off_b + bi * params.stride_b,
               params.off_c + z * params.stride_c, kb, min(params.k, kb + params.k_chunk));
}

// Vectors are built whole and only indexed as values (never `v[t] = …` on a var with a dynamic t): an indexed
// var would be lowered to per-lane scratch memory on CPU drivers.

// op(A)[i][k0 .. k0 + 4), zero at k ≥ ke (i is clamped into range by the caller).
fn load_a4(s: Slice, i: u32, k0: u32) -> vec4<f32> {
  let kt = vec4<u32>(k0) + vec4<u32>(0u, 1u, 2u, 3u);
  var v: vec4<f32>;
  if (VEC_A) {
    v = a4[(s.oa + i * params.lda + k0) / 4u];
  } else {
    let kc = min(kt, vec4<u32>(s.ke - 1u));
    if (TRANS_A) {
      let o = vec4<u32>(s.oa + i) + kc * params.lda;
      v = vec4(a[o.x], a[o.y], a[o.z], a[o.w]);
    } else {
      let o = vec4<u32>(s.oa + i * params.lda) + kc;
      v = vec4(a[o.x], a[o.y], a[o.z], a[o.w]);
    }
  }
  return select(vec4<f32>(0.0), v, kt < vec4<u32>(s.ke));
}

// op(B)[k][j .. j + 4) (columns clamped to n - 1; those lanes' results are not stored).
fn load_b4(s: Slice, k: u32, j: u32) -> vec4<f32> {
  if (VEC_B && !TRANS_B) { return b4[(s.ob + k * params.ldb + j) / 4u]; }
  let jt = min(vec4<u32>(j) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(params.n - 1u));
  var o: vec4<u32>;
  if (TRANS_B) { o = vec4<u32>(s.ob + k) + jt * params.ldb; } else { o = vec4<u32>(s.ob + k * params.ldb) + jt; }
  return vec4(b[o.x], b[o.y], b[o.z], b[o.w]);
}

// TRANS_B and VEC_B: column j of op(B) is row j of the stored B, read four k at a time (k0 is a multiple of 4).
fn load_bt(s: Slice, j: u32, k0: u32) -> vec4<f32> {
  return b4[(s.ob + min(j, params.n - 1u) * params.ldb + k0) / 4u];
}

// Stores (the in-range part of) C[i][j .. j + 4·NV). Epilogue loops keep a dynamic trip count so that the
// compiler does not unroll them: on CPU drivers every store is a per-lane loop, and unrolled epilogues cost
// tens of seconds of shader compilation.
fn store_row(oc: u32, i: u32, j: u32, v0: vec4<f32>, v1: vec4<f32>) {
  if (i >= params.m || j >= params.n) { return; }
  for (var t = 0u; t < min(4u * NV, params.n - j); t++) { epilogue(oc + i * params.ldc + j + t, i, j + t, select(v1[t % 4u], v0[t % 4u], t < 4u)); }
}

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let s = slice(wid.z);
  let i0 = wid.y * RG * SG;
  let j = (wid.x * SG + lane) * 4u * NV;
  let ia0 = min(i0 + lane, params.m - 1u);
  let ia1 = min(i0 + SG + lane, params.m - 1u);
  var acc: array<vec4<f32>, 64>;  // acc[2·(16·g + r) + h]: row i0 + g·SG + r, columns j + 4h .. j + 4h + 4
  for (var k0 = s.kb; k0 < s.ke; k0 += 4u) {
    let x0 = load_a4(s, ia0, k0);
    var x1 = vec4<f32>(0.0);
    if (RG == 2u) { x1 = load_a4(s, ia1, k0); }
    var c0: vec4<f32>; var c1: vec4<f32>; var c2: vec4<f32>; var c3: vec4<f32>;  // TRANS_B && VEC_B: columns
    var c4: vec4<f32>; var c5: vec4<f32>; var c6: vec4<f32>; var c7: vec4<f32>;  // j .. j + 4·NV, k0 .. k0 + 4
    if (TRANS_B && VEC_B) {
      c0 = load_bt(s, j, k0); c1 = load_bt(s, j + 1u, k0); c2 = load_bt(s, j + 2u, k0); c3 = load_bt(s, j + 3u, k0);
      if (NV == 2u) { c4 = load_bt(s, j + 4u, k0); c5 = load_bt(s, j + 5u, k0); c6 = load_bt(s, j + 6u, k0); c7 = load_bt(s, j + 7u, k0); }
    }
    let d0 = c0; let d1 = c1; let d2 = c2; let d3 = c3; let d4 = c4; let d5 = c5; let d6 = c6; let d7 = c7;
    let z0 = x0; let z1 = x1;  // values: indexed by kk below
    for (var kk = 0u; kk < 4u; kk++) {
      var b0: vec4<f32>;
      var b1 = vec4<f32>(0.0);
      if (TRANS_B && VEC_B) {
        b0 = vec4(d0[kk], d1[kk], d2[kk], d3[kk]);
        if (NV == 2u) { b1 = vec4(d4[kk], d5[kk], d6[kk], d7[kk]); }
      } else {
        let kr = min(k0 + kk, s.ke - 1u);  // past ke the A values are zero
        b0 = load_b4(s, kr, j);
        if (NV == 2u) { b1 = load_b4(s, kr, j + 4u); }
      }
      let y0 = z0[kk];
      let y1 = z1[kk];
      { let s = vec4(subgroupBroadcast(y0, 0u)); acc[0] = fma(s, b0, acc[0]); if (NV == 2u) { acc[1] = fma(s, b1, acc[1]); } }
      { let s = vec4(subgroupBroadcast(y0, 1u)); acc[2] = fma(s, b0, acc[2]); if (NV == 2u) { acc[3] = fma(s, b1, acc[3]); } }
      { let s = vec4(subgroupBroadcast(y0, 2u)); acc[4] = fma(s, b0, acc[4]); if (NV == 2u) { acc[5] = fma(s, b1, acc[5]); } }
      { let s = vec4(subgroupBroadcast(y0, 3u)); acc[6] = fma(s, b0, acc[6]); if (NV == 2u) { acc[7] = fma(s, b1, acc[7]); } }
      { let s = vec4(subgroupBroadcast(y0, 4u)); acc[8] = fma(s, b0, acc[8]); if (NV == 2u) { acc[9] = fma(s, b1, acc[9]); } }
      { let s = vec4(subgroupBroadcast(y0, 5u)); acc[10] = fma(s, b0, acc[10]); if (NV == 2u) { acc[11] = fma(s, b1, acc[11]); } }
      { let s = vec4(subgroupBroadcast(y0, 6u)); acc[12] = fma(s, b0, acc[12]); if (NV == 2u) { acc[13] = fma(s, b1, acc[13]); } }
      { let s = vec4(subgroupBroadcast(y0, 7u)); acc[14] = fma(s, b0, acc[14]); if (NV == 2u) { acc[15] = fma(s, b1, acc[15]); } }
      if (SG == 16u) {
        { let s = vec4(subgroupBroadcast(y0, 8u)); acc[16] = fma(s, b0, acc[16]); if (NV == 2u) { acc[17] = fma(s, b1, acc[17]); } }
        { let s = vec4(subgroupBroadcast(y0, 9u)); acc[18] = fma(s, b0, acc[18]); if (NV == 2u) { acc[19] = fma(s, b1, acc[19]); } }
        { let s = vec4(subgroupBroadcast(y0, 10u)); acc[20] = fma(s, b0, acc[20]); if (NV == 2u) { acc[21] = fma(s, b1, acc[21]); } }
        { let s = vec4(subgroupBroadcast(y0, 11u)); acc[22] = fma(s, b0, acc[22]); if (NV == 2u) { acc[23] = fma(s, b1, acc[23]); } }
        { let s = vec4(subgroupBroadcast(y0, 12u)); acc[24] = fma(s, b0, acc[24]); if (NV == 2u) { acc[25] = fma(s, b1, acc[25]); } }
        { let s = vec4(subgroupBroadcast(y0, 13u)); acc[26] = fma(s, b0, acc[26]); if (NV == 2u) { acc[27] = fma(s, b1, acc[27]); } }
        { let s = vec4(subgroupBroadcast(y0, 14u)); acc[28] = fma(s, b0, acc[28]); if (NV == 2u) { acc[29] = fma(s, b1, acc[29]); } }
        { let s = vec4(subgroupBroadcast(y0, 15u)); acc[30] = fma(s, b0, acc[30]); if (NV == 2u) { acc[31] = fma(s, b1, acc[31]); } }
      }
      if (RG == 2u) {
        { let s = vec4(subgroupBroadcast(y1, 0u)); acc[32] = fma(s, b0, acc[32]); if (NV == 2u) { acc[33] = fma(s, b1, acc[33]); } }
        { let s = vec4(subgroupBroadcast(y1, 1u)); acc[34] = fma(s, b0, acc[34]); if (NV == 2u) { acc[35] = fma(s, b1, acc[35]); } }
        { let s = vec4(subgroupBroadcast(y1, 2u)); acc[36] = fma(s, b0, acc[36]); if (NV == 2u) { acc[37] = fma(s, b1, acc[37]); } }
        { let s = vec4(subgroupBroadcast(y1, 3u)); acc[38] = fma(s, b0, acc[38]); if (NV == 2u) { acc[39] = fma(s, b1, acc[39]); } }
        { let s = vec4(subgroupBroadcast(y1, 4u)); acc[40] = fma(s, b0, acc[40]); if (NV == 2u) { acc[41] = fma(s, b1, acc[41]); } }
        { let s = vec4(subgroupBroadcast(y1, 5u)); acc[42] = fma(s, b0, acc[42]); if (NV == 2u) { acc[43] = fma(s, b1, acc[43]); } }
        { let s = vec4(subgroupBroadcast(y1, 6u)); acc[44] = fma(s, b0, acc[44]); if (NV == 2u) { acc[45] = fma(s, b1, acc[45]); } }
        { let s = vec4(subgroupBroadcast(y1, 7u)); acc[46] = fma(s, b0, acc[46]); if (NV == 2u) { acc[47] = fma(s, b1, acc[47]); } }
      }
      if ((RG == 2u) && (SG == 16u)) {
        { let s = vec4(subgroupBroadcast(y1, 8u)); acc[48] = fma(s, b0, acc[48]); if (NV == 2u) { acc[49] = fma(s, b1, acc[49]); } }
        { let s = vec4(subgroupBroadcast(y1, 9u)); acc[50] = fma(s, b0, acc[50]); if (NV == 2u) { acc[51] = fma(s, b1, acc[51]); } }
        { let s = vec4(subgroupBroadcast(y1, 10u)); acc[52] = fma(s, b0, acc[52]); if (NV == 2u) { acc[53] = fma(s, b1, acc[53]); } }
        { let s = vec4(subgroupBroadcast(y1, 11u)); acc[54] = fma(s, b0, acc[54]); if (NV == 2u) { acc[55] = fma(s, b1, acc[55]); } }
        { let s = vec4(subgroupBroadcast(y1, 12u)); acc[56] = fma(s, b0, acc[56]); if (NV == 2u) { acc[57] = fma(s, b1, acc[57]); } }
        { let s = vec4(subgroupBroadcast(y1, 13u)); acc[58] = fma(s, b0, acc[58]); if (NV == 2u) { acc[59] = fma(s, b1, acc[59]); } }
        { let s = vec4(subgroupBroadcast(y1, 14u)); acc[60] = fma(s, b0, acc[60]); if (NV == 2u) { acc[61] = fma(s, b1, acc[61]); } }
        { let s = vec4(subgroupBroadcast(y1, 15u)); acc[62] = fma(s, b0, acc[62]); if (NV == 2u) { acc[63] = fma(s, b1, acc[63]); } }
      }
    }
  }
  var res = acc;  // indexed dynamically below, while acc keeps constant indices (registers)
  for (var q = 0u; q < RG * 16u; q++) {
    let r = q % 16u;
    if (r < SG) { store_row(s.oc, i0 + (q / 16u) * SG + r, j, res[2u * q], res[2u * q + 1u]); }
  }
}
