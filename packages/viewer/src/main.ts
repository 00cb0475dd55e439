// The gausslens viewer: the same kernels and research code as the CLI, on navigator.gpu. It opens a
// run directory of the CLI (file picker, drag-and-drop, or preloaded by `gausslens view`) or
// builds the Gaussian structure from the embedded MNIST digits, and shows it in five panels.
import './style.css';
import './hooks.ts';
import { parseDataSpec } from '@gausslens/core';
import { Session } from './session.ts';
import { readRun, filesFromPicker, filesFromDrop, filesFromServer, type RunFile } from './run.ts';
import { renderStructure } from './panels/structure.ts';
import { DenoisePanel } from './panels/denoise.ts';
import { TrajectoryPanel } from './panels/trajectory.ts';
import { renderReport } from './panels/report.ts';
import { BenchPanel } from './panels/bench.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const session = new Session();
const status = $('status');
const errorBox = $('error');

function setStatus(state: 'idle' | 'busy' | 'ready' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function showError(msg: string): void {
  errorBox.textContent = msg;
  errorBox.hidden = !msg;
}

let panels: { denoise: DenoisePanel; trajectory: TrajectoryPanel; bench: BenchPanel } | null = null;

function refreshAll(): void {
  renderStructure($('structure'), session);
  renderReport($('report'), session.run);
  panels?.denoise.refresh();
  panels?.trajectory.refresh();
  panels?.bench.refresh();
  if (session.spec) $<HTMLInputElement>('data-spec').value = session.spec;
}

let busy = false;

/** Runs one job at a time, with its phases in the status line and its error in the banner. */
async function job(label: string, fn: (phase: (p: string) => void) => Promise<void>): Promise<void> {
  if (busy) {
    showError('the viewer is busy: wait for the current job to finish');
    return;
  }
  busy = true;
  showError('');
  setStatus('busy', `${label}…`);
  const t0 = performance.now();
  try {
    await session.exclusive(() => fn((p) => setStatus('busy', `${label}: ${p}`)));
    refreshAll();
    setStatus('ready', `${label}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    refreshAll();
    setStatus('error', `${label}: failed`);
    showError((e as Error).message.split('\n')[0]);
  } finally {
    busy = false;
  }
}

function openRun(name: string, files: RunFile[]): Promise<void> {
  return job(`opening ${name}`, async (phase) => {
    phase('reading files');
    const run = await readRun(name, files);
    await session.openRun(run, phase);
  });
}

function compute(): Promise<void> {
  const spec = $<HTMLInputElement>('data-spec').value.trim();
  return job(`Gaussian structure of ${spec}`, async (phase) => {
    parseDataSpec(spec); // a bad spec fails here with the CLI's message
    await session.computeFromDigits(spec, phase);
  });
}

function wireLoading(): void {
  for (const id of ['open-dir', 'open-files']) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => {
      if (!input.files?.length) return;
      const { name, files } = filesFromPicker(input.files);
      input.value = '';
      void openRun(name, files);
    });
  }
  $('compute').addEventListener('click', () => void compute());
  $('data-spec').addEventListener('keydown', (e) => e.key === 'Enter' && void compute());
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', (e) => e.relatedTarget === null && document.body.classList.remove('dragging'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const items = e.dataTransfer?.items;
    if (!items?.length) return;
    void filesFromDrop(items).then((list) => {
      const { name, files } = filesFromPicker(list);
      return openRun(name, files);
    });
  });
}

async function boot(): Promise<void> {
  await session.init();
  const g = session.gpu;
  $('adapter').textContent = g ? `WebGPU: ${g.adapter.vendor} ${g.adapter.architecture} ${g.adapter.description}`.trim() : 'WebGPU: not available';
  if (!g) {
    const banner = $('no-webgpu');
    banner.hidden = false;
    banner.textContent = `${session.gpuError} — reports can still be opened; structures, denoisers and benchmarks need WebGPU.`;
  }
  panels = { denoise: new DenoisePanel($('denoise'), session), trajectory: new TrajectoryPanel($('trajectories'), session), bench: new BenchPanel($('bench'), session) };
  wireLoading();
  refreshAll();
  setStatus('idle', 'open a run directory, or compute the Gaussian structure from the embedded digits');
  // Links: ?run=<listing URL> (gausslens view preloads its run) or ?compute=<data spec>.
  const params = new URLSearchParams(location.search);
  const runList = params.get('run');
  const spec = params.get('compute');
  if (runList) {
    await job('opening the served run', async (phase) => {
      phase('listing files');
      const { name, files } = await filesFromServer(runList);
      phase('reading files');
      await session.openRun(await readRun(name, files), phase);
    });
  } else if (spec) {
    $<HTMLInputElement>('data-spec').value = spec;
    await compute();
  }
}

void boot();
