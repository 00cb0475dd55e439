// The float64 CPU eigensolver (Householder + implicit QL) used as the GPU Jacobi's fallback.
import { describe, it, expect } from 'vitest';
import { eighCpu } from '@gausslens/core';
import { eighRef } from '@gausslens/kernels';
import { randomNormalArray } from '../support/check.ts';
import { EIGH_CPU_REL } from '../support/tolerances.ts';

function covarianceLike(n: number, rows: number): Float64Array {
  const y = Float64Array.from(randomNormalArray(rows * n)).map((v, i) => v * Math.exp(-(i % n) / 20));
  const a = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] += (y[r * n + i] * y[r * n + j]) / rows;
  return a;
}

describe('eighCpu', () => {
  for (const [n, rows] of [[1, 1], [2, 5], [37, 60], [120, 40]] as const) {
    it(`n = ${n} from ${rows} rows (rank-deficient when rows < n): residual, orthogonality, order, vs Jacobi`, () => {
      const a = covarianceLike(n, rows);
      const { values, vectors } = eighCpu(a, n);
      let fro = 0;
      for (const v of a) fro += v * v;
      let res = 0;
      for (let k = 0; k < n; k++)
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += a[i * n + j] * vectors[k * n + j];
          res += (s - values[k] * vectors[k * n + i]) ** 2;
        }
      expect(Math.sqrt(res / fro)).toBeLessThan(EIGH_CPU_REL);
      for (let k = 0; k < n; k++)
        for (let l = 0; l < n; l++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += vectors[k * n + i] * vectors[l * n + i];
          expect(Math.abs(s - (k === l ? 1 : 0))).toBeLessThan(EIGH_CPU_REL);
        }
      for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
      const ref = eighRef(a, n);
      const refSorted = Array.from(ref.values).sort((x, y) => y - x);
      refSorted.forEach((v, k) => expect(Math.abs(v - values[k])).toBeLessThan(EIGH_CPU_REL * Math.abs(refSorted[0])));
    });
  }
});
