// Block Jacobi for symmetric eigenproblems (two-sided, A ← JᵀAJ, V ← VJ) and the one-sided (Hestenes)
// SVD (W ← WJ with J from the Gram of column pairs). Matrices are row-major, leading dimension ld (a
// multiple of 16), split into 8-index blocks; a round-robin step pairs block I with J, pair x owns the 16
// indices I·8.. ∪ J·8.. ("tile" indices) and q[x] (16×16, row-major) is its orthogonal J. Tile products
// run one invocation per 16×16 tile on 4×4 mat4x4f blocks (a block B is held as M = Bᵀ: rows as columns).
struct Params { n: u32, ld: u32, rows: u32, nblk: u32, step: u32, inner: u32, tiny: f32, eps: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;    // symmetric npad×npad, or W (rows×ld)
@group(0) @binding(2) var<storage, read_write> q: array<f32>;    // pairs × 16×16 rotations
@group(0) @binding(3) var<storage, read_write> g: array<f32>;    // pairs × 16×16 Gram blocks
@group(0) @binding(4) var<storage, read_write> meas: array<f32>; // per-pair / per-row measures
@group(0) @binding(5) var<storage, read> src: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read> perm: array<u32>;
@group(0) @binding(8) var<storage, read> sc: array<f32>;
@group(0) @binding(9) var<storage, read_write> av: array<vec4f>;  // a as vec4 (tile kernels)
@group(0) @binding(10) var<storage, read_write> qv: array<vec4f>; // q as vec4 (tile kernels)

const T: u32 = 16u;   // tile = two blocks
const H: u32 = 8u;    // block width = pairs per inner step
const TT: u32 = 256u; // tile elements

// Round-robin (circle method) over m players: position 0 is fixed, the others rotate each step;
// position k plays position m-1-k.
fn player(pos: u32, step: u32, m: u32) -> u32 {
  if (pos == 0u) { return 0u; }
  return 1u + (pos - 1u + step) % (m - 1u);
}

fn pair_of(k: u32, step: u32, m: u32) -> vec2u {
  return vec2u(player(k, step, m), player(m - 1u - k, step, m));
}

// Global index of tile index r (0..15) of the pair with blocks bl = (I, J).
fn gidx(bl: vec2u, r: u32) -> u32 {
  return select(bl.y * H + r - H, bl.x * H + r, r < H);
}

// ---- pair solves: one invocation per pair, sequential cyclic Jacobi on a private 16×16 tile --------
// (all invocations follow the same rotation order, so no barriers; rotations are skipped when
// |s_pq| ≤ max(tiny, eps·√|s_pp·s_qq|); stops after a sweep without rotations or params.inner sweeps)

fn solve_tile(s: ptr<function, array<f32, 256>>, v: ptr<function, array<f32, 256>>) {
  let t16 = min(T, params.ld);   // = 16; a bound the compiler cannot unroll (keeps lavapipe's JIT time down)
  for (var i = 0u; i < TT; i++) { (*v)[i] = select(0.0, 1.0, i / T == i % T); }
  for (var sweep = 0u; sweep < params.inner; sweep++) {
    var rotated = false;
    for (var p = 0u; p + 1u < t16; p++) {
      for (var qq = p + 1u; qq < t16; qq++) {
        let apq = (*s)[p * T + qq];
        let app = (*s)[p * T + p];
        let aqq = (*s)[qq * T + qq];
        if (abs(apq) <= max(params.tiny, params.eps * sqrt(abs(app * aqq)))) { continue; }
        rotated = true;
        let theta = (aqq - app) / (2.0 * apq);
        var t: f32;
        if (abs(theta) > 1e18) {
          t = 0.5 / theta;
        } else {
          t = select(-1.0, 1.0, theta >= 0.0) / (abs(theta) + sqrt(theta * theta + 1.0));
        }
        let c = 1.0 / sqrt(t * t + 1.0);
        let sn = t * c;
        // S ← JᵀSJ (rows then columns), V ← VJ: p ← c·p − s·q, q ← s·p + c·q.
        for (var k = 0u; k < t16; k++) {
          let x = (*s)[p * T + k];
          let y = (*s)[qq * T + k];
          (*s)[p * T + k] = c * x - sn * y;
          (*s)[qq * T + k] = sn * x + c * y;
        }
        for (var k = 0u; k < t16; k++) {
          let x = (*s)[k * T + p];
          let y = (*s)[k * T + qq];
          (*s)[k * T + p] = c * x - sn * y;
          (*s)[k * T + qq] = sn * x + c * y;
          let vx = (*v)[k * T + p];
          let vy = (*v)[k * T + qq];
          (*v)[k * T + p] = c * vx - sn * vy;
          (*v)[k * T + qq] = sn * vx + c * vy;
        }
        (*s)[p * T + qq] = 0.0;
        (*s)[qq * T + p] = 0.0;
      }
    }
    if (!rotated) { break; }
  }
  // One Newton–Schulz step, V ← V·(3I − VᵀV)/2: the float32 rotations leave V orthogonal only to
  // ~1e-6, which would add up over the hundreds of tiles a column of the eigenvector matrix meets.
  var gm: array<f32, 256>;
  for (var i = 0u; i < t16; i++) {
    for (var j = i; j < t16; j++) {
      var d = 0.0;
      for (var k = 0u; k < t16; k++) { d += (*v)[k * T + i] * (*v)[k * T + j]; }
      gm[i * T + j] = d;
      gm[j * T + i] = d;
    }
  }
  for (var r = 0u; r < t16; r++) {
    var row: array<f32, 16>;
    for (var j = 0u; j < t16; j++) {
      var d = 0.0;
      for (var k = 0u; k < t16; k++) { d += (*v)[r * T + k] * gm[k * T + j]; }
      row[j] = 1.5 * (*v)[r * T + j] - 0.5 * d;
    }
    for (var j = 0u; j < t16; j++) { (*v)[r * T + j] = row[j]; }
  }
}

// One invocation per pair x of step params.step: S = (A + Aᵀ)/2 on the pair's tile, q[x] ← eigenvectors of S.
@compute @workgroup_size(16)
fn solve_sym(@builtin(global_invocation_id) gid: vec3u) {
  let x = gid.x;
  if (x >= params.nblk / 2u) { return; }
  let bl = pair_of(x, params.step, params.nblk);
  var s: array<f32, 256>;
  var v: array<f32, 256>;
  for (var r = 0u; r < T; r++) {
    let gr = gidx(bl, r);
    for (var c = 0u; c < T; c++) {
      let gc = gidx(bl, c);
      s[r * T + c] = 0.5 * (a[gr * params.ld + gc] + a[gc * params.ld + gr]);
    }
  }
  solve_tile(&s, &v);
  for (var i = 0u; i < TT; i++) { q[x * TT + i] = v[i]; }
}

// As solve_sym with S = g[x] (the Gram of W's tile columns); meas[x] ← max over the sweep of
// max_{i≠j} |S_ij| / √(S_ii·S_jj) (columns with S_ii ≤ tiny are left out).
@compute @workgroup_size(16)
fn solve_gram(@builtin(global_invocation_id) gid: vec3u) {
  let x = gid.x;
  if (x >= params.nblk / 2u) { return; }
  var s: array<f32, 256>;
  var v: array<f32, 256>;
  for (var i = 0u; i < TT; i++) { s[i] = g[x * TT + i]; }
  var m = 0.0;
  for (var r = 0u; r < T; r++) {
    for (var c = r + 1u; c < T; c++) {
      let dr = s[r * T + r];
      let dc = s[c * T + c];
      if (dr > params.tiny && dc > params.tiny) { m = max(m, abs(s[r * T + c]) / sqrt(dr * dc)); }
    }
  }
  solve_tile(&s, &v);
  for (var i = 0u; i < TT; i++) { q[x * TT + i] = v[i]; }
  meas[x] = select(max(meas[x], m), m, params.step == 0u);
}

// ---- tile products: one invocation per 4×16 strip of a 16×16 tile -------------------------------

// The 4×4 block of av at element e (rows e, e+ld, e+2ld, e+3ld) as M = Bᵀ.
fn load_a(e: u32, ld: u32) -> mat4x4f {
  return mat4x4f(av[e / 4u], av[(e + ld) / 4u], av[(e + 2u * ld) / 4u], av[(e + 3u * ld) / 4u]);
}

fn store_a(e: u32, ld: u32, m: mat4x4f) {
  av[e / 4u] = m[0];
  av[(e + ld) / 4u] = m[1];
  av[(e + 2u * ld) / 4u] = m[2];
  av[(e + 3u * ld) / 4u] = m[3];
}

// Block (i, j) of q[x] as M = Bᵀ.
fn load_q(x: u32, i: u32, j: u32) -> mat4x4f {
  let e = (x * TT + i * 4u * T + j * 4u) / 4u;
  return mat4x4f(qv[e], qv[e + 4u], qv[e + 8u], qv[e + 12u]);
}

// One invocation per (pair x, 4-row strip): W[strip, tile(x)] ← W[strip, tile(x)]·q[x] in place, for
// W = av with params.rows rows (a multiple of 4) and leading dimension params.ld.
@compute @workgroup_size(64)
fn apply_cols(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let np = params.nblk / 2u;
  let t = gid.y * nwg.x * 64u + gid.x;
  if (t >= np * (params.rows / 4u)) { return; }
  let x = t % np;
  let e0 = (t / np) * 4u * params.ld;
  let bl = pair_of(x, params.step, params.nblk);
  let nb4 = min(4u, params.ld);   // = 4; a bound the compiler cannot unroll (keeps lavapipe's JIT time down)
  var u0 = mat4x4f(); var u1 = mat4x4f(); var u2 = mat4x4f(); var u3 = mat4x4f();
  for (var kk = 0u; kk < nb4; kk++) {
    // M(U_j) += M(q_kj)·M(W_k)
    let w = load_a(e0 + gidx(bl, kk * 4u), params.ld);
    u0 += load_q(x, kk, 0u) * w;
    u1 += load_q(x, kk, 1u) * w;
    u2 += load_q(x, kk, 2u) * w;
    u3 += load_q(x, kk, 3u) * w;
  }
  store_a(e0 + gidx(bl, 0u), params.ld, u0);
  store_a(e0 + gidx(bl, 4u), params.ld, u1);
  store_a(e0 + gidx(bl, 8u), params.ld, u2);
  store_a(e0 + gidx(bl, 12u), params.ld, u3);
}

// One invocation per (pair x, 4-column strip): A[tile(x), strip] ← q[x]ᵀ·A[tile(x), strip] in place
// (A = av, params.rows columns, a multiple of 4, leading dimension params.ld).
@compute @workgroup_size(64)
fn apply_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let np = params.nblk / 2u;
  let t = gid.y * nwg.x * 64u + gid.x;
  if (t >= np * (params.rows / 4u)) { return; }
  let x = t % np;
  let c0 = (t / np) * 4u;
  let bl = pair_of(x, params.step, params.nblk);
  let ld = params.ld;
  let nb4 = min(4u, params.ld);   // = 4; a bound the compiler cannot unroll (keeps lavapipe's JIT time down)
  var u0 = mat4x4f(); var u1 = mat4x4f(); var u2 = mat4x4f(); var u3 = mat4x4f();
  for (var kk = 0u; kk < nb4; kk++) {
    // U_i = Σ_k (qᵀ)_ik·A_k: M(U_i) += M(A_k)·transpose(M(q_ki)).
    let w = load_a(gidx(bl, kk * 4u) * ld + c0, ld);
    u0 += w * transpose(load_q(x, kk, 0u));
    u1 += w * transpose(load_q(x, kk, 1u));
    u2 += w * transpose(load_q(x, kk, 2u));
    u3 += w * transpose(load_q(x, kk, 3u));
  }
  store_a(gidx(bl, 0u) * ld + c0, ld, u0);
  store_a(gidx(bl, 4u) * ld + c0, ld, u1);
  store_a(gidx(bl, 8u) * ld + c0, ld, u2);
  store_a(gidx(bl, 12u) * ld + c0, ld, u3);
}

