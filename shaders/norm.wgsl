// Group norm, NCHW: x is B×C×HW with G groups of CG = C/G channels; group r = b·G + g is the contiguous
// run x[r·N …] of N = CG·HW elements. One 256-thread workgroup a group (param_grad: a thread a channel).
// forward:    two passes: μ0 = Σx/N, then d = x − μ0 (exact near the mean), δ = Σd/N, var = Σd²/N − δ² (corrected
//             two-pass); rstd = 1/√(var + eps); x̂ = (d − δ)·rstd, so a float32-rounded mean costs no accuracy even if
//             |mean| ≫ std; z = γ_c·x̂ + β_c; out = z, or silu(z) if silu; out_mean[r] = μ0 + δ, out_rstd[r].
// backward:   δ = Σ(x − mean)/N first (the stored mean's rounding), x̂ = ((x − mean) − δ)·rstd;
//             dz = dy (·silu'(z) if silu, z recomputed); dx = rstd·(γ_c·dz − ⟨γ dz⟩ − x̂·⟨γ dz x̂⟩), ⟨⟩ = group mean;
//             out_partial[(b·C + c)·2 + {0, 1}] = Σ_hw dz, Σ_hw dz·x̂. param_grad: out_dbeta[c], out_dgamma[c] = Σ_b of
//             those (added to the old values if accumulate). Every sum: f32 per thread (strided), then one thread over the 256 partials.
// forward4/backward4: the same with a thread a vec4 (x4, dy4, out4 alias x, dy, out) when HW % 4 = 0, so no vec4 straddles channels.
// silu and accumulate are runtime flags, not overrides: a uniform branch costs nothing, and every pipeline
// variant costs llvmpipe seconds of JIT at its first dispatch.
struct Params { batch: u32, channels: u32, groups: u32, hw: u32, eps: f32, silu: u32, accumulate: u32 }

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
@group(0) @binding(14) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(15) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(16) var<storage, read> dy4: array<vec4<f32>>;

var<workgroup> red: array<vec2f, 256>;

// Sum of v over the workgroup, returned to every thread; call in uniform control flow. One thread adds the
// 256 partials (no tree): every barrier is a coroutine split in llvmpipe, and a barrier per tree level (or an
// unrollable inner loop) made the first-dispatch JIT 4–6× slower (~10 s a pipeline under load); the serial sum
// is small next to a group's ≥ 256 loads.
fn wg_sum(lid: u32, v: vec2f) -> vec2f {
  red[lid] = v;
  workgroupBarrier();
  if (lid == 0u) {
    var t = vec2f(0.0);
    var u = vec2f(0.0);
    for (var k = 0u; k < 256u; k++) {   // 16 sums of 16 (one flat loop): rounding grows as 32 terms, not 256
      u += red[k];
      if ((k & 15u) == 15u) {
        t += u;
        u = vec2f(0.0);
      }
    }
    red[0] = t;
  }
  workgroupBarrier();
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
  let delta = t.y / f32(n);                      // mean = mu + delta; x − mu is exact near the mean
  let variance = max(t.x / f32(n) - delta * delta, 0.0);
  let rs = 1.0 / sqrt(variance + params.eps);
  if (lid == 0u) {
    out_mean[r] = mu + delta;
    out_rstd[r] = rs;
  }
  // Element j = base + (c − c0)·hw + s: the channel advances by 256/hw (+1 on wrap) a step, no division.
  let dc = 256u / hw;
  let ds = 256u % hw;
  var c = c0 + lid / hw;
  var sp = lid % hw;
  for (var j = lid; j < n; j += 256u) {
    let z = gamma[c] * (((x[base + j] - mu) - delta) * rs) + beta[c];
    if (params.silu != 0u) { out[base + j] = z * sigmoid(z); } else { out[base + j] = z; }
    c += dc;
    sp += ds;
    if (sp >= hw) { sp -= hw; c += 1u; }
  }
}

