/**
 * A derived snapshot of one ledger segment, so that opening a year of history does not parse
 * ~500,000 JSON lines (about 1.5 s here) but reads typed columns (about a tenth of that).
 *
 * The JSONL segment stays the source of truth. A snapshot describes its first `bytes` bytes (always
 * ending at a newline) and is used only when the segment still starts with exactly those bytes:
 * same inode, at least that long, and the same 64-bit hash (hash64.ts) over its length and the first and last
 * 4 KiB of the prefix: it tells a segment rewritten or truncated from one appended to, as SHA-1 did, without
 * loading node:crypto (~5 ms of a re-run that stored one line).
 * Lines appended after the prefix are parsed normally. Anything unexpected (missing, older version,
 * other byte order, mismatch, unreadable) means "no snapshot": the segment is parsed from its text.
 * Snapshots are written to a temporary file and renamed, so concurrent writers never tear one.
 *
 * Binary layout: "ULC1", u32 LE length of a JSON header, the header, then the columns it lists,
 * each 8-byte aligned, in the machine's byte order (recorded in the header).
 * Strings repeated across records (agent, source, project, model, …) go through one dictionary;
 * ids and timestamps are one text blob with UTF-16 offsets.
 */
import { promises as fsp, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import { INTERACTION_FIELDS, type Interaction, type Tokens } from '../interaction';
import { LEDGER_FORMAT_VERSION } from './fileFormat';
import { replaceFile } from '../atomicFile';
import { Hash64 } from '../hash64';

const MAGIC = 'ULC1';
/** Bump when the snapshot layout or what decodeLine accepts changes: old snapshots are then ignored. */
const CACHE_VERSION = 4;
const FINGERPRINT_SPAN = 4096;

/** The deduplicated records of one segment's prefix and what reading it found. */
export interface SegmentState {
  /** For each id in the prefix, its most complete copy, in order of first appearance. */
  records: readonly Interaction[];
  /** hashId of each record's id (see view.ts), so loading never hashes a string. */
  hashes: ArrayLike<number>;
  bytes: number;
  lines: number;
  malformed: number;
  duplicates: number;
  /** The first few diagnostics, as "line N: reason". */
  diagnostics: string[];
  headerVersion: number | null;
}

type ColumnType = 'u8' | 'u16' | 'u32' | 'f64' | 'utf8';
interface ColumnInfo {
  name: string;
  type: ColumnType;
  byteLength: number;
  /** Numeric columns only: stored as value + 1 (NaN in f64) so that 0 means null. */
  nullable?: boolean;
}
interface Header {
  cacheVersion: number;
  ledgerVersion: number;
  endian: string;
  ino: number;
  bytes: number;
  lines: number;
  fingerprint: string;
  count: number;
  malformed: number;
  duplicates: number;
  diagnostics: string[];
  headerVersion: number | null;
  dict: (string | null)[];
  columns: ColumnInfo[];
}

/** The hash of a segment's first `bytes` bytes that a snapshot or the rollup is kept with (see the top). */
export async function fingerprint(fh: FileHandle, bytes: number): Promise<string> {
  const headLen = Math.min(FINGERPRINT_SPAN, bytes);
  const tailStart = Math.max(0, bytes - FINGERPRINT_SPAN);
  const head = Buffer.alloc(headLen);
  const tail = Buffer.alloc(bytes - tailStart);
  // Two 4 KiB reads: synchronous, where a thread-pool round trip each cost more than the read. A segment
  // now shorter than `bytes` gets a value no digest equals: it was rewritten.
  if (!readFully(fh.fd, head, 0) || !readFully(fh.fd, tail, tailStart)) return `shorter than ${bytes} bytes`;
  return new Hash64(CACHE_VERSION).number(bytes).bytes(head).bytes(tail).hex();
}

/** Fills the first `bytes` bytes of `into` from `fd` at `at`; false when the file ends first. */
export function readFully(fd: number, into: ArrayBufferView, at: number, bytes = into.byteLength): boolean {
  const b = new Uint8Array(into.buffer, into.byteOffset, bytes);
  for (let got = 0; got < bytes;) {
    const n = readSync(fd, b, got, bytes - got, at + got);
    if (n === 0) return false;
    got += n;
  }
  return true;
}

const TOKEN_COLUMNS = ['input', 'output', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'reasoning'] as const;
const STRING_COLUMNS = ['agent', 'source', 'project', 'model', 'route', 'replaces', 'priceSource', 'extra'] as const;
/** Optional strings (absent, not null, when 0), after the flags so records keep fileFormat.ts's key order. */
const OPTIONAL_STRING_COLUMNS = ['branch', 'repo'] as const;

/** Array.map that keeps a tuple's length in its type, so destructuring one column per name needs no guard. */
function mapTuple<const K extends readonly unknown[], T>(keys: K, f: (k: K[number]) => T): { -readonly [I in keyof K]: T } {
  return keys.map((k) => f(k)) as { -readonly [I in keyof K]: T };
}

function extrasOf(r: Interaction): string | null {
  let extra: Record<string, unknown> | null = null;
  for (const k in r) {
    // budgetAction is rare: it rides in the extras column rather than a column of its own.
    if (!INTERACTION_FIELDS.has(k) || k === 'budgetAction') (extra ??= {})[k] = (r as unknown as Record<string, unknown>)[k];
  }
  return extra && JSON.stringify(extra);
}

/** Packs a column into the narrowest array that holds it exactly; NaN stands for null. */
function numericColumn(name: string, values: Float64Array | Uint32Array): [ColumnInfo, Buffer] {
  let nullable = false;
  let max = 0;
  let integral = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) nullable = true;
    else {
      if (v > max) max = v;
      if (!Number.isInteger(v)) integral = false;
    }
  }
  const top = max + (nullable ? 1 : 0);
  if (!integral || top > 0xffffffff) {
    const a = values instanceof Float64Array ? values : Float64Array.from(values);
    return [{ name, type: 'f64', byteLength: a.byteLength, nullable }, Buffer.from(a.buffer, a.byteOffset, a.byteLength)];
  }
  const type = top > 0xffff ? 'u32' : top > 0xff ? 'u16' : 'u8';
  const a = new { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array }[type](values.length);
  const shift = nullable ? 1 : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    a[i] = v !== v ? 0 : v + shift;
  }
  return [{ name, type, byteLength: a.byteLength, nullable }, Buffer.from(a.buffer, a.byteOffset, a.byteLength)];
}

