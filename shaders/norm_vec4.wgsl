// Library (no entry points, no bindings) of the vec4 group-norm kernels, spliced where a file says
// `//#include norm_vec4` (shaders/norm.wgsl forward4/backward4 and shaders/norm_sg.wgsl). It reads the
// including module's `params.silu`, `gamma` and `beta`.

fn hsum(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

// dL/dz from dL/dy (x̂ given) for channel c: silu'(z)·dy with z = γ_c·x̂ + β_c recomputed, or dy.
fn grad_z4(gy: vec4<f32>, xh: vec4<f32>, c: u32) -> vec4<f32> {
  if (params.silu == 0u) { return gy; }
  let z = gamma[c] * xh + beta[c];
  let sg = 1.0 / (1.0 + exp(-z));
  return gy * sg * (1.0 + z * (1.0 - sg));
}
