/**
 * The tailer for agents that keep their usage in SQLite (readMode 'sqlite'). A database is looked at
 * again only when it or its write-ahead log changed (one stat of each); then a snapshot is read
 * (sqliteSnapshot.ts: plain reads, no lock, nothing written) and the adapter reads the rows past its
 * cursor, which is kept with the file's state like a JSONL offset. A database replaced by another
 * file (new inode) is read from the start; ids keep that from counting anything twice.
 */
import { statSync, type Stats } from 'node:fs';
import { queryOf, readSnapshot, sqlEngine } from '../agents/sqliteSnapshot';
import type { FileState, FileUpdate, ReadOptions } from './tailer';
import type { ParsedRecord, SourceAdapter } from '../agents/types';
import { errorMessage } from '../errors';

/** A database or log bigger than this is refused (named and counted), never read into memory. */
const DEFAULT_MAX_DATABASE_BYTES = 1024 * 1024 * 1024;

interface Saved {
  cursor: unknown;
  /** The WAL's size, mtime and inode when last read: the database file alone does not change between checkpoints. */
  wal: string;
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

const walSignature = (w: Stats | null) => (w ? `${w.size}:${w.mtimeMs}:${w.ino}` : '-');

export async function readSqliteUpdate(
  file: string,
  adapter: SourceAdapter,
  prev: FileState | undefined,
  opts: ReadOptions & { maxDatabaseBytes?: number },
): Promise<FileUpdate | null> {
  const st = statOrNull(file);
  if (!st?.isFile() || !adapter.sqlite) return null;
  const wal = walSignature(statOrNull(`${file}-wal`));
  const saved = prev?.parser as Saved | undefined;
  const same = prev && prev.ino === st.ino && prev.dev === st.dev;
  if (same && prev.size === st.size && prev.mtimeMs === st.mtimeMs && saved?.wal === wal) return null;
  const fromStart = !same;
  let count = 0;
  const max = opts.maxDiagnostics ?? 3;
  const malformed = (where: string, reason: string) => {
    if (++count <= max) opts.logger.warn(`${file}: ${where}: skipped a malformed row: ${reason}`);
  };
  const snap = readSnapshot(file, opts.maxDatabaseBytes ?? DEFAULT_MAX_DATABASE_BYTES);
  // Being written right now, or not a database yet: the next change or poll looks again.
  if ('busy' in snap) return null;
  const state = (cursor: unknown, bytes: number): FileState => ({
    source: adapter.id,
    offset: st.size,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ino: st.ino,
    dev: st.dev,
    head: '',
    headLen: 0,
    lines: 0,
    parser: { cursor, wal } satisfies Saved,
    malformed: (fromStart || !prev ? 0 : prev.malformed) + count + (bytes < 0 ? 1 : 0),
  });
  if ('refused' in snap) {
    opts.logger.warn(`${file}: skipped the whole database: ${snap.refused}`);
    return { state: state(fromStart ? undefined : saved?.cursor, -1), bytesRead: 0, records: 0, malformed: 1, fromStart };
  }
  const SQL = await sqlEngine();
  const db = new SQL.Database(snap.image);
  let out: { records: ParsedRecord[]; cursor: unknown };
  try {
    out = adapter.sqlite.read(queryOf(db), fromStart ? undefined : saved?.cursor, malformed);
  } catch (err) {
    // A schema this reader does not know (a newer agent): said once per change, the cursor kept.
    malformed('query', errorMessage(err));
    out = { records: [], cursor: fromStart ? undefined : saved?.cursor };
  } finally {
    db.close();
  }
  if (count > max) opts.logger.warn(`${file}: ${count - max} more malformed rows skipped`);
  const batch = opts.batchSize ?? 5000;
  for (let k = 0; k < out.records.length; k += batch) await opts.onRecords(out.records.slice(k, k + batch));
  return { state: state(out.cursor, snap.bytesRead), bytesRead: snap.bytesRead, records: out.records.length, malformed: count, fromStart };
}
