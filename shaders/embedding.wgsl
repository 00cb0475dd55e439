// Noise-level embeddings of a batch x (B values of c_noise) → out, B×C with C = 2·half: out[b, j] = cos(2π·t),
// out[b, half + j] = sin(2π·t), t = x[b]·φ_j in turns; one thread a (b, j), 256 a workgroup, 1-D grid folded.
// fourier (NCSN++):    φ_j = freqs[j] (cycles per unit: EDM's buffer randn·scale; the 2π is applied here).
// positional (DDPM++): φ_j = max_positions^(−j/den)/2π, den = half − 1 if endpoint else half.
// x·φ is split exactly (Dekker product on 12-bit halves) and reduced to t − round(t) ∈ [−½, ½] before cos/sin.
struct Params { batch: u32, half: u32, max_positions: f32, endpoint: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> freqs: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// The high 12 significant bits of a (bit mask, so no compiler can fold the split away); a − hi is exact.
fn high_half(a: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
}

// a·b − round(a·b), accurate to a few ulp of ½ whatever the size of a·b (< 2^24 turns).
fn frac_turns(a: f32, b: f32) -> f32 {
  let p = a * b;
  let ah = high_half(a);
  let al = a - ah;
  let bh = high_half(b);
  let bl = b - bh;
  let e = (((ah * bh - p) + ah * bl) + al * bh) + al * bl;   // a·b = p + e exactly (every product is exact)
  return (p - round(p)) + e;
}

fn emit(i: u32, t: f32) {
  let b = i / params.half;
  let j = i % params.half;
  let ang = 6.283185307179586 * t;
  out[b * 2u * params.half + j] = cos(ang);
  out[b * 2u * params.half + params.half + j] = sin(ang);
}

fn linear_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn fourier(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.batch * params.half) { return; }
  emit(i, frac_turns(x[i / params.half], freqs[i % params.half]));
}

@compute @workgroup_size(256)
fn positional(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  if (i >= params.batch * params.half) { return; }
  let j = i % params.half;
  let den = select(params.half, params.half - 1u, params.endpoint != 0u);
  // log2(2π) = 2.651496129472319
  let phi = exp2(-f32(j) / f32(den) * log2(params.max_positions) - 2.651496129472319);
  emit(i, frac_turns(x[i / params.half], phi));
}
