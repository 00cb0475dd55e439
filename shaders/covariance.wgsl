// Mean, covariance, Gram and distances of row-major data Y (N×d); see packages/kernels/src/covariance.ts.
// colsum (64×4 threads): partial[(blk0+b)·pw + j] = Σ over rows [256b, 256b+256) of (y[r, j] − shift[j]).
// chunk_stats (256): a chunk's mean from its partials, merged into the running mean (Chan et al.).
// pack (64, a thread a column × 64 rows of Y): P[k·ldp + i] = centred, zero-padded, optionally transposed Y.
// gemm (16×16 threads, a 64×64 tile of out, 4×4 a thread, K in slices of 16 through workgroup memory):
//   C = Aᵀ·B with A, B packed k-major (vec4), then the epilogue params.epi (see fn epilogue); covariance_sg.wgsl is
//   the same contract for adapters with 16-wide subgroups.
// mirror / mirror_diag (16×16 threads, a 16×16 block): scale the upper triangle by s and copy it into the lower.
struct Params {
  kl: u32, m: u32, n: u32,             // gemm: inner length, rows and columns of C in this dispatch
  lda: u32, ldb: u32, a_off: u32, b_off: u32,  // gemm: packed row strides and offsets of A and B, in vec4
  ldo: u32, i0: u32, j0: u32,          // out row stride; global row of C row 0; global = out column of C column 0
  ca: u32, cb: u32,                    // epilogue: index of r and c for C row / column 0
  acc_in: u32, tri: u32, w: f32, s: f32,  // accumulate; skip tiles under the diagonal; rank-1 weight; mirror scale
  epi: u32,                            // gemm epilogue, see fn epilogue
  pk: u32, pw: u32, ld: u32, p_off: u32, ldp: u32, trans: u32, centred: u32,  // colsum / pack (see there)
  frac: f32, is_first: u32, nblk: u32, blk0: u32,  // chunk_stats
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ya: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read> centre: array<f32>;
@group(0) @binding(4) var<storage, read> pa: array<vec4f>;
@group(0) @binding(5) var<storage, read> pb: array<vec4f>;
@group(0) @binding(6) var<storage, read> r: array<f32>;
@group(0) @binding(7) var<storage, read> c: array<f32>;
@group(0) @binding(8) var<storage, read_write> out: array<f32>;
@group(0) @binding(9) var<storage, read_write> upper: array<f32>;
@group(0) @binding(10) var<storage, read> partial: array<f32>;
@group(0) @binding(11) var<storage, read_write> out_mean: array<f32>;
@group(0) @binding(12) var<storage, read_write> out_centre: array<f32>;
@group(0) @binding(13) var<storage, read_write> out_delta: array<f32>;

// ---- column sums, chunk statistics, packing ------------------------------------------------------

var<workgroup> colpart: array<f32, 256>;

// pk rows of pw columns, rows ld apart from p_off.
@compute @workgroup_size(64, 4)
fn colsum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wid.x * 64u + lid.x;
  let r0 = wid.y * 256u;
  var acc = 0.0;
  if (j < params.pw) {
    let sh = shift[j];
    let r1 = min(r0 + 256u, params.pk);
    for (var row = r0 + lid.y; row < r1; row += 4u) { acc += ya[params.p_off + row * params.ld + j] - sh; }
  }
  colpart[lid.y * 64u + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && j < params.pw) {
    out[(params.blk0 + wid.y) * params.pw + j] = (colpart[lid.x] + colpart[64u + lid.x]) + (colpart[128u + lid.x] + colpart[192u + lid.x]);
  }
}

// m_c = s·Σ_b partial[b·pw + j] → out_centre; δ = m_c − mean → out_delta; mean += frac·δ (first chunk: mean = m_c, δ = 0).
@compute @workgroup_size(256)
fn chunk_stats(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x * 256u + lid;
  if (j >= params.pw) { return; }
  var acc = 0.0;
  for (var b = 0u; b < params.nblk; b++) { acc += partial[b * params.pw + j]; }
  let mc = acc * params.s;
  out_centre[j] = mc;
  if (params.is_first != 0u) {
    out_mean[j] = mc;
    out_delta[j] = 0.0;
  } else {
    let m = out_mean[j];
    let delta = mc - m;
    out_delta[j] = delta;
    out_mean[j] = m + params.frac * delta;
  }
}

// out[k·ldp + i] for k < pk, i < ldp: trans 0: y[p_off + k·ld + i] centred by column i;
// trans 1: y[p_off + i·ld + k] centred by column k; 0 for i ≥ pw. Centring: (y − shift) − centre, if centred.
// A thread owns one column of Y (so loads its shift and centre once) and a run of 64 rows of it.
@compute @workgroup_size(64)
fn pack(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let col = wid.x * 64u + lid;   // column of Y: i (trans 0) or k (trans 1)
  let run = wid.y * 64u;         // first row of Y: k (trans 0) or i (trans 1)
  let trans = params.trans != 0u;
  let cols = select(params.ldp, params.pk, trans);
  let rows = select(params.pk, params.ldp, trans);
  if (col >= cols) { return; }
  let valid_col = trans || col < params.pw;
  var sh = 0.0;
  var ce = 0.0;
  if (params.centred != 0u && valid_col) {
    sh = shift[col];
    ce = centre[col];
  }
  let end = min(run + 64u, rows);
  for (var row = run; row < end; row++) {
    var v = 0.0;
    if (valid_col && (!trans || row < params.pw)) { v = (ya[params.p_off + row * params.ld + col] - sh) - ce; }
    out[select(row * params.ldp + col, col * params.ldp + row, trans)] = v;
  }
}

