// One pass of a segmented reduction: `rows` segments of length n; each workgroup (256 threads)
// reduces a chunk of 256·ITEMS consecutive elements of one segment to out[g], g = row·groups + chunk.
// The host repeats passes (n ← groups) until one value a row remains. OP: 0 sum, 1 max, 2 min,
// 3 sum of squares, 4 max |x| (3 and 4 only transform the input; later passes use 0 and 1).
struct Params { n: u32, rows: u32, groups: u32 }
override OP: u32 = 0u;
override ITEMS: u32 = 8u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 256>;

fn identity() -> f32 {
  switch OP {
    case 1u, 4u: { return bitcast<f32>(0xff7fffffu); }  // -FLT_MAX
    case 2u: { return bitcast<f32>(0x7f7fffffu); }      // FLT_MAX
    default: { return 0.0; }
  }
}

fn load(v: f32) -> f32 {
  switch OP {
    case 3u: { return v * v; }
    case 4u: { return abs(v); }
    default: { return v; }
  }
}

fn combine(a: f32, b: f32) -> f32 {
  switch OP {
    case 1u, 4u: { return max(a, b); }
    case 2u: { return min(a, b); }
    default: { return a + b; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= params.rows * params.groups) { return; }   // uniform per workgroup: safe before barriers
  let row = g / params.groups;
  let chunk = g % params.groups;
  let start = chunk * 256u * ITEMS;
  let base = row * params.n;
  var acc = identity();
  for (var k = 0u; k < ITEMS; k++) {
    let j = start + k * 256u + lid;       // coalesced: neighbouring threads read neighbouring floats
    if (j < params.n) { acc = combine(acc, load(x[base + j])); }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { out[g] = partial[0]; }
}
