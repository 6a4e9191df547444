/**
 * The import's standing warnings (a link in an agent's folder not followed, a walk's limit, a log that cannot be read),
 * told once a day by the runs nobody reads at a terminal: a shell prompt (`PS1='$(unmetered statusline) \$ '`), a status
 * line, a script. Each run is a process of its own, and each found the same link again: a prompt printed the same
 * warning above every prompt. Kept in <data dir>/cache/told.json: each warning's key and when it was told (the keys name
 * log paths, as the offsets do; no log content). A run at a terminal tells every warning it finds, as before.
 *
 * A cache: unreadable, damaged or not writable, a warning is told again, which is what happened before it existed.
 */
import path from 'node:path';
import { replaceFileSync } from '../core/atomicFile';
import type { Told } from '../core/import/importer';
import { ensurePrivateDirSync } from '../core/privateFs';
import { readKept } from './readKept';

const VERSION = 1;
const FILE = path.join('cache', 'told.json');
/** A warning is told again this long after it was last told. */
export const TOLD_FOR_MS = 24 * 3_600_000;
/** Warnings kept at most (the latest told). */
const MAX_KEPT = 256;
const MAX_FILE_BYTES = 256 * 1024;

/** Each key is new again TOLD_FOR_MS after it was told; `now` is the real clock (how long ago, not which day). */
export function toldDaily(dataDir: string, now: () => number = Date.now): Told {
  const file = path.join(dataDir, FILE);
  let kept: Map<string, number> | null = null;
  return {
    first(key) {
      kept ??= load(file);
      const t = now();
      const at = kept.get(key);
      if (at !== undefined && t >= at && t - at < TOLD_FOR_MS) return false;
      kept.delete(key);
      kept.set(key, t);
      save(file, kept, t);
      return true;
    },
  };
}

function load(file: string): Map<string, number> {
  try {
    const v = JSON.parse(readKept(file, MAX_FILE_BYTES)) as { version?: unknown; told?: unknown } | null;
    if (v?.version !== VERSION || !Array.isArray(v.told)) return new Map();
    const pairs = (v.told as unknown[]).filter(
      (e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' && Number.isFinite(e[1]),
    );
    return new Map(pairs);
  } catch {
    return new Map(); // none yet, or not ours: every warning is told
  }
}

function save(file: string, kept: Map<string, number>, now: number): void {
  const told = [...kept].filter(([, at]) => now - at < TOLD_FOR_MS).slice(-MAX_KEPT);
  try {
    ensurePrivateDirSync(path.dirname(file));
    replaceFileSync(file, JSON.stringify({ version: VERSION, told }), { flush: false });
  } catch {
    // not kept: the next run tells it again
  }
}
