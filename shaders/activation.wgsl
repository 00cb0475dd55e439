// Activations with their backward passes, one thread an element (dropout: a thread 4 elements), 256 a workgroup,
// 1-D grid folded into (x, y). silu: out = x·σ(x). silu_backward: out = dy·σ(x)·(1 + x·(1 − σ(x))).
// dropout: out[i] = x[i]·scale if bits(i) ≥ threshold else 0, bits(i) = the 24 high bits of word i%4 of
// philox(counter ((base + i)/4, offset, 0, 0), key (seed_lo, seed_hi)); P(drop) = threshold/2^24, scale = 1/(1 − p). Its
// backward is the same kernel on dy with the same seed and offset. philox comes from shaders/philox.wgsl, as in
// shaders/random.wgsl: the same stream as randomUniform(seed, offset).
// base: the element index of this panel's first element in the whole tensor (a multiple of 64), for the mask.
struct Params { n: u32, base: u32, seed_lo: u32, seed_hi: u32, offset: u32, threshold: u32, scale: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}

fn linear_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn silu(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  let v = x[i];
  out[i] = v * sigmoid(v);
}

@compute @workgroup_size(256)
fn silu_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  let v = x[i];
  let s = sigmoid(v);
  out[i] = dy[i] * s * (1.0 + v * (1.0 - s));
}

// ---- Philox4x32-10 (shaders/philox.wgsl) ---------------------------------------------------

//#include philox

@compute @workgroup_size(256)
fn dropout(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = linear_index(wid, nwg, lid);
  if (4u * t >= params.n) { return; }
  let r = philox(vec4u(params.base / 4u + t, params.offset, 0u, 0u), vec2u(params.seed_lo, params.seed_hi));
  for (var j = 0u; j < 4u; j++) {
    let i = 4u * t + j;
    if (i < params.n) { out[i] = select(0.0, x[i] * params.scale, (r[j] >> 8u) >= params.threshold); }
  }
}
