// Nearest neighbours from a tile of squared distances (packages/kernels/src/neighbours.ts; the distances come from
// the EPI 2 gemm of covariance.wgsl / covariance_sg.wgsl: max(‖x‖² + ‖y‖² − 2x·y, 0) over shifted rows).
// rownorm (64 threads, one a row): out[i] = Σ_j (y[off + i·ld + j] − shift[j])², i < rows.
// select_topk (64 threads, one a query): merges candidates t0 + t (t < nt) of dist[q·nt + t] into the sorted k-list
// (best_d, best_i)[q·k ..]; a candidate within `margin`·(‖x‖² + ‖y‖²) of the list's worst is re-measured exactly.
struct Params {
  rows: u32, d: u32, ld: u32, off: u32,   // rownorm
  bq: u32, nt: u32, k: u32, t0: u32,      // select_topk: queries, candidates, list length, global index of t = 0
  q_off: u32, t_off: u32, is_first: u32, margin: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read> dist: array<f32>;
@group(0) @binding(4) var<storage, read> xq: array<f32>;
@group(0) @binding(5) var<storage, read> qn: array<f32>;
@group(0) @binding(6) var<storage, read> tn: array<f32>;
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
  var bd: array<f32, 16>;
  var bi: array<u32, 16>;
  for (var e = 0u; e < k; e++) {
    if (params.is_first != 0u) {
      bd[e] = bitcast<f32>(0x7f7fffffu);  // the largest finite f32
      bi[e] = NONE;
    } else {
      bd[e] = best_d[q * k + e];
      bi[e] = best_i[q * k + e];
    }
  }
  var worst = bd[k - 1u];
  var worst_i = bi[k - 1u];
  let xb = params.q_off + q * params.d;
  let qq = qn[q];
  for (var t = 0u; t < params.nt; t++) {
    let approx = dist[q * params.nt + t];
    if (approx > worst + params.margin * (qq + tn[t])) { continue; }
    // Re-measure exactly: Σ (x − y)² straight from the rows.
    let yb = params.t_off + t * params.d;
    var exact = 0.0;
    for (var j = 0u; j < params.d; j++) {
      let v = xq[xb + j] - y[yb + j];
      exact = fma(v, v, exact);
    }
    let idx = params.t0 + t;
    if (!before(exact, idx, worst, worst_i)) { continue; }
    var p = k - 1u;
    while (p > 0u && before(exact, idx, bd[p - 1u], bi[p - 1u])) {
      bd[p] = bd[p - 1u];
      bi[p] = bi[p - 1u];
      p--;
    }
    bd[p] = exact;
    bi[p] = idx;
    worst = bd[k - 1u];
    worst_i = bi[k - 1u];
  }
  for (var e = 0u; e < k; e++) {
    best_d[q * k + e] = bd[e];
    best_i[q * k + e] = bi[e];
  }
}
