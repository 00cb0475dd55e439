// Convolution lowering for NCHW images (stride 1, zero padding). Samples first … first + nb − 1.
// im2col: out[b][(c·K + ky)·K + kx][y·OW + x] = x[first + b, c, y + ky − pad, x + kx − pad] (0 outside)
// col2im: out[first + b, c, y, x] = Σ_{ky, kx} x[b][(c·K + ky)·K + kx][(y + pad − ky)·OW + (x + pad − kx)]
//         over the terms inside the OH×OW grid (the adjoint of im2col, as a gather: no atomics)
// Threads: one workgroup of WG lanes an input plane (b, c) — im2col writes its K² rows, col2im gathers
// into it — lanes striding along x inside loops over y (and ky, kx): no per-element integer division
// (scalarised, and slow, on CPU rasterisers) and few, large workgroups (llvmpipe pays per workgroup).
struct Params { nb: u32, first: u32, channels: u32, h: u32, w: u32, k: u32, pad: u32, oh: u32, ow: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 32u;

fn plane_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}

@compute @workgroup_size(WG)
fn im2col(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let bc = plane_index(wid, nwg);  // b·C + c
  if (bc >= params.nb * params.channels) { return; }
  let src = (params.first * params.channels + bc) * params.h * params.w;
  let kk = params.k * params.k;
  for (var ky = 0u; ky < params.k; ky++) {
    for (var kx = 0u; kx < params.k; kx++) {
      let dst = (bc * kk + ky * params.k + kx) * params.oh * params.ow;
      for (var oy = 0u; oy < params.oh; oy++) {
        let sy = i32(oy + ky) - i32(params.pad);
        let row_ok = sy >= 0 && sy < i32(params.h);
        for (var ox = lid; ox < params.ow; ox += WG) {
          let sx = i32(ox + kx) - i32(params.pad);
          var value = 0.0;
          if (row_ok && sx >= 0 && sx < i32(params.w)) { value = x[src + u32(sy) * params.w + u32(sx)]; }
          out[dst + oy * params.ow + ox] = value;
        }
      }
    }
  }
}

@compute @workgroup_size(WG)
fn col2im(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let bc = plane_index(wid, nwg);  // b·C + c
  if (bc >= params.nb * params.channels) { return; }
  let dst = (params.first * params.channels + bc) * params.h * params.w;
  let opix = params.oh * params.ow;
  let kk = params.k * params.k;
  for (var yy = 0u; yy < params.h; yy++) {
    for (var xx = lid; xx < params.w; xx += WG) {
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
      out[dst + yy * params.w + xx] = acc;
    }
  }
}
