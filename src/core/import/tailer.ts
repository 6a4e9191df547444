/**
 * Reads what is new in one log file since the last time, remembering where it stopped.
 *
 * - JSONL ('lines'): from the remembered byte offset to the end; a last line without its newline
 *   waits for it. A file that shrank below the offset, changed inode/device, or whose first bytes
 *   differ (rewritten in place) is read again from the start with a fresh parser: ids are stable,
 *   so nothing is counted twice.
 * - JSON documents and zstd files: read whole when size, mtime or inode changed.
 * Unchanged files cost one stat. Malformed lines are counted and reported with file and line.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import type { Logger } from '../ports';
import { LineSplitter, type SplitLine } from './lines';
import { readSqliteUpdate } from './sqliteRead';
import type { LineParser, ParsedRecord, SourceAdapter, SourceId } from '../agents/types';
import { MalformedLine } from '../agents/types';
import { decompressBounded, ZstdLimitError, ZSTD_LIMITS } from './zstd';
import { errorMessage } from '../errors';
import { sha1Hex } from '../lazy';
import { Hash64 } from '../hash64';

export interface FileState {
  source: SourceId;
  /** Bytes already read (end of the last complete line; the whole file for documents). */
  offset: number;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
  /**
   * A digest of the first `headLen` bytes, to notice a file rewritten in place: `h:` and a Hash64 (a
   * sha1 in hex from releases before 0.2, still compared as one until the file is read again).
   */
  head: string;
  headLen: number;
  /** Line number at `offset`, so diagnostics after a restart still name the right line. */
  lines: number;
  /** The adapter's parser state at `offset`. */
  parser?: unknown;
  /** Malformed lines found in this file so far. */
  malformed: number;
}

export interface FileUpdate {
  state: FileState;
  bytesRead: number;
  records: number;
  malformed: number;
  /** True when the file was read again from its start (new, truncated or replaced). */
  fromStart: boolean;
}

export interface ReadOptions {
  logger: Logger;
  /** Called with records as they are parsed, in batches; awaited before reading on. */
  onRecords(records: ParsedRecord[]): Promise<void>;
  maxLineBytes?: number;
  /** Largest JSON document read whole (bigger ones are skipped and counted as malformed). */
  maxDocumentBytes?: number;
  /** Records per onRecords call while reading a big file (bounded memory). */
  batchSize?: number;
  /** Diagnostics printed per file per read before the rest are only counted. */
  maxDiagnostics?: number;
  /** The file's stat taken moments ago by the caller (the import's sizing pass): spares the quick check its own. */
  stat?: { isFile(): boolean; ino: number; dev: number; size: number; mtimeMs: number };
}

const HEAD_BYTES = 4096;

/** Whether a stat is the one `prev` was taken from: same file (inode, device), size and time, so nothing is new. */
export function sameFile(prev: FileState | undefined, st: { ino: number; dev: number; size: number; mtimeMs: number }): boolean {
  return !!prev && prev.ino === st.ino && prev.dev === st.dev && prev.size === st.size && prev.mtimeMs === st.mtimeMs;
}
/**
 * A document is parsed as one string: this keeps it far below V8's string limit (~512 MiB) and
 * the parse to seconds. Real task and chat documents are a few MiB.
 */
const DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
/** A FIFO swapped in after the stat must not block the open (no effect on regular files). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const CHUNK = 1 << 20;
/**
 * One read buffer for all files. Reads are synchronous (page-cache reads of a log take
 * microseconds; a thread-pool round trip per call costs more than the read) and the splitter copies
 * whatever it keeps, so the buffer is free again whenever control leaves a read loop.
 */
let shared: Buffer | null = null;
const chunkBuffer = () => (shared ??= Buffer.allocUnsafe(CHUNK));

const HEAD_DIGEST = 'h:';
/** The digest of a file's first bytes (a log's own bytes: nobody gains by crafting a collision with its earlier head). */
const headDigest = (b: Uint8Array): string => HEAD_DIGEST + new Hash64().bytes(b).hex();
const isLegacyHead = (head: string) => head !== '' && !head.startsWith(HEAD_DIGEST);

/** The digest of the first `len` bytes, as `like` was taken: a legacy sha1 is compared as one. */
function hashHead(fd: number, len: number, like = ''): string {
  if (len === 0) return '';
  const buf = Buffer.allocUnsafe(len);
  const n = readSync(fd, buf, 0, len, 0);
  return isLegacyHead(like) ? sha1Hex(buf.subarray(0, n)) : headDigest(buf.subarray(0, n));
}