// One invocation per (pair x, 4×4 block (bi, bj) of the Gram): g[x] ← W[:, tile]ᵀ·W[:, tile] over
// params.rows rows (a multiple of 4) of W = av.
@compute @workgroup_size(16)
fn gram_pairs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let np = params.nblk / 2u;
  let t = gid.y * nwg.x * 16u + gid.x;
  if (t >= np * 16u) { return; }
  let x = t / 16u;
  let bi = (t % 16u) / 4u;
  let bj = t % 4u;
  let bl = pair_of(x, params.step, params.nblk);
  let ci = gidx(bl, bi * 4u);
  let cj = gidx(bl, bj * 4u);
  let ld = params.ld;
  var acc = mat4x4f();
  for (var r = 0u; r < params.rows; r += 4u) {
    // G_ij += B_iᵀ·B_j: M(G_ij) += M(B_j)·transpose(M(B_i)).
    acc += load_a(r * ld + cj, ld) * transpose(load_a(r * ld + ci, ld));
  }
  for (var c = 0u; c < 4u; c++) {
    for (var rr = 0u; rr < 4u; rr++) {
      g[x * TT + (bi * 4u + rr) * T + bj * 4u + c] = acc[rr][c];
    }
  }
}

// meas[i] ← Σ_{j≠i} a[i, j]² for rows i < params.n of the ld-wide a; one workgroup per row.
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn offdiag_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wid.y * nwg.x + wid.x;
  if (i >= params.n) { return; }
  var acc = 0.0;
  for (var j = lid; j < params.n; j += 256u) {
    let v = a[i * params.ld + j];
    acc += select(v * v, 0.0, j == i);
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { meas[i] = part[0]; }
}

