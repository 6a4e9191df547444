// The stamp of a tool's run (esbuild.mjs's build, typecheck.mjs's check): the size and modification time of every
// file the run read or wrote, and what else decided its result (a mode, a compiler's version). While every file is
// as stamped, running again would give the same result, so the tool skips the run (`tsc -b` does the same for an
// up-to-date project).
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** [path, size, mtimeMs] of each file; a missing one is [path, -1, -1]. */
function stampOf(files) {
  return files.map((f) => {
    try {
      const s = statSync(f);
      return [f, s.size, s.mtimeMs];
    } catch {
      return [f, -1, -1];
    }
  });
}

/** Whether the stamp at `file` was kept with the same `meta` and every file in it is as it was then. */
export function unchanged(file, meta) {
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    return (
      JSON.stringify(kept.meta) === JSON.stringify(meta) &&
      Array.isArray(kept.files) &&
      JSON.stringify(stampOf(kept.files.map((f) => f[0]))) === JSON.stringify(kept.files)
    );
  } catch {
    return false; // no stamp, or an unreadable one
  }
}

/** Removes the stamp: called as a run starts, so a run that fails or is interrupted leaves none. */
export function dropStamp(file) {
  rmSync(file, { force: true });
}

/**
 * Keeps the stamp of a run that started at `startedMs` and read or wrote `files`. A file it read whose time is
 * within a second of the start (it may have changed while it was read, or within one tick of the file system's
 * clock) is not stamped, and neither is the run: the next one runs again. `wrote` are the run's own outputs, new by
 * nature. Returns whether the stamp was kept.
 */
export function keepStamp(file, meta, files, startedMs, wrote = []) {
  // First: a folder made for the stamp may be one the stamp holds.
  mkdirSync(path.dirname(file), { recursive: true });
  const stamp = stampOf([...new Set([...files, ...wrote])].sort());
  if (!stamp.every(([f, , mtime]) => wrote.includes(f) || mtime < startedMs - 1000)) return false;
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ meta, files: stamp }) + '\n');
  renameSync(tmp, file);
  return true;
}
