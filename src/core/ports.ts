/**
 * Ports: core code never reads the wall clock, the home directory or the network by itself.
 * Callers pass these in, so every test can pin them.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Milliseconds from an arbitrary start, never going back: for durations and time slices. performance.now()
 * without its module, whose first use loads perf_hooks (~5–15 ms of a re-run).
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export function fixedClock(iso: string): Clock & { set(iso: string): void; advance(ms: number): void } {
  let t = Date.parse(iso);
  return { now: () => t, set: (s) => (t = Date.parse(s)), advance: (ms) => (t += ms) };
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Writes diagnostics as lines to `out` ("unmetered: warning: …"): a CLI run's stderr. */
export function loggerTo(out: { write(text: string): unknown }): Logger {
  return {
    info: (m) => out.write(`unmetered: ${m}\n`),
    warn: (m) => out.write(`unmetered: warning: ${m}\n`),
    error: (m) => out.write(`unmetered: error: ${m}\n`),
  };
}

/** Writes diagnostics to this process's stderr, never stdout, which is data. */
export const stderrLogger: Logger = loggerTo({ write: (text) => process.stderr.write(text) });

/** A logger that records messages, for tests and for counting diagnostics. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}