// meas[j] ← Σ_i a[i, j]² over params.rows rows, j < params.n (column norms squared); one thread a column.
@compute @workgroup_size(256)
fn col_sumsq(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.y * nwg.x * 256u + gid.x;
  if (j >= params.n) { return; }
  var acc = 0.0;
  for (var i = 0u; i < params.rows; i++) {
    let v = a[i * params.ld + j];
    acc += v * v;
  }
  meas[j] = acc;
}

// meas[i] ← a[i, i] for i < params.n.
@compute @workgroup_size(256)
fn diag(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i < params.n) { meas[i] = a[i * params.ld + i]; }
}

// out (params.rows × params.ld) ← src (params.nblk rows × params.n columns) zero-padded; params.step == 1:
// src is n×n and is symmetrised, (S + Sᵀ)/2; params.step == 2: out ← I. One thread an element.
@compute @workgroup_size(256)
fn pad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.y * nwg.x * 256u + gid.x;
  if (e >= params.rows * params.ld) { return; }
  let i = e / params.ld;
  let j = e % params.ld;
  var v = 0.0;
  if (params.step == 2u) {
    v = select(0.0, 1.0, i == j);
  } else if (j < params.n && i < params.nblk) {
    v = src[i * params.n + j];
    if (params.step == 1u) { v = 0.5 * (v + src[j * params.n + i]); }
  }
  out[e] = v;
}

