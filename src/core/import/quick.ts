/**
 * The quick check of a re-run: one digest of every log file found (path, agent, inode, device, size and
 * modification time), saved beside the offsets after a scan whose offsets covered each of those files.
 * A later scan that computes the same digest from the files as they are has nothing to read, and ends
 * without loading every file's offsets (sources-state.json: ~0.3 kB a file; for a 2,800-file history,
 * ~20 ms to parse and as much again to collect, of a 0.35 s re-run).
 *
 * A digest is written only after its offsets were saved, and they only past records already stored:
 * what it says (these files, as they were, are in the ledger) stays true. It names the offsets file it
 * was taken with (inode, size, time): once that file is saved again by another process, damaged or
 * deleted (to have every log read again), the digest is not used, and the scan reads as before. A
 * SQLite database (whose write-ahead log changes while it does not) never takes part.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../privateFs';
import { writeFileAtomic } from '../lazy';
import { STATE_FILE } from './state';

export const QUICK_FILE = 'sources-quick.json';
const VERSION = 1;
const MAX_FILE_BYTES = 4096;
const NUMBER = new Float64Array(1);
const WORDS = new Uint32Array(NUMBER.buffer);

/** What a digest is taken of: a stat, or the offsets' record of one. */
export interface FileIdentity {
  ino: number;
  dev: number;
  size: number;
  mtimeMs: number;
}

/**
 * A 64-bit digest in two 32-bit lanes (cyrb53's mixing: Math.imul and shifts, no allocation per
 * character). Not a defence against a crafted collision: one could only delay reading a file until
 * it changes again, never count anything twice or wrongly.
 */
export class QuickDigest {
  private h1 = 0xdeadbeef ^ VERSION;
  private h2 = 0x41c6ce57 ^ VERSION;
  files = 0;

  add(file: string, agent: string, id: FileIdentity): void {
    this.text(file);
    this.text(agent);
    for (const x of [id.ino, id.dev, id.size, id.mtimeMs]) {
      NUMBER[0] = x; // each number's 64 bits, as two 32-bit words
      this.word(WORDS[0]!);
      this.word(WORDS[1]!);
    }
    this.files++;
  }

  private word(w: number): void {
    this.h1 = Math.imul(this.h1 ^ w, 2654435761);
    this.h2 = Math.imul(this.h2 ^ w, 1597334677);
  }

  private text(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // A separator no path holds, so ("ab", "c") and ("a", "bc") differ.
    this.h1 = Math.imul(h1 ^ 0x10ffff, 2654435761);
    this.h2 = Math.imul(h2 ^ 0x10ffff, 1597334677);
  }

  value(): string {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
    return `${this.files}:${hex(h1)}${hex(h2)}`;
  }
}

/** The offsets file as it is now (inode, size, time), or null when there is none. */
function stateFile(dataDir: string): string | null {
  const st = statSync(path.join(dataDir, STATE_FILE), { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : null;
}

/**
 * The saved digest, or null when there is none, it is not one of ours, or the offsets file is no
 * longer the one it was taken with (the scan then reads as before).
 */
export function readQuick(dataDir: string): string | null {
  try {
    const text = readFileSync(path.join(dataDir, QUICK_FILE), 'utf8');
    if (text.length > MAX_FILE_BYTES) return null;
    const v = JSON.parse(text) as { version?: unknown; digest?: unknown; state?: unknown };
    if (v.version !== VERSION || typeof v.digest !== 'string' || typeof v.state !== 'string') return null;
    return v.state === stateFile(dataDir) ? v.digest : null;
  } catch {
    return null;
  }
}

/** Saves the digest of the offsets just saved (a no-op when the offsets file is missing). */
export async function saveQuick(dataDir: string, digest: string): Promise<void> {
  const state = stateFile(dataDir);
  if (state === null) return;
  await writeFileAtomic()(path.join(dataDir, QUICK_FILE), JSON.stringify({ version: VERSION, digest, state }), { mode: PRIVATE_FILE_MODE });
}
