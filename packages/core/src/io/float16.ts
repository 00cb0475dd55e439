// IEEE 754 binary16 decoding, shared by the .npy and safetensors readers (no Node APIs: the viewer uses it).

/** float16 bits → number (IEEE 754 binary16: subnormals, infinities and NaN included). */
export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