// out[i, k] ← src[i, perm[k]]·sc[k] for i < params.rows, k < params.n (src leading dimension params.ld).
@compute @workgroup_size(256)
fn gather_cols(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.y * nwg.x * 256u + gid.x;
  if (e >= params.rows * params.n) { return; }
  let i = e / params.n;
  let k = e % params.n;
  out[e] = src[i * params.ld + perm[k]] * sc[k];
}

// out (params.n × params.rows) ← srcᵀ (src is params.rows × params.n). One thread an element.
@compute @workgroup_size(256)
fn transpose_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.y * nwg.x * 256u + gid.x;
  if (e >= params.rows * params.n) { return; }
  let j = e / params.rows;
  let i = e % params.rows;
  out[e] = src[i * params.n + j];
}

// ---- Householder tridiagonalisation (A ← HₖAHₖ, k = 0 … n−3; the host solves the tridiagonal T) ----
// A (av) is the full symmetric n×ld matrix (ld a multiple of 4); Hₖ = I − τₖuₖuₖᵀ with uₖ = 0 above
// k+1, 1 at k+1, from row k of A⁽ᵏ⁾ (LAPACK dlarfg: β = −sign(x₀)‖x‖, τ = (β − x₀)/β, u_i = x_i/(x₀ − β)).
// pₖ = τₖ·A⁽ᵏ⁾₂₂·uₖ, wₖ = pₖ − (τₖ/2)(pₖᵀuₖ)·uₖ, A⁽ᵏ⁺¹⁾₂₂ = A⁽ᵏ⁾₂₂ − uₖwₖᵀ − wₖuₖᵀ.
// The rank-2 updates are applied NB at a time (LAPACK dlatrd's idea without the GEMM): A in memory is
// A⁽ᵏᵇ⁾, kb = NB·⌊k/NB⌋, and the pass of step k either
//   k a multiple of NB (> 0): applies updates k−NB … k−1 while forming pₖ (reads and writes A₂₂), or
//   else: only reads A₂₂, pₖ = τₖ(A⁽ᵏᵇ⁾uₖ − Σ_{kb ≤ t < k} (u_t(w_t·uₖ) + w_t(u_t·uₖ))),
// so 3 of 4 passes only read (lavapipe: ~2.7 ns an element read, ~5 read and written). tri_next(s) forms
// w_{s−1}, row s of A⁽ˢ⁾ (pending updates applied on the fly), the reflector u_s and the dots w_t·u_s,
// u_t·u_s the next pass needs. Dispatches: tri_next(0), then tri_fused(k), tri_next(k+1), k = 0 … n−3.