// ---- gemm: C = Aᵀ·B over packed operands, then the epilogue ------------------------------------

// C(i, j) → out[i·ldo + j0 + j] by params.epi: 0 acc + w·r[ca+i]·c[cb+j] (w ≠ 0), 1 r[ca+i]·acc,
// 2 max(r[ca+i] + c[cb+j] − 2·acc, 0); added to out when acc_in. A runtime switch: one pipeline for all three.
fn epilogue(i: u32, j: u32, acc: f32) {
  var v = acc;
  if (params.epi == 0u) {
    if (params.w != 0.0) { v += params.w * r[params.ca + i] * c[params.cb + j]; }
  } else if (params.epi == 1u) {
    v *= r[params.ca + i];
  } else {
    v = max(r[params.ca + i] + c[params.cb + j] - 2.0 * v, 0.0);
  }
  let at = i * params.ldo + params.j0 + j;
  if (params.acc_in != 0u) { v += out[at]; }
  out[at] = v;
}

var<workgroup> sa: array<vec4f, 256>;  // [k][q]: A(k0 + k, r0 + 4q .. 4q+3) at k·16 + q
var<workgroup> sb: array<vec4f, 256>;

@compute @workgroup_size(16, 16)
fn gemm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r0 = wid.y * 64u;
  let c0 = wid.x * 64u;
  if (params.tri != 0u && params.j0 + c0 + 64u <= params.i0 + r0) { return; }  // wholly under the diagonal
  let tx = lid3.x;
  let ty = lid3.y;
  let lk = lid / 16u;
  let lq = lid % 16u;
  let last_a = arrayLength(&pa) - 1u;
  let last_b = arrayLength(&pb) - 1u;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < params.kl; k0 += 16u) {
    let k = k0 + lk;
    var va = vec4f(0.0);
    var vb = vec4f(0.0);
    if (k < params.kl) {
      va = pa[min(k * params.lda + params.a_off + r0 / 4u + lq, last_a)];
      vb = pb[min(k * params.ldb + params.b_off + c0 / 4u + lq, last_b)];
    }
    sa[lid] = va;
    sb[lid] = vb;
    workgroupBarrier();
    for (var kk = 0u; kk < min(16u, params.kl - k0); kk++) {  // a runtime bound keeps the loop rolled: faster to compile
      let a = sa[kk * 16u + ty];
      let b = sb[kk * 16u + tx];
      acc0 = fma(vec4f(a.x), b, acc0);
      acc1 = fma(vec4f(a.y), b, acc1);
      acc2 = fma(vec4f(a.z), b, acc2);
      acc3 = fma(vec4f(a.w), b, acc3);
    }
    workgroupBarrier();
  }
  // One epilogue call site in a loop (not 16 inlined copies): lavapipe compiles it far faster.
  var acc = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var t = 0u; t < 16u; t++) {
    let i = r0 + ty * 4u + t / 4u;
    let j = c0 + tx * 4u + t % 4u;
    if (i < params.m && j < params.n) { epilogue(i, j, acc[t / 4u][t % 4u]); }
  }
}

// ---- mirror --------------------------------------------------------------------------------------

var<workgroup> blk: array<f32, 272>;  // 16×17

// Off-diagonal panel pair: out holds rows [i0, i0+m) of the matrix, upper rows [j0, j0+n) (j0 + n ≤ i0), both
// ldo wide: upper[j, i0 + i] ← s·upper[j, i0 + i] and out[i, j0 + j] ← the same value.
@compute @workgroup_size(16, 16)
fn mirror(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wid.y * 16u + lid.y;
  let i = wid.x * 16u + lid.x;
  if (j < params.n && i < params.m) {
    let at = j * params.ldo + params.i0 + i;
    let v = params.s * upper[at];
    upper[at] = v;
    blk[lid.y * 17u + lid.x] = v;
  }
  workgroupBarrier();
  let oi = wid.x * 16u + lid.y;
  let oj = wid.y * 16u + lid.x;
  if (oi < params.m && oj < params.n) { out[oi * params.ldo + params.j0 + oj] = blk[lid.x * 17u + lid.y]; }
}

// Diagonal block of a panel (rows [i0, i0+m), global columns [i0, i0+m)): the upper triangle is scaled by s and
// copied into the lower. Workgroups (bx, by) with bx < by return at once.
@compute @workgroup_size(16, 16)
fn mirror_diag(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  if (wid.x < wid.y) { return; }
  let i = wid.y * 16u + lid.y;
  let j = wid.x * 16u + lid.x;
  let inside = i < params.m && j < params.m;
  var v = 0.0;
  if (inside) { v = params.s * out[i * params.ldo + params.i0 + j]; }
  blk[lid.y * 17u + lid.x] = v;
  workgroupBarrier();
  if (inside && j >= i) { out[i * params.ldo + params.i0 + j] = v; }
  let ti = wid.x * 16u + lid.y;
  let tj = wid.y * 16u + lid.x;
  if (ti < params.m && tj < ti) { out[ti * params.ldo + params.i0 + tj] = blk[lid.x * 17u + lid.y]; }
}
