// Multi-delta denoiser (eq 5), subgroup fast path of attention.wgsl's attend (same Params, same state): needs d % 4 == 0,
// y_off % 4 == 0 and one 16-lane subgroup per workgroup. x B×d (f32), y a row panel as vec4, out_acc S×B×d as vec4.
// Lane = key for distances (x values broadcast with subgroupBroadcast), lane = 4 dimensions for Σ w·y (weights broadcast);
// on CPU rasterisers (lavapipe) every per-lane load costs ~7 cycles a lane while a literal-lane broadcast is one shuffle.
enable subgroups;

struct Params {
  b: u32,           // queries
  d: u32,           // dimension (multiple of 4)
  rows: u32,        // training rows in this panel
  y_off: u32,       // element offset of the panel's row 0 inside the y binding (multiple of 4)
  per_split: u32,   // panel rows per split
  splits: u32,      // S
  first: u32,       // 1 on the first panel: the state starts empty
  inv_two_s2: f32,  // 1 / (2σ²)
}
override BQ: u32 = 16u;   // queries per workgroup (≤ MAXQ)
override KPL: u32 = 2u;   // keys per lane: a tile is 16·KPL training rows (≤ MAXK)
const SG = 16u;
const MAXQ = 16u;
const MAXK = 2u;
const MQK = 32u;          // MAXQ·MAXK
const BIG = 3.4028234663852886e38;
alias QF = array<f32, MAXQ>;
alias QV = array<vec4f, MAXQ>;
alias QKV = array<vec4f, MQK>;
alias KU = array<u32, MAXK>;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out_acc: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out_state: array<f32>;

// v of lane i; i is a constant after inlining, so the switch folds to a single broadcast.
fn bc(v: f32, i: u32) -> f32 {
  switch i {
    case 0u: { return subgroupBroadcast(v, 0u); }
    case 1u: { return subgroupBroadcast(v, 1u); }
    case 2u: { return subgroupBroadcast(v, 2u); }
    case 3u: { return subgroupBroadcast(v, 3u); }
    case 4u: { return subgroupBroadcast(v, 4u); }
    case 5u: { return subgroupBroadcast(v, 5u); }
    case 6u: { return subgroupBroadcast(v, 6u); }
    case 7u: { return subgroupBroadcast(v, 7u); }
    case 8u: { return subgroupBroadcast(v, 8u); }
    case 9u: { return subgroupBroadcast(v, 9u); }
    case 10u: { return subgroupBroadcast(v, 10u); }
    case 11u: { return subgroupBroadcast(v, 11u); }
    case 12u: { return subgroupBroadcast(v, 12u); }
    case 13u: { return subgroupBroadcast(v, 13u); }
    case 14u: { return subgroupBroadcast(v, 14u); }
    case 15u: { return subgroupBroadcast(v, 15u); }
    default: { return subgroupShuffle(v, i); }
  }
}

// Distances, dimensions 4m..4m+3 of the 16-dimension chunk at quad c: e = x − y per (query, key), squares summed in vec4.
fn dist_step(m: u32, c: u32, d4: u32, xv: ptr<function, QF>, rows: ptr<function, KU>, sq: ptr<function, QKV>) {
  for (var kk = 0u; kk < KPL; kk++) {
    let yq = select(vec4f(0.0), y[(*rows)[kk] + min(c + m, d4 - 1u)], c + m < d4);
    for (var q = 0u; q < BQ; q++) {
      let xq = (*xv)[q];
      let e = vec4f(bc(xq, 4u * m), bc(xq, 4u * m + 1u), bc(xq, 4u * m + 2u), bc(xq, 4u * m + 3u)) - yq;
      (*sq)[q * MAXK + kk] = fma(e, e, select(vec4f(0.0), (*sq)[q * MAXK + kk], m > 0u));
    }
  }
}

// Σ w·y, key kb + sl (clamped to the panel's end; its weight is 0 there): a[q] += w[q, key]·y[key, quad jc].
fn sum_step(sl: u32, kb: u32, end: u32, d4: u32, jc: u32, w: ptr<function, QF>, a: ptr<function, QV>) {
  let yv = y[params.y_off / 4u + min(kb + sl, end - 1u) * d4 + jc];
  for (var q = 0u; q < BQ; q++) { (*a)[q] = fma(vec4f(bc((*w)[q], sl)), yv, (*a)[q]); }
}

