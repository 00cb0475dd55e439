// Benchmarks of the symmetric eigendecomposition (eigen.ts, shaders/jacobi.wgsl).
//
// `eigh n` times the whole tridiagonal method on A = YᵀY/(2n) with Y a 2n×n standard normal (the
// matrix NumPy's eigh is timed on beside the 784 case). A bench run() may not wait on the GPU, but eigh
// reads the tridiagonal T back mid-way; so run() does eigh's three phases in an order that needs no
// read-back: first the host phase (T's float64 eigendecomposition and the compact-WY factors, on the T
// and reflectors of the same matrix reduced in float64 during setup), then the GPU reduction and the
// GPU back-transformation with the residual. Same work as eigh; only the read-back's latency is missing.
// `jacobi sweep n` is one sweep of the block Jacobi method (eigh's 'jacobi' option, ~8–10 sweeps).
import type { BenchCase } from './bench.ts';
import type { Gpu } from './device.ts';
import { eighTridiagonalRecord, eighTridiagonalSolve, eighTridiagonalFinish } from './eigen.ts';
import { jacobiLayout, jacobiTiles, jacobiSymStep, padMatrix, setIdentity } from './jacobi.ts';
import { tridiagonalizeRef } from './jacobi.ref.ts';

/** Y (2n×n) standard normal from a fixed seed, A = YᵀY/(2n) (float32) with its float64 product. */
function covarianceLike(n: number): Float32Array {
  let s = 12345;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const rows = 2 * n;
  const y = new Float64Array(rows * n);
  for (let i = 0; i < y.length; i++) y[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const a = new Float32Array(n * n);
  const acc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let r = 0; r < rows; r++) {
      const yi = y[r * n + i];
      const o = r * n;
      for (let j = i; j < n; j++) acc[j] += yi * y[o + j];
    }
    for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = acc[j] / rows;
  }
  return a;
}

/** The read-back layout of eighTridiagonalRecord (reflector rows, then d, e, τ, σ), from a float64 reduction. */
function hostLayout(a: Float32Array, n: number): { host: Float32Array; n4: number; hvLen: number } {
  const n4 = Math.ceil(n / 4) * 4;
  const hvLen = Math.ceil((n4 * n4) / 64) * 64;
  const t = tridiagonalizeRef(a, n);
  const host = new Float32Array(hvLen + 3 * n4 + 1);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) host[k * n4 + j] = t.u[k * n + j];
  host.set(t.d, hvLen);
  host.set(t.e, hvLen + n4);
  host.set(t.tau, hvLen + 2 * n4);
  host[hvLen + 3 * n4] = 1; // σ (this matrix is already of unit scale)
  return { host, n4, hvLen };
}

function eighCase(n: number, extra: Partial<BenchCase> = {}): BenchCase {
  return {
    family: 'eigh',
    name: `eigh ${n}×${n} (full, tridiagonal)`,
    ...extra,
    setup(gpu: Gpu) {
      const a = covarianceLike(n);
      const { host, n4, hvLen } = hostLayout(a, n);
      const input = gpu.upload(a, 'bench-eigh-a');
      const vectors = gpu.alloc(n * n, 'bench-eigh-vectors');
      const values = gpu.alloc(n, 'bench-eigh-values');
      return {
        run() {
          const sol = eighTridiagonalSolve(host, n, n4, hvLen);
          const st = eighTridiagonalRecord(gpu, input, n);
          eighTridiagonalFinish(gpu, st, sol, vectors, values);
          st.norms.release();
        },
        dispose() {
          for (const b of [input, vectors, values]) b.release();
        },
      };
    },
  };
}

function jacobiSweepCase(n: number): BenchCase {
  return {
    family: 'eigh',
    name: `jacobi sweep ${n}×${n} (one of ~9)`,
    setup(gpu: Gpu) {
      const L = jacobiLayout(n);
      const input = gpu.upload(covarianceLike(n), 'bench-jacobi-a');
      const A = gpu.alloc(L.npad * L.npad, 'bench-jacobi-padded');
      const V = gpu.alloc(L.npad * L.npad, 'bench-jacobi-v');
      const q = gpu.alloc(jacobiTiles(L), 'bench-jacobi-q');
      padMatrix(gpu, input, n, n, A, L.npad, true);
      setIdentity(gpu, V, L.npad);
      return {
        run() {
          gpu.flush();
          for (let step = 0; step < L.steps; step++) {
            jacobiSymStep(gpu, L, A, V, q, step, { inner: 12, tiny: 1e-30, eps: 1e-7 });
            gpu.flush(); // as eigh does: the device's 64-dispatch batch limit is never reached
          }
        },
        dispose() {
          for (const b of [input, A, V, q]) b.release();
        },
      };
    },
  };
}

export const jacobiBenches: BenchCase[] = [eighCase(64, { quick: true }), eighCase(257), eighCase(400), eighCase(784, { peer: { kind: 'eigh', n: 784 } }), jacobiSweepCase(400)];
