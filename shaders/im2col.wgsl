// Convolution lowering for NCHW images (stride 1, zero padding). Samples first … first + nb − 1.
// im2col: out[b][(c·K + ky)·K + kx][y·OW + x] = x[first + b, c, y + ky − pad, x + kx − pad] (0 outside)
// col2im: out[first + b, c, y, x] = Σ_{ky, kx} x[b][(c·K + ky)·K + kx][(y + pad − ky)·OW + (x + pad − kx)]
//         over the terms inside the OH×OW grid (the adjoint of im2col, as a gather: no atomics)
// Threads: 8×8 tiles of pixels (x, y from the grid's x, y) × one row a grid z (im2col: (b, c, ky, kx);
// col2im: (b, c)), so no per-element integer division (scalarised and slow on CPU rasterisers).
struct Params { nb: u32, first: u32, channels: u32, h: u32, w: u32, k: u32, pad: u32, oh: u32, ow: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(8, 8)
fn im2col(@builtin(global_invocation_id) gid: vec3u) {
  let ox = gid.x;
  let oy = gid.y;
  let row = gid.z;  // (b·C + c)·K² + ky·K + kx
  if (ox >= params.ow || oy >= params.oh) { return; }
  let kk = params.k * params.k;
  let kx = row % params.k;
  let ky = (row / params.k) % params.k;
  let bc = row / kk;
  let sy = i32(oy + ky) - i32(params.pad);
  let sx = i32(ox + kx) - i32(params.pad);
  var value = 0.0;
  if (sy >= 0 && sx >= 0 && sy < i32(params.h) && sx < i32(params.w)) {
    value = x[((params.first * params.channels + bc) * params.h + u32(sy)) * params.w + u32(sx)];
  }
  out[(row * params.oh + oy) * params.ow + ox] = value;
}

@compute @workgroup_size(8, 8)
fn col2im(@builtin(global_invocation_id) gid: vec3u) {
  let xx = gid.x;
  let yy = gid.y;
  let bc = gid.z;  // b·C + c
  if (xx >= params.w || yy >= params.h) { return; }
  let opix = params.oh * params.ow;
  let kk = params.k * params.k;
  var acc = 0.0;
  for (var ky = 0u; ky < params.k; ky++) {
    let oy = i32(yy + params.pad) - i32(ky);
    if (oy < 0 || oy >= i32(params.oh)) { continue; }
    for (var kx = 0u; kx < params.k; kx++) {
      let ox = i32(xx + params.pad) - i32(kx);
      if (ox < 0 || ox >= i32(params.ow)) { continue; }
      acc += x[(bc * kk + ky * params.k + kx) * opix + u32(oy) * params.ow + u32(ox)];
    }
  }
  out[((params.first * params.channels + bc) * params.h + yy) * params.w + xx] = acc;
}
