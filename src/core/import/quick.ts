/**
 * The quick check of a re-run: one digest of every log file found (path, agent, inode, device, size and
 * modification time), saved beside the offsets after a scan whose offsets covered each of those files.
 * A later scan that computes the same digest from the files as they are has nothing to read, and ends
 * without loading every file's offsets (sources-state.json: ~0.3 kB a file; for a 2,800-file history,
 * ~20 ms to parse and as much again to collect, of a 0.35 s re-run).
 *
 * A digest is written only after its offsets were saved, and they only past records already stored:
 * what it says (these files, as they were, are in the ledger) stays true. It names the offsets file it
 * was taken with (inode, size, time, and its journal's size): once that file is saved again (or its journal
 * appended to) by another process, damaged or deleted (to have every log read again), the digest is not
 * used, and the scan reads as before. A SQLite database (whose write-ahead log changes while it does not)
 * never takes part.
 *
 * Beside the digest: each agent's malformed lines, summed over those offsets, so that the per-agent status
 * of a re-run with nothing new (`unmetered status`) needs no offsets either.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { replaceFile } from '../atomicFile';
import { Hash64 } from '../hash64';
import { JOURNAL_FILE, STATE_FILE } from './state';

export const QUICK_FILE = 'sources-quick.json';
const VERSION = 2;
const MAX_FILE_BYTES = 4096;

/** What a digest is taken of: a stat, or the offsets' record of one. */
export interface FileIdentity {
  ino: number;
  dev: number;
  size: number;
  mtimeMs: number;
}

/**
 * The digest of the files found, in the order found (Hash64: not a defence against a crafted collision,
 * which could only delay reading a file until it changes again, never count anything twice or wrongly).
 */
export class QuickDigest {
  private readonly h = new Hash64(VERSION);
  files = 0;

  add(file: string, agent: string, id: FileIdentity): void {
    this.h.text(file).text(agent).number(id.ino).number(id.dev).number(id.size).number(id.mtimeMs);
    this.files++;
  }

  value(): string {
    return `${this.files}:${this.h.hex()}`;
  }
}

/** What a saved digest vouches for: the files' digest, and per agent the malformed lines their offsets count. */
export interface Quick {
  digest: string;
  malformed: Record<string, number>;
}

/** The offsets file as it is now (inode, size, time, and its journal's size), or null when there is none. */
function stateFile(dataDir: string): string | null {
  const st = statSync(path.join(dataDir, STATE_FILE), { throwIfNoEntry: false });
  const journal = statSync(path.join(dataDir, JOURNAL_FILE), { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}:${journal?.size ?? -1}` : null;
}

/**
 * The saved digest, or null when there is none, it is not one of ours, or the offsets file is no
 * longer the one it was taken with (the scan then reads as before).
 */
export function readQuick(dataDir: string): Quick | null {
  try {
    const text = readFileSync(path.join(dataDir, QUICK_FILE), 'utf8');
    if (text.length > MAX_FILE_BYTES) return null;
    const v = JSON.parse(text) as { version?: unknown; digest?: unknown; state?: unknown; malformed?: unknown };
    if (v.version !== VERSION || typeof v.digest !== 'string' || typeof v.state !== 'string' || !isCounts(v.malformed)) return null;
    return v.state === stateFile(dataDir) ? { digest: v.digest, malformed: v.malformed } : null;
  } catch {
    return null;
  }
}

function isCounts(v: unknown): v is Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}

/** Saves the digest of the offsets just saved (a no-op when the offsets file is missing). */
export async function saveQuick(dataDir: string, quick: Quick): Promise<void> {
  const state = stateFile(dataDir);
  if (state === null) return;
  const text = JSON.stringify({ version: VERSION, digest: quick.digest, state, malformed: quick.malformed });
  // Not flushed to disk: it vouches only for offsets and records already flushed, and one lost or torn in a
  // crash is not used (nothing parses, or the offsets file it names is not the one there).
  await replaceFile(path.join(dataDir, QUICK_FILE), text, { flush: false });
}