const NB: u32 = 4u;

@group(0) @binding(11) var<storage, read_write> hv: array<f32>;    // n×ld: row k holds uₖ
@group(0) @binding(12) var<storage, read_write> pvec: array<f32>;  // ld: pₖ
@group(0) @binding(13) var<storage, read_write> tri: array<f32>;   // 3·ld: d, e (= β), τ
@group(0) @binding(14) var<storage, read> hv4: array<vec4f>;       // hv as vec4 (tri_fused)
@group(0) @binding(15) var<storage, read> wring4: array<vec4f>;    // wring as vec4 (tri_fused)
@group(0) @binding(16) var<storage, read_write> wring: array<f32>; // NB×ld: w_t in row t mod NB
@group(0) @binding(17) var<storage, read_write> dots: array<f32>;  // 2·NB: w_t·u_s, then u_t·u_s (slot t mod NB)

var<workgroup> red_a: array<vec4f, 256>;
var<workgroup> red_b: array<vec4f, 256>;
var<workgroup> wg_alpha: f32;

fn av_at(i: u32) -> f32 { return av[i / 4u][i % 4u]; }

// Workgroup-of-256 sum of v (every invocation gets it). The loop bound comes from params so that
// lavapipe does not unroll it: every unrolled barrier is another split point of its compute-shader
// coroutine (compile time).
fn wg_sum256(v: f32, lid: u32) -> f32 {
  red_a[lid].x = v;
  workgroupBarrier();
  for (var h = select(128u, 0u, params.ld == 0u); h > 0u; h >>= 1u) {
    if (lid < h) { red_a[lid].x += red_a[lid + h].x; }
    workgroupBarrier();
  }
  let r = red_a[0].x;
  workgroupBarrier();
  return r;
}

