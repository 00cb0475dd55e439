// Elementwise kernels over n elements, one thread an element, 256 threads a workgroup;
// the 1-D grid is folded into (x, y) when n/256 > 65535: i = (wid.y·nwg.x + wid.x)·256 + lid.
// map:   out[i] = f(alpha·x[i] + beta), f chosen by the override OP (see fn apply)
// axpby: out[i] = alpha·x[i] + beta·y[i]      mul: out[i] = alpha·x[i]·y[i] + beta
// Row broadcasts (x is rows×cols, y a length-cols vector): axpby_row, mul_row use y[i % cols].
// map4, axpby4, mul4: the same with a thread a vec4 (n % 4 = 0; x4, y4, out4 alias x, y, out): CPU drivers
// (lavapipe) turn every per-lane load into a loop over the lanes, so a vec4 load moves 4× the data (2.7× faster).
struct Params { n: u32, cols: u32, alpha: f32, beta: f32 }
override OP: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> y4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

// 0 identity, 1 square, 2 sqrt, 3 exp, 4 log, 5 tanh, 6 silu, 7 sigmoid, 8 abs, 9 clamp to [-1, 1], 10 relu
fn apply(v: f32) -> f32 {
  switch OP {
    case 1u: { return v * v; }
    case 2u: { return sqrt(v); }
    case 3u: { return exp(v); }
    case 4u: { return log(v); }
    case 5u: { return tanh(v); }
    case 6u: { return v / (1.0 + exp(-v)); }
    case 7u: { return 1.0 / (1.0 + exp(-v)); }
    case 8u: { return abs(v); }
    case 9u: { return clamp(v, -1.0, 1.0); }
    case 10u: { return max(v, 0.0); }
    default: { return v; }
  }
}

@compute @workgroup_size(256)
fn map(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = apply(params.alpha * x[i] + params.beta);
}

@compute @workgroup_size(256)
fn axpby(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha * x[i] + params.beta * y[i];
}

@compute @workgroup_size(256)
fn mul(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha * x[i] * y[i] + params.beta;
}

@compute @workgroup_size(256)
fn axpby_row(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha * x[i] + params.beta * y[i % params.cols];
}

@compute @workgroup_size(256)
fn mul_row(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = params.alpha * x[i] * y[i % params.cols] + params.beta;
}

// ---- vec4 variants (n % 4 = 0): i indexes vec4s, i < n/4 -----------------------------------------

fn apply4(v: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(apply(v.x), apply(v.y), apply(v.z), apply(v.w));
}

@compute @workgroup_size(256)
fn map4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n / 4u) { return; }
  out4[i] = apply4(params.alpha * x4[i] + params.beta);
}

@compute @workgroup_size(256)
fn axpby4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n / 4u) { return; }
  out4[i] = params.alpha * x4[i] + params.beta * y4[i];
}

@compute @workgroup_size(256)
fn mul4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= params.n / 4u) { return; }
  out4[i] = params.alpha * x4[i] * y4[i] + params.beta;
}
