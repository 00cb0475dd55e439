// Optimiser updates over flat parameter buffers. *4 entries: a thread a vec4 (elements 4q … 4q+3, q < n/4: the buffers
// bound as vec4 panels); scalar entries: a thread an element i = first + index (the n mod 4 tail). 256 threads a
// workgroup, 1-D grid folded. adam (in place): g = grad·grad_scale (sanitize: NaN → 0, ±inf → ±1e5, as EDM's nan_to_num);
//   clip: g ·= min(1, max_norm/(|grad_scale|·√norm_sq[0] + 1e-6)), norm_sq[0] = Σ grad² precomputed on the GPU;
//   m = β1 m + (1−β1) g, v = β2 v + (1−β2) g²; p ·= 1 − lr·weight_decay (decoupled, AdamW);
//   p −= lr·inv_bc1·m/(√v·inv_sqrt_bc2 + eps), inv_bc1 = 1/(1 − β1^t), inv_sqrt_bc2 = 1/√(1 − β2^t), 1 − β in float64 by the host.
// ema: out_ema += ema_weight·(param − out_ema), ema_weight = 1 − β (= β·ema + (1 − β)·param).
// clip and sanitize are runtime flags (not overrides): every pipeline variant costs llvmpipe seconds of JIT.
struct Params { n: u32, first: u32, clip: u32, sanitize: u32, lr: f32, beta1: f32, beta2: f32, one_minus_beta1: f32, one_minus_beta2: f32, eps: f32, inv_bc1: f32, inv_sqrt_bc2: f32, grad_scale: f32, max_norm: f32, weight_decay: f32, ema_weight: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out_param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_m: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_v: array<f32>;
@group(0) @binding(5) var<storage, read> norm_sq: array<f32>;
@group(0) @binding(6) var<storage, read> param: array<f32>;
@group(0) @binding(7) var<storage, read_write> out_ema: array<f32>;
@group(0) @binding(8) var<storage, read_write> out_param4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> grad4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> out_m4: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read_write> out_v4: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read> param4: array<vec4<f32>>;
@group(0) @binding(13) var<storage, read_write> out_ema4: array<vec4<f32>>;

fn linear_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

// NaN → 0, ±inf → ±1e5, by bit pattern (compilers may assume floats are finite).
fn sanitize(g: vec4<f32>) -> vec4<f32> {
  let bits = bitcast<vec4<u32>>(g);
  let special = (bits & vec4<u32>(0x7f800000u)) == vec4<u32>(0x7f800000u);
  let nan = special & ((bits & vec4<u32>(0x007fffffu)) != vec4<u32>(0u));
  let inf = select(vec4<f32>(1e5), vec4<f32>(-1e5), (bits >> vec4<u32>(31u)) != vec4<u32>(0u));
  return select(select(g, inf, special), vec4<f32>(0.0), nan);
}

struct Moments { p: vec4<f32>, m: vec4<f32>, v: vec4<f32> }

fn update(p0: vec4<f32>, grad_in: vec4<f32>, m0: vec4<f32>, v0: vec4<f32>) -> Moments {
  var g = grad_in * params.grad_scale;
  if (params.sanitize != 0u) { g = sanitize(g); }
  if (params.clip != 0u) { g *= min(1.0, params.max_norm / (abs(params.grad_scale) * sqrt(norm_sq[0]) + 1e-6)); }
  let m = params.beta1 * m0 + params.one_minus_beta1 * g;
  let v = params.beta2 * v0 + params.one_minus_beta2 * g * g;
  let p = p0 - params.lr * params.weight_decay * p0;
  return Moments(p - params.lr * params.inv_bc1 * m / (sqrt(v) * params.inv_sqrt_bc2 + params.eps), m, v);
}

@compute @workgroup_size(256)
fn adam4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let q = linear_index(wid, nwg, lid);
  if (q >= params.n / 4u) { return; }
  let r = update(out_param4[q], grad4[q], out_m4[q], out_v4[q]);
  out_param4[q] = r.p;
  out_m4[q] = r.m;
  out_v4[q] = r.v;
}

@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = params.first + linear_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  let r = update(vec4<f32>(out_param[i]), vec4<f32>(grad[i]), vec4<f32>(out_m[i]), vec4<f32>(out_v[i]));
  out_param[i] = r.p.x;
  out_m[i] = r.m.x;
  out_v[i] = r.v.x;
}

@compute @workgroup_size(256)
fn ema4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let q = linear_index(wid, nwg, lid);
  if (q >= params.n / 4u) { return; }
  let e = out_ema4[q];
  out_ema4[q] = e + params.ema_weight * (param4[q] - e);
}

@compute @workgroup_size(256)
fn ema(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = params.first + linear_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  let e = out_ema[i];
  out_ema[i] = e + params.ema_weight * (param[i] - e);
}
