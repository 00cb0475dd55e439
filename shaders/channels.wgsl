// Broadcasts, channel copies and outer sums for NCHW tensors, one thread an output element
// (256 a workgroup, 1-D grid folded into (x, y): i = (wid.y·nwg.x + wid.x)·256 + lid).
// mul:       out[i] = alpha·x[i]·v[(i / inner) % m]            (per-sample, per-(n,c), per-channel scales)
// add:       out[i] = alpha·x[i] + beta·v[(i / inner) % m]     (biases broadcast over inner elements)
// copy:      out[b, dst_off + c, p] = x[b, src_off + c, p], c < count, p < inner (concat / split)
// sum_outer: out[j] = Σ_{o < outer} x[o·m + j] in order o = 0, 1, … (deterministic column sums)
// expand:    out[i] = alpha·v[(i / inner) % m]   fill: out[i] = alpha
// sum_planes: out[j] = Σ_{o < outer} Σ_{p < inner} x[(o·m + j)·inner + p]: one workgroup of 64 lanes a j
//            (lanes stride p, then a tree in workgroup memory; fixed order, so deterministic)
// crop_pad:  out[p, i, j] = x[p, i + off_y, j + off_x] (0 outside x), p < n planes of in_h×in_w → out_h×out_w (crop / zero-pad)
// mul4, add4, copy4: mul, add, copy with a thread a vec4 of 4 consecutive elements along inner (x4, out4 alias x, out;
//            n and inner count vec4s), used when inner % 4 = 0, so no vec4 straddles a channel or broadcast index.
struct Params { n: u32, inner: u32, m: u32, alpha: f32, beta: f32, count: u32, src_c: u32, dst_c: u32, src_off: u32, dst_off: u32, outer: u32,
  in_h: u32, in_w: u32, out_h: u32, out_w: u32, off_y: i32, off_x: i32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out4: array<vec4<f32>>;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn mul(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha * x[i] * v[(i / params.inner) % params.m];
}

@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha * x[i] + params.beta * v[(i / params.inner) % params.m];
}

@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  let p = i % params.inner;
  let c = (i / params.inner) % params.count;
  let b = i / (params.inner * params.count);
  out[(b * params.dst_c + params.dst_off + c) * params.inner + p] = x[(b * params.src_c + params.src_off + c) * params.inner + p];
}

@compute @workgroup_size(256)
fn mul4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out4[i] = params.alpha * x4[i] * v[(i / params.inner) % params.m];
}

@compute @workgroup_size(256)
fn add4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out4[i] = params.alpha * x4[i] + params.beta * v[(i / params.inner) % params.m];
}

@compute @workgroup_size(256)
fn copy4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  let p = i % params.inner;
  let c = (i / params.inner) % params.count;
  let b = i / (params.inner * params.count);
  out4[(b * params.dst_c + params.dst_off + c) * params.inner + p] = x4[(b * params.src_c + params.src_off + c) * params.inner + p];
}

@compute @workgroup_size(256)
fn sum_outer(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = index(wid, nwg, lid);
  if (j >= params.m) { return; }
  var acc = 0.0;
  for (var o = 0u; o < params.outer; o++) { acc += x[o * params.m + j]; }
  out[j] = acc;
}

@compute @workgroup_size(256)
fn expand(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha * v[(i / params.inner) % params.m];
}

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha;
}

@compute @workgroup_size(256)
fn crop_pad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n * params.out_h * params.out_w) { return; }
  let ox = i % params.out_w;
  let oy = (i / params.out_w) % params.out_h;
  let p = i / (params.out_w * params.out_h);
  let sy = i32(oy) + params.off_y;
  let sx = i32(ox) + params.off_x;
  var value = 0.0;
  if (sy >= 0 && sx >= 0 && sy < i32(params.in_h) && sx < i32(params.in_w)) {
    value = x[(p * params.in_h + u32(sy)) * params.in_w + u32(sx)];
  }
  out[i] = value;
}

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn sum_planes(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = wid.y * nwg.x + wid.x;
  if (j >= params.m) { return; }
  var acc = 0.0;
  for (var o = 0u; o < params.outer; o++) {
    let base = (o * params.m + j) * params.inner;
    for (var p = lid; p < params.inner; p += 64u) { acc += x[base + p]; }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[j] = partial[0]; }
}
