import { describe, it, expect } from 'vitest';
import { edmSigmas, PAPER_SIGMAS, precond, lossWeight, parseDenoiserSpec, formatDenoiserSpec } from '@gausslens/core';

describe('EDM schedule and preconditioning', () => {
  it('the 10-step ρ = 7 schedule is the paper\'s list exactly', () => {
    const paper = [80.0, 42.41518931851267, 21.10867673619376, 9.723201355260132, 4.066123602953759, 1.501741979068008, 0.46997905799774714, 0.1166385635251784, 0.020435334553438746, 0.002];
    const s = edmSigmas({ steps: 10 });
    expect(s).toHaveLength(11);
    expect(s[10]).toBe(0);
    s.slice(0, 10).forEach((v, i) => expect(Math.abs(v - paper[i]) / paper[i]).toBeLessThan(1e-14));
    expect(PAPER_SIGMAS).toEqual(s.slice(0, 10));
  });

  it('any step count runs from σ_max to σ_min, decreasing', () => {
    for (const steps of [1, 2, 18, 40]) {
      const s = edmSigmas({ steps, sigmaMin: 0.01, sigmaMax: 50 });
      expect(s[0]).toBe(50);
      if (steps > 1) expect(s[steps - 1]).toBeCloseTo(0.01, 12);
      for (let i = 1; i < s.length; i++) expect(s[i]).toBeLessThan(s[i - 1]);
    }
    expect(() => edmSigmas({ steps: 0 })).toThrow(/steps/);
    expect(() => edmSigmas({ sigmaMin: 2, sigmaMax: 1 })).toThrow(/sigmaMin/);
  });

  it('c_skip·σ_d² + c_out²… satisfy the EDM identities', () => {
    for (const sigma of [0.002, 0.5, 80]) {
      const sd = 0.5;
      const { cSkip, cOut, cIn, cNoise } = precond(sigma, sd);
      // Unit-variance target: c_skip² σ_d² + c_out²/… and c_in² (σ² + σ_d²) = 1.
      expect(cIn * cIn * (sigma * sigma + sd * sd)).toBeCloseTo(1, 12);
      expect(cSkip + (cOut * cOut) / (sd * sd)).toBeCloseTo(1, 12);
      expect(cNoise).toBeCloseTo(Math.log(sigma) / 4, 14);
      // λ(σ) = 1/c_out².
      expect(lossWeight(sigma, sd) * cOut * cOut).toBeCloseTo(1, 12);
    }
  });
});

describe('denoiser specs', () => {
  it('parses every kind and round-trips', () => {
    for (const s of ['gaussian', 'multi-delta', 'linear:runs/a/linear.safetensors', 'network:ckpt/net.safetensors']) expect(formatDenoiserSpec(parseDenoiserSpec(s))).toBe(s);
  });
  it('rejects unknown kinds and missing files with the valid forms', () => {
    expect(() => parseDenoiserSpec('wiener')).toThrow(/unknown denoiser 'wiener': use one of gaussian, multi-delta/);
    expect(() => parseDenoiserSpec('linear:')).toThrow(/needs a file/);
  });
});
