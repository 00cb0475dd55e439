// 2-D convolution as implicit GEMMs for CPU rasterisers (lavapipe): one workgroup = one subgroup of SG lanes (8 or 16).
// There a lane's own load is a scalar loop, while subgroupBroadcast from a constant lane is one permute, so the operand
// all lanes share is loaded once, cooperatively, and broadcast. Same Params, packing and results as conv2d.wgsl.
// forward: out[b,n,y,x] = Σ_{a,i,j} wp[(a·kh+i)·kwp+j, n]·xin[b,a,y+i−pad_y,x+j−pad_x] (+ bias[n]) (+ out if acc):
//   M = pixels, N = n, K = a·kh·kwp. Lane = TP consecutive pixels of an output row; 4·TQ output channels a workgroup
//   (broadcast weights); K in steps of one kernel row × JW columns over a window of TP + JW − 1 inputs a lane.
//   Grid: ⌈groups / SG⌉ · nblk folded 2-D (groups = b·⌈ho/TR⌉·⌈wo/TP⌉ pixel groups). K9 (3×3 kernels, SG = 16): K in steps
//   of a whole input channel (three row windows, nine taps), so an accumulator is loaded and stored once per nine
//   multiply-adds instead of three (on CPU drivers the accumulators live in memory): ~60 → ~85 % of our GEMM. With 16
//   output channels (TQ = 4) a lane takes TR = 2 output rows: four input-row windows serve both (~20 % faster).
// backward_weight: out[chunk,n,a,i,j] = Σ_{rows of the chunk, x} dy[b,n,y,x]·xin[b,a,y+i−pad_y,x+j−pad_x]
//   (split-K partials; M = n, N = a·kh·kw, K = pixels). 16 output channels a workgroup; dy of SG pixels × 16 channels
//   is loaded cooperatively and broadcast. KR = 1: lane = one kernel row (a, i) × JW columns. KR = 3 (3×3 kernels):
//   lane = channel a with all three kernel rows; a workgroup walks down the rows of its chunk one column segment at a
//   time, rolling the three input-row windows, so each input row is loaded once instead of three times. A kernel row's
//   accumulators stay in locals across the SG pixels of a segment (loaded and stored once per SG multiply-adds).
//   Grid: chunks · nblk · mblk folded 2-D.
// Loops the driver must unroll (constant array indices) are kept short; the order of the multiply-adds keeps one
// channel quad's accumulators live at a time (the rest stay in memory).
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
override SG: u32 = 16u;  // lanes: the subgroup size, 8 or 16
override TQ: u32 = 4u;   // forward: vec4s of output channels a workgroup, 4 or 8 (16 or 32 channels)
const TB: u32 = 4u;      // backward_weight: vec4s of output channels a workgroup (16 channels)
override JW: u32 = 3u;   // kernel columns a step: 3, or 1 for 1×1 kernels
override KR: u32 = 1u;   // backward_weight: kernel rows a lane, 1 or 3 (3×3 kernels)
override K9: bool = false;  // forward: all nine taps of a 3×3 kernel a step (kh = kw = kwp = JW = 3, SG = 16)
override TR: u32 = 1u;       // forward with K9: output rows a lane, 1 or 2 (TQ = 4: 16 channels); TR·TP·TQ ≤ 64
override VEC: bool = false;  // rows read as aligned vec4: w % 4 = 0 (and wo % 4 = 0), kwp = JW, pad_x = JW / 2

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xin: array<f32>;
@group(0) @binding(2) var<storage, read> wp: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read> xin4: array<vec4f>;   // the same buffer as xin, read as vec4 (VEC)
@group(0) @binding(7) var<storage, read> dy4: array<vec4f>;    // the same buffer as dy, read as vec4 (VEC)

var<private> xw: array<f32, 18>;       // a lane's window of inputs along a row (TP + 2 or SG + 2)
var<private> facc: array<vec4f, 64>;   // forward accumulators [pixel t][channel quad q] (TP·TQ)
var<private> xw3: array<array<f32, 18>, 4>;  // K9: the windows of input rows y − pad_y .. y − pad_y + TR + 1

