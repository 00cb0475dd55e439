// Group norm (+ SiLU) for CPU rasterisers (lavapipe), HW % 4 = 0: the same Params, bindings, math and results as
// forward4 / backward4 of shaders/norm.wgsl, but one workgroup = one subgroup of SG lanes a group, and every sum is a
// subgroupAdd: no workgroup barriers (each one a coroutine switch in llvmpipe) and no serial 256-partial sums.
// Lane l takes vec4s s = l, l + SG, … of each channel's hw/4; loops run to a uniform bound (subgroupAdd needs
// uniform control flow). Grid: B·G workgroups folded 2-D.
enable subgroups;

struct Params { batch: u32, channels: u32, groups: u32, hw: u32, eps: f32, silu: u32, accumulate: u32 }

override SG: u32 = 16u;  // lanes: the subgroup size

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_rstd: array<f32>;
@group(0) @binding(5) var<storage, read> mean: array<f32>;
@group(0) @binding(6) var<storage, read> rstd: array<f32>;
@group(0) @binding(7) var<storage, read_write> out_partial: array<f32>;
@group(0) @binding(8) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> dy4: array<vec4<f32>>;

//#include norm_vec4

// x4 at vec4 s of the group's channel k (zero past the channel's end, for the uniform loop bounds).
fn load_x(off: u32, s: u32, hw4: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), x4[off + min(s, hw4 - 1u)], s < hw4);
}

struct Group { r: u32, cg: u32, hw4: u32, base: u32, c0: u32, live: bool }

fn group_of(wid: vec3u, nwg: vec3u) -> Group {
  let r = wid.y * nwg.x + wid.x;
  let cg = params.channels / params.groups;
  let hw4 = params.hw / 4u;
  return Group(r, cg, hw4, r * cg * hw4, (r % params.groups) * cg, r < params.batch * params.groups);
}

@compute @workgroup_size(SG)
fn forward_sg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let g = group_of(wid, nwg);
  if (!g.live) { return; }   // uniform: the whole subgroup leaves
  let n = f32(4u * g.cg * g.hw4);
  var s = vec4<f32>(0.0);
  for (var k = 0u; k < g.cg; k++) {
    for (var s0 = 0u; s0 < g.hw4; s0 += SG) { s += load_x(g.base + k * g.hw4, s0 + lane, g.hw4); }
  }
  let mu = subgroupAdd(hsum(s)) / n;
  var sq = vec4<f32>(0.0);
  var sd = vec4<f32>(0.0);
  for (var k = 0u; k < g.cg; k++) {
    for (var s0 = 0u; s0 < g.hw4; s0 += SG) {
      let v = s0 + lane;
      let d = select(vec4<f32>(0.0), load_x(g.base + k * g.hw4, v, g.hw4) - mu, v < g.hw4);
      sq += d * d;
      sd += d;
    }
  }
  let t = subgroupAdd(vec2f(hsum(sq), hsum(sd)));
  let delta = t.y / n;                            // mean = mu + delta; x − mu is exact near the mean
  let variance = max(t.x / n - delta * delta, 0.0);
  let rs = 1.0 / sqrt(variance + params.eps);
  if (lane == 0u) {
    out_mean[g.r] = mu + delta;
    out_rstd[g.r] = rs;
  }
  for (var k = 0u; k < g.cg; k++) {
    let c = g.c0 + k;
    let off = g.base + k * g.hw4;
    for (var v = lane; v < g.hw4; v += SG) {
      let z = gamma[c] * (((x4[off + v] - mu) - delta) * rs) + beta[c];
      if (params.silu != 0u) { out4[off + v] = z / (1.0 + exp(-z)); } else { out4[off + v] = z; }
    }
  }
}

@compute @workgroup_size(SG)
fn backward_sg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let g = group_of(wid, nwg);
  if (!g.live) { return; }
  let n = f32(4u * g.cg * g.hw4);
  let mu = mean[g.r];
  let rs = rstd[g.r];
  // The float32 mean's rounding residual, so x̂ = ((x − mean) − δ)·rstd is exact even when |mean| ≫ std.
  var sd = vec4<f32>(0.0);
  for (var k = 0u; k < g.cg; k++) {
    for (var s0 = 0u; s0 < g.hw4; s0 += SG) {
      let v = s0 + lane;
      sd += select(vec4<f32>(0.0), load_x(g.base + k * g.hw4, v, g.hw4) - mu, v < g.hw4);
    }
  }
  let delta = subgroupAdd(hsum(sd)) / n;
  // Per channel: Σ dz and Σ dz·x̂ (for dβ, dγ); their γ-weighted totals give the group means.
  var tot = vec2f(0.0);
  for (var k = 0u; k < g.cg; k++) {
    let c = g.c0 + k;
    let off = g.base + k * g.hw4;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    for (var s0 = 0u; s0 < g.hw4; s0 += SG) {
      let v = min(s0 + lane, g.hw4 - 1u);
      let xh = ((x4[off + v] - mu) - delta) * rs;
      let dz = select(vec4<f32>(0.0), grad_z4(dy4[off + v], xh, c), s0 + lane < g.hw4);
      a0 += dz;
      a1 += dz * xh;
    }
    let sums = subgroupAdd(vec2f(hsum(a0), hsum(a1)));
    if (lane == 0u) {
      out_partial[2u * (g.r * g.cg + k)] = sums.x;      // r·cg + k = b·C + c
      out_partial[2u * (g.r * g.cg + k) + 1u] = sums.y;
    }
    tot += gamma[c] * sums;
  }
  let m1 = tot.x / n;
  let m2 = tot.y / n;
  for (var k = 0u; k < g.cg; k++) {
    let c = g.c0 + k;
    let off = g.base + k * g.hw4;
    for (var v = lane; v < g.hw4; v += SG) {
      let xh = ((x4[off + v] - mu) - delta) * rs;
      let dz = grad_z4(dy4[off + v], xh, c);
      out4[off + v] = rs * (gamma[c] * dz - m1 - xh * m2);
    }
  }
}
