import { describe, it, beforeAll, expect } from 'vitest';
import {
  getDevice, type Gpu, type GpuBuffer, type CovariancePath, type SymmetricOutputs,
  covariance, CovarianceAccumulator, gram, gramToCovEigenvectors, readSymmetric, covariancePath,
  covarianceRef, gramRef, symmetricEigenRef, gramToCovEigenvectorsRef,
} from '@gausslens/kernels';
import { COVARIANCE_REL, COV_EIGVEC_REL, COV_EIGVEC_RESIDUAL } from '../support/tolerances.ts';
import { expectClose, randomArray, POISON } from '../support/check.ts';

let gpu: Gpu;
let paths: CovariancePath[] = ['tiled'];
beforeAll(async () => {
  gpu = await getDevice();
  if (covariancePath(gpu) === 'subgroup') paths = ['subgroup', 'tiled'];
});

/** Fresh data Y (n×d) uniform in [offset − 1, offset + 1). */
const data = (n: number, d: number, offset = 0): Float32Array => randomArray(n * d, offset - 1, offset + 1);

/** Output buffers for an order-`size` matrix in `panelRows`-row panels and a d-vector mean, all NaN-poisoned. */
function poisoned(size: number, panelRows: number, d: number): Required<SymmetricOutputs> {
  const panels: GpuBuffer[] = [];
  for (let r = 0; r < size; r += panelRows) panels.push(gpu.alloc(Math.min(panelRows, size - r) * size, 'test-panel'));
  const mean = gpu.alloc(d, 'test-mean');
  for (const b of [mean, ...panels]) gpu.fill(b, POISON);
  return { mean, panels };
}

async function expectCovariance(r: { mean: GpuBuffer; panels: GpuBuffer[]; panelRows: number; size: number }, y: Float32Array, n: number, d: number, what: string): Promise<void> {
  const ref = covarianceRef(y, n, d);
  expectClose(await gpu.read(r.mean, d), ref.mean, COVARIANCE_REL, `${what}: mean`);
  expectClose(await readSymmetric(gpu, r), ref.cov, COVARIANCE_REL, `${what}: Σ`);
}

describe('covariance', () => {
  it('gemm path', () => {
    expect(['subgroup', 'tiled']).toContain(covariancePath(gpu));
  });

  for (const [n, d, offset] of [[37, 101, 0], [1000, 65, 100], [1, 7, 3]] as const) {
    it(`two passes over a GpuBuffer, N = ${n}, d = ${d}, offset ${offset}`, async () => {
      for (const path of paths) {
        const y = data(n, d, offset);
        const buf = gpu.upload(y);
        const out = poisoned(d, d, d);
        const r = covariance(gpu, { data: buf, n, d, path, out });
        expect(r.cov).toBe(out.panels[0]);
        await expectCovariance(r, y, n, d, `${path} ${n}×${d}`);
        r.release();
        buf.release();
      }
    });
  }

  it('streamed chunks with an uneven last one (+100 offset): GpuBuffer chunks and a split Float32Array', async () => {
    const [n, d] = [1000, 65];
    for (const path of paths) {
      const y = data(n, d, 100);
      const out = poisoned(d, d, d);
      const acc = new CovarianceAccumulator(gpu, { d, path, out });
      const bounds = [0, 256, 556, 1000];
      for (let c = 0; c + 1 < bounds.length; c++) {
        // A chunk buffer larger than the rows handed over: `rows` bounds what is read.
        const rows = bounds[c + 1] - bounds[c];
        const chunk = gpu.alloc((rows + 3) * d, 'test-chunk');
        gpu.fill(chunk, POISON);
        gpu.write(chunk, y.subarray(bounds[c] * d, bounds[c + 1] * d));
        acc.accumulate(chunk, rows);
        chunk.release();
      }
      const r = acc.finish();
      expect(r.n).toBe(n);
      await expectCovariance(r, y, n, d, `${path} accumulator`);
      r.release();
      const out2 = poisoned(d, d, d);
      const r2 = covariance(gpu, { data: y, n, d, chunkRows: 300, path, out: out2 });
      await expectCovariance(r2, y, n, d, `${path} Float32Array in chunks of 300`);
      r2.release();
    }
  });

  it('row panels forced: panelRows = 40 for d = 101 (40 + 40 + 21), two-pass and streamed in chunks of 10 rows', async () => {
    const [n, d, panelRows] = [37, 101, 40];
    for (const path of paths) {
      const y = data(n, d, 5);
      const buf = gpu.upload(y);
      for (const streamed of [false, true]) {
        const out = poisoned(d, panelRows, d);
        const r = covariance(gpu, { data: streamed ? y : buf, n, d, panelRows, chunkRows: 10, path, out });
        expect(Array.isArray(r.cov) && r.cov.length).toBe(3);
        expect(r.panels.map((p) => p.length)).toEqual([40 * d, 40 * d, 21 * d]);
        await expectCovariance(r, y, n, d, `${path} panels, ${streamed ? 'streamed' : 'two-pass'}`);
        r.release();
      }
      buf.release();
    }
  });

  it('rejects panels that are not a multiple of 4 rows and frees its scratch buffers', async () => {
    expect(() => covariance(gpu, { data: data(5, 30), n: 5, d: 30, panelRows: 10 })).toThrow(RangeError);
    const y = gpu.upload(data(200, 50));
    await gpu.sync();
    const before = gpu.pool.bytesLive;
    covariance(gpu, { data: y, n: 200, d: 50, chunkRows: 64 }).release();
    const acc = new CovarianceAccumulator(gpu, { d: 50 });
    acc.accumulate(y, 100);
    acc.finish().release();
    gram(gpu, { data: y, n: 40, d: 50 }).release();
    await gpu.sync();
    expect(gpu.pool.bytesLive).toBe(before);
    y.release();
  });
});