// Input at (row base rb, column c) of xin, zero outside the row or when the row is out of range.
fn load_x(rb: i32, c: i32, rok: bool) -> f32 {
  let ok = rok && c >= 0 && c < i32(params.w);
  return select(0.0, xin[select(0, rb + c, ok)], ok);
}

// Window of `len` columns starting at input column x0 − JW/2 (VEC): aligned vec4s from x0, scalars for the halo.
fn load_window_vec(rb: i32, x0: u32, len: u32, rok: bool) {
  let h0 = JW / 2u;
  if (h0 == 1u) {
    xw[0] = load_x(rb, i32(x0) - 1, rok);
    xw[len - 1u] = load_x(rb, i32(x0 + len - 2u), rok);
  }
  for (var s = 0u; s < (len - 2u * h0) / 4u; s++) {
    let c = x0 + 4u * s;
    let ok = rok && c < params.w;
    let v = select(vec4f(0.0), xin4[select(0, (rb + i32(c)) / 4, ok)], ok);
    for (var e = 0u; e < 4u; e++) { xw[h0 + 4u * s + e] = v[e]; }
  }
}

// ---- forward ------------------------------------------------------------------------------------

// facc[t][q] += Σ_j xw[t + j]·wj for one channel quad q (w0, w1, w2: its weights in kernel columns 0, 1, 2): only the
// quad's TP accumulators, the window and three weight vec4s are live (accumulators live in memory on CPU drivers,
// so each is loaded and stored once a step).
fn fwd_quad(q: u32, w0: vec4f, w1: vec4f, w2: vec4f) {
  for (var t = 0u; t < TP; t++) {
    var v = fma(vec4f(xw[t]), w0, facc[t * TQ + q]);
    if (JW == 3u) { v = fma(vec4f(xw[t + 2u]), w2, fma(vec4f(xw[t + 1u]), w1, v)); }
    facc[t * TQ + q] = v;
  }
}

// K9: facc[r][t][q] += Σ_{i,j} xw3[r + i][t + j]·w_ij for one channel quad q (w_ij: its weights at kernel row i,
// column j) and each of the lane's TR output rows r.
fn fwd_quad9(q: u32, w00: vec4f, w01: vec4f, w02: vec4f, w10: vec4f, w11: vec4f, w12: vec4f, w20: vec4f, w21: vec4f, w22: vec4f) {
  for (var r = 0u; r < TR; r++) {
    for (var t = 0u; t < TP; t++) {
      var v = facc[(r * TP + t) * TQ + q];
      v = fma(vec4f(xw3[r][t]), w00, v); v = fma(vec4f(xw3[r][t + 1u]), w01, v); v = fma(vec4f(xw3[r][t + 2u]), w02, v);
      v = fma(vec4f(xw3[r + 1u][t]), w10, v); v = fma(vec4f(xw3[r + 1u][t + 1u]), w11, v); v = fma(vec4f(xw3[r + 1u][t + 2u]), w12, v);
      v = fma(vec4f(xw3[r + 2u][t]), w20, v); v = fma(vec4f(xw3[r + 2u][t + 1u]), w21, v); v = fma(vec4f(xw3[r + 2u][t + 2u]), w22, v);
      facc[(r * TP + t) * TQ + q] = v;
    }
  }
}

