/**
 * Finding and reading a team's submitted files. A shared folder or repository can hold anything a
 * teammate committed, links included (git keeps them), so: only regular files are read; links
 * found inside a folder are never followed, whether they point inside or outside it (one rule, no
 * race between checking a target and opening it); FIFOs, sockets and devices are never opened;
 * every file is opened with O_NOFOLLOW | O_NONBLOCK and checked with fstat before a byte is read;
 * and no file is read past MAX_SUMMARY_BYTES. What is skipped is named with the reason; nothing of
 * a skipped file's content is read. Paths named on the command line are the user's own choice:
 * a link named there is followed, but it must still lead to a regular file or a folder.
 */
import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { plainText } from '../../sanitize';
import { parseWeeklySummary } from '../summary/read';
import { entryOf, type Entry, type Problem } from './team';
import { compareKeys } from '../totals';
import { errorMessage } from '../../errors';

/** A weekly summary is some kilobytes; anything this large is not one and is not read into memory. */
export const MAX_SUMMARY_BYTES = 16_000_000;

/**
 * Files in one merge. A year of weekly summaries for a 2,000-person organisation is about 100,000;
 * past this, point `team` at one week's folder. Keeps memory bounded (an entry is a few kilobytes).
 */
export const MAX_TEAM_FILES = 200_000;

export interface Collected {
  files: string[];
  /** Of `files`, those named on the command line (a link there is followed). */
  named: string[];
  missing: Problem[];
  emptyFolders: string[];
  /** Entries not read, with why: links, FIFOs, devices, unreadable folders. */
  skipped: Problem[];
  /** True when more than `maxFiles` were found; `files` then stops at the cap. */
  tooMany: boolean;
}

/** Display form of a path from a shared folder: file names can carry escape sequences too. */
const shownPath = (p: string) => plainText(p);

function kindOf(d: Dirent | Stats): string | undefined {
  if (d.isFIFO()) return 'a FIFO (named pipe)';
  if (d.isSocket()) return 'a socket';
  if (d.isCharacterDevice()) return 'a character device';
  if (d.isBlockDevice()) return 'a block device';
  return undefined;
}

const LINK_SKIPPED = 'skipped: a symbolic link (links inside a team folder are never followed; copy the file in instead)';
const notRegular = (kind: string) => `skipped: ${kind}, not a regular file (never opened)`;

/**
 * Folders are searched (skipping hidden folders and node_modules) for *.json, iteratively (no
 * recursion, no array spreads: a folder may hold hundreds of thousands of files); named files are
 * taken as they are. Paths stay as the user wrote them (relative to `cwd`).
 */
export async function collectFiles(paths: string[], cwd = process.cwd(), maxFiles = MAX_TEAM_FILES): Promise<Collected> {
  const out: Collected = { files: [], named: [], missing: [], emptyFolders: [], skipped: [], tooMany: false };
  const seen = new Set<string>();
  const add = (p: string): boolean => {
    const abs = path.resolve(cwd, p);
    if (seen.has(abs)) return true;
    if (out.files.length >= maxFiles) return ((out.tooMany = true), false);
    seen.add(abs);
    out.files.push(p);
    return true;
  };
  for (const p of paths) {
    let st: Stats;
    try {
      st = await stat(path.resolve(cwd, p));
    } catch (err) {
      out.missing.push({
        file: shownPath(p),
        problem:
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'no such file or folder'
            : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      });
      continue;
    }
    if (st.isDirectory()) {
      const before = out.files.length;
      if (!(await walk(p, cwd, out, add))) break;
      if (out.files.length === before) out.emptyFolders.push(shownPath(p));
    } else if (st.isFile()) {
      if (!add(p)) break;
      out.named.push(p);
    } else out.skipped.push({ file: shownPath(p), problem: notRegular(kindOf(st) ?? 'not a file or folder') });
  }
  return out;
}

