// Optimiser updates over flat parameter buffers of n elements, one thread an element, 256 a workgroup, 1-D grid folded.
// adam (in place): g = grad·grad_scale (SANITIZE: NaN → 0, ±inf → ±1e5, as EDM's nan_to_num); CLIP: g ·= min(1,
//   max_norm/(|grad_scale|·√norm_sq[0] + 1e-6)) with norm_sq[0] = Σ grad² precomputed on the GPU; m = β1 m + (1−β1) g,
//   v = β2 v + (1−β2) g²; p ·= 1 − lr·weight_decay (decoupled, AdamW); p −= lr·inv_bc1·m/(√v·inv_sqrt_bc2 + eps),
//   inv_bc1 = 1/(1 − β1^t), inv_sqrt_bc2 = 1/√(1 − β2^t) and 1 − β computed in float64 by the host.
// ema: out_ema += ema_weight·(param − out_ema), ema_weight = 1 − β (= β·ema + (1 − β)·param).
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, one_minus_beta1: f32, one_minus_beta2: f32, eps: f32, inv_bc1: f32, inv_sqrt_bc2: f32, grad_scale: f32, max_norm: f32, weight_decay: f32, ema_weight: f32 }
override CLIP: u32 = 0u;
override SANITIZE: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out_param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_m: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_v: array<f32>;
@group(0) @binding(5) var<storage, read> norm_sq: array<f32>;
@group(0) @binding(6) var<storage, read> param: array<f32>;
@group(0) @binding(7) var<storage, read_write> out_ema: array<f32>;

fn linear_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

// NaN → 0, ±inf → ±1e5, by bit pattern (compilers may assume floats are finite).
fn sanitize(g: f32) -> f32 {
  let bits = bitcast<u32>(g);
  if ((bits & 0x7f800000u) != 0x7f800000u) { return g; }
  if ((bits & 0x007fffffu) != 0u) { return 0.0; }
  return select(1e5, -1e5, (bits >> 31u) != 0u);
}

@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  var g = grad[i] * params.grad_scale;
  if (SANITIZE != 0u) { g = sanitize(g); }
  if (CLIP != 0u) { g *= min(1.0, params.max_norm / (abs(params.grad_scale) * sqrt(norm_sq[0]) + 1e-6)); }
  let m = params.beta1 * out_m[i] + params.one_minus_beta1 * g;
  let v = params.beta2 * out_v[i] + params.one_minus_beta2 * g * g;
  out_m[i] = m;
  out_v[i] = v;
  var p = out_param[i];
  p -= params.lr * params.weight_decay * p;
  out_param[i] = p - params.lr * params.inv_bc1 * m / (sqrt(v) * params.inv_sqrt_bc2 + params.eps);
}

@compute @workgroup_size(256)
fn ema(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  let e = out_ema[i];
  out_ema[i] = e + params.ema_weight * (param[i] - e);
}
