// C = alpha·op(A)·op(B) + beta·C (+ bias[j] or bias[i]), row-major; op(A) m×k at a[off_a + z·stride_a], op(B)
// k×n, C m×n at out[off_c + z·stride_c + i·ldc + j]; A is m×k (lda ≥ k) or, TRANS_A, k×m; B k×n or, TRANS_B, n×k.
// Grid z = batch·splits: slice z is batch item z / splits summing k in [s·k_chunk, (s+1)·k_chunk), s = z % splits;
// with splits > 1 the host binds a partial buffer as `out` (alpha 1, beta 0, no bias) and reduce_splits finishes.
// tiled: TX×TY threads, an 8×8 register tile each (rows ty·4+r and BM/2+ty·4+r, likewise columns), BK-deep
//        tiles of op(A) and op(B) staged in workgroup memory as vec4 rows; grid (⌈n/BN⌉, ⌈m/BM⌉, batch·splits).
// gemv_axpy: m = 1 with B k×n, or n = 1 with A k×m: y[o..o+4·GV) += M[k][o..]·x[k], 64 threads × 4·GV outputs.
// gemv_dot:  m = 1 with B n×k, or n = 1 with A m×k: y[o] = Σ_k M[o][k]·x[k], 64 threads × 4 outputs (vec4 along k).
// reduce_splits: out = alpha·Σ_s part[s] + beta·C + bias over the partial slices (`a`), one thread an element.
struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  lda: u32, ldb: u32, ldc: u32, splits: u32,
  stride_a: u32, stride_b: u32, stride_c: u32, k_chunk: u32,
  off_a: u32, off_b: u32, off_c: u32, off_bias: u32,
  alpha: f32, beta: f32, bias_mode: u32,
}

override TX: u32 = 16u;          // tiled: threads along n (BN = 8·TX)
override TY: u32 = 16u;          // tiled: threads along m (BM = 8·TY)
override BK: u32 = 16u;          // tiled: depth of a workgroup tile
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override VEC_A: bool = false;    // tiled: A read as vec4 (along k, or with TRANS_A along m); lda, offsets, k_chunk % 4 = 0
override VEC_B: bool = false;    // tiled: B read as vec4 (along n, or with TRANS_B along k); ldb, offsets, k_chunk % 4 = 0
override MAT_IS_B: bool = true;  // gemv: the matrix is B (m = 1) or A (n = 1); the vector is the other operand
override VEC: bool = false;      // gemv: matrix (and, gemv_dot, vector) loads as vec4 through a4/b4 (aligned)
override GV: u32 = 2u;           // gemv_axpy: vec4 outputs a thread (1 or 2)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> a4: array<vec4<f32>>;  // the same panel as a, read as vec4
@group(0) @binding(6) var<storage, read> b4: array<vec4<f32>>;  // the same panel as b, read as vec4

// Writes one element of C: alpha·acc + beta·C (C is read only when beta ≠ 0) + bias.
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

// ---- tiled ---------------------------------------------------------------------------------------

var<workgroup> As: array<vec4<f32>, BK * TY * 2u>;  // [kk][BM/4]: op(A)[i0 + 4q + t][k0 + kk] at As[kk·BM/4 + q][t]
var<workgroup> Bs: array<vec4<f32>, BK * TX * 2u>;  // [kk][BN/4]

fn load_a(oa: u32, i: u32, kk: u32) -> f32 {
  if (TRANS_A) { return a[oa + kk * params.lda + i]; }
  return a[oa + i * params.lda + kk];
}

fn load_b(ob: u32, kk: u32, j: u32) -> f32 {
  if (TRANS_B) { return b[ob + j * params.ldb + kk]; }
  return b[ob + kk * params.ldb + j];
}

// Stores (the in-range part of) C[i][j .. j + 4). Epilogue loops keep a dynamic trip count so that the
// compiler does not unroll them: on CPU drivers every store is a per-lane loop, and unrolled epilogues cost
// tens of seconds of shader compilation.
fn store4(oc: u32, i: u32, j: u32, v: vec4<f32>) {
  if (i >= params.m || j >= params.n) { return; }
  for (var t = 0u; t < min(4u, params.n - j); t++) { epilogue(oc + i * params.ldc + j + t, i, j + t, v[t]); }
}

