// A self-contained HTML report: sections of figures (PNG files beside it or inline SVG), captions
// that say what each figure shows, and tables of numbers.

export type Block =
  | { kind: 'text'; html: string } // a paragraph (trusted HTML)
  | { kind: 'image'; src: string; caption: string; alt?: string } // a PNG next to report.html
  | { kind: 'svg'; svg: string; caption: string } // an inline plot
  | { kind: 'table'; head: string[]; rows: (string | number)[][]; caption?: string };

export interface ReportSection {
  title: string;
  blocks: Block[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const fmtCell = (v: string | number): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toFixed(4) : v.toExponential(3)) : escapeHtml(v));

function block(b: Block): string {
  switch (b.kind) {
    case 'text':
      return `<p>${b.html}</p>`;
    case 'image':
      return `<figure><img src="${escapeHtml(b.src)}" alt="${escapeHtml(b.alt ?? b.caption)}"><figcaption>${escapeHtml(b.caption)}</figcaption></figure>`;
    case 'svg':
      return `<figure>${b.svg}<figcaption>${escapeHtml(b.caption)}</figcaption></figure>`;
    case 'table':
      return `<table>${b.caption ? `<caption>${escapeHtml(b.caption)}</caption>` : ''}<thead><tr>${b.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${fmtCell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }
}

/** Blocks in order, consecutive figures side by side. */
function sectionBody(blocks: Block[]): string {
  const out: string[] = [];
  let figs: string[] = [];
  const flushFigs = (): void => {
    if (figs.length) out.push(`<div class="grid">${figs.join('\n')}</div>`);
    figs = [];
  };
  for (const b of blocks) {
    if (b.kind === 'image' || b.kind === 'svg') figs.push(block(b));
    else {
      flushFigs();
      out.push(block(b));
    }
  }
  flushFigs();
  return out.join('\n');
}

export function renderReport(title: string, intro: string, sections: ReportSection[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
figure { margin: 1em 0; } figure img, figure svg { max-width: 100%; height: auto; image-rendering: pixelated; border: 1px solid #eee; }
figcaption { color: #555; font-size: .92em; margin-top: .3em; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f6f6f6; } caption { caption-side: bottom; color: #555; font-size: .92em; text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 1.5em; } .grid figure { flex: 1 1 300px; }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${intro}</p>
${sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>\n${sectionBody(s.blocks)}</section>`).join('\n')}
<footer><p style="color:#888">Made by gausslens on ${new Date().toISOString().slice(0, 10)}.</p></footer>
</body></html>
`;
}
