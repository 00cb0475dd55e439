// Counter-based random numbers: Philox4x32-10 (Salmon et al. 2011) keyed by a 64-bit seed.
// Thread t computes block t = philox(counter = (t, offset, 0, 0), key = seed) and writes elements
// 4t … 4t+3: uniforms in (0, 1) or, by Box–Muller on pairs, normals mean + scale·N(0, 1).
// Same seed and offset give the same stream on every device; offset advances a stream.
struct Params { n: u32, seed_lo: u32, seed_hi: u32, offset: u32, mean: f32, scale: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

//#include philox

// 24 high bits to a float strictly inside (0, 1).
fn unit(v: u32) -> f32 {
  return (f32(v >> 8u) + 0.5) * (1.0 / 16777216.0);
}

fn block_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}

@compute @workgroup_size(64)
fn sample_uniform(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = block_index(wid, nwg, lid);
  if (4u * t >= params.n) { return; }
  let r = philox(vec4u(t, params.offset, 0u, 0u), vec2u(params.seed_lo, params.seed_hi));
  for (var j = 0u; j < 4u; j++) {
    let i = 4u * t + j;
    if (i < params.n) { out[i] = params.mean + params.scale * unit(r[j]); }
  }
}

@compute @workgroup_size(64)
fn sample_normal(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = block_index(wid, nwg, lid);
  if (4u * t >= params.n) { return; }
  let r = philox(vec4u(t, params.offset, 0u, 0u), vec2u(params.seed_lo, params.seed_hi));
  let rad0 = sqrt(-2.0 * log(unit(r.x)));
  let rad1 = sqrt(-2.0 * log(unit(r.z)));
  let th0 = 6.283185307179586 * unit(r.y);
  let th1 = 6.283185307179586 * unit(r.w);
  let z = vec4f(rad0 * cos(th0), rad0 * sin(th0), rad1 * cos(th1), rad1 * sin(th1));
  for (var j = 0u; j < 4u; j++) {
    let i = 4u * t + j;
    if (i < params.n) { out[i] = params.mean + params.scale * z[j]; }
  }
}