@compute @workgroup_size(TX, TY)
fn tiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = slice(wid.z);
  let bm = TY * 8u;
  let bn = TX * 8u;
  let i0 = wid.y * bm;
  let j0 = wid.x * bn;
  let tx = lid3.x;
  let ty = lid3.y;
  var acc: array<vec4<f32>, 16>;  // acc[2r + h]: row r of the 8, columns 4·tx.. (h = 0) or BN/2 + 4·tx.. (h = 1)
  for (var k0 = s.kb; k0 < s.ke; k0 += BK) {
    // Stage op(A)[i0.., k0..] and op(B)[k0.., j0..] in vec4 groups, zero outside: groups of 4 rows of op(A) /
    // columns of op(B) at one k, or (VEC_A without TRANS_A, VEC_B with TRANS_B) 4 k of one row / column.
    for (var g = lid; g < BK * TY * 2u; g += TX * TY) {
      if (VEC_A && !TRANS_A) {
        let mm = g / (BK / 4u);
        let kq = 4u * (g % (BK / 4u));
        let ig = i0 + mm;
        var v = a4[(s.oa + min(ig, params.m - 1u) * params.lda + k0 + kq) / 4u];
        v = select(vec4<f32>(0.0), v, (vec4<u32>(k0 + kq) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(s.ke)) & vec3<bool>(ig < params.m).xxxx);
        let at = kq * TY * 2u + mm / 4u;
        let c = mm % 4u;
        As[at][c] = v.x; As[at + TY * 2u][c] = v.y; As[at + TY * 4u][c] = v.z; As[at + TY * 6u][c] = v.w;
        continue;
      }
      var kk: u32; var q: u32;
      if (TRANS_A) { kk = g / (TY * 2u); q = g % (TY * 2u); } else { kk = g % BK; q = g / BK; }
      var v = vec4<f32>(0.0);
      let kg = k0 + kk;
      if (kg < s.ke) {
        let ig = vec4<u32>(i0 + 4u * q) + vec4<u32>(0u, 1u, 2u, 3u);
        if (VEC_A) {  // TRANS_A: op(A) rows i0 + 4q .. are contiguous in the stored A (m, offsets multiples of 4)
          v = a4[(s.oa + kg * params.lda + min(i0 + 4u * q, params.m - 1u)) / 4u];
        } else {
          let ic = min(ig, vec4<u32>(params.m - 1u));
          v = vec4(load_a(s.oa, ic.x, kg), load_a(s.oa, ic.y, kg), load_a(s.oa, ic.z, kg), load_a(s.oa, ic.w, kg));
        }
        v = select(vec4<f32>(0.0), v, ig < vec4<u32>(params.m));
      }
      As[kk * TY * 2u + q] = v;
    }
    for (var g = lid; g < BK * TX * 2u; g += TX * TY) {
      if (VEC_B && TRANS_B) {
        let nn = g / (BK / 4u);
        let kq = 4u * (g % (BK / 4u));
        let jg = j0 + nn;
        var v = b4[(s.ob + min(jg, params.n - 1u) * params.ldb + k0 + kq) / 4u];
        v = select(vec4<f32>(0.0), v, (vec4<u32>(k0 + kq) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(s.ke)) & vec3<bool>(jg < params.n).xxxx);
        let at = kq * TX * 2u + nn / 4u;
        let c = nn % 4u;
        Bs[at][c] = v.x; Bs[at + TX * 2u][c] = v.y; Bs[at + TX * 4u][c] = v.z; Bs[at + TX * 6u][c] = v.w;
        continue;
      }
      var kk: u32; var q: u32;
      if (TRANS_B) { kk = g % BK; q = g / BK; } else { kk = g / (TX * 2u); q = g % (TX * 2u); }
      var v = vec4<f32>(0.0);
      let kg = k0 + kk;
      if (kg < s.ke) {
        let jg = vec4<u32>(j0 + 4u * q) + vec4<u32>(0u, 1u, 2u, 3u);
        if (VEC_B) {  // not TRANS_B: op(B) columns j0 + 4q .. are contiguous (n, offsets multiples of 4)
          v = b4[(s.ob + kg * params.ldb + min(j0 + 4u * q, params.n - 1u)) / 4u];
        } else {
          let jc = min(jg, vec4<u32>(params.n - 1u));
          v = vec4(load_b(s.ob, kg, jc.x), load_b(s.ob, kg, jc.y), load_b(s.ob, kg, jc.z), load_b(s.ob, kg, jc.w));
        }
        v = select(vec4<f32>(0.0), v, jg < vec4<u32>(params.n));
      }
      Bs[kk * TX * 2u + q] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let a0 = As[kk * TY * 2u + ty];
      let a1 = As[kk * TY * 2u + TY + ty];
      let b0 = Bs[kk * TX * 2u + tx];
      let b1 = Bs[kk * TX * 2u + TX + tx];
      acc[0] = fma(vec4(a0.x), b0, acc[0]);   acc[1] = fma(vec4(a0.x), b1, acc[1]);
      acc[2] = fma(vec4(a0.y), b0, acc[2]);   acc[3] = fma(vec4(a0.y), b1, acc[3]);
      acc[4] = fma(vec4(a0.z), b0, acc[4]);   acc[5] = fma(vec4(a0.z), b1, acc[5]);
      acc[6] = fma(vec4(a0.w), b0, acc[6]);   acc[7] = fma(vec4(a0.w), b1, acc[7]);
      acc[8] = fma(vec4(a1.x), b0, acc[8]);   acc[9] = fma(vec4(a1.x), b1, acc[9]);
      acc[10] = fma(vec4(a1.y), b0, acc[10]); acc[11] = fma(vec4(a1.y), b1, acc[11]);
      acc[12] = fma(vec4(a1.z), b0, acc[12]); acc[13] = fma(vec4(a1.z), b1, acc[13]);
      acc[14] = fma(vec4(a1.w), b0, acc[14]); acc[15] = fma(vec4(a1.w), b1, acc[15]);
    }
    workgroupBarrier();
  }
  var res = acc;  // indexed dynamically below, while acc keeps constant indices (registers)
  for (var q = 0u; q < 16u; q++) {
    let r = q / 2u;  // rows 4·ty + r (r < 4) and BM/2 + 4·ty + r - 4
    let row = i0 + 4u * ty + select(bm / 2u + r - 4u, r, r < 4u);
    let col = j0 + 4u * tx + select(bn / 2u, 0u, q % 2u == 0u);
    store4(s.oc, row, col, res[q]);
  }
}

