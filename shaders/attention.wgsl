// Multi-delta denoiser (eq 5), streaming softmax: out[b] = Σ_i w_bi·y_i / Σ_i w_bi, w_bi = exp((dmin_b − ‖x_b − y_i‖²)·inv_two_s2).
// attend (portable; attention_sg.wgsl is the subgroup fast path with the same state): x B×d, y = one row panel (rows×d from
//   element y_off), out_state S×B×2 = (running min distance dmin, running Σ w), out_acc S×B×d = running Σ w·y (unnormalised).
//   Workgroup = (query block of BQ, split s), tiles of WG keys: thread = key for distances, thread = dimension for Σ w·y.
// merge (S > 1) / normalize (S = 1) turn the state into out, out_lse = log Σ_i exp(−‖x − y_i‖²/(2σ²)) and out_maxw = max_i softmax_i.
struct Params {
  b: u32,           // queries
  d: u32,           // dimension
  rows: u32,        // training rows in this panel
  y_off: u32,       // element offset of the panel's row 0 inside the y binding
  per_split: u32,   // panel rows per split
  splits: u32,      // S
  first: u32,       // 1 on the first panel: the state starts empty
  inv_two_s2: f32,  // 1 / (2σ²)
}
override BQ: u32 = 16u;   // queries per workgroup (≤ MAXQ)
override WG: u32 = 64u;   // threads; keys per tile
override DT: u32 = 2u;    // dimensions per thread in one pass of Σ w·y (≤ MAXDT)
const MAXQ = 16u;
const MAXDT = 4u;
const CHUNK = 16u;        // distances are summed in chunks of 16 terms, then chunk sums are added (two-level summation)
const BIG = 3.4028234663852886e38; // FLT_MAX: "no distance yet"; exp((d − BIG)·inv) = 0, never NaN

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_acc: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_state: array<f32>;
@group(0) @binding(5) var<storage, read> acc: array<f32>;
@group(0) @binding(6) var<storage, read> state: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read_write> out_lse: array<f32>;
@group(0) @binding(9) var<storage, read_write> out_maxw: array<f32>;

var<workgroup> w_tile: array<f32, BQ * WG>;   // distances of the tile, then their weights
var<workgroup> d_run: array<f32, MAXQ>;       // running min distance per query
var<workgroup> l_run: array<f32, MAXQ>;       // running Σ w
var<workgroup> rescale: array<f32, MAXQ>;     // exp((dmin_new − dmin_old)·inv) for this tile
var<workgroup> fresh: array<u32, MAXQ>;       // 1 while nothing has been accumulated (out_acc rows not yet written)

