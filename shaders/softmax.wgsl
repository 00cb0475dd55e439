// Row softmax (attention weights), one workgroup of WG threads a row of n elements (threads stride
// the row; tree reductions in workgroup memory, so results do not depend on scheduling).
// forward:  out[r, j] = exp(alpha·x[r, j] − m_r) / Σ_k exp(alpha·x[r, k] − m_r), m_r = max_k alpha·x[r, k]
// backward: out[r, j] = alpha·y[r, j]·(dy[r, j] − Σ_k dy[r, k]·y[r, k]), y the forward's output
// Rows r < rows; the 1-D grid of rows is folded into (x, y): r = wid.y·nwg.x + wid.x.
// forward_rows / backward_rows: the same, one thread a row (64 rows a workgroup, no barriers): for many
// rows, where CPU rasterisers pay more for workgroup barriers than for a sequential row.
struct Params { rows: u32, n: u32, alpha: f32 }
override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, 256>;

// Sum (op 0) or max (op 1) of red[0 .. WG) into red[0]; every thread returns it.
fn reduce(lid: u32, op: u32) -> f32 {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      if (op == 1u) { red[lid] = max(red[lid], red[lid + s]); } else { red[lid] = red[lid] + red[lid + s]; }
    }
    workgroupBarrier();
  }
  let v = red[0];
  workgroupBarrier();
  return v;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= params.rows) { return; }
  let base = r * params.n;
  var m = -3.4028234e38;
  for (var j = lid; j < params.n; j += WG) { m = max(m, params.alpha * x[base + j]); }
  red[lid] = m;
  m = reduce(lid, 1u);
  var s = 0.0;
  for (var j = lid; j < params.n; j += WG) { s += exp(params.alpha * x[base + j] - m); }
  red[lid] = s;
  let inv = 1.0 / reduce(lid, 0u);
  for (var j = lid; j < params.n; j += WG) { out[base + j] = exp(params.alpha * x[base + j] - m) * inv; }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= params.rows) { return; }
  let base = r * params.n;
  var d = 0.0;
  for (var j = lid; j < params.n; j += WG) { d += dy[base + j] * y[base + j]; }
  red[lid] = d;
  d = reduce(lid, 0u);
  for (var j = lid; j < params.n; j += WG) { out[base + j] = params.alpha * y[base + j] * (dy[base + j] - d); }
}

@compute @workgroup_size(64)
fn forward_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (r >= params.rows) { return; }
  let base = r * params.n;
  var m = -3.4028234e38;
  for (var j = 0u; j < params.n; j++) { m = max(m, params.alpha * x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < params.n; j++) { s += exp(params.alpha * x[base + j] - m); }
  let inv = 1.0 / s;
  for (var j = 0u; j < params.n; j++) { out[base + j] = exp(params.alpha * x[base + j] - m) * inv; }
}

@compute @workgroup_size(64)
fn backward_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (r >= params.rows) { return; }
  let base = r * params.n;
  var d = 0.0;
  for (var j = 0u; j < params.n; j++) { d += dy[base + j] * y[base + j]; }
  for (var j = 0u; j < params.n; j++) { out[base + j] = params.alpha * y[base + j] * (dy[base + j] - d); }
}
