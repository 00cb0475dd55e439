// 2-D convolution as implicit GEMMs for CPU rasterisers (lavapipe): one workgroup = one subgroup of SG lanes (8 or 16).
// A lane's own loads are scalar loops there, while subgroupBroadcast from a constant lane is one permute, so the operand
// that every lane shares is loaded once, cooperatively, and broadcast. Same Params, packing and results as conv2d.wgsl.
// forward: out[b,n,y,x] = Σ_{a,i,j} wp[a,i,j,n]·xin[b,a,y+i−pad_y,x+j−pad_x] (+ bias[n]) (+ out): M = pixels, N = n, K = a·kh·kwp.
//   lane = TP consecutive pixels of an output row (TP·SG pixels a workgroup), TQ·4 = 16 output channels a workgroup; K in
//   steps of one kernel row × JW columns: a window of TP + JW − 1 inputs a lane, JW·16 weights broadcast.
// backward_weight: out[chunk,n,a,i,j] = Σ_{rows of the chunk, x} dy[b,n,y,x]·xin[b,a,y+i−pad_y,x+j−pad_x] (split-K partials):
//   lane = one kernel row (a, i) and JW columns, 16 output channels a workgroup; dy of SG pixels × 16 channels is loaded
//   cooperatively (lane = pixel) and broadcast. Grid: (chunks · nblk · mblk), folded 2-D.
enable subgroups;

struct Params {
  a: u32, h: u32, w: u32,             // input channels, height, width
  n: u32, ho: u32, wo: u32,           // output channels, height, width
  kh: u32, kw: u32, kwp: u32,         // kernel rows, columns, columns padded to a multiple of JW (packed weights)
  pad_y: i32, pad_x: i32,
  np: u32,                            // output channels of the packed weights (a multiple of 16)
  groups: u32, gw: u32,               // forward: pixel groups of TP, groups an output row
  nblk: u32, mblk: u32,               // blocks of 16 output channels; blocks of SG pixel groups / kernel rows
  rows: u32, rows_per_chunk: u32,     // backward_weight: output rows b·ho, rows a split-K chunk
  chunks: u32, nr: u32,               // backward_weight: chunks; lane rows a·kh·(kwp/JW)
  acc: u32, has_bias: u32,            // forward: add into out; add bias
}

const TP: u32 = 8u;   // forward: output pixels a lane
const TQ: u32 = 4u;   // vec4s of output channels a workgroup (16 channels)
override SG: u32 = 16u;  // lanes: the subgroup size, 8 or 16
override JW: u32 = 3u;   // kernel columns a step: 3, or 1 for 1×1 kernels

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xin: array<f32>;
@group(0) @binding(2) var<storage, read> wp: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;

var<private> xw: array<f32, 18>;       // a lane's window of inputs along a row (TP + 2 or SG + 2)
var<private> facc: array<vec4f, 32>;   // forward accumulators [pixel t][channel quad q]
var<private> bacc: array<vec4f, 12>;   // backward_weight accumulators [column j][channel quad q]

// Input at (row base rb, column c) of xin, zero outside the row or when the row is out of range.
fn load_x(rb: i32, c: i32, rok: bool) -> f32 {
  let ok = rok && c >= 0 && c < i32(params.w);
  return select(0.0, xin[select(0, rb + c, ok)], ok);
}

// ---- forward ------------------------------------------------------------------------------------

fn fwd_tap(j: u32, wq: array<vec4f, 4>) {
  for (var t = 0u; t < TP; t++) {
    let xv = vec4f(xw[t + j]);
    for (var q = 0u; q < TQ; q++) { facc[t * TQ + q] = fma(xv, wq[q], facc[t * TQ + q]); }
  }
}