function snapshotHeader(state: SegmentState, ino: number, fp: string, dict: (string | null)[], columns: [ColumnInfo, Buffer][]): Header {
  return {
    cacheVersion: CACHE_VERSION,
    ledgerVersion: LEDGER_FORMAT_VERSION,
    endian: os.endianness(),
    ino,
    bytes: state.bytes,
    lines: state.lines,
    fingerprint: fp,
    count: state.records.length,
    malformed: state.malformed,
    duplicates: state.duplicates,
    diagnostics: state.diagnostics,
    headerVersion: state.headerVersion,
    dict,
    columns: columns.map(([c]) => c),
  };
}

/**
 * Magic, header length, JSON header, then each column at an 8-byte boundary so typed arrays can view it in place: the
 * file's parts in order, written as they are (not copied into one buffer first).
 */
function frame(header: Header, columns: [ColumnInfo, Buffer][]): Buffer[] {
  const hb = Buffer.from(JSON.stringify(header), 'utf8');
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1'), u32(hb.length), hb];
  let size = 8 + hb.length;
  for (const [, b] of columns) {
    const pad = (8 - (size % 8)) % 8;
    if (pad) parts.push(Buffer.alloc(pad));
    parts.push(b);
    size += pad + b.length;
  }
  return parts;
}

