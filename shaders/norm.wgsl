// Group norm, NCHW: x is B×C×HW with G groups of CG = C/G channels; group r = b·G + g is the contiguous
// run x[r·N …] of N = CG·HW elements. One 256-thread workgroup a group (param_grad: a thread a channel).
// forward:    mean, var by two passes (corrected: var = (Σd² − (Σd)²/N)/N, d = x − mean), rstd = 1/√(var + eps);
//             z = γ_c·x̂ + β_c with x̂ = (x − mean)·rstd; out = z, or silu(z) if FUSE_SILU; out_mean[r], out_rstd[r].
// backward:   dz = dy (·silu'(z) if FUSE_SILU, z recomputed); dx = rstd·(γ_c·dz − ⟨γ dz⟩ − x̂·⟨γ dz x̂⟩), ⟨⟩ = group mean;
//             out_partial[(b·C + c)·2 + {0, 1}] = Σ_hw dz, Σ_hw dz·x̂. param_grad: out_dbeta[c], out_dgamma[c] = Σ_b of
//             those (added to the old values if ACCUMULATE). Every sum: f32 per thread (strided), then a tree in workgroup memory.
struct Params { batch: u32, channels: u32, groups: u32, hw: u32, eps: f32 }
override FUSE_SILU: u32 = 0u;
override ACCUMULATE: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> out_mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> out_rstd: array<f32>;
@group(0) @binding(7) var<storage, read> dy: array<f32>;
@group(0) @binding(8) var<storage, read> mean: array<f32>;
@group(0) @binding(9) var<storage, read> rstd: array<f32>;
@group(0) @binding(10) var<storage, read_write> out_partial: array<f32>;
@group(0) @binding(11) var<storage, read> partial: array<f32>;
@group(0) @binding(12) var<storage, read_write> out_dgamma: array<f32>;
@group(0) @binding(13) var<storage, read_write> out_dbeta: array<f32>;

var<workgroup> red: array<vec2f, 256>;

// Sum of v over the workgroup, returned to every thread (call in uniform control flow).
fn wg_sum(lid: u32, v: vec2f) -> vec2f {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn sigmoid(z: f32) -> f32 {
  return 1.0 / (1.0 + exp(-z));
}

fn group_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = group_index(wid, nwg);
  if (r >= params.batch * params.groups) { return; }   // uniform per workgroup: safe before barriers
  let cg = params.channels / params.groups;
  let hw = params.hw;
  let n = cg * hw;
  let base = r * n;
  let c0 = (r % params.groups) * cg;
  var s = 0.0;
  for (var j = lid; j < n; j += 256u) { s += x[base + j]; }
  let mu = wg_sum(lid, vec2f(s, 0.0)).x / f32(n);
  var acc = vec2f(0.0);
  for (var j = lid; j < n; j += 256u) {
    let d = x[base + j] - mu;
    acc += vec2f(d * d, d);
  }
  let t = wg_sum(lid, acc);
  let variance = max((t.x - t.y * t.y / f32(n)) / f32(n), 0.0);
  let rs = 1.0 / sqrt(variance + params.eps);
  if (lid == 0u) {
    out_mean[r] = mu;
    out_rstd[r] = rs;
  }
  for (var j = lid; j < n; j += 256u) {
    let c = c0 + j / hw;
    let z = gamma[c] * ((x[base + j] - mu) * rs) + beta[c];
    if (FUSE_SILU != 0u) { out[base + j] = z * sigmoid(z); } else { out[base + j] = z; }
  }
}

// dL/dz from dL/dy at one element (x̂ given), for channel c.
fn grad_z(g: f32, xh: f32, c: u32) -> f32 {
  if (FUSE_SILU == 0u) { return g; }
  let z = gamma[c] * xh + beta[c];
  let sg = sigmoid(z);
  return g * sg * (1.0 + z * (1.0 - sg));
}

@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = group_index(wid, nwg);
  if (r >= params.batch * params.groups) { return; }
  let cg = params.channels / params.groups;
  let hw = params.hw;
  let n = cg * hw;
  let base = r * n;
  let c0 = (r % params.groups) * cg;
  let mu = mean[r];
  let rs = rstd[r];
  // Per channel: Σ dz and Σ dz·x̂ (for dβ, dγ); their γ-weighted totals give the group means.
  var tot = vec2f(0.0);
  for (var k = 0u; k < cg; k++) {
    let c = c0 + k;
    let off = base + k * hw;
    var acc = vec2f(0.0);
    for (var s = lid; s < hw; s += 256u) {
      let xh = (x[off + s] - mu) * rs;
      let dz = grad_z(dy[off + s], xh, c);
      acc += vec2f(dz, dz * xh);
    }
    let sums = wg_sum(lid, acc);
    if (lid == 0u) {
      out_partial[2u * (r * cg + k)] = sums.x;        // r·cg + k = b·C + c
      out_partial[2u * (r * cg + k) + 1u] = sums.y;
    }
    tot += gamma[c] * sums;
  }
  let m1 = tot.x / f32(n);
  let m2 = tot.y / f32(n);
  for (var j = lid; j < n; j += 256u) {
    let c = c0 + j / hw;
    let xh = (x[base + j] - mu) * rs;
    let dz = grad_z(dy[base + j], xh, c);
    out[base + j] = rs * (gamma[c] * dz - m1 - xh * m2);
  }
}

@compute @workgroup_size(64)
fn param_grad(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= params.channels) { return; }
  var db = 0.0;
  var dg = 0.0;
  for (var b = 0u; b < params.batch; b++) {
    let i = 2u * (b * params.channels + c);
    db += partial[i];
    dg += partial[i + 1u];
  }
  if (ACCUMULATE != 0u) {
    db += out_dbeta[c];
    dg += out_dgamma[c];
  }
  out_dbeta[c] = db;
  out_dgamma[c] = dg;
}
