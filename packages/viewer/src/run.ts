// A run directory of the gausslens CLI, from a file picker, drag-and-drop or `gausslens view`:
// its files sorted into what the viewer shows (Gaussian structure, network checkpoint, linear
// models, report, config, images). Files are read in the page; nothing leaves it.
import { decodeSafetensors, STRUCTURE_FORMAT, type SafetensorsFile, type StructureMeta } from '@gausslens/core';

/** One file of a run: its path inside the run and a way to read it. */
export interface RunFile {
  path: string; // relative to the run directory, '/'-separated
  size: number; // [bytes]
  bytes(): Promise<Uint8Array>;
  url(): string; // for <img> and links (an object URL or the server's)
}

export interface RunContents {
  name: string; // the run directory's name
  structure: { path: string; file: SafetensorsFile; sidecar: StructureMeta | null } | null;
  network: { path: string; file: SafetensorsFile } | null;
  linear: { path: string; file: SafetensorsFile }[];
  report: { path: string; json: Record<string, unknown> } | null;
  config: { path: string; json: Record<string, unknown> } | null;
  reportHtml: RunFile | null;
  images: RunFile[]; // the run's PNG figures
  dataSpec: string | null; // the training data spec the run names (structure, config or report)
  ignored: string[]; // files the viewer does not show
}

export const LINEAR_MODEL_FORMAT = 'gausslens-linear-model'; // distill/linear_model.ts
const EXPORTS = 'gaussian.safetensors (gausslens gaussian), checkpoint.safetensors + config.json (gausslens train), a linear model (gausslens distill) or report.json (npm start)';

export class NotAnExportError extends Error {
  override name = 'NotAnExportError';
}

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

async function readJson(f: RunFile): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await f.bytes());
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new NotAnExportError(`${f.path}: not a gausslens export (bad JSON: ${(e as Error).message.split('\n')[0]})`);
  }
}

/** The data spec a config or report names: `data` at the top, or in `train` / `config`. */
function specIn(json: Record<string, unknown> | undefined): string | null {
  if (!json) return null;
  for (const v of [json.data, (json.train as Record<string, unknown> | undefined)?.data, (json.config as Record<string, unknown> | undefined)?.data]) {
    if (typeof v === 'string' && v) return v;
  }
  return null;
}

/** Sorts a run's files; throws NotAnExportError when none of them is something gausslens writes. */
export async function readRun(name: string, files: RunFile[]): Promise<RunContents> {
  const run: RunContents = { name, structure: null, network: null, linear: [], report: null, config: null, reportHtml: null, images: [], dataSpec: null, ignored: [] };
  const jsons = new Map<string, RunFile>();
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const lower = f.path.toLowerCase();
    if (lower.endsWith('.safetensors')) {
      const file = decodeSafetensors(await f.bytes(), f.path);
      const format = file.metadata.format ?? '';
      if (format === STRUCTURE_FORMAT) run.structure ??= { path: f.path, file, sidecar: null };
      else if (format.startsWith('gausslens-edm') && file.metadata.config) {
        // A run's own checkpoint.safetensors wins over other network files.
        if (!run.network || base(f.path) === 'checkpoint.safetensors') run.network = { path: f.path, file };
      } else if (format === LINEAR_MODEL_FORMAT) run.linear.push({ path: f.path, file });
      else if (format === 'gausslens-embedded-images') run.ignored.push(f.path);
      else throw new NotAnExportError(`${f.path}: not a gausslens export (safetensors without gausslens metadata; expected ${EXPORTS})`);
    } else if (lower.endsWith('.json')) jsons.set(f.path, f);
    else if (lower.endsWith('.png')) run.images.push(f);
    else if (base(lower) === 'report.html') run.reportHtml = f;
    else run.ignored.push(f.path);
  }
  for (const [path, f] of jsons) {
    const b = base(path);
    if (run.structure && path === run.structure.path.replace(/\.safetensors$/, '.json')) run.structure.sidecar = (await readJson(f)) as unknown as StructureMeta;
    else if (b === 'report.json') run.report ??= { path, json: await readJson(f) };
    else if (b === 'config.json') run.config ??= { path, json: await readJson(f) };
    else run.ignored.push(path);
  }
  if (!run.structure && !run.network && !run.linear.length && !run.report && !run.config) {
    const what = files.length === 1 ? files[0].path : `${files.length} files (${files.slice(0, 3).map((f) => f.path).join(', ')}${files.length > 3 ? ', …' : ''})`;
    throw new NotAnExportError(`${what}: not a gausslens export: open a run directory of the gausslens CLI with ${EXPORTS}`);
  }
  const structureSpec = run.structure ? (run.structure.sidecar?.data ?? run.structure.file.metadata.data ?? null) : null;
  run.dataSpec = structureSpec ?? specIn(run.config?.json) ?? specIn(run.report?.json) ?? null;
  return run;
}

/** RunFiles from a file picker or a drop (paths inside the chosen folder, without its own name). */
export function filesFromPicker(list: Iterable<File & { webkitRelativePath?: string }>): { name: string; files: RunFile[] } {
  const all = [...list];
  const rel = all.map((f) => f.webkitRelativePath || f.name);
  const top = rel.every((p) => p.includes('/')) ? rel[0].slice(0, rel[0].indexOf('/')) : '';
  const urls = new Map<File, string>();
  const files = all.map((f, i) => ({
    path: top ? rel[i].slice(top.length + 1) : rel[i],
    size: f.size,
    bytes: async () => new Uint8Array(await f.arrayBuffer()),
    url: () => {
      if (!urls.has(f)) urls.set(f, URL.createObjectURL(f));
      return urls.get(f) as string;
    },
  }));
  return { name: top || (all.length === 1 ? all[0].name : 'dropped files'), files };
}

/** Every file under the dropped items (folders walked), with paths relative to a dropped folder. */
export async function filesFromDrop(items: DataTransferItemList): Promise<File[]> {
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
      Object.defineProperty(file, 'webkitRelativePath', { value: prefix + entry.name });
      out.push(file);
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (!batch.length) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  const entries = [...items].map((it) => it.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  for (const e of entries) await walk(e, '');
  return out;
}

/** RunFiles of the run `gausslens view` serves: its listing at `listUrl`, the files under run/. */
export async function filesFromServer(listUrl: string): Promise<{ name: string; files: RunFile[] }> {
  const res = await fetch(listUrl);
  if (!res.ok) throw new Error(`${listUrl}: HTTP ${res.status} (is \`gausslens view\` still running?)`);
  const list = (await res.json()) as { name: string; files: { path: string; size: number }[] };
  const fileUrl = (p: string): string => new URL(`run/${p.split('/').map(encodeURIComponent).join('/')}`, document.baseURI).href;
  return {
    name: list.name,
    files: list.files.map((f) => ({
      path: f.path,
      size: f.size,
      url: () => fileUrl(f.path),
      bytes: async () => {
        const r = await fetch(fileUrl(f.path));
        if (!r.ok) throw new Error(`${f.path}: HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      },
    })),
  };
}