// K9: one input channel a: the TR + 2 row windows, the 9·TQ weight vec4s (vec4 L = tap·TQ + q at lane L % 16 of
// w(L / 16), tap = 3i + j) and the nine taps of every channel quad. The broadcasts name their lanes literally.
fn fwd_channel9(a: u32, bi: u32, y: u32, x0: u32, cq0: u32, nq: u32, live: bool, lid: u32) {
  let plane = i32((bi * params.a + a) * params.h);
  for (var i = 0u; i < TR + 2u; i++) {
    let yy = i32(y + i) - params.pad_y;
    let rok = live && yy >= 0 && yy < i32(params.h);
    let rb = (plane + yy) * i32(params.w);
    if (VEC) {
      load_window_vec(rb, x0, TP + 2u, rok);
    } else {
      let xs = i32(x0) - params.pad_x;
      for (var u = 0u; u < TP + 2u; u++) { xw[u] = load_x(rb, xs + i32(u), rok); }
    }
    xw3[i] = xw;
  }
  let nv = 9u * TQ;
  let base = a * 9u * nq + cq0;
  var w0 = vec4f(0.0); var w1 = vec4f(0.0); var w2 = vec4f(0.0); var w3 = vec4f(0.0); var w4 = vec4f(0.0);
  w0 = wp[base + (lid / TQ) * nq + lid % TQ];
  w1 = wp[base + ((lid + 16u) / TQ) * nq + lid % TQ];
  if (lid + 32u < nv) { w2 = wp[base + ((lid + 32u) / TQ) * nq + lid % TQ]; }
  if (TQ == 8u) {
    w3 = wp[base + ((lid + 48u) / TQ) * nq + lid % TQ];
    if (lid + 64u < nv) { w4 = wp[base + ((lid + 64u) / TQ) * nq + lid % TQ]; }
  }
  // Generated: quad q, tap k → subgroupBroadcast(w((k·TQ + q) / 16), (k·TQ + q) % 16).
  if (TQ == 8u) {
        fwd_quad9(0u, subgroupBroadcast(w0, 0u), subgroupBroadcast(w0, 8u), subgroupBroadcast(w1, 0u), subgroupBroadcast(w1, 8u), subgroupBroadcast(w2, 0u), subgroupBroadcast(w2, 8u), subgroupBroadcast(w3, 0u), subgroupBroadcast(w3, 8u), subgroupBroadcast(w4, 0u));
        fwd_quad9(1u, subgroupBroadcast(w0, 1u), subgroupBroadcast(w0, 9u), subgroupBroadcast(w1, 1u), subgroupBroadcast(w1, 9u), subgroupBroadcast(w2, 1u), subgroupBroadcast(w2, 9u), subgroupBroadcast(w3, 1u), subgroupBroadcast(w3, 9u), subgroupBroadcast(w4, 1u));
        fwd_quad9(2u, subgroupBroadcast(w0, 2u), subgroupBroadcast(w0, 10u), subgroupBroadcast(w1, 2u), subgroupBroadcast(w1, 10u), subgroupBroadcast(w2, 2u), subgroupBroadcast(w2, 10u), subgroupBroadcast(w3, 2u), subgroupBroadcast(w3, 10u), subgroupBroadcast(w4, 2u));
        fwd_quad9(3u, subgroupBroadcast(w0, 3u), subgroupBroadcast(w0, 11u), subgroupBroadcast(w1, 3u), subgroupBroadcast(w1, 11u), subgroupBroadcast(w2, 3u), subgroupBroadcast(w2, 11u), subgroupBroadcast(w3, 3u), subgroupBroadcast(w3, 11u), subgroupBroadcast(w4, 3u));
        fwd_quad9(4u, subgroupBroadcast(w0, 4u), subgroupBroadcast(w0, 12u), subgroupBroadcast(w1, 4u), subgroupBroadcast(w1, 12u), subgroupBroadcast(w2, 4u), subgroupBroadcast(w2, 12u), subgroupBroadcast(w3, 4u), subgroupBroadcast(w3, 12u), subgroupBroadcast(w4, 4u));
        fwd_quad9(5u, subgroupBroadcast(w0, 5u), subgroupBroadcast(w0, 13u), subgroupBroadcast(w1, 5u), subgroupBroadcast(w1, 13u), subgroupBroadcast(w2, 5u), subgroupBroadcast(w2, 13u), subgroupBroadcast(w3, 5u), subgroupBroadcast(w3, 13u), subgroupBroadcast(w4, 5u));
        fwd_quad9(6u, subgroupBroadcast(w0, 6u), subgroupBroadcast(w0, 14u), subgroupBroadcast(w1, 6u), subgroupBroadcast(w1, 14u), subgroupBroadcast(w2, 6u), subgroupBroadcast(w2, 14u), subgroupBroadcast(w3, 6u), subgroupBroadcast(w3, 14u), subgroupBroadcast(w4, 6u));
        fwd_quad9(7u, subgroupBroadcast(w0, 7u), subgroupBroadcast(w0, 15u), subgroupBroadcast(w1, 7u), subgroupBroadcast(w1, 15u), subgroupBroadcast(w2, 7u), subgroupBroadcast(w2, 15u), subgroupBroadcast(w3, 7u), subgroupBroadcast(w3, 15u), subgroupBroadcast(w4, 7u));
  } else {
        fwd_quad9(0u, subgroupBroadcast(w0, 0u), subgroupBroadcast(w0, 4u), subgroupBroadcast(w0, 8u), subgroupBroadcast(w0, 12u), subgroupBroadcast(w1, 0u), subgroupBroadcast(w1, 4u), subgroupBroadcast(w1, 8u), subgroupBroadcast(w1, 12u), subgroupBroadcast(w2, 0u));
        fwd_quad9(1u, subgroupBroadcast(w0, 1u), subgroupBroadcast(w0, 5u), subgroupBroadcast(w0, 9u), subgroupBroadcast(w0, 13u), subgroupBroadcast(w1, 1u), subgroupBroadcast(w1, 5u), subgroupBroadcast(w1, 9u), subgroupBroadcast(w1, 13u), subgroupBroadcast(w2, 1u));
        fwd_quad9(2u, subgroupBroadcast(w0, 2u), subgroupBroadcast(w0, 6u), subgroupBroadcast(w0, 10u), subgroupBroadcast(w0, 14u), subgroupBroadcast(w1, 2u), subgroupBroadcast(w1, 6u), subgroupBroadcast(w1, 10u), subgroupBroadcast(w1, 14u), subgroupBroadcast(w2, 2u));
        fwd_quad9(3u, subgroupBroadcast(w0, 3u), subgroupBroadcast(w0, 7u), subgroupBroadcast(w0, 11u), subgroupBroadcast(w0, 15u), subgroupBroadcast(w1, 3u), subgroupBroadcast(w1, 7u), subgroupBroadcast(w1, 11u), subgroupBroadcast(w1, 15u), subgroupBroadcast(w2, 3u));
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
  let r = gg / params.gw;           // a lane's TR output rows: y .. y + TR − 1 of image bi
  let hr = (params.ho + TR - 1u) / TR;
  let bi = r / hr;
  let y = (r % hr) * TR;
  let x0 = (gg % params.gw) * TP;
  let nq = params.np / 4u;
  let cq0 = cb * TQ;
  for (var t = 0u; t < TR * TP * TQ; t++) { facc[t] = vec4f(0.0); }
  if (K9) {
    for (var a = 0u; a < params.a; a++) { fwd_channel9(a, bi, y, x0, cq0, nq, live, lid); }
  }
  for (var a = 0u; a < select(params.a, 0u, K9); a++) {
    let plane = i32((bi * params.a + a) * params.h);
    for (var i = 0u; i < params.kh; i++) {
      let yy = i32(y + i) - params.pad_y;
      let rok = live && yy >= 0 && yy < i32(params.h);
      let rb = (plane + yy) * i32(params.w);
      for (var jc = 0u; jc < params.kwp; jc += JW) {
        // Weights of columns jc .. jc+JW−1 and 4·TQ channels: vec4 L = j·TQ + q at lane L % 8 of wa, wb, wc (L / 8).
        let wrow = ((a * params.kh + i) * params.kwp + jc) * nq + cq0;
        var wa = vec4f(0.0);
        var wb = vec4f(0.0);
        var wc = vec4f(0.0);
        if (lid < min(8u, JW * TQ)) { wa = wp[wrow + (lid / TQ) * nq + lid % TQ]; }
        if (lid + 8u < JW * TQ && lid < 8u) { wb = wp[wrow + ((lid + 8u) / TQ) * nq + (lid + 8u) % TQ]; }
        if (lid + 16u < JW * TQ && lid < 8u) { wc = wp[wrow + 2u * nq + lid]; }
        if (VEC) {
          load_window_vec(rb, x0, TP + JW - 1u, rok);
        } else {
          let xs = i32(x0 + jc) - params.pad_x;
          for (var u = 0u; u < TP + JW - 1u; u++) { xw[u] = load_x(rb, xs + i32(u), rok); }
        }
        if (TQ == 8u) {
          fwd_quad(0u, subgroupBroadcast(wa, 0u), subgroupBroadcast(wb, 0u), subgroupBroadcast(wc, 0u));
          fwd_quad(1u, subgroupBroadcast(wa, 1u), subgroupBroadcast(wb, 1u), subgroupBroadcast(wc, 1u));
          fwd_quad(2u, subgroupBroadcast(wa, 2u), subgroupBroadcast(wb, 2u), subgroupBroadcast(wc, 2u));
          fwd_quad(3u, subgroupBroadcast(wa, 3u), subgroupBroadcast(wb, 3u), subgroupBroadcast(wc, 3u));
          fwd_quad(4u, subgroupBroadcast(wa, 4u), subgroupBroadcast(wb, 4u), subgroupBroadcast(wc, 4u));
          fwd_quad(5u, subgroupBroadcast(wa, 5u), subgroupBroadcast(wb, 5u), subgroupBroadcast(wc, 5u));
          fwd_quad(6u, subgroupBroadcast(wa, 6u), subgroupBroadcast(wb, 6u), subgroupBroadcast(wc, 6u));
          fwd_quad(7u, subgroupBroadcast(wa, 7u), subgroupBroadcast(wb, 7u), subgroupBroadcast(wc, 7u));
        } else {
          fwd_quad(0u, subgroupBroadcast(wa, 0u), subgroupBroadcast(wa, 4u), subgroupBroadcast(wb, 0u));
          fwd_quad(1u, subgroupBroadcast(wa, 1u), subgroupBroadcast(wa, 5u), subgroupBroadcast(wb, 1u));
          fwd_quad(2u, subgroupBroadcast(wa, 2u), subgroupBroadcast(wa, 6u), subgroupBroadcast(wb, 2u));
          fwd_quad(3u, subgroupBroadcast(wa, 3u), subgroupBroadcast(wa, 7u), subgroupBroadcast(wb, 3u));
        }
      }
    }
  }
  if (!live) { return; }
  for (var rt = 0u; rt < TR * TP; rt++) {
    let yo = y + rt / TP;
    let px = x0 + rt % TP;
    if (yo >= params.ho || px >= params.wo) { continue; }
    for (var q = 0u; q < TQ; q++) {
      for (var c = 0u; c < 4u; c++) {
        let co = (cq0 + q) * 4u + c;
        if (co < params.n) {
          let at = ((bi * params.n + co) * params.ho + yo) * params.wo + px;
          var v = facc[rt * TQ + q][c];
          if (params.has_bias != 0u) { v += bias[co]; }
          if (params.acc != 0u) { v += out[at]; }
          out[at] = v;
        }
      }
    }
  }
}

// ---- backward_weight ----------------------------------------------------------------------------

// dy of SG pixels × 16 channels, loaded cooperatively: round r holds channel co0 + (r % G)·SG + lane and pixels
// x0 + 4·(r / G) .. +3 (G = 16 / SG), so the value at pixel t, channel c is component t % 4 of round
// (t / 4)·G + c / SG at lane c % SG.
var<private> dv: array<vec4f, 4>;
var<private> wins: array<array<f32, 18>, 3>;  // input windows of kernel rows 0 .. KR−1
var<private> racc: array<vec4f, 36>;           // accumulators [kernel row i][column j][channel quad q]

// racc[i][j][q] += Σ_t wins[i][t + j]·dy(t, 4q .. 4q+3) over pixels t = 4p .. 4p+3, for one channel quad q whose
// channels sit at lanes 4X .. 4X+3 of round offset roff (bwd_px0 .. bwd_px3 for X = 0 .. 3). One quad and one kernel row
// at a time keeps few accumulators live; loops stay short enough for the driver to unroll (constant array indices).
fn bwd_fma(i: u32, t: u32, d: vec4f, acc: ptr<function, array<vec4f, 3>>) {
  for (var j = 0u; j < JW; j++) { (*acc)[j] = fma(vec4f(wins[i][t + j]), d, (*acc)[j]); }
}
fn bwd_px0(roff: u32, i: u32, p: u32, acc: ptr<function, array<vec4f, 3>>) {
  for (var e = 0u; e < 4u; e++) {
    let s = dv[p * (16u / SG) + roff][e];
    bwd_fma(i, 4u * p + e, vec4f(subgroupBroadcast(s, 0u), subgroupBroadcast(s, 1u), subgroupBroadcast(s, 2u), subgroupBroadcast(s, 3u)), acc);
  }
}
fn bwd_px1(roff: u32, i: u32, p: u32, acc: ptr<function, array<vec4f, 3>>) {
  for (var e = 0u; e < 4u; e++) {
    let s = dv[p * (16u / SG) + roff][e];
    bwd_fma(i, 4u * p + e, vec4f(subgroupBroadcast(s, 4u), subgroupBroadcast(s, 5u), subgroupBroadcast(s, 6u), subgroupBroadcast(s, 7u)), acc);
  }
}
fn bwd_px2(roff: u32, i: u32, p: u32, acc: ptr<function, array<vec4f, 3>>) {
  for (var e = 0u; e < 4u; e++) {
    let s = dv[p * (16u / SG) + roff][e];
    bwd_fma(i, 4u * p + e, vec4f(subgroupBroadcast(s, 8u), subgroupBroadcast(s, 9u), subgroupBroadcast(s, 10u), subgroupBroadcast(s, 11u)), acc);
  }
}
fn bwd_px3(roff: u32, i: u32, p: u32, acc: ptr<function, array<vec4f, 3>>) {
  for (var e = 0u; e < 4u; e++) {
    let s = dv[p * (16u / SG) + roff][e];
    bwd_fma(i, 4u * p + e, vec4f(subgroupBroadcast(s, 12u), subgroupBroadcast(s, 13u), subgroupBroadcast(s, 14u), subgroupBroadcast(s, 15u)), acc);
  }
}
// All SG pixels and kernel rows for quad q, whose channels sit at lanes 4X .. 4X+3 of round offset roff.
fn bwd_row0(q: u32, roff: u32, i: u32) {
  var acc: array<vec4f, 3>;
  for (var j = 0u; j < JW; j++) { acc[j] = racc[(i * JW + j) * TB + q]; }
  bwd_px0(roff, i, 0u, &acc); bwd_px0(roff, i, 1u, &acc);
  if (SG == 16u) { bwd_px0(roff, i, 2u, &acc); bwd_px0(roff, i, 3u, &acc); }
  for (var j = 0u; j < JW; j++) { racc[(i * JW + j) * TB + q] = acc[j]; }
}
fn bwd_row1(q: u32, roff: u32, i: u32) {
  var acc: array<vec4f, 3>;
  for (var j = 0u; j < JW; j++) { acc[j] = racc[(i * JW + j) * TB + q]; }
  bwd_px1(roff, i, 0u, &acc); bwd_px1(roff, i, 1u, &acc);
  if (SG == 16u) { bwd_px1(roff, i, 2u, &acc); bwd_px1(roff, i, 3u, &acc); }
  for (var j = 0u; j < JW; j++) { racc[(i * JW + j) * TB + q] = acc[j]; }
}
fn bwd_row2(q: u32, roff: u32, i: u32) {
  var acc: array<vec4f, 3>;
  for (var j = 0u; j < JW; j++) { acc[j] = racc[(i * JW + j) * TB + q]; }
  bwd_px2(roff, i, 0u, &acc); bwd_px2(roff, i, 1u, &acc);
  if (SG == 16u) { bwd_px2(roff, i, 2u, &acc); bwd_px2(roff, i, 3u, &acc); }
  for (var j = 0u; j < JW; j++) { racc[(i * JW + j) * TB + q] = acc[j]; }
}
fn bwd_row3(q: u32, roff: u32, i: u32) {
  var acc: array<vec4f, 3>;
  for (var j = 0u; j < JW; j++) { acc[j] = racc[(i * JW + j) * TB + q]; }
  bwd_px3(roff, i, 0u, &acc); bwd_px3(roff, i, 1u, &acc);
  if (SG == 16u) { bwd_px3(roff, i, 2u, &acc); bwd_px3(roff, i, 3u, &acc); }
  for (var j = 0u; j < JW; j++) { racc[(i * JW + j) * TB + q] = acc[j]; }
}
fn bwd_quad0(q: u32, roff: u32) {
  bwd_row0(q, roff, 0u);
  if (KR == 3u) { bwd_row0(q, roff, 1u); bwd_row0(q, roff, 2u); }
}
fn bwd_quad1(q: u32, roff: u32) {
  bwd_row1(q, roff, 0u);
  if (KR == 3u) { bwd_row1(q, roff, 1u); bwd_row1(q, roff, 2u); }
}
fn bwd_quad2(q: u32, roff: u32) {
  bwd_row2(q, roff, 0u);
  if (KR == 3u) { bwd_row2(q, roff, 1u); bwd_row2(q, roff, 2u); }
}
fn bwd_quad3(q: u32, roff: u32) {
  bwd_row3(q, roff, 0u);
  if (KR == 3u) { bwd_row3(q, roff, 1u); bwd_row3(q, roff, 2u); }
}

// The window of input row yy (channel plane base `plane`, in rows) for the segment at x0 into xw.
fn bwd_window(plane: i32, yy: i32, x0: u32, jc: u32, live: bool) {
  let rok = live && yy >= 0 && yy < i32(params.h);
  let rb = (plane + yy) * i32(params.w);
  if (VEC) {
    load_window_vec(rb, x0, SG + JW - 1u, rok);
  } else {
    let xs = i32(x0 + jc) - params.pad_x;
    for (var u = 0u; u < SG + JW - 1u; u++) { xw[u] = load_x(rb, xs + i32(u), rok); }
  }
}

@compute @workgroup_size(SG)
fn backward_weight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let lin = wid.y * nwg.x + wid.x;
  if (lin >= params.chunks * params.nblk * params.mblk) { return; }   // uniform
  let rblk = lin % params.mblk;
  let cb = (lin / params.mblk) % params.nblk;
  let chunk = lin / (params.mblk * params.nblk);
  // Lane: KR = 1: kernel row i of channel a, columns jc .. jc+JW−1 (lane rows a·kh·(kwp/JW)); KR = 3: channel a, all
  // three kernel rows (lane rows a), the windows of input rows y−pad .. y−pad+2 rolled down the rows of a segment.
  let lr = rblk * SG + lid;
  let rlive = lr < params.nr;
  let rr = min(lr, params.nr - 1u);
  let njc = params.kwp / JW;
  let jc = (rr % njc) * JW;
  let ai = rr / njc;
  let i0 = select(ai % params.kh, 0u, KR == 3u);
  let a = select(ai / params.kh, ai, KR == 3u);
  let co0 = cb * 16u;
  let hwo = params.ho * params.wo;
  for (var t = 0u; t < KR * JW * TB; t++) { racc[t] = vec4f(0.0); }
  let row0 = chunk * params.rows_per_chunk;
  let row1 = min(params.rows, row0 + params.rows_per_chunk);
  for (var x0 = 0u; x0 < params.wo; x0 += SG) {
    for (var row = row0; row < row1; row++) {
      let bi = row / params.ho;
      let y = row % params.ho;
      let plane = i32((bi * params.a + a) * params.h);
      let yy = i32(y + i0) - params.pad_y;
      if (KR == 3u) {
        if (row == row0 || y == 0u) {   // uniform: a new image or chunk reloads the two upper windows
          bwd_window(plane, yy, x0, jc, rlive);
          wins[0] = xw;
          bwd_window(plane, yy + 1, x0, jc, rlive);
          wins[1] = xw;
        } else {
          wins[0] = wins[1];
          wins[1] = wins[2];
        }
        bwd_window(plane, yy + 2, x0, jc, rlive);
        wins[2] = xw;
      } else {
        bwd_window(plane, yy, x0, jc, rlive);
        wins[0] = xw;
      }
      let db = (bi * params.n + co0) * hwo + y * params.wo;
      for (var r = 0u; r < TB; r++) {
        let cl = (r % (16u / SG)) * SG + lid;
        let px = x0 + 4u * (r / (16u / SG));
        let cok = co0 + cl < params.n;
        let at = db + cl * hwo + px;
        if (VEC) {
          let ok = cok && px < params.wo;
          dv[r] = select(vec4f(0.0), dy4[select(0u, at / 4u, ok)], ok);
        } else {
          for (var e = 0u; e < 4u; e++) {
            let ok = cok && px + e < params.wo;
            dv[r][e] = select(0.0, dy[select(0u, at + e, ok)], ok);
          }
        }
      }
      // Quad q: lane group q % (SG / 4), round offset q / (SG / 4).
      if (SG == 16u) {
        bwd_quad0(0u, 0u); bwd_quad1(1u, 0u); bwd_quad2(2u, 0u); bwd_quad3(3u, 0u);
      } else {
        bwd_quad0(0u, 0u); bwd_quad1(1u, 0u); bwd_quad0(2u, 1u); bwd_quad1(3u, 1u);
      }
    }
  }
  if (!rlive) { return; }
  for (var i = 0u; i < KR; i++) {
    for (var j = 0u; j < JW; j++) {
      let jj = jc + j;
      if (jj < params.kw) {
        for (var q = 0u; q < TB; q++) {
          for (var c = 0u; c < 4u; c++) {
            let co = co0 + 4u * q + c;
            if (co < params.n) { out[(((chunk * params.n + co) * params.a + a) * params.kh + i0 + i) * params.kw + jj] = racc[(i * JW + j) * TB + q][c]; }
          }
        }
      }
    }
  }
}

