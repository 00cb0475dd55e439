// What the page exposes as `window.gausslens` for scripts and the end-to-end test (read-only use):
// the last denoised result with its inputs, so a test can recompute it outside the page.
import type { DenoiseResult } from './panels/denoise.ts';

export interface ViewerHooks {
  denoise: DenoiseResult | null; // the denoise panel's last rendered result
}

export const hooks: ViewerHooks = { denoise: null };
(globalThis as unknown as { gausslens: ViewerHooks }).gausslens = hooks;
