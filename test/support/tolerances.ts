// Every tolerance of the test suite, in one place. Relative errors are ‖out − ref‖₂ / ‖ref‖₂
// against float64 references; float32 kernels land far below these.

/** Elementwise kernels: one rounding a result (transcendentals a few ulp). */
export const ELEMENTWISE_REL = 1e-6;
/** Reductions: float32 tree summation over up to ~1e6 terms. */
export const REDUCE_REL = 1e-5;
/** Max / min are exact in float32. */
export const REDUCE_EXACT_REL = 0;
/** Philox normals: the same counters as the reference, float32 log/cos/sin. */
export const RANDOM_NORMAL_REL = 1e-5;
/** Moments of n samples: |mean| and |var − 1| within this many standard errors. */
export const MOMENT_SIGMAS = 5;
/** Autograd gradient checks: GPU backward vs float64 central differences of a float64 forward. */
export const GRADCHECK_REL = 1e-3;
/** Autograd forward passes (a few float32 kernels in a row) vs their float64 references. */
export const AUTOGRAD_FORWARD_REL = 1e-5;
/** Row softmax and its backward: exp and a float32 tree sum over up to ~1000 terms. */
export const SOFTMAX_REL = 1e-5;
/** Jacobi eigh: ‖AU − UΛ‖_F/‖A‖_F and max |UᵀU − I| (float32 rotations over ~n/8 tile steps × sweeps). */
export const EIGH_RESIDUAL = 1e-5;
export const EIGH_ORTHO = 1e-5;
/** Jacobi eigh: ‖λ − λ_ref‖/‖λ_ref‖ against the float64 cyclic Jacobi (or a constructed spectrum). */
export const EIGH_VALUES_REL = 1e-5;
/** Jacobi eigh: ‖u_k − ±u_ref,k‖ ≤ EIGH_VECTOR·‖A‖₂/gap_k for separated eigenvalues. */
export const EIGH_VECTOR = 1e-5;
/** One-sided Jacobi SVD: ‖A − UΣVᵀ‖/‖A‖, max |UᵀU − I| and |VᵀV − I|, σ vs float64. */
export const SVD_RECON = 1e-5;
export const SVD_ORTHO = 1e-5;
export const SVD_VALUES_REL = 1e-5;