// ---- bias_grad ----------------------------------------------------------------------------------

// dbias[m] = Σ_b Σ_p dy[(b·n + m)·ho·wo + p] (+ out[m] if acc) over the rows/ho images of the panel, ho·wo % 4 = 0:
// a subgroup a channel m, vec4 loads in a fixed order, one subgroupAdd (the tiled file's bias_grad: 256 threads and a
// barrier tree). Grid: n workgroups folded 2-D.
@compute @workgroup_size(SG)
fn bias_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let m = wid.y * nwg.x + wid.x;
  if (m >= params.n) { return; }   // uniform: the whole subgroup leaves
  let hw4 = params.ho * params.wo / 4u;
  var s = vec4f(0.0);
  for (var bi = 0u; bi < params.rows / params.ho; bi++) {
    let base = (bi * params.n + m) * hw4;
    for (var p0 = 0u; p0 < hw4; p0 += SG) {   // a uniform bound: subgroupAdd below needs uniform control flow
      let p = p0 + lane;
      s += select(vec4f(0.0), dy4[base + min(p, hw4 - 1u)], p < hw4);
    }
  }
  let t = subgroupAdd((s.x + s.y) + (s.z + s.w));
  if (lane == 0u) {
    var v = t;
    if (params.acc != 0u) { v += out[m]; }
    out[m] = v;
  }
}