// encode and decode keep their per-record loops inline, with the columns in locals: a helper call per record
// would cost on every open of a large ledger.
function encode(state: SegmentState, ino: number, fp: string): Buffer[] {
  const recs = state.records;
  const n = recs.length;
  const dict: (string | null)[] = [null];
  const dictIndex = new Map<string, number>();
  const code = (s: string | null): number => {
    if (s === null) return 0;
    let i = dictIndex.get(s);
    if (i === undefined) {
      i = dict.push(s) - 1;
      dictIndex.set(s, i);
    }
    return i;
  };
  const [agent, source, project, model, route, replaces, priceSource, extra] = mapTuple(STRING_COLUMNS, () => new Uint32Array(n));
  const [input, output, cacheRead, cw5, cw1h, reasoning] = mapTuple(TOKEN_COLUMNS, () => new Float64Array(n));
  const cost = new Float64Array(n);
  const avoided = new Float64Array(n);
  const [branch, repo] = mapTuple(OPTIONAL_STRING_COLUMNS, () => new Uint32Array(n));
  const flags = new Uint8Array(n);
  const hashes = new Uint32Array(n);
  const offsets = new Uint32Array(2 * n + 1);
  const text = new Array<string>(2 * n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const r = recs[i]!;
    text[2 * i] = r.id;
    text[2 * i + 1] = r.at;
    offsets[2 * i] = pos;
    pos += r.id.length;
    offsets[2 * i + 1] = pos;
    pos += r.at.length;
    agent[i] = code(r.agent);
    source[i] = code(r.source);
    project[i] = code(r.project);
    model[i] = code(r.model);
    route[i] = code(r.route);
    replaces[i] = code(r.replaces);
    priceSource[i] = code(r.priceSource);
    extra[i] = code(extrasOf(r));
    branch[i] = code(r.branch ?? null);
    repo[i] = code(r.repo ?? null);
    const t = r.tokens;
    input[i] = t.input;
    output[i] = t.output;
    cacheRead[i] = t.cacheRead;
    cw5[i] = t.cacheWrite5m;
    cw1h[i] = t.cacheWrite1h;
    reasoning[i] = t.reasoning;
    cost[i] = r.costNanos ?? NaN;
    avoided[i] = r.avoidedNanos ?? NaN;
    flags[i] = (r.estimated ? 1 : 0) | (tri(r.priceInferred) << 1) | (tri(r.fast) << 3);
    hashes[i] = state.hashes[i]!;
  }
  offsets[2 * n] = pos;
  const textBytes = Buffer.from(text.join(''), 'utf8');
  const columns: [ColumnInfo, Buffer][] = [
    [{ name: 'offsets', type: 'u32', byteLength: offsets.byteLength }, Buffer.from(offsets.buffer)],
    [{ name: 'text', type: 'utf8', byteLength: textBytes.length }, textBytes],
    ...[agent, source, project, model, route, replaces, priceSource, extra].map((a, i) => numericColumn(STRING_COLUMNS[i]!, a)),
    ...[branch, repo].map((a, i) => numericColumn(OPTIONAL_STRING_COLUMNS[i]!, a)),
    ...[input, output, cacheRead, cw5, cw1h, reasoning].map((a, i) => numericColumn(TOKEN_COLUMNS[i]!, a)),
    numericColumn('costNanos', cost),
    numericColumn('avoidedNanos', avoided),
    [{ name: 'flags', type: 'u8', byteLength: flags.byteLength }, Buffer.from(flags.buffer)],
    [{ name: 'hash', type: 'u32', byteLength: hashes.byteLength }, Buffer.from(hashes.buffer)],
  ];
  return frame(snapshotHeader(state, ino, fp, dict, columns), columns);
}