@compute @workgroup_size(16)
fn attend(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sgsize: u32) {
  let qblocks = (params.b + BQ - 1u) / BQ;
  let g = wid.y * nwg.x + wid.x;
  if (g >= qblocks * params.splits) { return; }
  let qb = g % qblocks;
  let s = g / qblocks;
  let q0 = qb * BQ;
  let nq = min(BQ, params.b - q0);
  let d = params.d;
  let d4 = d / 4u;
  let y4 = params.y_off / 4u;
  let inv = params.inv_two_s2;
  let start = min(s * params.per_split, params.rows);
  let end = min(start + params.per_split, params.rows);
  let row0 = s * params.b + q0;
  if (sgsize != SG) {          // the wrapper only picks this path for 16-lane subgroups; fail loudly otherwise
    if (lane < nq) { out_state[(row0 + lane) * 2u + 1u] = bitcast<f32>(0x7fc00000u | params.first); }   // NaN
    return;
  }

  var dmin: QF;                // running min distance per query (the same in every lane)
  var lsum: QF;                // running Σ w
  for (var q = 0u; q < BQ; q++) {
    dmin[q] = BIG;
    lsum[q] = 0.0;
    if (params.first == 0u && q < nq) {
      dmin[q] = out_state[(row0 + q) * 2u];
      lsum[q] = out_state[(row0 + q) * 2u + 1u];
    }
  }

  for (var t0 = start; t0 < end; t0 += SG * KPL) {
    var rows: KU;
    var valid: array<bool, MAXK>;
    for (var kk = 0u; kk < KPL; kk++) {
      let key = t0 + kk * SG + lane;
      valid[kk] = key < end;
      rows[kk] = y4 + min(key, end - 1u) * d4;
    }
    // 1. squared distances by direct differences, 16 dimensions a chunk (two-level summation).
    var dist: array<f32, MQK>;
    for (var q = 0u; q < BQ; q++) { for (var kk = 0u; kk < KPL; kk++) { dist[q * MAXK + kk] = 0.0; } }
    for (var c = 0u; c < d4; c += 4u) {
      let j = c * 4u + lane;
      var xv: QF;
      for (var q = 0u; q < BQ; q++) {
        xv[q] = 0.0;
        if (q < nq && j < d) { xv[q] = x[(q0 + q) * d + j]; }
      }
      var sq: QKV;
      dist_step(0u, c, d4, &xv, &rows, &sq);
      dist_step(1u, c, d4, &xv, &rows, &sq);
      dist_step(2u, c, d4, &xv, &rows, &sq);
      dist_step(3u, c, d4, &xv, &rows, &sq);
      for (var q = 0u; q < BQ; q++) {
        for (var kk = 0u; kk < KPL; kk++) {
          let v = sq[q * MAXK + kk];
          dist[q * MAXK + kk] += (v.x + v.y) + (v.z + v.w);
        }
      }
    }
    // 2. online softmax in distance units: running min, rescale, weights exp((dmin − dist)·inv), running sum.
    var scale: QF;
    var fresh: array<bool, MAXQ>;
    for (var q = 0u; q < BQ; q++) {
      var mn = BIG;
      for (var kk = 0u; kk < KPL; kk++) { mn = min(mn, select(BIG, dist[q * MAXK + kk], valid[kk])); }
      mn = subgroupMin(mn);
      let nm = min(dmin[q], mn);
      fresh[q] = lsum[q] == 0.0;
      scale[q] = exp((nm - dmin[q]) * inv);
      var ls = 0.0;
      for (var kk = 0u; kk < KPL; kk++) {
        let p = select(0.0, exp((nm - dist[q * MAXK + kk]) * inv), valid[kk]);
        dist[q * MAXK + kk] = p;
        ls += p;
      }
      lsum[q] = lsum[q] * scale[q] + subgroupAdd(ls);
      dmin[q] = nm;
    }
    // 3. acc[q, :] ← acc·scale + Σ_k w[q, k]·y[k, :], lane = 4 consecutive dimensions, 64 dimensions a pass.
    for (var c4 = 0u; c4 < d4; c4 += SG) {
      let jq = c4 + lane;
      let jc = min(jq, d4 - 1u);
      var a: QV;
      for (var q = 0u; q < BQ; q++) {
        a[q] = vec4f(0.0);
        if (q < nq && !fresh[q]) { a[q] = out_acc[(row0 + q) * d4 + jc] * scale[q]; }
      }
      for (var kk = 0u; kk < KPL; kk++) {
        var w: QF;
        for (var q = 0u; q < BQ; q++) { w[q] = dist[q * MAXK + kk]; }
        let kb = t0 + kk * SG;
        sum_step(0u, kb, end, d4, jc, &w, &a);  sum_step(1u, kb, end, d4, jc, &w, &a);
        sum_step(2u, kb, end, d4, jc, &w, &a);  sum_step(3u, kb, end, d4, jc, &w, &a);
        sum_step(4u, kb, end, d4, jc, &w, &a);  sum_step(5u, kb, end, d4, jc, &w, &a);
        sum_step(6u, kb, end, d4, jc, &w, &a);  sum_step(7u, kb, end, d4, jc, &w, &a);
        sum_step(8u, kb, end, d4, jc, &w, &a);  sum_step(9u, kb, end, d4, jc, &w, &a);
        sum_step(10u, kb, end, d4, jc, &w, &a); sum_step(11u, kb, end, d4, jc, &w, &a);
        sum_step(12u, kb, end, d4, jc, &w, &a); sum_step(13u, kb, end, d4, jc, &w, &a);
        sum_step(14u, kb, end, d4, jc, &w, &a); sum_step(15u, kb, end, d4, jc, &w, &a);
      }
      for (var q = 0u; q < BQ; q++) {
        if (q < nq && jq < d4) { out_acc[(row0 + q) * d4 + jq] = a[q]; }
      }
    }
  }
  if (lane == 0u) {
    for (var q = 0u; q < nq; q++) {
      out_state[(row0 + q) * 2u] = dmin[q];
      out_state[(row0 + q) * 2u + 1u] = lsum[q];
    }
  }
}
