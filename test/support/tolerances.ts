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
/** Group norm forward (out, mean, rstd): per-group float32 sums of ≤ ~10⁴ terms, then one affine map. */
export const NORM_REL = 1e-6;
/** Group norm backward (dx, dγ, dβ): dx is a difference of O(1) terms (cancellation in tiny groups). */
export const NORM_GRAD_REL = 1e-5;
/** Group norm forward with |mean|/std = 2000: the corrected two-pass keeps it near float32 rounding. */
export const NORM_SHIFTED_REL = 1e-5;
/**
 * 2× resampling: ≤ 16 products a sum. Tiny outputs (one value from a 2×2 input) can cancel: a sum of −0.012 from
 * terms of size ~1 had a float32 relative error of 2.6e-6 (a CI failure at 1e-6), hence 1e-5 (~100 ulp of the terms).
 */
export const RESAMPLE_REL = 1e-5;
/** Noise embeddings: exact phase reduction, then cos/sin of |angle| ≤ π. */
export const EMBEDDING_REL = 1e-6;
/** Positional embedding with c_noise up to 1000: float32 frequencies (≈ 1 ulp) times |x·ω| ≤ 1000 rad. */
export const EMBEDDING_LARGE_ARG_REL = 1e-4;
/** Adam state (param, m, v) after a few float32 steps vs float64. */
export const ADAM_REL = 1e-6;
/** The change param − param0 (or ema − ema0) of size ~lr: float32 storage of param limits it to ~3e-8/lr. */
export const ADAM_UPDATE_REL = 3e-4;
/** EMA: one lerp. */
export const EMA_REL = 1e-6;
/** Randomised top-k: Ritz values vs float64 top-k, residual and 1 − |⟨u, u_ref⟩| of the Ritz vectors. */
export const TOPK_VALUES_REL = 1e-5;
export const TOPK_RESIDUAL = 1e-5;
/** Denoisers (D_G, D_M) against float64: the bound. */
export const DENOISER_REL = 1e-4;
/** Samplers: a chain of 10–36 denoiser calls and axpbys in float32. */
export const SAMPLER_REL = 1e-4;
/** Closed-form trajectory vs a 4000-step float64 Heun integration (its own error ~1e-6). */
export const CLOSED_FORM_REL = 1e-4;
/** The float64 CPU eigensolver: residual, orthogonality and eigenvalues, relative to ‖A‖. */
export const EIGH_CPU_REL = 1e-10;
/** GEMM: float32 sums of k products; bound GEMM_REL·√k on ‖out − ref‖/‖ref‖ (see gemmRel). */
export const GEMM_REL = 1e-6;
/** The GEMM bound for a reduction length k: GEMM_REL·√k (at least GEMM_REL). */
export const gemmRel = (k: number): number => GEMM_REL * Math.sqrt(Math.max(1, k));
/** Whole U-Net: directional derivative along a unit direction vs float32 central differences (h = 1e-2). */
export const NETWORK_DIRECTIONAL_REL = 5e-3;
/** Covariance / Gram / mean: float32 products accumulated over ≤ ~1e3 rows after centring (seen ~2e-7). */
export const COVARIANCE_REL = 1e-5;
/** Gram → covariance eigenvectors: one more float32 product, scaled by 1/√(Nλ) (seen ~1e-7). */
export const COV_EIGVEC_REL = 1e-5;
/** Σ·u − λ·u residual of the mapped eigenvectors, relative to λ‖u‖ (float32 data, float64 Σ). */
export const COV_EIGVEC_RESIDUAL = 1e-4;
/** Nearest neighbours: squared distances re-measured exactly in float32 (seen ~6e-7). */
export const NEIGHBOUR_DIST_REL = 1e-5;
/** Neighbour pairs closer than this relative gap are near-ties: their order may differ from float64. */
export const NEIGHBOUR_TIE_REL = 1e-4;
/** GL score vs float64 (a mean of ratios of float32 distances). */
export const GL_REL = 1e-5;
/** Multi-delta denoiser (attention) vs float64: out, lse and max weight, ‖·‖ relative (float32 distances of up to ~1e8·2σ²). */
export const ATTENTION_REL = 1e-4;
/** Multi-delta at σ = 0.002 with a query next to a training image: the output is that image (weights exactly one-hot). */
export const ATTENTION_NEAREST_REL = 1e-6;
/** Multi-delta at σ = 80 on data in [-1, 1]: the output is the training mean up to O(‖x − y‖² spread / 2σ²) ≈ 1e-3. */
export const ATTENTION_MEAN_REL = 2e-2;
/** GPU Householder tridiagonalisation: d and |e| vs float64 for n ≤ 33 (T's entries are forward-unstable for larger n: seen 2e-3 at 257). */
export const TRIDIAG_ENTRIES_REL = 1e-4;
/** GPU Householder tridiagonalisation: eigenvalues of T vs those of A, ‖·‖ relative (seen ~7e-8 to n = 257). */
export const TRIDIAG_VALUES_REL = 1e-6;
/** Host float64 tridiagonal eigensolver: max |Tz − λz|/‖T‖₁ (seen ~1e-14) and max |ZᵀZ − I| (clusters within 1e-7·‖T‖ re-orthogonalised; seen ≤ 1e-9). */
export const TRIEIG_RESIDUAL = 1e-12;
export const TRIEIG_ORTHO = 1e-8;
/** EDM loss at initialisation vs float64 (F ≈ 1e-5-scale from init_zero is ignored by the reference). */
export const EDM_LOSS_REL = 1e-3;
/** conv2d, all three passes, vs float64: float32 sums of K products (K = cin·k² forward, cout·k² backward data, b·ho·wo backward weight); ‖·‖ relative ≤ this·√K (seen ≤ 2e-8·√K). */
export const CONV2D_REL_PER_SQRT_K = 2e-7;
/** conv2d gradients (dx, dw, dbias of L = Σ y·g) vs float64 central differences of the float64 forward. */
export const CONV2D_GRAD_REL = 1e-3;
/** Philox uniforms: exact 24-bit values through a float32 affine map (half an ulp of the result). */
export const RANDOM_UNIFORM_REL = 3e-7;
/** Linear models: D_L = Wx + b and W_G = U·diag(λ/(λ+σ²))·Uᵀ vs float64, float32 sums of ≤ d products (seen ~1e-7). */
export const LINEAR_MODEL_REL = 1e-5;
/** Host float64 Cholesky solve of a well-conditioned SPD system vs the known solution. */
export const CHOLESKY_REL = 1e-10;
/** Distilling D_G itself (MNIST 8×8, acceptance): weight NMSE ‖W − W_G‖_F/‖W_G‖_F of Adam at σ ∈ {0.47, 4.07, 42.4}. */
export const DISTILL_ADAM_WEIGHT_NMSE = 0.05;
/** Same: RMSE(D_L, D_G) (eq 10) on held-out noisy images. */
export const DISTILL_ADAM_RMSE = 0.01;
/** Distilling D_G by least squares (exactly linear teacher, float32 Gram sums accumulated in float64): weight NMSE (seen ≤ 1e-5). */
export const DISTILL_LSTSQ_WEIGHT_NMSE = 1e-3;
/** Linearity score of an exactly affine denoiser (cosine 1, NMSE 0) through float32 outputs. */
export const LINEARITY_EXACT = 1e-5;
/** Score-field RMSE / NMSE against a known shift, through float32 outputs (relative). */
export const SCORE_FIELD_REL = 1e-5;
/** Weight NMSE vs float64 (float32 sums of d² squares). */
export const WEIGHT_NMSE_REL = 1e-5;
/** Singular alignment of well-separated singular vectors with themselves or a permutation: |entry − 0/1|. */
export const ALIGNMENT_ABS = 1e-3;
/** Viewer: D_G(x; σ) computed in Chromium (SwiftShader) vs in Node (Dawn) from the same 500 digits and x: the bound. */
export const VIEWER_DENOISE_REL = 1e-4;
/** Viewer: x = y + σ·n from the same Philox seed in the page and in Node: WGSL lets cos err by 2^-11 absolute, and SwiftShader does (seen 9e-5). */
export const VIEWER_NOISE_REL = 1e-3;