// As wg_sum256 with max.
fn wg_max256(v: f32, lid: u32) -> f32 {
  red_a[lid].x = v;
  workgroupBarrier();
  for (var h = select(128u, 0u, params.ld == 0u); h > 0u; h >>= 1u) {
    if (lid < h) { red_a[lid].x = max(red_a[lid].x, red_a[lid + h].x); }
    workgroupBarrier();
  }
  let r = red_a[0].x;
  workgroupBarrier();
  return r;
}

// (scale, ssq) pairs as in LAPACK dlassq: Σx² = scale²·ssq without squaring tiny or huge x.
fn lassq_add(sq: vec2f, x: f32) -> vec2f {
  let ax = abs(x);
  if (ax == 0.0) { return sq; }
  if (ax > sq.x) {
    let r = sq.x / ax;
    return vec2f(ax, 1.0 + sq.y * r * r);
  }
  let r = ax / sq.x;
  return vec2f(sq.x, sq.y + r * r);
}

fn lassq_merge(sx: vec2f, sy: vec2f) -> vec2f {
  let m = max(sx.x, sy.x);
  if (m == 0.0) { return vec2f(); }
  let rx = sx.x / m;
  let ry = sy.x / m;
  return vec2f(m, sx.y * rx * rx + sy.y * ry * ry);
}

