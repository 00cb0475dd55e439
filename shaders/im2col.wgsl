// Convolution lowering for NCHW images (stride 1, zero padding), one thread an output element;
// 1-D grid folded into (x, y): i = (wid.y·nwg.x + wid.x)·256 + lid. Samples first … first + nb − 1.
// im2col: out[b][(c·K + ky)·K + kx][y·OW + x] = x[first + b, c, y + ky − pad, x + kx − pad] (0 outside)
// col2im: out[first + b, c, y, x] = Σ_{ky, kx} x[b][(c·K + ky)·K + kx][(y + pad − ky)·OW + (x + pad − kx)]
//         over the terms inside the OH×OW grid (the adjoint of im2col, as a gather: no atomics)
struct Params { nb: u32, first: u32, channels: u32, h: u32, w: u32, k: u32, pad: u32, oh: u32, ow: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn im2col(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  let opix = params.oh * params.ow;
  let kk = params.k * params.k;
  if (i >= params.nb * params.channels * kk * opix) { return; }
  let p = i % opix;
  let r = (i / opix) % (params.channels * kk);
  let b = i / (opix * params.channels * kk);
  let c = r / kk;
  let ky = (r / params.k) % params.k;
  let kx = r % params.k;
  let sy = i32(p / params.ow + ky) - i32(params.pad);
  let sx = i32(p % params.ow + kx) - i32(params.pad);
  var value = 0.0;
  if (sy >= 0 && sx >= 0 && sy < i32(params.h) && sx < i32(params.w)) {
    value = x[(((params.first + b) * params.channels + c) * params.h + u32(sy)) * params.w + u32(sx)];
  }
  out[i] = value;
}

@compute @workgroup_size(256)
fn col2im(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  let hw = params.h * params.w;
  if (i >= params.nb * params.channels * hw) { return; }
  let xx = i % params.w;
  let yy = (i / params.w) % params.h;
  let c = (i / hw) % params.channels;
  let b = i / (hw * params.channels);
  let opix = params.oh * params.ow;
  let kk = params.k * params.k;
  var acc = 0.0;
  for (var ky = 0u; ky < params.k; ky++) {
    let oy = i32(yy + params.pad) - i32(ky);
    if (oy < 0 || oy >= i32(params.oh)) { continue; }
    for (var kx = 0u; kx < params.k; kx++) {
      let ox = i32(xx + params.pad) - i32(kx);
      if (ox < 0 || ox >= i32(params.ow)) { continue; }
      acc += x[(b * params.channels * kk + c * kk + ky * params.k + kx) * opix + u32(oy) * params.ow + u32(ox)];
    }
  }
  out[(params.first * params.channels) * hw + i] = acc;
}
