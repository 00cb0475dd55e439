// 2× resampling of `planes` = B·C planes (NCHW) with a separable filter w (taps ≤ 4, 2-D weight w[ky]·w[kx]),
// padding `pad`, as depthwise convolutions with stride 2; one thread an output element, 256 a workgroup, 1-D grid folded.
// down (strided correlation, torch conv2d):          out[o] = Σ_k w[k]·x[2o − pad + k]  (per axis; zero outside)
// up (transposed, torch conv_transpose2d stride 2):  out[o] = Σ_{k, i: 2i − pad + k = o} w[k]·x[i]
// The host scales w: forward down f/Σf, forward up 2f/Σf per axis; each is the other's backward (down's backward
// is `up` with f/Σf into the input's size, up's backward is `down` with 2f/Σf). [1,1] pad 0 = 2×2 mean / nearest.
struct Params { planes: u32, in_h: u32, in_w: u32, out_h: u32, out_w: u32, taps: u32, pad: i32, w: vec4<f32> }  // vec4<f32>: the runtime reflection does not accept the vec4f alias in Params

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn linear_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn down(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  let plane_out = params.out_h * params.out_w;
  if (i >= params.planes * plane_out) { return; }
  let pl = i / plane_out;
  let rem = i % plane_out;
  let oy = i32(rem / params.out_w);
  let ox = i32(rem % params.out_w);
  let h = i32(params.in_h);
  let wd = i32(params.in_w);
  let base = pl * params.in_h * params.in_w;
  var acc = 0.0;
  for (var ky = 0u; ky < params.taps; ky++) {
    let iy = 2 * oy - params.pad + i32(ky);
    if (iy < 0 || iy >= h) { continue; }
    var row = 0.0;
    for (var kx = 0u; kx < params.taps; kx++) {
      let ix = 2 * ox - params.pad + i32(kx);
      if (ix >= 0 && ix < wd) { row += params.w[kx] * x[base + u32(iy * wd + ix)]; }
    }
    acc += params.w[ky] * row;
  }
  out[i] = acc;
}

@compute @workgroup_size(256)
fn up(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid);
  let plane_out = params.out_h * params.out_w;
  if (i >= params.planes * plane_out) { return; }
  let pl = i / plane_out;
  let rem = i % plane_out;
  let oy = i32(rem / params.out_w);
  let ox = i32(rem % params.out_w);
  let h = i32(params.in_h);
  let wd = i32(params.in_w);
  let base = pl * params.in_h * params.in_w;
  var acc = 0.0;
  // Taps k with o + pad − k even (every other tap, from the parity of o + pad); the input index is (o + pad − k)/2.
  // Stepping by 2 from the parity keeps every lane's trip count the same (on CPU drivers a masked-off load still costs).
  for (var ky = u32((oy + params.pad) & 1); ky < params.taps; ky += 2u) {
    let ty = oy + params.pad - i32(ky);
    if (ty < 0 || ty / 2 >= h) { continue; }
    var row = 0.0;
    for (var kx = u32((ox + params.pad) & 1); kx < params.taps; kx += 2u) {
      let tx = ox + params.pad - i32(kx);
      if (tx >= 0 && tx / 2 < wd) { row += params.w[kx] * x[base + u32((ty / 2) * wd + tx / 2)]; }
    }
    acc += params.w[ky] * row;
  }
  out[i] = acc;
}