class Reporter {
  count = 0;
  constructor(
    private readonly file: string,
    private readonly logger: Logger,
    private readonly max: number,
  ) {}
  malformed(lineNo: number, reason: string): void {
    this.count++;
    if (this.count <= this.max) this.logger.warn(`${this.file}:${lineNo}: skipped a malformed line: ${reason}`);
  }
  /** The whole file is refused (e.g. a zstd bomb): named, counted, and nothing of it is kept. */
  skippedFile(reason: string): void {
    this.count++;
    this.logger.warn(`${this.file}: skipped the whole file: ${reason}`);
  }
  finish(): void {
    if (this.count > this.max) this.logger.warn(`${this.file}: ${this.count - this.max} more malformed lines skipped`);
  }
}

/** Feeds one line to a parser, turning its failures into counted diagnostics. */
function feed(parser: LineParser, line: SplitLine, out: ParsedRecord[], rep: Reporter): void {
  try {
    const got = parser.line(line.text, line.lineNo, (reason) => rep.malformed(line.lineNo, reason));
    for (const r of got) out.push(r);
  } catch (err) {
    if (err instanceof MalformedLine) rep.malformed(line.lineNo, err.message);
    else rep.malformed(line.lineNo, `unexpected ${(err as Error).name}: ${errorMessage(err)}`);
  }
}

function feedBytes(parser: LineParser, buf: Buffer, start: number, end: number, lineNo: number, out: ParsedRecord[], rep: Reporter): void {
  try {
    const got = parser.lineBytes!(buf, start, end, lineNo);
    for (const r of got) out.push(r);
  } catch (err) {
    if (err instanceof MalformedLine) rep.malformed(lineNo, err.message);
    else rep.malformed(lineNo, `unexpected ${(err as Error).name}: ${errorMessage(err)}`);
  }
}

/**
 * Reads the news of one file. Returns null when the file is unchanged (or vanished), else the
 * state to remember once the records handed to onRecords are safely stored.
 */
export async function readFileUpdate(
  file: string,
  adapter: SourceAdapter,
  prev: FileState | undefined,
  opts: ReadOptions,
): Promise<FileUpdate | null> {
  if (adapter.readMode(file) === 'sqlite') return readSqliteUpdate(file, adapter, prev, opts);
  // An unchanged file costs one stat: the common case on every re-scan and poll. A file never read before has
  // nothing to be unchanged from: the fstat after the open (non-blocking) is its only one. On a first import of
  // 2,760 files the stats before the opens were ~37 ms of the worker's ~1.1 s.
  if (prev || opts.stat) {
    try {
      const quick = opts.stat ?? statSync(file);
      if (!quick.isFile()) return null;
      if (sameFile(prev, quick)) return null;
    } catch {
      return null;
    }
  }
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch {
    return null; // vanished, or not readable now: looked at again on the next change
  }
  const rep = new Reporter(file, opts.logger, opts.maxDiagnostics ?? 3);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    if (sameFile(prev, st)) return null;
    const mode = adapter.readMode(file);
    if (mode === 'lines') return await readLines(fd, file, adapter, prev, st, opts, rep);
    return await readWhole(fd, file, adapter, st, mode === 'zstd-lines', opts, rep, prev);
  } finally {
    rep.finish();
    closeSync(fd);
  }
}

async function readLines(
  fd: number,
  file: string,
  adapter: SourceAdapter,
  prev: FileState | undefined,
  st: Stats,
  opts: ReadOptions,
  rep: Reporter,
): Promise<FileUpdate> {
  let fromStart = !prev || prev.ino !== st.ino || prev.dev !== st.dev || st.size < prev.offset || st.size < prev.headLen;
  if (!fromStart && prev && prev.headLen > 0 && hashHead(fd, prev.headLen, prev.head) !== prev.head) fromStart = true;
  const start = fromStart ? 0 : prev!.offset;
  const parser = adapter.createParser(file, fromStart ? undefined : prev!.parser);
  const batch = opts.batchSize ?? 5000;
  let out: ParsedRecord[] = [];
  let records = 0;
  const splitter = new LineSplitter({
    needles: adapter.needles,
    keepTorn: adapter.reportTornLines,
    leadNeedles: adapter.leadNeedles,
    maxLineBytes: opts.maxLineBytes,
    firstLineNo: fromStart ? 0 : prev!.lines,
    onLine: (line) => feed(parser, line, out, rep),
    onBytes: parser.lineBytes ? (buf, s, e, lineNo) => feedBytes(parser, buf, s, e, lineNo, out, rep) : undefined,
    onTooLong: (lineNo, bytes) =>
      rep.malformed(lineNo, `a line of ${bytes} bytes is longer than the ${opts.maxLineBytes ?? 64 * 1024 * 1024}-byte limit`),
  });
  let head: string | null = null;
  let pos = start;
  for (;;) {
    const buf = chunkBuffer();
    const n = readSync(fd, buf, 0, CHUNK, pos);
    if (n === 0) break;
    // The first chunk of a whole read already holds the head: hash it before the buffer is reused.
    if (pos === 0) head = headDigest(buf.subarray(0, Math.min(n, HEAD_BYTES)));
    pos += n;
    splitter.push(n === CHUNK ? buf : buf.subarray(0, n));
    if (out.length >= batch) {
      records += out.length;
      await opts.onRecords(out);
      out = [];
    }
    if (n < CHUNK && pos >= st.size) break; // at the end as of the stat: spare the zero-byte read
  }
  if (parser.end) for (const r of parser.end()) out.push(r);
  if (out.length) {
    records += out.length;
    await opts.onRecords(out);
  }
  const offset = start + splitter.consumed;
  const size = Math.max(st.size, pos);
  const headLen = Math.min(size, HEAD_BYTES);
  if (head === null || (start === 0 && headLen > Math.min(pos, HEAD_BYTES)))
    head = !fromStart && prev && prev.headLen === headLen && !isLegacyHead(prev.head) ? prev.head : hashHead(fd, headLen);
  return {
    state: {
      source: adapter.id,
      offset,
      size: pos === st.size ? st.size : -1, // grew while read: look again next time
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      dev: st.dev,
      head,
      headLen,
      lines: splitter.lines,
      parser: parser.save?.(),
      malformed: (fromStart ? 0 : prev!.malformed) + rep.count,
    },
    bytesRead: pos - start,
    records,
    malformed: rep.count,
    fromStart,
  };
}