@compute @workgroup_size(SG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let lin = wid.y * nwg.x + wid.x;
  if (lin >= params.mblk * params.nblk) { return; }      // uniform: the whole subgroup leaves
  let cb = lin % params.nblk;
  let g = (lin / params.nblk) * SG + lid;
  let live = g < params.groups;
  let gg = min(g, params.groups - 1u);
  let r = gg / params.gw;
  let bi = r / params.ho;
  let y = r % params.ho;
  let x0 = (gg % params.gw) * TP;
  let nq = params.np / 4u;
  let cq0 = cb * TQ;
  for (var t = 0u; t < TP * TQ; t++) { facc[t] = vec4f(0.0); }
  for (var a = 0u; a < params.a; a++) {
    let plane = i32((bi * params.a + a) * params.h);
    for (var i = 0u; i < params.kh; i++) {
      let yy = i32(y + i) - params.pad_y;
      let rok = live && yy >= 0 && yy < i32(params.h);
      let rb = (plane + yy) * i32(params.w);
      for (var jc = 0u; jc < params.kwp; jc += JW) {
        // Weights of columns jc .. jc+JW−1, 16 channels: vec4 L = j·TQ + q at lane L % 8 of w0 (L < 8) or w1.
        let wb = ((a * params.kh + i) * params.kwp + jc) * nq + cq0;
        var w0 = vec4f(0.0);
        var w1 = vec4f(0.0);
        if (lid < min(8u, JW * TQ)) { w0 = wp[wb + (lid / TQ) * nq + lid % TQ]; }
        if (JW == 3u && lid < 4u) { w1 = wp[wb + 2u * nq + lid]; }
        let xs = i32(x0 + jc) - params.pad_x;
        for (var u = 0u; u < TP + JW - 1u; u++) { xw[u] = load_x(rb, xs + i32(u), rok); }
        fwd_tap(0u, array(subgroupBroadcast(w0, 0u), subgroupBroadcast(w0, 1u), subgroupBroadcast(w0, 2u), subgroupBroadcast(w0, 3u)));
        if (JW == 3u) {
          fwd_tap(1u, array(subgroupBroadcast(w0, 4u), subgroupBroadcast(w0, 5u), subgroupBroadcast(w0, 6u), subgroupBroadcast(w0, 7u)));
          fwd_tap(2u, array(subgroupBroadcast(w1, 0u), subgroupBroadcast(w1, 1u), subgroupBroadcast(w1, 2u), subgroupBroadcast(w1, 3u)));
        }
      }
    }
  }
  if (!live) { return; }
  for (var t = 0u; t < TP; t++) {
    let px = x0 + t;
    if (px >= params.wo) { break; }
    for (var q = 0u; q < TQ; q++) {
      for (var c = 0u; c < 4u; c++) {
        let co = (cq0 + q) * 4u + c;
        if (co < params.n) {
          let at = ((bi * params.n + co) * params.ho + y) * params.wo + px;
          var v = facc[t * TQ + q][c];
          if (params.has_bias != 0u) { v += bias[co]; }
          if (params.acc != 0u) { v += out[at]; }
          out[at] = v;
        }
      }
    }
  }
}

// ---- backward_weight ----------------------------------------------------------------------------

fn bwd_step(t: u32, d: array<vec4f, 4>) {
  for (var j = 0u; j < JW; j++) {
    let xv = vec4f(xw[t + j]);
    for (var q = 0u; q < TQ; q++) { bacc[j * TQ + q] = fma(xv, d[q], bacc[j * TQ + q]); }
  }
}