describe('gram', () => {
  for (const [n, d, offset, panelRows] of [[37, 101, 100, undefined], [37, 101, 0, 16], [5, 300, 2, undefined]] as const) {
    it(`G = Yc·Ycᵀ/N, N = ${n}, d = ${d}, offset ${offset}${panelRows ? `, ${panelRows}-row panels` : ''}`, async () => {
      for (const path of paths) {
        const y = data(n, d, offset);
        const rows = panelRows ?? n;
        const out = poisoned(n, rows, d);
        const r = gram(gpu, { data: y, n, d, panelRows, path, out });
        expect(r.panels.length).toBe(Math.ceil(n / rows));
        const ref = gramRef(y, n, d);
        expectClose(await gpu.read(r.mean, d), ref.mean, COVARIANCE_REL, `${path} gram mean`);
        expectClose(await readSymmetric(gpu, r), ref.gram, COVARIANCE_REL, `${path} G`);
        r.release();
      }
    });
  }

  it('Gram eigenvectors map to unit covariance eigenvectors: u = Ycᵀv/√(Nλ)', async () => {
    const [n, d, m] = [12, 40, 6];
    for (const path of paths) {
      const y = data(n, d, 3);
      const eig = symmetricEigenRef(gramRef(y, n, d).gram, n); // descending; rank ≤ N − 1
      const values = Array.from(eig.values.subarray(0, m));
      const out = gpu.alloc(m * d, 'test-u');
      gpu.fill(out, POISON);
      const u = gramToCovEigenvectors(gpu, { data: gpu.upload(y), n, d, vectors: Float32Array.from(eig.vectors.subarray(0, m * n)), values, path, chunkRows: 5, out });
      expect(u).toBe(out);
      const got = await gpu.read(u, m * d);
      expectClose(got, gramToCovEigenvectorsRef(y, n, d, eig.vectors, values), COV_EIGVEC_REL, `${path} U`);
      // Σ·u = λ·u and ‖u‖ = 1 against the float64 covariance.
      const { cov } = covarianceRef(y, n, d);
      for (let i = 0; i < m; i++) {
        const ui = got.subarray(i * d, (i + 1) * d);
        const su = new Float64Array(d);
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) su[a] += cov[a * d + b] * ui[b];
        expectClose(su, Array.from(ui, (v) => v * values[i]), COV_EIGVEC_RESIDUAL, `${path} Σu${i} = λu${i}`);
        expect(Math.abs(Math.hypot(...ui) - 1)).toBeLessThan(COV_EIGVEC_RESIDUAL);
      }
      u.release();
    }
  });
});