// ---- gemv ----------------------------------------------------------------------------------------
// The matrix M is B (m = 1: outputs are columns j) or A (n = 1: outputs are rows i); x is the other operand,
// contiguous in k (its stride is 1 in both cases because m = 1 or n = 1).

fn mat1(idx: u32) -> f32 {
  if (MAT_IS_B) { return b[idx]; }
  return a[idx];
}

fn mat4(idx: u32) -> vec4<f32> {  // idx is a multiple of 4 (VEC only)
  if (MAT_IS_B) { return b4[idx / 4u]; }
  return a4[idx / 4u];
}

fn vec1(idx: u32) -> f32 {
  if (MAT_IS_B) { return a[idx]; }
  return b[idx];
}

fn vec4x(idx: u32) -> vec4<f32> {  // idx is a multiple of 4 (VEC only)
  if (MAT_IS_B) { return a4[idx / 4u]; }
  return b4[idx / 4u];
}

struct Gemv { om: u32, ov: u32, ldm: u32, outputs: u32 }

fn gemv_setup(s: Slice) -> Gemv {
  if (MAT_IS_B) { return Gemv(s.ob, s.oa, params.ldb, params.n); }
  return Gemv(s.oa, s.ob, params.lda, params.m);
}

fn gemv_store(oc: u32, o: u32, v: f32) {
  if (MAT_IS_B) { epilogue(oc + o, 0u, o, v); } else { epilogue(oc + o * params.ldc, o, 0u, v); }
}

