// Library (no entry points, no bindings): Philox4x32-10 (Salmon et al. 2011), a counter-based generator.
// philox(counter, key) → 4 random u32; the same counter and key give the same block on every device.
// Spliced into a kernel's source where it says `//#include philox` (packages/kernels/src/kernel.ts).

// (hi, lo) of the 64-bit product a·b, from 16-bit halves (WGSL has no 64-bit integers).
fn mulhilo(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p10 = a1 * b0; let p01 = a0 * b1; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p10 & 0xffffu) + p01;
  return vec2u(p11 + (p10 >> 16u) + (mid >> 16u), (mid << 16u) | (p00 & 0xffffu));
}

fn philox(counter: vec4u, seed: vec2u) -> vec4u {
  var c = counter;
  var k = seed;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4u(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k += vec2u(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}