// One workgroup, s = params.step (invocation lid handles c ≡ s + lid mod 256 throughout, so it reads
// back only its own writes to hv row s). Two tree reductions: pᵀu_{s−1}, then one that merges the
// scaled sum of squares of x (dlassq: near the end of a rank-deficient A, x is ~1e-18 and its float32
// squares would flush to zero, leaving τ ≠ 2/‖u‖², seen 5e-5) with the six dots of the next pass.
// (Each reduction adds barrier split points to lavapipe's compute coroutine: compile time.)
@compute @workgroup_size(256)
fn tri_next(@builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  let ld = params.ld;
  let s = params.step;
  let rowS = s * ld;
  // Pending updates t0 … s−1 (none at s = 0).
  let t0 = select(0u, NB * ((s - 1u) / NB), s > 0u);
  if (s > 0u) {
    let rowP = (s - 1u) * ld;
    var acc = 0.0;
    for (var c = s + lid; c < n; c += 256u) { acc += pvec[c] * hv[rowP + c]; }
    let kk = 0.5 * tri[2u * ld + s - 1u] * wg_sum256(acc, lid);
    let wrow = ((s - 1u) % NB) * ld;
    for (var c = lid; c < ld; c += 256u) {
      wring[wrow + c] = select(0.0, pvec[c] - kk * hv[rowP + c], c >= s && c < n);
    }
    storageBarrier();
  }
  // Row s of A⁽ˢ⁾ (hv row s holds it for now), the tail of d, the scaled Σx² of x = its part beyond
  // s+1, and the raw dots Σ_{c ≥ s+2} w_t[c]·x_c, Σ u_t[c]·x_c for the read-only pass of step s (slots
  // t − kb, kb = NB·⌊s/NB⌋; slots t ≥ s hold stale data and are never read).
  let kb = NB * (s / NB);
  let r0 = min(kb, s) * ld;        // rows of u_kb … u_kb+2, clamped to s (stale slots: any row in bounds)
  let r1 = min(kb + 1u, s) * ld;
  let r2 = min(kb + 2u, s) * ld;
  var sq = vec2f();
  var da = vec4f();
  var db = vec4f();
  for (var c = s + lid; c < n; c += 256u) {
    var r = av_at(rowS + c);
    for (var t = t0; t < s; t++) {
      let ut = t * ld;
      let wt = (t % NB) * ld;
      r -= hv[ut + s] * wring[wt + c] + wring[wt + s] * hv[ut + c];
    }
    if (c == s) { tri[s] = r; }
    if (c == s + 1u) { wg_alpha = r; }
    if (c >= s + 2u) {
      sq = lassq_add(sq, r);
      da += vec4f(wring[c], wring[ld + c], wring[2u * ld + c], 0.0) * r;
      db += vec4f(hv[r0 + c], hv[r1 + c], hv[r2 + c], 0.0) * r;
    }
    hv[rowS + c] = r;
  }
  if (lid == 0u && s + 2u == n) {   // d_{n−1} = A⁽ⁿ⁻²⁾[n−1, n−1]
    var dl = av_at((n - 1u) * ld + n - 1u);
    for (var t = t0; t < s; t++) { dl -= 2.0 * hv[t * ld + n - 1u] * wring[(t % NB) * ld + n - 1u]; }
    tri[n - 1u] = dl;
  }
  // One tree: (scale, ssq, da.xy) and (da.z, db.xyz).
  red_a[lid] = vec4f(sq, da.xy);
  red_b[lid] = vec4f(da.z, db.xyz);
  workgroupBarrier();
  for (var h = select(128u, 0u, params.ld == 0u); h > 0u; h >>= 1u) {
    if (lid < h) {
      let pa = red_a[lid];
      let qa = red_a[lid + h];
      red_a[lid] = vec4f(lassq_merge(pa.xy, qa.xy), pa.zw + qa.zw);
      red_b[lid] += red_b[lid + h];
    }
    workgroupBarrier();
  }
  let ra = red_a[0];
  let rb = red_b[0];
  let alpha = wg_alpha;
  // β = −sign(α)·‖(α, x)‖ from the scaled pieces; τ = 0 when x vanishes (H = I).
  var beta = alpha;
  var tau = 0.0;
  var scale = 0.0;
  if (ra.x > 0.0) {
    let m = max(ra.x, abs(alpha));
    let a1 = alpha / m;
    let x1 = ra.x / m;
    beta = -select(-1.0, 1.0, alpha >= 0.0) * m * sqrt(a1 * a1 + ra.y * x1 * x1);
    tau = (beta - alpha) / beta;
    scale = 1.0 / (alpha - beta);
  }
  if (lid == 0u) {
    tri[ld + s] = beta;
    tri[2u * ld + s] = tau;
    // Dots with u_s = (1 at s+1, scale·x beyond): w_t·u_s = w_t[s+1] + scale·Σ w_t·x (likewise u_t).
    if (s % NB != 0u) {
      dots[0] = wring[s + 1u] + scale * ra.z;
      dots[1] = wring[ld + s + 1u] + scale * ra.w;
      dots[2] = wring[2u * ld + s + 1u] + scale * rb.x;
      dots[NB] = hv[r0 + s + 1u] + scale * rb.y;
      dots[NB + 1u] = hv[r1 + s + 1u] + scale * rb.z;
      dots[NB + 2u] = hv[r2 + s + 1u] + scale * rb.w;
    }
  }
  for (var c = lid; c < s; c += 256u) { hv[rowS + c] = 0.0; }
  for (var c = s + lid; c < ld; c += 256u) {
    var u = 0.0;
    if (c == s + 1u) { u = 1.0; } else if (c > s + 1u && c < n) { u = hv[rowS + c] * scale; }
    hv[rowS + c] = u;
  }
}

