/**
 * Writing our own files. Replacing one whole or not at all: the bytes go to a temporary file beside it (named by
 * process and a random tail, so two writers never write into one file), which is flushed to disk and
 * renamed over the file. A reader sees the old file or the new one, never a part of either; a crash
 * leaves the old one (and at worst a temporary file, which no reader looks at).
 *
 * Hand-written, where write-file-atomic was used before: its write was nine thread-pool round trips
 * (realpath, stat, open, write, fsync, close, chown, chmod, rename), and loading it loaded node:crypto
 * and signal-exit; the two files a re-run that stored one line saves took ~25 ms of its ~0.3 s on 2
 * cores. Here the writes into the page cache are synchronous and only the flush to disk waits, in the
 * thread pool. What write-file-atomic added is not needed here: these files are ours (their mode is
 * set, not kept from the file replaced), and each has one writer at a time in a process (the
 * importer's serial queue, a sync call), so its per-file queue had nothing to order.
 */
import { closeSync, fsync, fsyncSync, openSync, renameSync, rmSync, writeSync, writevSync } from 'node:fs';
import { randomHex } from './lazy';
import { PRIVATE_FILE_MODE } from './privateFs';

export interface ReplaceOptions {
  /** The new file's mode (default 0600: only its owner reads what Unmetered keeps). */
  mode?: number;
  /** Flush to disk before the rename (default true). False for a cache that can be rebuilt from what it caches. */
  flush?: boolean;
}

/**
 * Replaces `file` with `data`; the flush to disk is awaited off this thread. `data` may come in parts, written in
 * order as one file without being copied into one buffer first (a year's rollup is ~12 MB of arrays).
 */
export async function replaceFile(file: string, data: FileData, opts: ReplaceOptions = {}): Promise<void> {
  const t = writeTemp(file, data, opts.mode);
  if (opts.flush !== false)
    await new Promise<void>((resolve, reject) => fsync(t.fd, (e) => (e ? reject(e) : resolve()))).catch((e: unknown) => {
      discard(t);
      throw e;
    });
  putInPlace(t, file);
}

/**
 * Appends `data` to `file` (made if missing, with `mode`), flushed to disk before this resolves. One
 * write: a crash leaves what was there and at most a torn end of `data`, which the reader skips.
 */
export async function appendFlushed(file: string, data: string, mode = PRIVATE_FILE_MODE): Promise<void> {
  const fd = openSync(file, 'a', mode);
  try {
    writeAll(fd, data);
    await new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
  } finally {
    closeSync(fd);
  }
}

/** replaceFile, every step on this thread (for code that is synchronous itself). */
export function replaceFileSync(file: string, data: FileData, opts: ReplaceOptions = {}): void {
  const t = writeTemp(file, data, opts.mode);
  try {
    if (opts.flush !== false) fsyncSync(t.fd);
  } catch (e) {
    discard(t);
    throw e;
  }
  putInPlace(t, file);
}

interface Temp {
  fd: number;
  path: string;
}

/** The bytes in a new temporary file beside `file`, still open. */
function writeTemp(file: string, data: FileData, mode = PRIVATE_FILE_MODE): Temp {
  const t: Temp = { fd: -1, path: `${file}.${process.pid}.${randomHex(4)}.tmp` };
  try {
    t.fd = openSync(t.path, 'wx', mode);
    writeAll(t.fd, data);
    return t;
  } catch (e) {
    discard(t);
    throw e;
  }
}

/** Closes the temporary file and renames it over `file`. */
function putInPlace(t: Temp, file: string): void {
  try {
    closeSync(t.fd);
    t.fd = -1;
    renameSync(t.path, file);
  } catch (e) {
    discard(t);
    throw e;
  }
}

function writeAll(fd: number, data: FileData): void {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) return writeParts(fd, data);
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let at = 0; at < buf.length;) at += writeSync(fd, buf, at, buf.length - at);
}

/** What a file is written from: text (as UTF-8), bytes, or bytes in parts. */
export type FileData = string | Uint8Array | readonly Uint8Array[];

// At most this many buffers in one writev (Linux's IOV_MAX).
const MAX_PARTS_PER_WRITE = 1024;

/** Writes every byte of `parts` in order, a writev at a time, going on after a write that took only some of them. */
function writeParts(fd: number, parts: readonly Uint8Array[]): void {
  for (let at = advance(parts, { part: 0, byte: 0 }, 0); at.part < parts.length;) {
    const batch = parts.slice(at.part, at.part + MAX_PARTS_PER_WRITE);
    batch[0] = batch[0]!.subarray(at.byte);
    const n = writevSync(fd, batch);
    if (n <= 0) throw new Error(`writev wrote ${n} of ${batch.reduce((s, b) => s + b.byteLength, 0)} bytes`);
    at = advance(parts, at, n);
  }
}

/** Where a write of parts stands: the part it is in and the bytes of that part already written. */
export interface PartsPosition {
  part: number;
  byte: number;
}

/** The position `written` bytes after `at`, past any part with nothing left to write: where the next write starts. */
export function advance(parts: readonly Uint8Array[], at: PartsPosition, written: number): PartsPosition {
  let { part, byte } = at;
  byte += written;
  while (part < parts.length && byte >= parts[part]!.byteLength) {
    byte -= parts[part]!.byteLength;
    part++;
  }
  return { part, byte };
}

/** After a failure: the temporary file closed and removed, whatever step failed. */
function discard(t: Temp): void {
  try {
    if (t.fd >= 0) closeSync(t.fd);
  } catch {
    // already closed: nothing to release
  }
  try {
    rmSync(t.path, { force: true });
  } catch {
    // the failure being reported says more than this one
  }
}
