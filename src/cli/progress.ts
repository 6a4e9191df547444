/**
 * The import's progress on a terminal: one line on stderr, overwritten in place, shown only once the
 * import has run for a second (a re-run that reads little stays silent) and only on a TTY outside CI,
 * so piped output, logs and CI runs never see control characters. Cleared when the import ends.
 */
import type { ImportProgress } from '../core/import';
import { grouped } from '../core/money';
import { monotonicMs } from '../core/ports';
import type { Output } from './context';

export interface ProgressLine {
  update: (p: ImportProgress) => void;
  /** Clears the line, if one was drawn. */
  done(): void;
}

/** An import that runs this long is shown, and told of once it ends (setup.ts), wherever the output goes. */
export const SHOW_AFTER_MS = 1000;
const EVERY_MS = 100;
const CLEAR = '\r\x1b[K';

export function progressLine(stderr: Output, env: NodeJS.ProcessEnv, now: () => number = monotonicMs): ProgressLine {
  const started = now();
  if (!stderr.isTTY || env.CI || env.TERM === 'dumb') return { update() {}, done() {} };
  let drawn = false;
  let last = -Infinity;
  return {
    update(p) {
      const t = now();
      if (t - started < SHOW_AFTER_MS || t - last < EVERY_MS) return;
      last = t;
      drawn = true;
      const pct = p.files > 0 ? Math.floor((100 * p.filesDone) / p.files) : 0;
      const mb = (p.bytesRead / (1024 * 1024)).toFixed(0);
      const text = `unmetered: importing agent logs… ${pct}% (${grouped(p.filesDone)} of ${grouped(p.files)} files, ${mb} MB read)`;
      // Never wider than the terminal: a wrapped line cannot be overwritten with \r.
      stderr.write(CLEAR + text.slice(0, Math.max(20, (stderr.columns ?? 80) - 1)));
    },
    done() {
      if (drawn) stderr.write(CLEAR);
      drawn = false;
    },
  };
}