/** Walks one folder depth-first in name order; false once the file cap is reached. */
async function walk(root: string, cwd: string, out: Collected, add: (p: string) => boolean): Promise<boolean> {
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(path.resolve(cwd, dir), { withFileTypes: true });
    } catch (err) {
      out.skipped.push({
        file: shownPath(dir),
        problem: `skipped: folder cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      });
      continue;
    }
    entries.sort((a, b) => compareKeys(a.name, b.name));
    const subdirs: string[] = [];
    for (const d of entries) {
      const p = path.join(dir, d.name);
      const json = d.name.toLowerCase().endsWith('.json');
      // Some file systems report no type in the listing; lstat never follows a link.
      const t: Dirent | Stats =
        d.isFile() || d.isDirectory() || d.isSymbolicLink() || kindOf(d) ? d : await lstat(path.resolve(cwd, p)).catch(() => d);
      if (t.isSymbolicLink()) {
        if (json || !d.name.startsWith('.')) out.skipped.push({ file: shownPath(p), problem: LINK_SKIPPED });
      } else if (t.isDirectory()) {
        if (!d.name.startsWith('.') && d.name !== 'node_modules') subdirs.push(p);
      } else if (json) {
        const kind = t.isFile() ? undefined : (kindOf(t) ?? 'of an unknown kind');
        if (kind) out.skipped.push({ file: shownPath(p), problem: notRegular(kind) });
        else if (!add(p)) return false;
      }
    }
    // Reversed onto the stack, so subfolders are visited in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
  return true;
}

// Windows has neither flag (nor FIFOs or symlinks a user can make without privileges); 0 leaves them out.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * The bytes of one regular file, never more than `max`. Opening with O_NONBLOCK means a FIFO put
 * in place after the listing cannot block the open; fstat then refuses it before any read.
 */
export async function readRegularFile(file: string, opts: { follow: boolean; max: number }): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | NONBLOCK | (opts.follow ? 0 : NOFOLLOW));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new Error(LINK_SKIPPED);
    throw new Error(`cannot be read (${code ?? errorMessage(err)})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(notRegular(kindOf(st) ?? (st.isDirectory() ? 'a folder' : 'of an unknown kind')));
    if (st.size > opts.max) throw new Error(tooLarge(st.size, opts.max));
    // The file may grow between fstat and the reads: read at most one byte past the cap to tell.
    const buf = Buffer.alloc(Math.min(st.size, opts.max) + 1);
    let len = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len === buf.length) {
        if (len > opts.max) throw new Error(tooLarge(len, opts.max));
        break;
      }
    }
    return buf.subarray(0, len);
  } finally {
    await fh.close();
  }
}

const tooLarge = (size: number, max: number) =>
  `${size > max + 1 ? `${Math.round(size / 1e6)} MB` : `more than ${max / 1e6} MB`} is too large for a weekly summary (at most ${max / 1e6} MB)`;

/** Reads and checks the files, a few at a time; each one becomes an Entry or a Problem. */
export async function readEntries(
  files: string[],
  opts: { cwd?: string; concurrency?: number; named?: readonly string[]; maxBytes?: number } = {},
): Promise<{ entries: Entry[]; rejected: Problem[] }> {
  const cwd = opts.cwd ?? process.cwd();
  const named = new Set(opts.named ?? []);
  const max = opts.maxBytes ?? MAX_SUMMARY_BYTES;
  const entries = new Array<Entry | undefined>(files.length);
  const rejected = new Array<Problem | undefined>(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i]!;
      const shown = shownPath(file);
      try {
        const bytes = await readRegularFile(path.resolve(cwd, file), { follow: named.has(file), max });
        entries[i] = entryOf(parseWeeklySummary(bytes.toString('utf8'), shown), shown);
      } catch (err) {
        const msg = plainText(err instanceof Error ? err.message : String(err));
        rejected[i] = { file: shown, problem: msg.startsWith(`${shown}: `) ? msg.slice(shown.length + 2) : msg };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 16, files.length) }, worker));
  return { entries: entries.filter((e): e is Entry => e !== undefined), rejected: rejected.filter((p): p is Problem => p !== undefined) };
}