// M[k][o] = mat[om + k·ldm + o]: each thread owns outputs o0 .. o0 + 4·GV.
@compute @workgroup_size(64)
fn gemv_axpy(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = slice(wid.z);
  let g = gemv_setup(s);
  let o0 = ((wid.y * nwg.x + wid.x) * 64u + lid) * 4u * GV;
  if (o0 >= g.outputs) { return; }
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  if (VEC) {
    for (var kg = s.kb; kg < s.ke; kg++) {
      let x = vec1(g.ov + kg);
      let row = g.om + kg * g.ldm + o0;
      acc0 = fma(mat4(row), vec4(x), acc0);
      if (GV == 2u) { acc1 = fma(mat4(row + 4u), vec4(x), acc1); }
    }
  } else {
    let last = g.outputs - 1u;
    for (var kg = s.kb; kg < s.ke; kg++) {
      let x = vec1(g.ov + kg);
      let row = g.om + kg * g.ldm;
      let m0 = vec4(mat1(row + min(o0, last)), mat1(row + min(o0 + 1u, last)), mat1(row + min(o0 + 2u, last)), mat1(row + min(o0 + 3u, last)));
      acc0 = fma(m0, vec4(x), acc0);
      if (GV == 2u) {
        let m1 = vec4(mat1(row + min(o0 + 4u, last)), mat1(row + min(o0 + 5u, last)), mat1(row + min(o0 + 6u, last)), mat1(row + min(o0 + 7u, last)));
        acc1 = fma(m1, vec4(x), acc1);
      }
    }
  }
  let r0 = acc0;  // values: indexed dynamically below (an indexed var would go to per-lane scratch memory)
  let r1 = acc1;
  for (var t = 0u; t < min(4u * GV, g.outputs - o0); t++) { gemv_store(s.oc, o0 + t, select(r1[t % 4u], r0[t % 4u], t < 4u)); }
}

// M[o][k] = mat[om + o·ldm + k]: each thread owns 4 outputs (rows of M) and walks k four at a time.
@compute @workgroup_size(64)
fn gemv_dot(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = slice(wid.z);
  let g = gemv_setup(s);
  let o0 = ((wid.y * nwg.x + wid.x) * 64u + lid) * 4u;
  if (o0 >= g.outputs) { return; }
  let last = g.outputs - 1u;
  let r0 = g.om + min(o0, last) * g.ldm;
  let r1 = g.om + min(o0 + 1u, last) * g.ldm;
  let r2 = g.om + min(o0 + 2u, last) * g.ldm;
  let r3 = g.om + min(o0 + 3u, last) * g.ldm;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var kg = s.kb;
  if (VEC) {  // k_chunk, ldm, om and ov are multiples of 4
    for (; kg + 4u <= s.ke; kg += 4u) {
      let x = vec4x(g.ov + kg);
      acc0 = fma(mat4(r0 + kg), x, acc0);
      acc1 = fma(mat4(r1 + kg), x, acc1);
      acc2 = fma(mat4(r2 + kg), x, acc2);
      acc3 = fma(mat4(r3 + kg), x, acc3);
    }
  }
  for (; kg < s.ke; kg++) {
    let x = vec1(g.ov + kg);
    acc0.x = fma(mat1(r0 + kg), x, acc0.x);
    acc1.x = fma(mat1(r1 + kg), x, acc1.x);
    acc2.x = fma(mat1(r2 + kg), x, acc2.x);
    acc3.x = fma(mat1(r3 + kg), x, acc3.x);
  }
  let one = vec4<f32>(1.0);
  let sums = vec4(dot(acc0, one), dot(acc1, one), dot(acc2, one), dot(acc3, one));
  for (var t = 0u; t < min(4u, g.outputs - o0); t++) { gemv_store(s.oc, o0 + t, sums[t]); }
}

// ---- split-K reduction -----------------------------------------------------------------------------
// a holds batch·splits slices of m·n partial sums (slice z = batch item · splits + s), summed in order of s.
@compute @workgroup_size(256)
fn reduce_splits(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * 256u + lid;
  let mn = params.m * params.n;
  if (e >= params.batch * mn) { return; }
  let bi = e / mn;
  let r = e % mn;
  let i = r / params.n;
  let j = r % params.n;
  var v = 0.0;
  for (var s = 0u; s < params.splits; s++) { v += a[params.off_a + (bi * params.splits + s) * mn + r]; }
  epilogue(params.off_c + bi * params.stride_c + i * params.ldc + j, i, j, v);
}
