// Nearest neighbours from a tile of squared distances (packages/kernels/src/neighbours.ts; the distances come from
// the `gemm` of covariance.wgsl / covariance_sg.wgsl with epi 2: max(‖x‖² + ‖y‖² − 2x·y, 0) over shifted rows).
// rownorm (64 threads, one a row): out[i] = Σ_j (y[off + i·ld + j] − shift[j])², i < rows.
// select_topk (64 threads, one a query): the k smallest of dist[q·nt + t] (t < nt, rows t0 + t), re-measured exactly as
// Σ(x − y)² and merged into the sorted running list (best_d, best_i)[q·k ..] (ties to the smaller row).
struct Params {
  rows: u32, d: u32, ld: u32, off: u32,   // rownorm
  bq: u32, nt: u32, k: u32, t0: u32,      // select_topk: queries, candidates, list length, global index of t = 0
  q_off: u32, t_off: u32, is_first: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read> dist: array<f32>;
@group(0) @binding(4) var<storage, read> xq: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read_write> best_d: array<f32>;
@group(0) @binding(9) var<storage, read_write> best_i: array<u32>;

@compute @workgroup_size(64)
fn rownorm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (i >= params.rows) { return; }
  let base = params.off + i * params.ld;
  var acc = 0.0;
  for (var j = 0u; j < params.d; j++) {
    let v = y[base + j] - shift[j];
    acc = fma(v, v, acc);
  }
  out[i] = acc;
}

const NONE: u32 = 0xffffffffu;

// (a, ia) before (b, ib): smaller distance, then smaller index.
fn before(a: f32, ia: u32, b: f32, ib: u32) -> bool {
  return a < b || (a == b && ia < ib);
}

@compute @workgroup_size(64)
fn select_topk(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let q = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (q >= params.bq) { return; }
  let k = params.k;
  // 1. This chunk's k best by the identity distance (a compare per candidate; insertions are rare).
  var ad: array<f32, 16>;
  var ai: array<u32, 16>;
  for (var e = 0u; e < k; e++) {
    ad[e] = bitcast<f32>(0x7f7fffffu);  // the largest finite f32
    ai[e] = NONE;
  }
  var worst = ad[k - 1u];
  for (var t = 0u; t < params.nt; t++) {
    let v = dist[q * params.nt + t];
    if (v >= worst) { continue; }  // ties keep the earlier (smaller) index
    var p = k - 1u;
    while (p > 0u && v < ad[p - 1u]) {
      ad[p] = ad[p - 1u];
      ai[p] = ai[p - 1u];
      p--;
    }
    ad[p] = v;
    ai[p] = t;
    worst = ad[k - 1u];
  }
  // 2. Re-measure them exactly, Σ (x − y)² from the rows (the same work in every lane), sorted by (distance, index).
  let xb = params.q_off + q * params.d;
  var ed: array<f32, 16>;
  var ei: array<u32, 16>;
  var m = 0u;
  for (var e = 0u; e < k; e++) {
    if (ai[e] == NONE) { break; }
    let yb = params.t_off + ai[e] * params.d;
    var exact = 0.0;
    for (var j = 0u; j < params.d; j++) {
      let v = xq[xb + j] - y[yb + j];
      exact = fma(v, v, exact);
    }
    let idx = params.t0 + ai[e];
    var p = m;
    while (p > 0u && before(exact, idx, ed[p - 1u], ei[p - 1u])) {
      ed[p] = ed[p - 1u];
      ei[p] = ei[p - 1u];
      p--;
    }
    ed[p] = exact;
    ei[p] = idx;
    m++;
  }
  // 3. Merge with the running list of earlier chunks (exact distances), keeping the k best.
  var bd: array<f32, 16>;
  var bi: array<u32, 16>;
  var a = 0u;
  var b = 0u;
  for (var e = 0u; e < k; e++) {
    var od = bitcast<f32>(0x7f7fffffu);
    var oi = NONE;
    if (params.is_first == 0u) {
      od = best_d[q * k + a];
      oi = best_i[q * k + a];
    }
    if (b < m && (oi == NONE || before(ed[b], ei[b], od, oi))) {
      bd[e] = ed[b];
      bi[e] = ei[b];
      b++;
    } else {
      bd[e] = od;
      bi[e] = oi;
      a++;
    }
  }
  for (var e = 0u; e < k; e++) {
    best_d[q * k + e] = bd[e];
    best_i[q * k + e] = bi[e];
  }
}