// k = params.step. One invocation per 4 columns c ≥ k+1 (workgroups of 32 cover 128 columns from quad
// ⌊(k+1)/4⌋), looping over row quads from ⌊(k+1)/4⌋: pvec[c] ← pₖ[c] (A symmetric: column sums are
// A·uₖ). A has ⌈n/4⌉·4 rows; rows outside [k+1, n) need no test: there uₖ, u_t and w_t vanish (the
// update leaves padding rows zero and only touches dead rows ≤ k).
@compute @workgroup_size(32)
fn tri_fused(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  let qd = params.ld / 4u;
  let k = params.step;
  let j0 = k + 1u;
  let c4 = j0 / 4u + wid.x * 32u + lid;
  if (c4 >= qd) { return; }
  let rk = k * qd;
  let ie = (n + 3u) / 4u;
  var acc = vec4f();
  if (k % NB == 0u && k > 0u) {
    let tb = k - NB;   // updates tb … k−1; w_t in ring row t − tb
    let rows4 = select(4u, 0u, params.ld == 0u);
    let uc = mat4x4f(hv4[tb * qd + c4], hv4[(tb + 1u) * qd + c4], hv4[(tb + 2u) * qd + c4], hv4[(tb + 3u) * qd + c4]);
    let wc = mat4x4f(wring4[c4], wring4[qd + c4], wring4[2u * qd + c4], wring4[3u * qd + c4]);
    for (var i4 = j0 / 4u; i4 < ie; i4++) {
      // Transposed: column r holds (u_t[i])_t, (w_t[i])_t for row i = 4·i4 + r.
      let ut = transpose(mat4x4f(hv4[tb * qd + i4], hv4[(tb + 1u) * qd + i4], hv4[(tb + 2u) * qd + i4], hv4[(tb + 3u) * qd + i4]));
      let wt = transpose(mat4x4f(wring4[i4], wring4[qd + i4], wring4[2u * qd + i4], wring4[3u * qd + i4]));
      let uk = hv4[rk + i4];
      // A dynamic 4-trip loop (the unrolled 4-row body compiled for ~7 s on lavapipe).
      for (var r = 0u; r < rows4; r++) {
        let e = (4u * i4 + r) * qd + c4;
        let x = av[e] - (wc * ut[r] + uc * wt[r]);
        av[e] = x;
        acc += x * uk[r];
      }
    }
  } else {
    for (var i4 = j0 / 4u; i4 < ie; i4++) {
      let e = 4u * i4 * qd + c4;
      acc += mat4x4f(av[e], av[e + qd], av[e + 2u * qd], av[e + 3u * qd]) * hv4[rk + i4];
    }
    for (var t = NB * (k / NB); t < k; t++) {
      acc -= hv4[t * qd + c4] * dots[t % NB] + wring4[(t % NB) * qd + c4] * dots[NB + t % NB];
    }
  }
  let tau = tri[2u * params.ld + k];
  for (var t = 0u; t < 4u; t++) {
    let col = 4u * c4 + t;
    pvec[col] = select(0.0, tau * acc[t], col >= j0 && col < n);
  }
}

// One workgroup: out ← src·σ with σ = 2^−e the power of two that brings max|src| into [0.5, 1) (σ = 1
// for a zero or non-finite maximum; exact, so eigenvalues scale back exactly), meas[0] ← ‖out‖²,
// meas[1] ← σ. Over params.rows·params.ld elements. (Float32 squares of entries beyond ~1e±19 would
// overflow or underflow in the reflector norms.)
@compute @workgroup_size(256)
fn scale_pow2(@builtin(local_invocation_index) lid: u32) {
  let count = params.rows * params.ld;
  var mx = 0.0;
  for (var e = lid; e < count; e += 256u) { mx = max(mx, abs(src[e])); }
  mx = wg_max256(mx, lid);
  var sigma = 1.0;
  if (mx > 0.0 && mx <= 3.4e38) { sigma = ldexp(1.0, -frexp(mx).exp); }
  var acc = 0.0;
  for (var e = lid; e < count; e += 256u) {
    let x = src[e] * sigma;
    out[e] = x;
    acc += x * x;
  }
  acc = wg_sum256(acc, lid);
  if (lid == 0u) {
    meas[0] = acc;
    meas[1] = sigma;
  }
}
