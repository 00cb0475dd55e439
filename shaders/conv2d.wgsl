// 2-D convolution (NCHW, stride 1, zero padding) as implicit GEMMs with workgroup-memory tiles; the im2col coordinates
// are computed in the tile loads, never stored. 16×16 threads, a 64×64 output tile, 4×4 a thread, K in slices of 16.
// forward: out[b,n,y,x] = Σ_{a,i,j} wp[(a·kh+i)·kwp+j, n]·xin[b,a,y+i−pad_y,x+j−pad_x] (+ bias[n]) (+ out if acc):
//   M = b·ho·wo pixels, N = n, K = a·kh·kwp; wp is pack_weights' output (backward-data = forward over dy with the
//   transposed, flipped kernel and padding k−1−pad). Grid: ⌈M/64⌉·⌈N/64⌉ folded 2-D.
// backward_weight: out[chunk,m,c] = Σ_{pixels p of the chunk} dy[b,m,p]·xin[b,a,y+i−pad_y,x+j−pad_x], c = (a·kh+i)·kw+j:
//   split-K partials over chunks of chunk_len pixels (M = n, N = a·kh·kw). Grid: chunks·⌈M/64⌉·⌈N/64⌉ folded 2-D.
// pack_weights: out[((a·kh+i)·kwp+j)·np+c] = w[c,a,i,j] (flip: w[a,c,kh−1−i,kw−1−j]), zero for j ≥ kw or c ≥ n. 256 threads.
// reduce_partials: out[e] = Σ_{c<chunks} src[c·len+e] (+ out[e] if acc), e < len. 256 threads.
// bias_grad: out[m] = Σ_{b,p} src[(b·n+m)·ho·wo+p] (+ out[m] if acc), one workgroup of 256 a channel m.
struct Params {
  a: u32, h: u32, w: u32,             // input channels, height, width
  n: u32, ho: u32, wo: u32,           // output channels, height, width
  kh: u32, kw: u32, kwp: u32,         // kernel rows, columns, columns of the packed weights
  pad_y: i32, pad_x: i32,
  np: u32,                            // output channels of the packed weights
  bsz: u32,                           // batch
  ncol: u32, kdim: u32,               // GEMM columns and inner length
  mtiles: u32, ntiles: u32,           // 64-wide tiles along M and N
  chunks: u32, chunk_len: u32,        // split-K chunks (backward_weight, reduce_partials); pixels a chunk
  len: u32,                           // pack_weights / reduce_partials: elements
  flip: u32, acc: u32, has_bias: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xin: array<f32>;
@group(0) @binding(2) var<storage, read> wp: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read> src: array<f32>;

const BT: u32 = 64u;  // tile side
const BK: u32 = 16u;  // inner slice
var<workgroup> ta: array<f32, 1024>;  // [k][m]
var<workgroup> tb: array<f32, 1024>;  // [k][n]

// Input at image bi, channel a, row yy, column xx; zero outside.
fn x_at(bi: u32, a: u32, yy: i32, xx: i32) -> f32 {
  let ok = yy >= 0 && yy < i32(params.h) && xx >= 0 && xx < i32(params.w);
  let at = select(0u, ((bi * params.a + a) * params.h + u32(yy)) * params.w + u32(xx), ok);
  return select(0.0, xin[at], ok);
}

// acc[r][c] += ta[k][tx + 16r]·tb[k][ty + 16c] over the slice.
fn mma(tx: u32, ty: u32, acc: ptr<function, array<vec4f, 4>>) {
  for (var k = 0u; k < BK; k++) {
    let av = vec4f(ta[k * BT + tx], ta[k * BT + tx + 16u], ta[k * BT + tx + 32u], ta[k * BT + tx + 48u]);
    let bv = vec4f(tb[k * BT + ty], tb[k * BT + ty + 16u], tb[k * BT + ty + 32u], tb[k * BT + ty + 48u]);
    for (var r = 0u; r < 4u; r++) { (*acc)[r] = fma(vec4f(av[r]), bv, (*acc)[r]); }
  }
}

@compute @workgroup_size(16, 16)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) l: vec3u, @builtin(local_invocation_index) li: u32) {
  let lin = wid.y * nwg.x + wid.x;
  if (lin >= params.mtiles * params.ntiles) { return; }   // uniform per workgroup
  let m0 = (lin / params.ntiles) * BT;
  let n0 = (lin % params.ntiles) * BT;
  let hwo = params.ho * params.wo;
  let mtot = params.bsz * hwo;
  // This thread loads pixel m0 + li % 64 of the A tile (rows k = li / 64 + 4s) and column n0 + li % 64 of B.
  let mm = min(m0 + li % BT, mtot - 1u);
  let bi = mm / hwo;
  let oy = i32((mm % hwo) / params.wo);
  let ox = i32(mm % params.wo);
  let khw = params.kh * params.kwp;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < params.kdim; k0 += BK) {
    for (var s = 0u; s < 4u; s++) {
      let kk = li / BT + 4u * s;
      let k = k0 + kk;
      var v = 0.0;
      if (k < params.kdim) {
        let a = k / khw;
        let ij = k % khw;
        v = x_at(bi, a, oy + i32(ij / params.kwp) - params.pad_y, ox + i32(ij % params.kwp) - params.pad_x);
      }
      ta[kk * BT + li % BT] = v;
      let n = n0 + li % BT;
      tb[kk * BT + li % BT] = select(0.0, wp[select(0u, k * params.np + n, k < params.kdim && n < params.np)], k < params.kdim && n < params.np);
    }
    workgroupBarrier();
    mma(l.x, l.y, &acc);
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let m = m0 + l.x + 16u * r;
    if (m >= mtot) { continue; }
    let bo = m / hwo;
    let p = m % hwo;
    for (var c = 0u; c < 4u; c++) {
      let n = n0 + l.y + 16u * c;
      if (n < params.n) {
        let at = (bo * params.n + n) * hwo + p;
        var v = acc[r][c];
        if (params.has_bias != 0u) { v += bias[n]; }
        if (params.acc != 0u) { v += out[at]; }
        out[at] = v;
      }
    }
  }
}