function tri(v: boolean | undefined): number {
  return v === undefined ? 0 : v ? 2 : 1;
}
function untri(bits: number): boolean | undefined {
  return bits === 0 ? undefined : bits === 2;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function column(buf: Buffer, info: ColumnInfo, at: number): Uint32Array | Float64Array {
  const { type, byteLength } = info;
  if (type === 'u8') return Uint32Array.from(new Uint8Array(buf.buffer, at, byteLength));
  if (type === 'u16') return Uint32Array.from(new Uint16Array(buf.buffer, at, byteLength / 2));
  if (type === 'u32') return new Uint32Array(buf.buffer, at, byteLength / 4);
  if (type === 'f64') return new Float64Array(buf.buffer, at, byteLength / 8);
  throw new Error(`snapshot column ${info.name} is not numeric`);
}

/** Where each column starts, on a copy of `buf` if it is not 8-byte aligned (typed arrays need aligned offsets). */
function layOut(buf: Buffer, header: Header, offset: number): { buf: Buffer; cols: Map<string, { info: ColumnInfo; start: number }> } {
  // A pooled Buffer may start anywhere.
  if (buf.byteOffset % 8 !== 0) {
    const aligned = Buffer.from(new Uint8Array(buf.length).buffer);
    buf.copy(aligned);
    buf = aligned;
  }
  const cols = new Map<string, { info: ColumnInfo; start: number }>();
  let pos = offset;
  for (const c of header.columns) {
    pos += (8 - (pos % 8)) % 8;
    cols.set(c.name, { info: c, start: pos });
    pos += c.byteLength;
  }
  if (pos > buf.length) throw new Error('snapshot shorter than its header says');
  return { buf, cols };
}

/** Nullable money as Float64Array with NaN for null, so decode's loop has one simple read. */
function nullableMoney(a: Uint32Array | Float64Array, nullable: boolean): Float64Array {
  if (a instanceof Float64Array) return a;
  const m = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    m[i] = nullable ? (x === 0 ? NaN : x - 1) : x;
  }
  return m;
}

function decode(buf: Buffer, header: Header, offset: number): { records: Interaction[]; hashes: Uint32Array } {
  const laid = layOut(buf, header, offset);
  buf = laid.buf;
  const cols = laid.cols;
  // Narrow columns are widened to Uint32Array so each read site below sees at most two array
  // kinds (it stays fast), and integers below 2^30 stay small integers rather than boxed doubles.
  // Every column holds one value per record (offsets: two per record and one more), checked here so that the
  // loop below reads within bounds even from a snapshot damaged on disk.
  const num = (name: string, length = header.count): Uint32Array | Float64Array => {
    const c = cols.get(name);
    if (!c) throw new Error(`snapshot lacks column ${name}`);
    const a = column(buf, c.info, buf.byteOffset + c.start);
    if (a.length !== length) throw new Error(`snapshot column ${name} holds ${a.length} values, not ${length}`);
    return a;
  };
  const nullableOf = (name: string): boolean => cols.get(name)!.info.nullable === true;
  const t = cols.get('text');
  if (!t) throw new Error('snapshot lacks column text');
  const text = buf.toString('utf8', t.start, t.start + t.info.byteLength);
  const n = header.count;
  const off = num('offsets', 2 * n + 1);
  const dict = header.dict;
  const word = (code: number): string | null => {
    if (code >= dict.length) throw new Error(`snapshot dictionary has no entry ${code}`);
    return dict[code]!;
  };
  const [agent, source, project, model, route, replaces, priceSource, extra] = mapTuple(STRING_COLUMNS, (c) => num(c));
  const [branch, repo] = mapTuple(OPTIONAL_STRING_COLUMNS, (c) => num(c));
  const [input, output, cacheRead, cw5, cw1h, reasoning] = mapTuple(TOKEN_COLUMNS, (c) => num(c));
  const cost = num('costNanos');
  const avoided = num('avoidedNanos');
  const flags = num('flags');
  const hashes = num('hash');
  if (!(hashes instanceof Uint32Array) || hashes.length !== n) throw new Error('snapshot hash column is malformed');
  const costs = nullableMoney(cost, nullableOf('costNanos'));
  const avoids = nullableMoney(avoided, nullableOf('avoidedNanos'));
  for (const c of TOKEN_COLUMNS) if (nullableOf(c)) throw new Error(`snapshot column ${c} cannot be null`);
  const out = new Array<Interaction>(n);
  // Every column was checked to hold n values (offsets 2n + 1) above: the reads at i < n below are within bounds.
  for (let i = 0; i < n; i++) {
    const tokens: Tokens = {
      input: input[i]!,
      output: output[i]!,
      cacheRead: cacheRead[i]!,
      cacheWrite5m: cw5[i]!,
      cacheWrite1h: cw1h[i]!,
      reasoning: reasoning[i]!,
    };
    const f = flags[i]!;
    const c = costs[i]!;
    const v = avoids[i]!;
    // Same key order as fileFormat.ts builds, so records look alike whichever way they were read.
    const r: Interaction = {
      id: text.slice(off[2 * i], off[2 * i + 1]),
      at: text.slice(off[2 * i + 1], off[2 * i + 2]),
      agent: word(agent[i]!)!,
      source: word(source[i]!) as Interaction['source'],
      project: word(project[i]!),
      model: word(model[i]!)!,
      route: word(route[i]!) as Interaction['route'],
      replaces: word(replaces[i]!),
      tokens,
      costNanos: c === c ? c : null,
      avoidedNanos: v === v ? v : null,
      priceSource: word(priceSource[i]!),
      estimated: (f & 1) === 1,
    };
    if (f & 0b110) r.priceInferred = untri((f >> 1) & 3);
    if (f & 0b11000) r.fast = untri((f >> 3) & 3);
    if (branch[i] !== 0) r.branch = word(branch[i]!)!;
    if (repo[i] !== 0) r.repo = word(repo[i]!)!;
    const x = extra[i]!;
    if (x !== 0) Object.assign(r, JSON.parse(word(x)!));
    out[i] = r;
  }
  return { records: out, hashes };
}