async function readWhole(
  fd: number,
  file: string,
  adapter: SourceAdapter,
  st: Stats,
  zstd: boolean,
  opts: ReadOptions,
  rep: Reporter,
  prev?: FileState,
): Promise<FileUpdate | null> {
  const maxDoc = opts.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  if (!zstd && st.size > maxDoc) {
    rep.skippedFile(`a document of ${st.size} bytes is over the ${maxDoc}-byte limit (never read into memory)`);
    return wholeState(adapter, st, Buffer.alloc(0), 0, rep);
  }
  // A document parser may remember what it handed over before (a task file whose restores remove entries).
  const parser = adapter.createParser(file, zstd ? undefined : prev?.parser);
  let out: ParsedRecord[] = [];
  let lines = 1;
  if (zstd && st.size > ZSTD_LIMITS.maxWindowBytes * 4) {
    rep.skippedFile(`a ${st.size}-byte zstd archive is over the ${ZSTD_LIMITS.maxWindowBytes * 4}-byte limit`);
    return wholeState(adapter, st, Buffer.alloc(0), 0, rep);
  }
  const data = Buffer.allocUnsafe(st.size);
  let got = 0;
  while (got < st.size) {
    const n = readSync(fd, data, got, st.size - got, got);
    if (n === 0) break;
    got += n;
  }
  data.fill(0, got); // shrank while read: the parse below fails and the next change reads it again
  if (zstd) {
    const splitter = new LineSplitter({
      needles: adapter.needles,
      keepTorn: adapter.reportTornLines,
      leadNeedles: adapter.leadNeedles,
      maxLineBytes: opts.maxLineBytes,
      onLine: (line) => feed(parser, line, out, rep),
    });
    try {
      decompressBounded(data, (chunk) => splitter.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      splitter.push(Buffer.from('\n')); // a last line without newline is complete in a finished archive
    } catch (err) {
      if (!(err instanceof ZstdLimitError)) rep.malformed(splitter.lines + 1, `zstd data is damaged (${errorMessage(err)})`);
      else {
        rep.skippedFile(err.message);
        out = [];
        return wholeState(adapter, st, data, splitter.lines, rep);
      }
    }
    lines = splitter.lines;
  } else {
    const probe = new Reporter(file, { info() {}, warn() {}, error() {} }, 0);
    feed(parser, { text: data.toString('utf8'), lineNo: 1 }, out, probe);
    if (probe.count > 0) {
      // A document caught halfway through being rewritten is not malformed: look again next time.
      let now: Stats | null = null;
      try {
        now = fstatSync(fd);
      } catch {
        now = null;
      }
      if (!now || now.size !== st.size || now.mtimeMs !== st.mtimeMs) return null;
      feed(parser, { text: data.toString('utf8'), lineNo: 1 }, ((out.length = 0), out), rep);
    }
  }
  if (parser.end) for (const r of parser.end()) out.push(r);
  if (out.length) await opts.onRecords(out);
  const update = wholeState(adapter, st, data, lines, rep, zstd ? undefined : parser.save?.());
  update.records = out.length;
  return update;
}

/** What to remember of a file read whole (or refused whole): looked at again only when it changes. */
function wholeState(adapter: SourceAdapter, st: Stats, data: Buffer, lines: number, rep: Reporter, parserState?: unknown): FileUpdate {
  const headLen = Math.min(data.length, HEAD_BYTES);
  return {
    state: {
      source: adapter.id,
      offset: data.length,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      dev: st.dev,
      head: headDigest(data.subarray(0, headLen)),
      headLen,
      lines,
      parser: parserState,
      malformed: rep.count,
    },
    bytesRead: data.length,
    records: 0,
    malformed: rep.count,
    fromStart: true,
  };
}
