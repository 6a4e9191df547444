/**
 * Where each log file was read up to, kept in the data directory so a restart reads only what is
 * new. Written atomically (atomicFile.ts: temp file, fsync, rename). Several processes may each keep one: the last
 * writer wins, and an offset that is a little behind only means re-reading lines whose ids the
 * ledger already holds.
 *
 * Version 2 keeps each field as a column, and the paths sorted and front-coded (each names how many
 * characters it shares with the one before, and the rest): a long history's file is a third of
 * version 1's (one object per file, each path whole), and parses and saves in a third of the time,
 * on every run that finds something new. Version 1 is still read.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../ports';
import { ensurePrivateDir } from '../privateFs';
import type { FileState } from './tailer';
import type { SourceId } from '../agents/types';
import { errorMessage } from '../errors';
import { replaceFile } from '../atomicFile';

export const STATE_FILE = 'sources-state.json';
const VERSION = 2;

const NUMBER_COLUMNS = ['offset', 'size', 'mtimeMs', 'ino', 'dev', 'headLen', 'lines', 'malformed'] as const;

interface Columns {
  version: 2;
  /** Per path, sorted: characters shared with the path before. */
  prefix: number[];
  /** Per path: the characters after those. */
  suffix: string[];
  /** The sources named, once each; `source` holds an index into it per path. */
  sources: string[];
  source: number[];
  offset: number[];
  size: number[];
  mtimeMs: number[];
  ino: number[];
  dev: number[];
  head: string[];
  headLen: number[];
  lines: number[];
  malformed: number[];
  /** An adapter's parser state, by path index, for the paths that have one. */
  parser: Record<string, unknown>;
}

export async function loadSourceState(dataDir: string, logger: Logger): Promise<Map<string, FileState>> {
  const file = path.join(dataDir, STATE_FILE);
  let text: string;
  try {
    // Sync: a megabyte or two, read once per start; a thread-pool round trip per 512 kB chunk cost more.
    text = readFileSync(file, 'utf8');
  } catch {
    return new Map();
  }
  try {
    const v = JSON.parse(text) as { version?: unknown; files?: unknown };
    if (v.version === VERSION) return fromColumns(v as Columns);
    if (v.version === 1 && typeof v.files === 'object' && v.files !== null)
      return new Map(Object.entries(v.files as Record<string, FileState>));
    throw new Error(`expected {"version":${VERSION},…} (or version 1's {"version":1,"files":{…}})`);
  } catch (err) {
    // Losing offsets costs one full re-read, never a double count (ids + ledger idempotency).
    logger.warn(`${file}: ${errorMessage(err)}; reading every agent log again from the start`);
    return new Map();
  }
}

export async function saveSourceState(dataDir: string, files: Map<string, FileState>): Promise<void> {
  await ensurePrivateDir(dataDir, { tightenExisting: false });
  const file = path.join(dataDir, STATE_FILE);
  // Paths of agent logs name people's projects: readable by the owner only, as the ledger is.
  await replaceFile(file, JSON.stringify(toColumns(files)));
}

function toColumns(files: Map<string, FileState>): Columns {
  const paths = [...files.keys()].sort();
  const c: Columns = {
    version: 2,
    prefix: [],
    suffix: [],
    sources: [],
    source: [],
    offset: [],
    size: [],
    mtimeMs: [],
    ino: [],
    dev: [],
    head: [],
    headLen: [],
    lines: [],
    malformed: [],
    parser: {},
  };
  const sourceIndex = new Map<string, number>();
  let prev = '';
  paths.forEach((p, i) => {
    const s = files.get(p)!;
    let k = 0;
    while (k < prev.length && k < p.length && prev.charCodeAt(k) === p.charCodeAt(k)) k++;
    c.prefix.push(k);
    c.suffix.push(p.slice(k));
    prev = p;
    let si = sourceIndex.get(s.source);
    if (si === undefined) sourceIndex.set(s.source, (si = c.sources.push(s.source) - 1));
    c.source.push(si);
    // Field by field, not through NUMBER_COLUMNS: a property named by a variable was half the save's time.
    c.offset.push(s.offset);
    c.size.push(s.size);
    c.mtimeMs.push(s.mtimeMs);
    c.ino.push(s.ino);
    c.dev.push(s.dev);
    c.headLen.push(s.headLen);
    c.lines.push(s.lines);
    c.malformed.push(s.malformed);
    c.head.push(s.head);
    if (s.parser !== undefined) c.parser[i] = s.parser;
  });
  return c;
}

/** The offsets in a version 2 file; throws, naming what is wrong, when a column is missing or malformed. */
function fromColumns(c: Columns): Map<string, FileState> {
  const n = Array.isArray(c.prefix) ? c.prefix.length : -1;
  const column = <T>(name: keyof Columns, ok: (x: unknown) => x is T): T[] => {
    const col = c[name] as unknown;
    if (!Array.isArray(col) || col.length !== n || !col.every(ok)) throw new Error(`column ${JSON.stringify(name)}: expected ${n} values`);
    return col;
  };
  const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const isString = (x: unknown): x is string => typeof x === 'string';
  const prefix = column('prefix', isNumber);
  const suffix = column('suffix', isString);
  const head = column('head', isString);
  const sources = Array.isArray(c.sources) && c.sources.every(isString) ? c.sources : null;
  const source = column('source', (x): x is number => isNumber(x) && sources !== null && sources[x] !== undefined);
  const [offset, size, mtimeMs, ino, dev, headLen, lines, malformed] = NUMBER_COLUMNS.map<number[]>((name) => column(name, isNumber));
  const parser = typeof c.parser === 'object' && c.parser !== null ? c.parser : {};
  const out = new Map<string, FileState>();
  let prev = '';
  for (let i = 0; i < n; i++) {
    const p = prev.slice(0, prefix[i]) + suffix[i];
    prev = p;
    // One object literal, one shape for every file: V8 builds these fastest.
    const s: FileState = {
      source: sources![source[i]!] as SourceId,
      offset: offset![i]!,
      size: size![i]!,
      mtimeMs: mtimeMs![i]!,
      ino: ino![i]!,
      dev: dev![i]!,
      head: head[i]!,
      headLen: headLen![i]!,
      lines: lines![i]!,
      malformed: malformed![i]!,
    };
    const ps = parser[i];
    if (ps !== undefined) s.parser = ps;
    out.set(p, s);
  }
  return out;
}
