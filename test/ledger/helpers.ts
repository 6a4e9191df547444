import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync, version } from 'esbuild';
import { replaceFileSync } from '../../src/core/atomicFile';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-ledger-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let bundled: string | null = null;
const WRITER_CACHE = path.resolve(__dirname, '..', '..', '.cache', 'test-writer');

/** [mtime, size] of each file, or null for one that is gone. */
const stamps = (files: string[]) =>
  files.map((f) => {
    const st = statSync(f, { throwIfNoEntry: false });
    return st ? [st.mtimeMs, st.size] : null;
  });

/**
 * The writer fixture bundled into plain JavaScript, so each child process starts in tens of milliseconds
 * (through tsx it takes ~0.35 s, and the crash test starts twenty of them). The bundle is kept in
 * .cache/test-writer with the list of files it was built from and their modification times and sizes: the
 * three suites that start writers, in their own processes, build it once between them, and again only when
 * one of those files changed.
 */
export function writerScript(): string {
  if (bundled) return bundled;
  const out = path.join(WRITER_CACHE, 'writer.cjs');
  const inputsFile = path.join(WRITER_CACHE, 'inputs.json');
  try {
    const kept = JSON.parse(readFileSync(inputsFile, 'utf8')) as { esbuild: string; files: string[]; stamps: unknown };
    if (kept.esbuild === version && existsSync(out) && JSON.stringify(stamps(kept.files)) === JSON.stringify(kept.stamps))
      return (bundled = out);
  } catch {
    // not built yet, or unreadable: build
  }
  mkdirSync(WRITER_CACHE, { recursive: true });
  const started = Date.now();
  const { metafile, outputFiles } = buildSync({
    entryPoints: [path.join(__dirname, 'fixtures', 'writer.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  // Written whole and renamed: suites in other processes may build it at the same time.
  replaceFileSync(out, outputFiles[0].contents, { flush: false });
  // This file too: it holds the build's options.
  const files = [__filename, ...Object.keys(metafile.inputs).map((f) => path.resolve(f))];
  const now = stamps(files);
  // A file changed while it was bundled may not be in the bundle as stamped: the next suite builds again.
  if (now.every((s) => s !== null && s[0] < started - 1000)) {
    replaceFileSync(inputsFile, JSON.stringify({ esbuild: version, files, stamps: now }), { flush: false });
  }
  return (bundled = out);
}

export interface Writer {
  child: ChildProcessWithoutNullStreams;
  /** Complete stdout lines so far. */
  lines: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once at least n complete lines arrived (or the process ended). */
  waitForLines(n: number): Promise<void>;
}

/** Starts `bulk` writers, waits until all have opened the ledger, then lets them go at once. */
export async function startBulkWriters(argsList: string[][]): Promise<Writer[]> {
  const writers = argsList.map((args) => startWriter(['bulk', ...args]));
  await Promise.all(writers.map((w) => w.waitForLines(1)));
  for (const w of writers) if (w.lines[0] !== 'ready') throw new Error(`writer not ready: ${w.lines[0]} ${w.stderr()}`);
  for (const w of writers) w.child.stdin.write('go\n');
  return writers;
}

export function startWriter(args: string[]): Writer {
  const child = spawn(process.execPath, [writerScript(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: { n: number; resolve: () => void }[] = [];
  const wake = (all: boolean) => {
    for (const w of [...waiters]) {
      if (!all && lines.length < w.n) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake(false);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      wake(true);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitForLines,
  };
  function waitForLines(n: number): Promise<void> {
    // A process killed by a signal has no exit code, only a signal code: either means no more lines.
    return lines.length >= n || child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => waiters.push({ n, resolve }));
  }
}

/** The id of every complete record line across the segment files (duplicates kept), read without the ledger. */
export function idsOnDisk(dir: string): string[] {
  const segDir = path.join(dir, 'ledger');
  const ids: string[] = [];
  for (const f of readdirSync(segDir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(path.join(segDir, f), 'utf8').split('\n')) {
      if (!line.startsWith('{"id":')) continue;
      try {
        ids.push(JSON.parse(line).id);
      } catch {
        // a torn fragment
      }
    }
  }
  return ids;
}

export function segmentFiles(dir: string): string[] {
  const segDir = path.join(dir, 'ledger');
  return readdirSync(segDir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => path.join(segDir, f));
}
