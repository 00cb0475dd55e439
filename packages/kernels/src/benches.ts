// Every kernel family's benchmark cases, in the order `gausslens bench` runs them.
import type { BenchCase } from './bench.ts';
import { elementwiseBenches } from './elementwise.bench.ts';
import { reduceBenches } from './reduce.bench.ts';
import { randomBenches } from './random.bench.ts';

export const allBenches: BenchCase[] = [...elementwiseBenches, ...reduceBenches, ...randomBenches];
import { normBenches } from './norm.bench.ts';
allBenches.push(...normBenches);
import { adamBenches } from './adam.bench.ts';
allBenches.push(...adamBenches);
import { gemmBenches } from './gemm.bench.ts';
allBenches.push(...gemmBenches);
import { covarianceBenches } from './covariance.bench.ts';
allBenches.push(...covarianceBenches);
import { jacobiBenches } from './jacobi.bench.ts';
allBenches.push(...jacobiBenches);
import { conv2dBenches } from './conv2d.bench.ts';
allBenches.push(...conv2dBenches);
