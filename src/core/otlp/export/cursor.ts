/**
 * Where the export has got to in the ledger: per segment file (ledger/YYYY-MM.jsonl, append-only), the
 * byte offset through the last line the collector accepted. Kept beside the ledger in
 * <data dir>/telemetry/<endpoint hash>.cursor.json, one per collector, so pointing Unmetered at a new
 * collector sends it the whole history and switching back resumes where that one stopped.
 *
 * Written atomically (write-file-atomic: temporary file, fsync, rename), twice per batch: first the batch about to be sent
 * (`pending`, with the time window its metric points carry), then its end once accepted. A process killed
 * in between re-sends exactly that batch on its next start, with the same ids and the same metric
 * timestamps, so a backend that drops duplicate points or deduplicates events on
 * `unmetered.interaction.id` counts it once.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { ensurePrivateDir } from '../../privateFs';

export interface PendingBatch {
  /** Offsets after the batch's last line, per segment. */
  to: Record<string, number>;
  /** Nanoseconds since the epoch, as decimal strings (beyond 2^53). */
  startNs: string;
  endNs: string;
  /** The sender's service.instance.id: a re-send after a crash reports as that process did, so its points are identical. */
  instance: string;
}

export interface Cursor {
  version: 1;
  endpoint: string;
  segments: Record<string, number>;
  /** End of the last accepted batch's metric window: the next delta starts there. */
  lastEndNs: string | null;
  pending: PendingBatch | null;
  /** Log events accepted by this collector so far (copies, not ids: a more complete copy counts again). */
  sent: number;
}

export function cursorFile(dataDir: string, endpoint: string): string {
  const h = createHash('sha256').update(endpoint).digest('hex').slice(0, 12);
  return path.join(dataDir, 'telemetry', `${h}.cursor.json`);
}

function emptyCursor(endpoint: string): Cursor {
  return { version: 1, endpoint, segments: {}, lastEndNs: null, pending: null, sent: 0 };
}

const isOffsets = (v: unknown): v is Record<string, number> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
const isNs = (v: unknown): v is string => typeof v === 'string' && /^\d{1,25}$/.test(v);

/** The cursor, or a fresh one when there is none. A damaged file is a warning and a fresh start: re-sending is safe, losing is not. */
export async function readCursor(file: string, endpoint: string, warn: (m: string) => void): Promise<Cursor> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`${file}: ${(e as Error).message}; exporting from the start`);
    return emptyCursor(endpoint);
  }
  try {
    const o = JSON.parse(text) as Partial<Cursor>;
    const p = o.pending;
    const pendingOk =
      p === null || (typeof p === 'object' && isOffsets(p.to) && isNs(p.startNs) && isNs(p.endNs) && typeof p.instance === 'string');
    if (
      o.version === 1 &&
      isOffsets(o.segments) &&
      (o.lastEndNs === null || isNs(o.lastEndNs)) &&
      pendingOk &&
      Number.isSafeInteger(o.sent)
    )
      return { version: 1, endpoint, segments: o.segments, lastEndNs: o.lastEndNs, pending: p ?? null, sent: o.sent! };
  } catch {
    // falls through
  }
  warn(`${file}: not an export cursor Unmetered wrote; exporting from the start (the collector may see events again, with the same ids)`);
  return emptyCursor(endpoint);
}

export async function writeCursor(file: string, c: Cursor): Promise<void> {
  await ensurePrivateDir(path.dirname(file));
  await writeFileAtomic(file, JSON.stringify(c) + '\n', { mode: 0o600 });
}

/**
 * One exporter per collector at a time: several editor windows and a CLI would otherwise send the same
 * batch side by side. A lock file holding the owner's pid; one left by a dead process is taken over.
 */
export async function tryLock(file: string): Promise<(() => Promise<void>) | null> {
  const lock = `${file}.lock`;
  await ensurePrivateDir(path.dirname(file));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fsp.rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) return null;
      await fsp.rm(lock, { force: true });
    }
  }
  return null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