@compute @workgroup_size(SG)
fn backward_weight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let lin = wid.y * nwg.x + wid.x;
  if (lin >= params.chunks * params.nblk * params.mblk) { return; }   // uniform
  let rblk = lin % params.mblk;
  let cb = (lin / params.mblk) % params.nblk;
  let chunk = lin / (params.mblk * params.nblk);
  let lr = rblk * SG + lid;
  let rlive = lr < params.nr;
  let rr = min(lr, params.nr - 1u);
  let njc = params.kwp / JW;
  let jc = (rr % njc) * JW;
  let ai = rr / njc;
  let i = ai % params.kh;
  let a = ai / params.kh;
  let co0 = cb * 16u;
  let hwo = params.ho * params.wo;
  for (var t = 0u; t < JW * TQ; t++) { bacc[t] = vec4f(0.0); }
  let row0 = chunk * params.rows_per_chunk;
  let row1 = min(params.rows, row0 + params.rows_per_chunk);
  for (var row = row0; row < row1; row++) {
    let bi = row / params.ho;
    let y = row % params.ho;
    let yy = i32(y + i) - params.pad_y;
    let rok = rlive && yy >= 0 && yy < i32(params.h);
    let rb = (i32((bi * params.a + a) * params.h) + yy) * i32(params.w);
    let db = (bi * params.n + co0) * hwo + y * params.wo;
    for (var x0 = 0u; x0 < params.wo; x0 += SG) {
      // dy of pixels x0 .. x0+SG−1 (lane = pixel) and channels co0 .. co0+15.
      let px = x0 + lid;
      var d: array<vec4f, 4>;
      for (var q = 0u; q < 4u; q++) {
        for (var c = 0u; c < 4u; c++) {
          let ok = px < params.wo && co0 + 4u * q + c < params.n;
          d[q][c] = select(0.0, dy[select(0u, db + (4u * q + c) * hwo + px, ok)], ok);
        }
      }
      let xs = i32(x0 + jc) - params.pad_x;
      for (var u = 0u; u < SG + JW - 1u; u++) { xw[u] = load_x(rb, xs + i32(u), rok); }
      bwd_step(0u, array(subgroupBroadcast(d[0], 0u), subgroupBroadcast(d[1], 0u), subgroupBroadcast(d[2], 0u), subgroupBroadcast(d[3], 0u)));
      bwd_step(1u, array(subgroupBroadcast(d[0], 1u), subgroupBroadcast(d[1], 1u), subgroupBroadcast(d[2], 1u), subgroupBroadcast(d[3], 1u)));
      bwd_step(2u, array(subgroupBroadcast(d[0], 2u), subgroupBroadcast(d[1], 2u), subgroupBroadcast(d[2], 2u), subgroupBroadcast(d[3], 2u)));
      bwd_step(3u, array(subgroupBroadcast(d[0], 3u), subgroupBroadcast(d[1], 3u), subgroupBroadcast(d[2], 3u), subgroupBroadcast(d[3], 3u)));
      bwd_step(4u, array(subgroupBroadcast(d[0], 4u), subgroupBroadcast(d[1], 4u), subgroupBroadcast(d[2], 4u), subgroupBroadcast(d[3], 4u)));
      bwd_step(5u, array(subgroupBroadcast(d[0], 5u), subgroupBroadcast(d[1], 5u), subgroupBroadcast(d[2], 5u), subgroupBroadcast(d[3], 5u)));
      bwd_step(6u, array(subgroupBroadcast(d[0], 6u), subgroupBroadcast(d[1], 6u), subgroupBroadcast(d[2], 6u), subgroupBroadcast(d[3], 6u)));
      bwd_step(7u, array(subgroupBroadcast(d[0], 7u), subgroupBroadcast(d[1], 7u), subgroupBroadcast(d[2], 7u), subgroupBroadcast(d[3], 7u)));
      if (SG == 16u) {
        bwd_step(8u, array(subgroupBroadcast(d[0], 8u), subgroupBroadcast(d[1], 8u), subgroupBroadcast(d[2], 8u), subgroupBroadcast(d[3], 8u)));
        bwd_step(9u, array(subgroupBroadcast(d[0], 9u), subgroupBroadcast(d[1], 9u), subgroupBroadcast(d[2], 9u), subgroupBroadcast(d[3], 9u)));
        bwd_step(10u, array(subgroupBroadcast(d[0], 10u), subgroupBroadcast(d[1], 10u), subgroupBroadcast(d[2], 10u), subgroupBroadcast(d[3], 10u)));
        bwd_step(11u, array(subgroupBroadcast(d[0], 11u), subgroupBroadcast(d[1], 11u), subgroupBroadcast(d[2], 11u), subgroupBroadcast(d[3], 11u)));
        bwd_step(12u, array(subgroupBroadcast(d[0], 12u), subgroupBroadcast(d[1], 12u), subgroupBroadcast(d[2], 12u), subgroupBroadcast(d[3], 12u)));
        bwd_step(13u, array(subgroupBroadcast(d[0], 13u), subgroupBroadcast(d[1], 13u), subgroupBroadcast(d[2], 13u), subgroupBroadcast(d[3], 13u)));
        bwd_step(14u, array(subgroupBroadcast(d[0], 14u), subgroupBroadcast(d[1], 14u), subgroupBroadcast(d[2], 14u), subgroupBroadcast(d[3], 14u)));
        bwd_step(15u, array(subgroupBroadcast(d[0], 15u), subgroupBroadcast(d[1], 15u), subgroupBroadcast(d[2], 15u), subgroupBroadcast(d[3], 15u)));
      }
    }
  }
  if (!rlive) { return; }
  for (var j = 0u; j < JW; j++) {
    let jj = jc + j;
    if (jj < params.kw) {
      for (var q = 0u; q < TQ; q++) {
        for (var c = 0u; c < 4u; c++) {
          let co = co0 + 4u * q + c;
          if (co < params.n) { out[(((chunk * params.n + co) * params.a + a) * params.kh + i) * params.kw + jj] = bacc[j * TQ + q][c]; }
        }
      }
    }
  }
}
