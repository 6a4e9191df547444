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
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Decompress } from 'fzstd';
import type { Logger } from '../ports';
import { LineSplitter, type SplitLine } from './lines';
import type { LineParser, ParsedRecord, SourceAdapter, SourceId } from './types';
import { MalformedLine } from './types';

export interface FileState {
  source: SourceId;
  /** Bytes already read (end of the last complete line; the whole file for documents). */
  offset: number;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
  /** sha1 of the first `headLen` bytes, to notice a file rewritten in place. */
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
  /** Records per onRecords call while reading a big file (bounded memory). */
  batchSize?: number;
  /** Diagnostics printed per file per read before the rest are only counted. */
  maxDiagnostics?: number;
}

export const HEAD_BYTES = 4096;
const CHUNK = 1 << 20;

async function hashHead(fh: FileHandle, len: number): Promise<string> {
  if (len === 0) return '';
  const buf = Buffer.allocUnsafe(len);
  const { bytesRead } = await fh.read(buf, 0, len, 0);
  return createHash('sha1').update(buf.subarray(0, bytesRead)).digest('hex');
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
    else rep.malformed(line.lineNo, `unexpected ${(err as Error).name}: ${(err as Error).message}`);
  }
}

/**
 * Reads the news of one file. Returns null when the file is unchanged (or vanished), else the
 * state to remember once the records handed to onRecords are safely stored.
 */
export async function readFileUpdate(file: string, adapter: SourceAdapter, prev: FileState | undefined, opts: ReadOptions): Promise<FileUpdate | null> {
  let st: Stats;
  try {
    st = await stat(file);
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  if (prev && prev.ino === st.ino && prev.dev === st.dev && prev.size === st.size && prev.mtimeMs === st.mtimeMs) return null;
  const mode = adapter.readMode(file);
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    return null;
  }
  const rep = new Reporter(file, opts.logger, opts.maxDiagnostics ?? 3);
  try {
    if (mode === 'lines') return await readLines(fh, file, adapter, prev, st, opts, rep);
    return await readWhole(fh, file, adapter, st, mode === 'zstd-lines', opts, rep);
  } finally {
    rep.finish();
    await fh.close();
  }
}

type Stat = Stats;

async function readLines(fh: FileHandle, file: string, adapter: SourceAdapter, prev: FileState | undefined, st: Stat, opts: ReadOptions, rep: Reporter): Promise<FileUpdate> {
  let fromStart = !prev || prev.ino !== st.ino || prev.dev !== st.dev || st.size < prev.offset || st.size < prev.headLen;
  if (!fromStart && prev && prev.headLen > 0 && (await hashHead(fh, prev.headLen)) !== prev.head) fromStart = true;
  const start = fromStart ? 0 : prev!.offset;
  const parser = adapter.createParser(file, fromStart ? undefined : prev!.parser);
  const batch = opts.batchSize ?? 5000;
  let out: ParsedRecord[] = [];
  let records = 0;
  const splitter = new LineSplitter({
    needles: adapter.needles,
    maxLineBytes: opts.maxLineBytes,
    firstLineNo: fromStart ? 0 : prev!.lines,
    onLine: (line) => feed(parser, line, out, rep),
    onTooLong: (lineNo, bytes) => rep.malformed(lineNo, `a line of ${bytes} bytes is longer than the ${opts.maxLineBytes ?? 64 * 1024 * 1024}-byte limit`),
  });
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = start;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    splitter.push(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead));
    if (out.length >= batch) {
      records += out.length;
      await opts.onRecords(out);
      out = [];
    }
  }
  if (out.length) {
    records += out.length;
    await opts.onRecords(out);
  }
  const offset = start + splitter.consumed;
  const size = Math.max(st.size, pos);
  const headLen = Math.min(size, HEAD_BYTES);
  const head = !fromStart && prev && prev.headLen === headLen ? prev.head : await hashHead(fh, headLen);
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

async function readWhole(fh: FileHandle, file: string, adapter: SourceAdapter, st: Stat, zstd: boolean, opts: ReadOptions, rep: Reporter): Promise<FileUpdate | null> {
  const parser = adapter.createParser(file);
  const out: ParsedRecord[] = [];
  let lines = 1;
  const data = await fh.readFile();
  if (zstd) {
    const splitter = new LineSplitter({ needles: adapter.needles, maxLineBytes: opts.maxLineBytes, onLine: (line) => feed(parser, line, out, rep) });
    try {
      const dz = new Decompress((chunk) => splitter.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      dz.push(data, true);
      splitter.push(Buffer.from('\n')); // a last line without newline is complete in a finished archive
    } catch (err) {
      rep.malformed(splitter.lines + 1, `zstd data is damaged (${(err as Error).message})`);
    }
    lines = splitter.lines;
  } else {
    const probe = new Reporter(file, { info() {}, warn() {}, error() {} }, 0);
    feed(parser, { text: data.toString('utf8'), lineNo: 1 }, out, probe);
    if (probe.count > 0) {
      // A document caught halfway through being rewritten is not malformed: look again next time.
      const now = await stat(file).catch(() => null);
      if (!now || now.size !== st.size || now.mtimeMs !== st.mtimeMs) return null;
      feed(parser, { text: data.toString('utf8'), lineNo: 1 }, (out.length = 0, out), rep);
    }
  }
  if (out.length) await opts.onRecords(out);
  const headLen = Math.min(data.length, HEAD_BYTES);
  return {
    state: {
      source: adapter.id,
      offset: data.length,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      dev: st.dev,
      head: createHash('sha1').update(data.subarray(0, headLen)).digest('hex'),
      headLen,
      lines,
      malformed: rep.count,
    },
    bytesRead: data.length,
    records: out.length,
    malformed: rep.count,
    fromStart: true,
  };
}
