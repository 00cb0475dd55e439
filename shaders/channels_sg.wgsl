// Per-plane sums for CPU rasterisers (lavapipe), inner % 4 = 0: sum_planes of shaders/channels.wgsl with one subgroup
// of SG lanes a j, vec4 loads and one subgroupAdd instead of 64 lanes, scalar loads and a barrier tree:
// out[j] = Σ_{o < outer} Σ_{p < inner} x[(o·m + j)·inner + p] (the bias gradient of an NCHW broadcast).
// Lane l sums vec4s p = l, l + SG, … of each plane in a fixed order (deterministic). Grid: m workgroups folded 2-D.
enable subgroups;

struct Params { m: u32, inner: u32, outer: u32 }

override SG: u32 = 16u;  // lanes: the subgroup size

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(SG)
fn sum_planes4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let j = wid.y * nwg.x + wid.x;
  if (j >= params.m) { return; }   // uniform: the whole subgroup leaves
  let inner4 = params.inner / 4u;
  var acc = vec4<f32>(0.0);
  for (var o = 0u; o < params.outer; o++) {
    let base = (o * params.m + j) * inner4;
    for (var p0 = 0u; p0 < inner4; p0 += SG) {   // a uniform bound: subgroupAdd below needs uniform control flow
      let p = p0 + lane;
      acc += select(vec4<f32>(0.0), x4[base + min(p, inner4 - 1u)], p < inner4);
    }
  }
  let s = subgroupAdd((acc.x + acc.y) + (acc.z + acc.w));
  if (lane == 0u) { out[j] = s; }
}
