/**
 * Reads another program's SQLite database while it runs, without ever touching it: the database
 * file and its write-ahead log are read as plain files (O_RDONLY, no locks, no `-shm`, no
 * checkpoint), the committed WAL frames are laid over the database pages in memory, and the
 * resulting image is queried with sql.js (SQLite compiled to WebAssembly).
 *
 * Why not a SQLite connection on the file: `node:sqlite` is missing from Node 20 (the CLI) and not
 * promised in VS Code's Electron; a native module must be built per platform; and even a read-only
 * SQLite connection to a WAL database writes read marks into the agent's `-shm`, and a reader that
 * holds a snapshot keeps the writer from resetting its WAL. Reading the files needs none of that.
 *
 * WAL rules (sqlite.org/fileformat2.html §4): a frame counts when its salts match the WAL header and
 * its cumulative checksum holds; only frames up to the last commit frame (non-zero "database size")
 * are part of the database; a later frame of a page wins. If the WAL was restarted while we read
 * (its header changed), the read is retried. A database in rollback mode with a live journal is
 * being written: the read is put off.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';

const WAL_HEADER = 32;
const FRAME_HEADER = 24;
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export type Snapshot = { image: Buffer; walFrames: number; bytesRead: number } | { busy: string } | { refused: string };

/** Reads a whole file (bounded), or null when it does not exist. */
function readBounded(file: string, maxBytes: number): Buffer | null | 'too-big' {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    if (st.size > maxBytes) return 'too-big';
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function readHead(file: string, len: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum over `buf[start, end)`, continuing from (s0, s1). */
function checksum(buf: Buffer, start: number, end: number, bigEndian: boolean, s: [number, number]): [number, number] {
  let [s0, s1] = s;
  for (let i = start; i < end; i += 8) {
    const a = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const b = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + a + s1) >>> 0;
    s1 = (s1 + b + s0) >>> 0;
  }
  return [s0, s1];
}

export interface WalIndex {
  pageSize: number;
  /** Pages in the database as of the last commit. */
  dbPages: number;
  /** Page number → offset of its newest committed copy in the WAL. */
  pages: Map<number, number>;
  frames: number;
}

/** The committed frames of a WAL, or null when it has none (missing, empty, torn or reset). */
function indexWal(wal: Buffer): WalIndex | null {
  if (wal.length < WAL_HEADER) return null;
  const magic = wal.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return null;
  const bigEndian = magic === 0x377f0683;
  const pageSize = wal.readUInt32BE(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return null;
  let s = checksum(wal, 0, 24, bigEndian, [0, 0]);
  if (s[0] !== wal.readUInt32BE(24) || s[1] !== wal.readUInt32BE(28)) return null;
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  const pending = new Map<number, number>();
  const pages = new Map<number, number>();
  let dbPages = 0;
  let frames = 0;
  for (let off = WAL_HEADER; off + FRAME_HEADER + pageSize <= wal.length; off += FRAME_HEADER + pageSize) {
    if (wal.readUInt32BE(off + 8) !== salt1 || wal.readUInt32BE(off + 12) !== salt2) break;
    s = checksum(wal, off, off + 8, bigEndian, s);
    s = checksum(wal, off + FRAME_HEADER, off + FRAME_HEADER + pageSize, bigEndian, s);
    if (s[0] !== wal.readUInt32BE(off + 16) || s[1] !== wal.readUInt32BE(off + 20)) break;
    const page = wal.readUInt32BE(off);
    if (page === 0) break;
    pending.set(page, off + FRAME_HEADER);
    const commitSize = wal.readUInt32BE(off + 4);
    if (commitSize > 0) {
      for (const [p, o] of pending) pages.set(p, o);
      pending.clear();
      dbPages = commitSize;
      frames++;
    }
  }
  return dbPages > 0 ? { pageSize, dbPages, pages, frames } : null;
}

/** The database as of its last commit, read from `db` + `db-wal` without touching either. */
export function readSnapshot(dbPath: string, maxBytes: number): Snapshot {
  const walPath = `${dbPath}-wal`;
  for (let attempt = 0; attempt < 4; attempt++) {
    const journal = readHead(`${dbPath}-journal`, 8);
    if (journal && journal.length === 8 && journal.some((b) => b !== 0)) return { busy: 'a write is under way (rollback journal present)' };
    const walHead = readHead(walPath, WAL_HEADER);
    const db = readBounded(dbPath, maxBytes);
    if (db === 'too-big') return { refused: `a database over the ${maxBytes}-byte limit is not read` };
    if (db === null) return { busy: 'the database could not be opened' };
    const wal = walHead ? readBounded(walPath, maxBytes) : null;
    if (wal === 'too-big') return { refused: `a write-ahead log over the ${maxBytes}-byte limit is not read` };
    const after = readHead(walPath, WAL_HEADER);
    // The WAL was checkpointed and restarted while we read: the database file may hold pages newer than we saw.
    if (!sameBytes(walHead, after) || (wal && walHead && !sameBytes(walHead, wal.subarray(0, WAL_HEADER)))) continue;
    const journalAfter = readHead(`${dbPath}-journal`, 8);
    if (journalAfter && journalAfter.length === 8 && journalAfter.some((b) => b !== 0)) continue;
    const image = overlay(db, wal ? indexWal(wal) : null, wal);
    if (!image) return { busy: 'not a SQLite database yet (empty or torn header)' };
    return { image: image.buf, walFrames: image.frames, bytesRead: db.length + (wal?.length ?? 0) };
  }
  return { busy: 'the write-ahead log was restarted on every try' };
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (!a || !b) return a === b || (a?.length ?? 0) === (b?.length ?? 0);
  return a.equals(b);
}

function overlay(db: Buffer, idx: WalIndex | null, wal: Buffer | null): { buf: Buffer; frames: number } | null {
  if (!idx && (db.length < 100 || db.toString('latin1', 0, 16) !== 'SQLite format 3\0')) return null;
  const headerSize = db.length >= 18 ? db.readUInt16BE(16) : 0;
  const pageSize = idx?.pageSize ?? (headerSize === 1 ? 65536 : headerSize);
  if (!pageSize) return null;
  const pages = idx ? idx.dbPages : Math.floor(db.length / pageSize);
  const size = pages * pageSize;
  let buf: Buffer;
  if (size <= db.length) buf = db.subarray(0, size);
  else {
    buf = Buffer.alloc(size);
    db.copy(buf, 0, 0, db.length);
  }
  if (idx && wal) for (const [page, off] of idx.pages) if (page <= pages) wal.copy(buf, (page - 1) * pageSize, off, off + pageSize);
  if (buf.length < 100 || buf.toString('latin1', 0, 16) !== 'SQLite format 3\0') return null;
  // The image lives in memory: mark it a rollback-journal database, its size what the last commit said.
  buf[18] = 1;
  buf[19] = 1;
  buf.writeUInt32BE(pages, 28);
  buf.writeUInt32BE(buf.readUInt32BE(24), 92);
  return { buf, frames: idx?.frames ?? 0 };
}

let engine: Promise<SqlJsStatic> | null = null;

/** sql.js's wasm: beside the bundle (dist/sql-wasm.wasm) in the extension and CLI, else in node_modules. */
function wasmPath(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  // Only tests and tsx runs get here; a variable keeps the bundler from resolving it at build time.
  const fromPackage = 'sql.js/dist/sql-wasm.wasm';
  return existsSync(beside) ? beside : require.resolve(fromPackage);
}

export function sqlEngine(): Promise<SqlJsStatic> {
  engine ??= (async () => {
    const { default: init } = await import('sql.js');
    const bytes = readBounded(wasmPath(), 16 * 1024 * 1024);
    if (!bytes || bytes === 'too-big') throw new Error('sql-wasm.wasm is missing');
    return init({ wasmBinary: bytes });
  })();
  engine.catch(() => (engine = null));
  return engine;
}

export type Row = Record<string, SqlValue>;

/** What an adapter may do with a snapshot: read rows. */
export interface SqliteQuery {
  all(sql: string, params?: SqlValue[]): Row[];
  tables(): Set<string>;
}

export function queryOf(db: Database): SqliteQuery {
  return {
    all(sql, params) {
      const out: Row[] = [];
      for (const res of db.exec(sql, params)) {
        for (const values of res.values) {
          const row: Row = {};
          res.columns.forEach((c, k) => (row[c] = values[k] ?? null));
          out.push(row);
        }
      }
      return out;
    },
    tables() {
      return new Set(this.all("SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r.name)));
    },
  };
}