@compute @workgroup_size(WG)
fn attend(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let qblocks = (params.b + BQ - 1u) / BQ;
  let g = wid.y * nwg.x + wid.x;
  if (g >= qblocks * params.splits) { return; }   // uniform per workgroup
  let qb = g % qblocks;
  let s = g / qblocks;
  let q0 = qb * BQ;
  let nq = min(BQ, params.b - q0);
  let d = params.d;
  let inv = params.inv_two_s2;
  let start = min(s * params.per_split, params.rows);
  let end = min(start + params.per_split, params.rows);
  let row0 = s * params.b + q0;                   // first (split, query) row of out_acc / out_state

  if (lid < BQ) {
    var m = BIG;
    var l = 0.0;
    if (params.first == 0u && lid < nq) {
      m = out_state[(row0 + lid) * 2u];
      l = out_state[(row0 + lid) * 2u + 1u];
    }
    d_run[lid] = m;
    l_run[lid] = l;
    fresh[lid] = select(0u, 1u, l == 0.0);
  }
  workgroupBarrier();

  for (var t0 = start; t0 < end; t0 += WG) {
    let nk = min(WG, end - t0);
    // 1. squared distances by direct differences: thread = key, every query of the block.
    let yb = params.y_off + (t0 + min(lid, nk - 1u)) * d;
    var dist: array<f32, MAXQ>;
    for (var q = 0u; q < BQ; q++) { dist[q] = 0.0; }
    for (var j0 = 0u; j0 < d; j0 += CHUNK) {
      var part: array<f32, MAXQ>;
      for (var q = 0u; q < BQ; q++) { part[q] = 0.0; }
      for (var j = j0; j < min(j0 + CHUNK, d); j++) {
        let yv = y[yb + j];
        for (var q = 0u; q < BQ; q++) {
          let e = x[(q0 + min(q, nq - 1u)) * d + j] - yv;
          part[q] = fma(e, e, part[q]);
        }
      }
      for (var q = 0u; q < BQ; q++) { dist[q] += part[q]; }
    }
    for (var q = 0u; q < BQ; q++) { w_tile[q * WG + lid] = select(dist[q], BIG, lid >= nk); }
    workgroupBarrier();
    // 2. online softmax in distance units: thread = query; new min, rescale factor, weights, running sum.
    if (lid < BQ) {
      let r = lid * WG;
      var mt = BIG;
      for (var k = 0u; k < nk; k++) { mt = min(mt, w_tile[r + k]); }
      let d_old = d_run[lid];
      let d_new = min(d_old, mt);
      let sc = exp((d_new - d_old) * inv);
      var sum = 0.0;
      for (var k = 0u; k < nk; k++) {
        let p = exp((d_new - w_tile[r + k]) * inv);
        w_tile[r + k] = p;
        sum += p;
      }
      d_run[lid] = d_new;
      l_run[lid] = l_run[lid] * sc + sum;
      rescale[lid] = sc;
    }
    workgroupBarrier();
    // 3. acc[q, :] ← acc·rescale + Σ_k w[q, k]·y[k, :]: thread = DT dimensions, every query.
    for (var c = 0u; c < d; c += WG * DT) {
      var a: array<f32, MAXQ * MAXDT>;
      for (var q = 0u; q < BQ; q++) {
        let sc = rescale[q];
        let isfresh = fresh[q] != 0u;
        for (var t = 0u; t < DT; t++) {
          let j = min(c + t * WG + lid, d - 1u);
          let old = out_acc[(row0 + min(q, nq - 1u)) * d + j];
          a[q * MAXDT + t] = select(old * sc, 0.0, isfresh);
        }
      }
      for (var k = 0u; k < nk; k++) {
        let yk = params.y_off + (t0 + k) * d;
        for (var t = 0u; t < DT; t++) {
          let yv = y[yk + min(c + t * WG + lid, d - 1u)];
          for (var q = 0u; q < BQ; q++) {
            a[q * MAXDT + t] = fma(w_tile[q * WG + k], yv, a[q * MAXDT + t]);
          }
        }
      }
      for (var q = 0u; q < nq; q++) {
        for (var t = 0u; t < DT; t++) {
          let j = c + t * WG + lid;
          if (j < d) { out_acc[(row0 + q) * d + j] = a[q * MAXDT + t]; }
        }
      }
    }
    workgroupBarrier();
    if (lid < BQ) { fresh[lid] = 0u; }
  }
  workgroupBarrier();
  if (lid < nq) {
    out_state[(row0 + lid) * 2u] = d_run[lid];
    out_state[(row0 + lid) * 2u + 1u] = l_run[lid];
  }
}

// merge (S > 1): with D = min_s dmin_s and c_s = exp((D − dmin_s)·inv): out[b, j] = Σ_s c_s·acc[s, b, j] / L,
// L = Σ_s c_s·l_s. One thread a (query, dimension); 1-D grid of B·ceil(d/256) workgroups.
@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let chunks = (params.d + 255u) / 256u;
  let g = wid.y * nwg.x + wid.x;
  if (g >= params.b * chunks) { return; }
  let b = g / chunks;
  let j = (g % chunks) * 256u + lid;
  var dm = BIG;
  for (var s = 0u; s < params.splits; s++) { dm = min(dm, state[(s * params.b + b) * 2u]); }
  var l = 0.0;
  var v = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    let row = s * params.b + b;
    let ls = state[row * 2u + 1u];
    if (ls > 0.0) {                              // an empty split never wrote its acc rows
      let c = exp((dm - state[row * 2u]) * params.inv_two_s2);
      l += c * ls;
      if (j < params.d) { v += c * acc[row * params.d + j]; }
    }
  }
  if (j < params.d) { out[b * params.d + j] = v / l; }
  if (j == 0u) {
    out_lse[b] = log(l) - dm * params.inv_two_s2;
    out_maxw[b] = 1.0 / l;
  }
}

// normalize (S = 1, the accumulator is out itself): out[b, j] /= l_b.
@compute @workgroup_size(256)
fn normalize(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let chunks = (params.d + 255u) / 256u;
  let g = wid.y * nwg.x + wid.x;
  if (g >= params.b * chunks) { return; }
  let b = g / chunks;
  let j = (g % chunks) * 256u + lid;
  let l = state[b * 2u + 1u];
  if (j < params.d) { out[b * params.d + j] = out[b * params.d + j] / l; }
  if (j == 0u) {
    out_lse[b] = log(l) - state[b * 2u] * params.inv_two_s2;
    out_maxw[b] = 1.0 / l;
  }
}
