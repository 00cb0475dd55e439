// SVG plots rasterised to PNG with resvg (a Rust SVG renderer shipped as a prebuilt npm package):
// plots stay vector in HTML reports and become PNG files for everything else.
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic } from './atomic.ts';

export function svgToPng(svg: string, scale = 1): Uint8Array {
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' });
  return r.render().asPng();
}

/** Writes `<base>.svg` and `<base>.png` (atomically). */
export async function writePlot(base: string, svg: string): Promise<void> {
  await writeFileAtomic(`${base}.svg`, svg);
  await writeFileAtomic(`${base}.png`, svgToPng(svg, 1.5));
}
