// C = Aᵀ·B with the epilogue params.epi, the contract of `gemm` in covariance.wgsl, for adapters whose subgroups are
// exactly 16 wide (lavapipe at 512 bits). One subgroup a workgroup and a 64×64 tile: at each k, lane l loads
// A(k, r0+4l .. +3) and B(k, c0+4l .. +3) (one vec4 each) and the 16 A vec4s are broadcast in turn, so every
// loaded float feeds 64 FMAs without workgroup memory or barriers (lane l accumulates rows r0..r0+63 × its 4 columns).
enable subgroups;

struct Params {
  kl: u32, m: u32, n: u32,
  lda: u32, ldb: u32, a_off: u32, b_off: u32,
  ldo: u32, i0: u32, j0: u32,
  ca: u32, cb: u32,
  acc_in: u32, tri: u32, w: f32, epi: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> pa: array<vec4f>;
@group(0) @binding(5) var<storage, read> pb: array<vec4f>;
@group(0) @binding(6) var<storage, read> r: array<f32>;
@group(0) @binding(7) var<storage, read> c: array<f32>;
@group(0) @binding(8) var<storage, read_write> out: array<f32>;

// Row i of C at columns j .. j+3 (cj = c[cb + j ..]) by params.epi: 0 acc + w·r[ca+i]·c[cb+j] (w ≠ 0),
// 1 r[ca+i]·acc, 2 max(r[ca+i] + c[cb+j] − 2·acc, 0); stored to out[i·ldo + j0 + j ..] (columns < n), added when acc_in.
fn epilogue4(i: u32, j: u32, acc: vec4f, cj: vec4f) {
  var v = acc;
  if (params.epi == 0u) {
    if (params.w != 0.0) { v += params.w * r[params.ca + i] * cj; }
  } else if (params.epi == 1u) {
    v *= r[params.ca + i];
  } else {
    v = max(vec4f(r[params.ca + i]) + cj - 2.0 * acc, vec4f(0.0));
  }
  let at = i * params.ldo + params.j0 + j;
  let cols = min(4u, params.n - j);
  for (var e = 0u; e < cols; e++) {
    var x = v[e];
    if (params.acc_in != 0u) { x += out[at + e]; }
    out[at + e] = x;
  }
}

// m += s ⊗ b: row e of the 4×4 block gains s[e]·b.
fn outer(m: mat4x4f, s: vec4f, b: vec4f) -> mat4x4f {
  return mat4x4f(fma(vec4f(s.x), b, m[0]), fma(vec4f(s.y), b, m[1]), fma(vec4f(s.z), b, m[2]), fma(vec4f(s.w), b, m[3]));
}

@compute @workgroup_size(16)
fn gemm(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let r0 = wid.y * 64u;
  let c0 = wid.x * 64u;
  if (params.tri != 0u && params.j0 + c0 + 64u <= params.i0 + r0) { return; }  // wholly under the diagonal
  let ia = params.a_off + r0 / 4u + lane;
  let jb = params.b_off + c0 / 4u + lane;
  let last_a = arrayLength(&pa) - 1u;
  let last_b = arrayLength(&pb) - 1u;
  var acc: array<mat4x4f, 16>;  // acc[L][e] = C(r0 + 4L + e, c0 + 4·lane .. +3)
  for (var k = 0u; k < params.kl; k++) {
    let a = pa[min(k * params.lda + ia, last_a)];
    let b = pb[min(k * params.ldb + jb, last_b)];
    acc[0] = outer(acc[0], subgroupBroadcast(a, 0u), b);
    acc[1] = outer(acc[1], subgroupBroadcast(a, 1u), b);
    acc[2] = outer(acc[2], subgroupBroadcast(a, 2u), b);
    acc[3] = outer(acc[3], subgroupBroadcast(a, 3u), b);
    acc[4] = outer(acc[4], subgroupBroadcast(a, 4u), b);
    acc[5] = outer(acc[5], subgroupBroadcast(a, 5u), b);
    acc[6] = outer(acc[6], subgroupBroadcast(a, 6u), b);
    acc[7] = outer(acc[7], subgroupBroadcast(a, 7u), b);
    acc[8] = outer(acc[8], subgroupBroadcast(a, 8u), b);
    acc[9] = outer(acc[9], subgroupBroadcast(a, 9u), b);
    acc[10] = outer(acc[10], subgroupBroadcast(a, 10u), b);
    acc[11] = outer(acc[11], subgroupBroadcast(a, 11u), b);
    acc[12] = outer(acc[12], subgroupBroadcast(a, 12u), b);
    acc[13] = outer(acc[13], subgroupBroadcast(a, 13u), b);
    acc[14] = outer(acc[14], subgroupBroadcast(a, 14u), b);
    acc[15] = outer(acc[15], subgroupBroadcast(a, 15u), b);
  }
  // One epilogue call site in a runtime loop over the lane's 64 rows (dynamic indexing of acc): unrolled copies
  // made lavapipe's compile 2.5× slower for no speed.
  let j = c0 + 4u * lane;
  if (j >= params.n) { return; }
  var cj = vec4f(0.0);
  if (params.epi != 1u) {
    for (var e = 0u; e < 4u; e++) { cj[e] = c[params.cb + min(j + e, params.n - 1u)]; }
  }
  let rows = min(64u, params.m - min(r0, params.m));
  for (var i = 0u; i < rows; i++) { epilogue4(r0 + i, j, acc[i / 4u][i % 4u], cj); }
}
