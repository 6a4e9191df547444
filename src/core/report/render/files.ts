/** Writing exports to disk: atomically, so a team share or a synced folder never holds half a file. */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { ensureDir, ensurePrivateDir } from '../../privateFs';
import path from 'node:path';
import { renderWeekly, weeklyFileName, type ReportFormat } from './render';
import type { WeeklySummary } from '../summary/summary';

/** A refusal or failure to write an output file; the message names the path as the user gave it. */
export class OutFileError extends Error {}

const KINDS: [keyof Stats, string][] = [
  ['isDirectory', 'a folder'],
  ['isFIFO', 'a FIFO (named pipe)'],
  ['isCharacterDevice', 'a character device'],
  ['isBlockDevice', 'a block device'],
  ['isSocket', 'a socket'],
];
const kindOf = (st: Stats) => KINDS.find(([m]) => (st[m] as () => boolean).call(st))?.[1] ?? 'not a regular file';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'the folder does not exist',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error',
};

/**
 * Checks that `file` can be written as an output: its folder exists (it is never created: a typo
 * must not make folders), and it is absent or a regular file. A symbolic link is refused rather
 * than written through, so a link in a shared folder cannot send a report somewhere else; devices,
 * FIFOs and sockets are refused, so nothing is ever renamed over a device node.
 */
export async function checkOutFile(file: string, shown = file): Promise<void> {
  const dir = path.dirname(file);
  const parent = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (parent instanceof Error) {
    throw new OutFileError(
      parent.code === 'ENOENT'
        ? `${shown}: the folder ${path.dirname(shown)} does not exist; create it first`
        : `${shown}: its folder cannot be used (${REASONS[parent.code ?? ''] ?? parent.code})`,
    );
  }
  if (!parent.isDirectory()) throw new OutFileError(`${shown}: ${path.dirname(shown)} is not a folder`);
  const st = await lstat(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : err));
  if (st instanceof Error) throw new OutFileError(`${shown}: cannot be checked (${REASONS[st.code ?? ''] ?? st.code})`);
  if (st?.isSymbolicLink())
    throw new OutFileError(`${shown}: is a symbolic link; give the path of a regular file (links are not written through)`);
  if (st && !st.isFile()) throw new OutFileError(`${shown}: is ${kindOf(st)}, not a regular file; refusing to write there`);
}

/**
 * Writes `text` to a regular file, atomically: a temporary file beside it, synced, then renamed
 * over it, so a share never holds half a report. The target is checked before the temporary file
 * is made and again just before the rename. Every error names `shown` (the user's path), never the
 * temporary file.
 */
export async function writeOutFile(file: string, text: string, shown = file): Promise<void> {
  await checkOutFile(file, shown);
  const before = await lstat(file).catch(() => undefined);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // 'wx' (O_CREAT | O_EXCL) never opens an existing path, a link included.
    const fh = await open(tmp, 'wx', before ? before.mode & 0o777 : 0o666);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await checkOutFile(file, shown);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    if (err instanceof OutFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new OutFileError(`${shown}: cannot be written (${(code && REASONS[code]) ?? code ?? 'error'})`);
  }
}

/** Writes an output file, creating its folder first: for folders Unmetered owns (the automatic export). */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await ensureDir(path.dirname(file));
  await writeOutFile(file, text);
}

/** Writes a summary into a folder in each format, as <developer>-<week>.<format>; returns the paths. */
export async function writeWeeklyFiles(s: WeeklySummary, folder: string, formats: readonly ReportFormat[]): Promise<string[]> {
  const files: string[] = [];
  for (const f of formats) {
    const file = path.join(folder, weeklyFileName(s, f));
    await writeAtomically(file, renderWeekly(s, f));
    files.push(file);
  }
  return files;
}

/** Folder (in the data dir) of one marker file per automatically exported week. */
export const AUTO_EXPORT_DIR = 'auto-export';

/**
 * Claims the automatic export of a week for this process: true for exactly one caller across all
 * windows and restarts (the marker is created exclusively), false once it was claimed. Markers
 * older than a year are pruned.
 */
export async function claimWeek(dataDir: string, weekId: string): Promise<boolean> {
  const dir = path.join(dataDir, AUTO_EXPORT_DIR);
  await ensurePrivateDir(dir, { tightenExisting: false });
  try {
    await (await open(path.join(dir, weekId), 'wx')).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  const yearAgo = `${Number(weekId.slice(0, 4)) - 1}${weekId.slice(4)}`;
  for (const name of await readdir(dir))
    if (/^\d{4}-W\d{2}$/.test(name) && name < yearAgo) await unlink(path.join(dir, name)).catch(() => {});
  return true;
}

/** Gives a claimed week back (its export failed), so a later start tries again. */
export async function releaseWeek(dataDir: string, weekId: string): Promise<void> {
  await unlink(path.join(dataDir, AUTO_EXPORT_DIR, weekId)).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  });
}
