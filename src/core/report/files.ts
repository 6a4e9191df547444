/** Writing exports to disk: atomically, so a team share or a synced folder never holds half a file. */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
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
