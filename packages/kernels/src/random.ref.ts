// Float64 reference for shaders/random.wgsl: the same Philox4x32-10 stream on the CPU.

function mulhilo(a: number, b: number): [number, number] {
  const p = BigInt(a >>> 0) * BigInt(b >>> 0);
  return [Number(p >> 32n) >>> 0, Number(p & 0xffffffffn) >>> 0];
}

export function philox4x32(counter: [number, number, number, number], seed: [number, number]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = seed.map((v) => v >>> 0);
  for (let r = 0; r < 10; r++) {
    const [h0, l0] = mulhilo(0xd2511f53, c0);
    const [h1, l1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(h1 ^ c1 ^ k0) >>> 0, l1, (h0 ^ c3 ^ k1) >>> 0, l0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

const unit = (v: number): number => ((v >>> 8) + 0.5) / 16777216;

function seedWords(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

export function randomUniformRef(n: number, seed: number, offset = 0, mean = 0, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let t = 0; 4 * t < n; t++) {
    const r = philox4x32([t, offset, 0, 0], seedWords(seed));
    for (let j = 0; j < 4 && 4 * t + j < n; j++) out[4 * t + j] = mean + std * unit(r[j]);
  }
  return out;
}

export function randomNormalRef(n: number, seed: number, offset = 0, mean = 0, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let t = 0; 4 * t < n; t++) {
    const r = philox4x32([t, offset, 0, 0], seedWords(seed));
    const rad0 = Math.sqrt(-2 * Math.log(unit(r[0])));
    const rad1 = Math.sqrt(-2 * Math.log(unit(r[2])));
    const z = [rad0 * Math.cos(2 * Math.PI * unit(r[1])), rad0 * Math.sin(2 * Math.PI * unit(r[1])), rad1 * Math.cos(2 * Math.PI * unit(r[3])), rad1 * Math.sin(2 * Math.PI * unit(r[3]))];
    for (let j = 0; j < 4 && 4 * t + j < n; j++) out[4 * t + j] = mean + std * z[j];
  }
  return out;
}
