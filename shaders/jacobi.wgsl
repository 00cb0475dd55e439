// Block Jacobi for symmetric eigenproblems (two-sided, A ← JᵀAJ, V ← VJ) and the one-sided (Hestenes)
// SVD (W ← WJ with J from the Gram of column pairs). Matrices are row-major with leading dimension ld,
// split into 16-wide index blocks; a round-robin step pairs block I with J, pair x owns the 32 indices
// I·16.. ∪ J·16.. ("tile" indices); q[x] (32×32, row-major) is the orthogonal J of pair x. 256 threads.
struct Params { n: u32, ld: u32, rows: u32, nblk: u32, step: u32, inner: u32, tiny: f32, eps: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;    // symmetric npad×npad (or W, rows×ld)
@group(0) @binding(2) var<storage, read_write> q: array<f32>;    // pairs × 32×32 rotations
@group(0) @binding(3) var<storage, read_write> g: array<f32>;    // pairs × 32×32 Gram blocks
@group(0) @binding(4) var<storage, read_write> meas: array<f32>; // per-pair / per-row measures
@group(0) @binding(5) var<storage, read> src: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read> perm: array<u32>;
@group(0) @binding(8) var<storage, read> sc: array<f32>;

const T: u32 = 32u;   // tile = two blocks
const H: u32 = 16u;   // block width = pairs per inner step

var<workgroup> S: array<f32, 1024>;
var<workgroup> Qs: array<f32, 1024>;
var<workgroup> X2: array<f32, 1024>;
var<workgroup> Y2: array<f32, 1024>;
var<workgroup> CS: array<vec2f, 16>;
var<workgroup> busy: atomic<u32>;
var<workgroup> busyU: u32;
var<workgroup> red: atomic<u32>;

// Round-robin (circle method) over m players: position 0 is fixed, the others rotate each step;
// position k plays position m-1-k.
fn player(pos: u32, step: u32, m: u32) -> u32 {
  if (pos == 0u) { return 0u; }
  return 1u + (pos - 1u + step) % (m - 1u);
}

fn pair_of(k: u32, step: u32, m: u32) -> vec2u {
  return vec2u(player(k, step, m), player(m - 1u - k, step, m));
}

// Global index of tile index r (0..31) of the pair with blocks bl = (I, J).
fn gidx(bl: vec2u, r: u32) -> u32 {
  return select(bl.y * H + r - H, bl.x * H + r, r < H);
}

// Cyclic Jacobi on the 32×32 symmetric S in workgroup memory; accumulates the rotations into Qs
// (which the caller set to I). Stops after a sweep without rotations or after params.inner sweeps.
fn solve_core(lid: u32) {
  for (var sweep = 0u; sweep < params.inner; sweep++) {
    if (lid == 0u) { atomicStore(&busy, 0u); }
    workgroupBarrier();
    for (var st = 0u; st < T - 1u; st++) {
      if (lid < H) {
        let pq = pair_of(lid, st, T);
        let app = S[pq.x * T + pq.x];
        let aqq = S[pq.y * T + pq.y];
        let apq = S[pq.x * T + pq.y];
        var c = 1.0;
        var s = 0.0;
        if (abs(apq) > max(params.tiny, params.eps * sqrt(abs(app * aqq)))) {
          let theta = (aqq - app) / (2.0 * apq);
          var t: f32;
          if (abs(theta) > 1e18) {
            t = 0.5 / theta;
          } else {
            t = select(-1.0, 1.0, theta >= 0.0) / (abs(theta) + sqrt(theta * theta + 1.0));
          }
          c = inverseSqrt(t * t + 1.0);
          s = t * c;
          atomicStore(&busy, 1u);
        }
        CS[lid] = vec2f(c, s);
      }
      workgroupBarrier();
      {
        // S ← JᵀSJ on the 2×2 block (pair ka rows, pair kb columns).
        let ka = lid / H;
        let kb = lid % H;
        let pa = pair_of(ka, st, T);
        let pb = pair_of(kb, st, T);
        let ra = CS[ka];
        let rb = CS[kb];
        let x00 = S[pa.x * T + pb.x];
        let x01 = S[pa.x * T + pb.y];
        let x10 = S[pa.y * T + pb.x];
        let x11 = S[pa.y * T + pb.y];
        // rows: p ← c·p − s·q, q ← s·p + c·q
        let u00 = ra.x * x00 - ra.y * x10;
        let u01 = ra.x * x01 - ra.y * x11;
        let u10 = ra.y * x00 + ra.x * x10;
        let u11 = ra.y * x01 + ra.x * x11;
        // columns, same rule
        var y00 = rb.x * u00 - rb.y * u01;
        var y01 = rb.y * u00 + rb.x * u01;
        var y10 = rb.x * u10 - rb.y * u11;
        let y11 = rb.y * u10 + rb.x * u11;
        if (ka == kb && ra.y != 0.0) {
          y01 = 0.0;
          y10 = 0.0;
        }
        S[pa.x * T + pb.x] = y00;
        S[pa.x * T + pb.y] = y01;
        S[pa.y * T + pb.x] = y10;
        S[pa.y * T + pb.y] = y11;
        // Qs ← Qs·J: rows kb·2 and kb·2+1, pair ka.
        for (var h = 0u; h < 2u; h++) {
          let r = kb * 2u + h;
          let qp = Qs[r * T + pa.x];
          let qq = Qs[r * T + pa.y];
          Qs[r * T + pa.x] = ra.x * qp - ra.y * qq;
          Qs[r * T + pa.y] = ra.y * qp + ra.x * qq;
        }
      }
      workgroupBarrier();
    }
    if (lid == 0u) { busyU = atomicLoad(&busy); }
    if (workgroupUniformLoad(&busyU) == 0u) { break; }
  }
}

fn write_q(x: u32, lid: u32) {
  for (var i = 0u; i < 4u; i++) {
    let e = lid + 256u * i;
    q[x * 1024u + e] = Qs[e];
  }
}

fn init_q(lid: u32) {
  for (var i = 0u; i < 4u; i++) {
    let e = lid + 256u * i;
    Qs[e] = select(0.0, 1.0, e / T == e % T);
  }
}

// One workgroup per pair x of step params.step: S = A[tile, tile], q[x] ← eigenvectors of S.
@compute @workgroup_size(256)
fn solve_sym(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let x = wid.x;
  let bl = pair_of(x, params.step, params.nblk);
  for (var i = 0u; i < 4u; i++) {
    let e = lid + 256u * i;
    S[e] = a[gidx(bl, e / T) * params.ld + gidx(bl, e % T)];
  }
  init_q(lid);
  workgroupBarrier();
  solve_core(lid);
  write_q(x, lid);
}

// One workgroup per pair x: S = g[x] (the Gram of W's tile columns); q[x] ← its eigenvectors, and
// meas[x] ← max over the sweep of max_{i≠j} |S_ij| / sqrt(S_ii·S_jj) (0 where a column is ≤ tiny).
@compute @workgroup_size(256)
fn solve_gram(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let x = wid.x;
  if (lid == 0u) { atomicStore(&red, 0u); }
  for (var i = 0u; i < 4u; i++) {
    let e = lid + 256u * i;
    S[e] = g[x * 1024u + e];
  }
  init_q(lid);
  workgroupBarrier();
  var m = 0.0;
  for (var i = 0u; i < 4u; i++) {
    let e = lid + 256u * i;
    let r = e / T;
    let c = e % T;
    let d = S[r * T + r] * S[c * T + c];
    if (r != c && S[r * T + r] > params.tiny && S[c * T + c] > params.tiny) { m = max(m, abs(S[e]) / sqrt(d)); }
  }
  atomicMax(&red, bitcast<u32>(m));
  workgroupBarrier();
  solve_core(lid);
  write_q(x, lid);
  if (lid == 0u) {
    let v = bitcast<f32>(atomicLoad(&red));
    meas[x] = select(max(meas[x], v), v, params.step == 0u);
  }
}

// One workgroup per tile (X, Y), X ≤ Y, of the pairs of step params.step (tiles numbered row by row):
// A[X, Y] ← q[X]ᵀ·A[X, Y]·q[Y], mirrored into A[Y, X]; diagonal tiles are symmetrised. In place.
@compute @workgroup_size(256)
fn apply_sym(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let np = params.nblk / 2u;
  var t = wid.y * nwg.x + wid.x;
  if (t >= np * (np + 1u) / 2u) { return; }
  var xx = 0u;
  loop {
    let len = np - xx;
    if (t < len) { break; }
    t -= len;
    xx++;
  }
  let yy = xx + t;
  let bx = pair_of(xx, params.step, params.nblk);
  let by = pair_of(yy, params.step, params.nblk);
  for (var i = 0u; i < 4u; i++) {
    let e = lid + 256u * i;
    S[e] = a[gidx(bx, e / T) * params.ld + gidx(by, e % T)];
    X2[e] = q[xx * 1024u + e];
    Y2[e] = q[yy * 1024u + e];
  }
  workgroupBarrier();
  let r0 = (lid / H) * 2u;
  let c0 = (lid % H) * 2u;
  // Qs = q[X]ᵀ·S
  var t00 = 0.0; var t01 = 0.0; var t10 = 0.0; var t11 = 0.0;
  for (var k = 0u; k < T; k++) {
    let qa = X2[k * T + r0];
    let qb = X2[k * T + r0 + 1u];
    let sa = S[k * T + c0];
    let sb = S[k * T + c0 + 1u];
    t00 += qa * sa; t01 += qa * sb; t10 += qb * sa; t11 += qb * sb;
  }
  Qs[r0 * T + c0] = t00; Qs[r0 * T + c0 + 1u] = t01;
  Qs[(r0 + 1u) * T + c0] = t10; Qs[(r0 + 1u) * T + c0 + 1u] = t11;
  workgroupBarrier();
  // result = Qs·q[Y]
  var o00 = 0.0; var o01 = 0.0; var o10 = 0.0; var o11 = 0.0;
  for (var k = 0u; k < T; k++) {
    let ta = Qs[r0 * T + k];
    let tb = Qs[(r0 + 1u) * T + k];
    let ya = Y2[k * T + c0];
    let yb = Y2[k * T + c0 + 1u];
    o00 += ta * ya; o01 += ta * yb; o10 += tb * ya; o11 += tb * yb;
  }
  if (xx != yy) {
    let gr0 = gidx(bx, r0); let gr1 = gidx(bx, r0 + 1u);
    let gc0 = gidx(by, c0); let gc1 = gidx(by, c0 + 1u);
    let ld = params.ld;
    a[gr0 * ld + gc0] = o00; a[gr0 * ld + gc1] = o01; a[gr1 * ld + gc0] = o10; a[gr1 * ld + gc1] = o11;
    a[gc0 * ld + gr0] = o00; a[gc1 * ld + gr0] = o01; a[gc0 * ld + gr1] = o10; a[gc1 * ld + gr1] = o11;
  } else {
    S[r0 * T + c0] = o00; S[r0 * T + c0 + 1u] = o01;
    S[(r0 + 1u) * T + c0] = o10; S[(r0 + 1u) * T + c0 + 1u] = o11;
    workgroupBarrier();
    for (var i = 0u; i < 4u; i++) {
      let e = lid + 256u * i;
      let r = e / T;
      let c = e % T;
      a[gidx(bx, r) * params.ld + gidx(bx, c)] = 0.5 * (S[e] + S[c * T + r]);
    }
  }
}

// One workgroup per (pair x = wid.x, 32-row panel wid.y): W[panel, tile] ← W[panel, tile]·q[x], in place,
// for W = a with params.rows rows and leading dimension params.ld.
@compute @workgroup_size(256)
fn apply_cols(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let x = wid.x;
  let row0 = wid.y * T;
  let bl = pair_of(x, params.step, params.nblk);
  for (var i = 0u; i < 4u; i++) {
    let e = lid + 256u * i;
    let r = row0 + e / T;
    S[e] = select(0.0, a[r * params.ld + gidx(bl, e % T)], r < params.rows);
    X2[e] = q[x * 1024u + e];
  }
  workgroupBarrier();
  let r0 = (lid / H) * 2u;
  let c0 = (lid % H) * 2u;
  var o00 = 0.0; var o01 = 0.0; var o10 = 0.0; var o11 = 0.0;
  for (var k = 0u; k < T; k++) {
    let wa = S[r0 * T + k];
    let wb = S[(r0 + 1u) * T + k];
    let qa = X2[k * T + c0];
    let qb = X2[k * T + c0 + 1u];
    o00 += wa * qa; o01 += wa * qb; o10 += wb * qa; o11 += wb * qb;
  }
  let gc0 = gidx(bl, c0);
  let gc1 = gidx(bl, c0 + 1u);
  let ra = row0 + r0;
  if (ra < params.rows) { a[ra * params.ld + gc0] = o00; a[ra * params.ld + gc1] = o01; }
  if (ra + 1u < params.rows) { a[(ra + 1u) * params.ld + gc0] = o10; a[(ra + 1u) * params.ld + gc1] = o11; }
}

// One workgroup per pair x: g[x] ← W[:, tile]ᵀ·W[:, tile] over params.rows rows of W = a.
@compute @workgroup_size(256)
fn gram_pairs(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let x = wid.x;
  let bl = pair_of(x, params.step, params.nblk);
  let r0 = (lid / H) * 2u;
  let c0 = (lid % H) * 2u;
  var o00 = 0.0; var o01 = 0.0; var o10 = 0.0; var o11 = 0.0;
  for (var row0 = 0u; row0 < params.rows; row0 += T) {
    for (var i = 0u; i < 4u; i++) {
      let e = lid + 256u * i;
      let r = row0 + e / T;
      S[e] = select(0.0, a[r * params.ld + gidx(bl, e % T)], r < params.rows);
    }
    workgroupBarrier();
    for (var k = 0u; k < T; k++) {
      let wa = S[k * T + r0];
      let wb = S[k * T + r0 + 1u];
      let va = S[k * T + c0];
      let vb = S[k * T + c0 + 1u];
      o00 += wa * va; o01 += wa * vb; o10 += wb * va; o11 += wb * vb;
    }
    workgroupBarrier();
  }
  g[x * 1024u + r0 * T + c0] = o00; g[x * 1024u + r0 * T + c0 + 1u] = o01;
  g[x * 1024u + (r0 + 1u) * T + c0] = o10; g[x * 1024u + (r0 + 1u) * T + c0 + 1u] = o11;
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

// out (params.rows × params.ld, the padded copy) ← src (params.rows × params.n, or n×n symmetrised when
// params.step == 1), zero outside; with params.step == 2 out ← I instead. One thread an element.
@compute @workgroup_size(256)
fn pad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.y * nwg.x * 256u + gid.x;
  if (e >= params.rows * params.ld) { return; }
  let i = e / params.ld;
  let j = e % params.ld;
  var v = 0.0;
  if (params.step == 2u) {
    v = select(0.0, 1.0, i == j);
  } else if (j < params.n && i < params.rows) {
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
fn transpose(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.y * nwg.x * 256u + gid.x;
  if (e >= params.rows * params.n) { return; }
  let j = e / params.rows;
  let i = e % params.rows;
  out[e] = src[i * params.n + j];
}