@compute @workgroup_size(16, 16)
fn backward_weight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) l: vec3u, @builtin(local_invocation_index) li: u32) {
  let lin = wid.y * nwg.x + wid.x;
  if (lin >= params.chunks * params.mtiles * params.ntiles) { return; }   // uniform per workgroup
  let chunk = lin / (params.mtiles * params.ntiles);
  let tile = lin % (params.mtiles * params.ntiles);
  let m0 = (tile / params.ntiles) * BT;   // output channels of dy
  let n0 = (tile % params.ntiles) * BT;   // columns (a, i, j)
  let hwo = params.ho * params.wo;
  let kbeg = chunk * params.chunk_len;
  let kend = min(params.bsz * hwo, kbeg + params.chunk_len);
  // This thread loads channel m0 + li % 64 of A and column n0 + li % 64 of B (rows k = li / 64 + 4s).
  let mrow = m0 + li % BT;
  let ncl = min(n0 + li % BT, params.ncol - 1u);
  let khw = params.kh * params.kw;
  let ca = ncl / khw;
  let ci = i32((ncl % khw) / params.kw) - params.pad_y;
  let cj = i32(ncl % params.kw) - params.pad_x;
  var acc: array<vec4f, 4>;
  for (var k0 = kbeg; k0 < kend; k0 += BK) {
    for (var s = 0u; s < 4u; s++) {
      let kk = li / BT + 4u * s;
      let p = k0 + kk;
      var va = 0.0;
      var vb = 0.0;
      if (p < kend) {
        let bi = p / hwo;
        let q = p % hwo;
        if (mrow < params.n) { va = dy[(bi * params.n + mrow) * hwo + q]; }
        if (n0 + li % BT < params.ncol) { vb = x_at(bi, ca, i32(q / params.wo) + ci, i32(q % params.wo) + cj); }
      }
      ta[kk * BT + li % BT] = va;
      tb[kk * BT + li % BT] = vb;
    }
    workgroupBarrier();
    mma(l.x, l.y, &acc);
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let m = m0 + l.x + 16u * r;
    if (m >= params.n) { continue; }
    for (var c = 0u; c < 4u; c++) {
      let n = n0 + l.y + 16u * c;
      if (n < params.ncol) { out[(chunk * params.n + m) * params.ncol + n] = acc[r][c]; }
    }
  }
}

@compute @workgroup_size(256)
fn pack_weights(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let e = (wid.y * nwg.x + wid.x) * 256u + li;
  if (e >= params.len) { return; }
  let n = e % params.np;
  let t = e / params.np;
  let j = t % params.kwp;
  let ai = t / params.kwp;
  let i = ai % params.kh;
  let a = ai / params.kh;
  var v = 0.0;
  if (j < params.kw && n < params.n) {
    if (params.flip != 0u) {
      v = src[((a * params.n + n) * params.kh + params.kh - 1u - i) * params.kw + params.kw - 1u - j];
    } else {
      v = src[((n * params.a + a) * params.kh + i) * params.kw + j];
    }
  }
  out[e] = v;
}

@compute @workgroup_size(256)
fn reduce_partials(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let e = (wid.y * nwg.x + wid.x) * 256u + li;
  if (e >= params.len) { return; }
  var s = 0.0;
  for (var c = 0u; c < params.chunks; c++) { s += src[c * params.len + e]; }
  if (params.acc != 0u) { s += out[e]; }
  out[e] = s;
}

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn bias_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let m = wid.y * nwg.x + wid.x;
  if (m >= params.n) { return; }   // uniform per workgroup
  let hwo = params.ho * params.wo;
  var s = 0.0;
  for (var e = li; e < params.bsz * hwo; e += 256u) { s += src[((e / hwo) * params.n + m) * hwo + e % hwo]; }
  part[li] = s;
  workgroupBarrier();
  for (var h = 128u; h > 0u; h >>= 1u) {
    if (li < h) { part[li] += part[li + h]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    var v = part[0];
    if (params.acc != 0u) { v += out[m]; }
    out[m] = v;
  }
}