// dL/dz from dL/dy at one element (x̂ given), for channel c.
fn grad_z(g: f32, xh: f32, c: u32) -> f32 {
  if (params.silu == 0u) { return g; }
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
  // The float32 mean's rounding residual, so x̂ = ((x − mean) − δ)·rstd is exact even when |mean| ≫ std.
  var sd = 0.0;
  for (var j = lid; j < n; j += 256u) { sd += x[base + j] - mu; }
  let delta = wg_sum(lid, vec2f(sd, 0.0)).x / f32(n);
  // Per channel: Σ dz and Σ dz·x̂ (for dβ, dγ); their γ-weighted totals give the group means.
  var tot = vec2f(0.0);
  for (var k = 0u; k < cg; k++) {
    let c = c0 + k;
    let off = base + k * hw;
    var acc = vec2f(0.0);
    for (var s = lid; s < hw; s += 256u) {
      let xh = ((x[off + s] - mu) - delta) * rs;
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
  let dc = 256u / hw;
  let ds = 256u % hw;
  var c = c0 + lid / hw;
  var sp = lid % hw;
  for (var j = lid; j < n; j += 256u) {
    let xh = ((x[base + j] - mu) - delta) * rs;
    let dz = grad_z(dy[base + j], xh, c);
    out[base + j] = rs * (gamma[c] * dz - m1 - xh * m2);
    c += dc;
    sp += ds;
    if (sp >= hw) { sp -= hw; c += 1u; }
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
  if (params.accumulate != 0u) {
    db += out_dbeta[c];
    dg += out_dgamma[c];
  }
  out_dbeta[c] = db;
  out_dgamma[c] = dg;
}

// ---- vec4 variants (HW % 4 = 0): a channel is hw/4 whole vec4s ------------------------------------

//#include norm_vec4

@compute @workgroup_size(256)
fn forward4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = group_index(wid, nwg);
  if (r >= params.batch * params.groups) { return; }
  let cg = params.channels / params.groups;
  let hw4 = params.hw / 4u;
  let n4 = cg * hw4;
  let base = r * n4;
  let c0 = (r % params.groups) * cg;
  var s = vec4<f32>(0.0);
  for (var j = lid; j < n4; j += 256u) { s += x4[base + j]; }
  let n = f32(4u * n4);
  let mu = wg_sum(lid, vec2f(hsum(s), 0.0)).x / n;
  var sq = vec4<f32>(0.0);
  var sd = vec4<f32>(0.0);
  for (var j = lid; j < n4; j += 256u) {
    let d = x4[base + j] - mu;
    sq += d * d;
    sd += d;
  }
  let t = wg_sum(lid, vec2f(hsum(sq), hsum(sd)));
  let delta = t.y / n;
  let variance = max(t.x / n - delta * delta, 0.0);
  let rs = 1.0 / sqrt(variance + params.eps);
  if (lid == 0u) {
    out_mean[r] = mu + delta;
    out_rstd[r] = rs;
  }
  let dc = 256u / hw4;
  let ds = 256u % hw4;
  var c = c0 + lid / hw4;
  var sp = lid % hw4;
  for (var j = lid; j < n4; j += 256u) {
    let z = gamma[c] * (((x4[base + j] - mu) - delta) * rs) + beta[c];
    if (params.silu != 0u) { out4[base + j] = z / (1.0 + exp(-z)); } else { out4[base + j] = z; }
    c += dc;
    sp += ds;
    if (sp >= hw4) { sp -= hw4; c += 1u; }
  }
}

@compute @workgroup_size(256)
fn backward4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = group_index(wid, nwg);
  if (r >= params.batch * params.groups) { return; }
  let cg = params.channels / params.groups;
  let hw4 = params.hw / 4u;
  let n4 = cg * hw4;
  let base = r * n4;
  let c0 = (r % params.groups) * cg;
  let mu = mean[r];
  let rs = rstd[r];
  var sd = vec4<f32>(0.0);
  for (var j = lid; j < n4; j += 256u) { sd += x4[base + j] - mu; }
  let delta = wg_sum(lid, vec2f(hsum(sd), 0.0)).x / f32(4u * n4);
  var tot = vec2f(0.0);
  for (var k = 0u; k < cg; k++) {
    let c = c0 + k;
    let off = base + k * hw4;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    for (var s = lid; s < hw4; s += 256u) {
      let xh = ((x4[off + s] - mu) - delta) * rs;
      let dz = grad_z4(dy4[off + s], xh, c);
      a0 += dz;
      a1 += dz * xh;
    }
    let sums = wg_sum(lid, vec2f(hsum(a0), hsum(a1)));
    if (lid == 0u) {
      out_partial[2u * (r * cg + k)] = sums.x;
      out_partial[2u * (r * cg + k) + 1u] = sums.y;
    }
    tot += gamma[c] * sums;
  }
  let n = f32(4u * n4);
  let m1 = tot.x / n;
  let m2 = tot.y / n;
  let dc = 256u / hw4;
  let ds = 256u % hw4;
  var c = c0 + lid / hw4;
  var sp = lid % hw4;
  for (var j = lid; j < n4; j += 256u) {
    let xh = ((x4[base + j] - mu) - delta) * rs;
    let dz = grad_z4(dy4[base + j], xh, c);
    out4[base + j] = rs * (gamma[c] * dz - m1 - xh * m2);
    c += dc;
    sp += ds;
    if (sp >= hw4) { sp -= hw4; c += 1u; }
  }
}
