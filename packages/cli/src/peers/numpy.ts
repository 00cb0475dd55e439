// NumPy peer: numpy.matmul (float32) and numpy.linalg.eigh timed by python3, where installed.
import { spawnSync } from 'node:child_process';

export interface PeerTiming {
  peer: string; // 'numpy', 'tfjs-webgpu', …
  what: string; // e.g. 'matmul 1024×1024×1024'
  ms: number; // median of repeats
  gflops?: number;
}

const SCRIPT = String.raw`
import json, sys, time
import numpy as np
jobs = json.loads(sys.argv[1])
out = []
rng = np.random.default_rng(0)
def med(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    ts.sort(); return 1e3 * ts[len(ts)//2]
for j in jobs:
    if j["kind"] == "matmul":
        a = rng.standard_normal((j["m"], j["k"]), dtype=np.float32)
        b = rng.standard_normal((j["k"], j["n"]), dtype=np.float32)
        ms = med(lambda: np.matmul(a, b), j.get("repeats", 5))
        out.append({"what": j["what"], "ms": ms, "gflops": 2*j["m"]*j["n"]*j["k"]/ms/1e6})
    elif j["kind"] == "eigh":
        y = rng.standard_normal((2*j["n"], j["n"]), dtype=np.float32)
        a = (y.T @ y) / (2*j["n"])
        ms = med(lambda: np.linalg.eigh(a), j.get("repeats", 3))
        out.append({"what": j["what"], "ms": ms})
print(json.dumps({"version": np.__version__, "results": out}))
`;

export interface NumpyJob {
  kind: 'matmul' | 'eigh';
  what: string;
  m?: number;
  n: number;
  k?: number;
  repeats?: number;
}

/** Runs the jobs in one python3 process; null when python3 or NumPy is missing. */
export function numpyTimings(jobs: NumpyJob[]): { version: string; results: PeerTiming[] } | null {
  if (jobs.length === 0) return null;
  // The machine pins OpenBLAS to a conservative core type for old builds; a current NumPy is
  // faster without it, and a fair comparison uses NumPy at its best (this command only).
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', ['-c', SCRIPT, JSON.stringify(jobs)], { encoding: 'utf8', env, timeout: 30 * 60_000 });
  if (r.status !== 0) return null;
  try {
    const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { version: string; results: Omit<PeerTiming, 'peer'>[] };
    return { version: parsed.version, results: parsed.results.map((x) => ({ peer: 'numpy', ...x })) };
  } catch {
    return null;
  }
}