/**
 * The snapshot of a segment if it is still valid for the open file `fh` (whose stat is given),
 * else null. Never throws: a bad snapshot is only a slower open.
 */
export async function readSnapshot(cachePath: string, fh: FileHandle, stat: { ino: number; size: number }): Promise<SegmentState | null> {
  let buf: Buffer;
  try {
    buf = await readWhole(cachePath);
  } catch {
    return null;
  }
  try {
    if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
    const hlen = buf.readUInt32LE(4);
    const header = JSON.parse(buf.toString('utf8', 8, 8 + hlen)) as Header;
    if (header.cacheVersion !== CACHE_VERSION || header.ledgerVersion !== LEDGER_FORMAT_VERSION) return null;
    if (header.endian !== os.endianness() || header.ino !== stat.ino || header.bytes > stat.size) return null;
    if ((await fingerprint(fh, header.bytes)) !== header.fingerprint) return null;
    return {
      ...decode(buf, header, 8 + hlen),
      bytes: header.bytes,
      lines: header.lines,
      malformed: header.malformed,
      duplicates: header.duplicates,
      diagnostics: header.diagnostics,
      headerVersion: header.headerVersion,
    };
  } catch {
    return null;
  }
}

/** One read into one 8-byte-aligned buffer (fs.readFile reads 512 KiB at a time). */
async function readWhole(file: string): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.from(new ArrayBuffer(size));
    let pos = 0;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, pos, size - pos, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
    }
    return buf.subarray(0, pos);
  } finally {
    await fh.close();
  }
}

/** Writes a snapshot atomically (temporary file + rename); not flushed: a lost one is parsed from the segment again. */
export async function writeSnapshot(cachePath: string, state: SegmentState, fh: FileHandle, ino: number): Promise<void> {
  const fp = await fingerprint(fh, state.bytes);
  await replaceFile(cachePath, encode(state, ino, fp), { flush: false });
}
