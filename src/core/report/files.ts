/** Writing exports to disk: atomically, so a team share or a synced folder never holds half a file. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderWeekly, weeklyFileName, type ReportFormat } from './render';
import type { WeeklySummary } from './summary';

export async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
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
  await mkdir(dir, { recursive: true });
  try {
    await (await open(path.join(dir, weekId), 'wx')).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  const yearAgo = `${Number(weekId.slice(0, 4)) - 1}${weekId.slice(4)}`;
  for (const name of await readdir(dir)) if (/^\d{4}-W\d{2}$/.test(name) && name < yearAgo) await unlink(path.join(dir, name)).catch(() => {});
  return true;
}

/** Gives a claimed week back (its export failed), so a later start tries again. */
export async function releaseWeek(dataDir: string, weekId: string): Promise<void> {
  await unlink(path.join(dataDir, AUTO_EXPORT_DIR, weekId)).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  });
}
