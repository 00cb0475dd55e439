// Progress for long work: a bar with steps, rate, loss and ETA on a terminal; plain periodic lines
// otherwise (CI logs, pipes).
import cliProgress from 'cli-progress';

export interface Progress {
  tick(n?: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function phase(msg: string): void {
  process.stderr.write(`gausslens: ${msg}\n`);
}

export function progress(label: string, total: number, unit = 'steps'): Progress {
  const start = performance.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted} {info}`, stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0', info: '' });
    let done = 0;
    return {
      tick(n = 1, fields = {}) {
        done += n;
        const rate = (done / ((performance.now() - start) / 1000)).toFixed(2);
        bar.update(done, { rate, info: Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' ') });
      },
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  let last = 0;
  return {
    tick(n = 1, fields = {}) {
      done += n;
      const now = performance.now();
      if (now - last < 5000 && done < total) return;
      last = now;
      const s = (now - start) / 1000;
      const eta = done > 0 ? ((total - done) * s) / done : 0;
      const extra = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' ');
      process.stderr.write(`${label}: ${done}/${total} ${unit}, ${(done / s).toFixed(2)}/s, ETA ${eta.toFixed(0)} s${extra ? ` | ${extra}` : ''}\n`);
    },
    stop() {},
  };
}
