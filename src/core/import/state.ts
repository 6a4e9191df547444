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
 *
 * Beside it, a journal (sources-state.log): a save that changed a few files appends their offsets,
 * one JSON line each, instead of writing every file's again. With an agent at work the editor saved
 * the whole file (~0.3 MB for 2,800 logs, more for longer histories) once a second, and a re-run that
 * stored one line spent ~14 ms on it. The base file names its journal by a random id that every line
 * carries: a base written whole (a save that changed many files, or a journal past COMPACT_LINES)
 * has a new id, so lines from before it, or from a process still appending to the old journal, are
 * not applied; an offset left behind that way only means re-reading lines the ledger holds. A torn
 * last line (a crash) is skipped; each append starts on a new line.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../ports';
import { ensurePrivateDir } from '../privateFs';
import type { FileState } from './tailer';
import type { SourceId } from '../agents/types';
import { errorMessage } from '../errors';
import { appendFlushed, replaceFile } from '../atomicFile';
import { randomHex } from '../lazy';

export const STATE_FILE = 'sources-state.json';
export const JOURNAL_FILE = 'sources-state.log';
const VERSION = 2;
/** A journal holding this many lines is folded into the base file at the next save. */
const COMPACT_LINES = 256;
/** A save that changed more files than this writes the base file whole. */
const MAX_APPEND = 64;
/** A larger journal is not read (not one of ours: its updates only mean reading some lines again). */
const MAX_JOURNAL_BYTES = 16 << 20;

/** The journal of a base file: the id its lines carry, and how many lines this process knows it holds. */
export interface Journal {
  id: string;
  lines: number;
}

export interface SavedOffsets {
  files: Map<string, FileState>;
  /** null: the base names no journal (none saved yet, or an older version's file). */
  journal: Journal | null;
}

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
  /** The id the lines of this file's journal carry. */
  journal?: string;
}

/** Every file's saved offsets (the base file, then its journal). */
export async function loadSourceState(dataDir: string, logger: Logger): Promise<Map<string, FileState>> {
  return (await loadOffsets(dataDir, logger)).files;
}

export async function loadOffsets(dataDir: string, logger: Logger): Promise<SavedOffsets> {
  const file = path.join(dataDir, STATE_FILE);
  let text: string;
  try {
    // Sync: a megabyte or two, read once per start; a thread-pool round trip per 512 kB chunk cost more.
    text = readFileSync(file, 'utf8');
  } catch {
    return { files: new Map(), journal: null };
  }
  try {
    const v = JSON.parse(text) as { version?: unknown; files?: unknown; journal?: unknown };
    if (v.version === VERSION) {
      const files = fromColumns(v as Columns);
      const id = typeof v.journal === 'string' ? v.journal : null;
      return { files, journal: id === null ? null : { id, lines: applyJournal(dataDir, id, files) } };
    }
    if (v.version === 1 && typeof v.files === 'object' && v.files !== null)
      return { files: new Map(Object.entries(v.files as Record<string, FileState>)), journal: null };
    throw new Error(`expected {"version":${VERSION},…} (or version 1's {"version":1,"files":{…}})`);
  } catch (err) {
    // Losing offsets costs one full re-read, never a double count (ids + ledger idempotency).
    logger.warn(`${file}: ${errorMessage(err)}; reading every agent log again from the start`);
    return { files: new Map(), journal: null };
  }
}

/** Applies the journal's lines that carry `id`, in order; returns how many it holds. */
function applyJournal(dataDir: string, id: string, files: Map<string, FileState>): number {
  let text: string;
  try {
    const file = path.join(dataDir, JOURNAL_FILE);
    if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) > MAX_JOURNAL_BYTES) return COMPACT_LINES;
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  let lines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let v: { b?: unknown; f?: unknown; s?: unknown };
    try {
      v = JSON.parse(line) as typeof v;
    } catch {
      continue; // torn by a crash: that save is lost, and its lines are read again
    }
    if (v === null || typeof v !== 'object' || v.b !== id || typeof v.f !== 'string') continue;
    lines++;
    if (v.s === null) files.delete(v.f);
    else if (isFileState(v.s)) files.set(v.f, v.s);
  }
  return lines;
}

function isFileState(v: unknown): v is FileState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return typeof s.source === 'string' && typeof s.head === 'string' && NUMBER_COLUMNS.every((k) => finite(s[k]));
}

/** Writes every file's offsets whole, with a new journal (the old one's lines no longer apply). */
export async function saveSourceState(dataDir: string, files: Map<string, FileState>): Promise<Journal> {
  await ensurePrivateDir(dataDir, { tightenExisting: false });
  const file = path.join(dataDir, STATE_FILE);
  const journal = { id: randomHex(8), lines: 0 };
  // Paths of agent logs name people's projects: readable by the owner only, as the ledger is.
  await replaceFile(file, JSON.stringify(toColumns(files, journal.id)));
  try {
    rmSync(path.join(dataDir, JOURNAL_FILE), { force: true });
  } catch {
    // its lines carry the old id: they are not applied
  }
  return journal;
}

/**
 * Saves the offsets of the files that changed since the last save (absent: the file is gone): appended to
 * the journal when they are few and it is short, else with every file's, whole. Returns the journal now.
 */
export async function saveChanged(
  dataDir: string,
  files: Map<string, FileState>,
  changed: ReadonlySet<string>,
  journal: Journal | null,
): Promise<Journal> {
  if (!journal || changed.size > MAX_APPEND || journal.lines + changed.size > COMPACT_LINES) return saveSourceState(dataDir, files);
  const lines = [...changed].map((f) => JSON.stringify({ b: journal.id, f, s: files.get(f) ?? null }));
  // Starts on a new line: a line a crash tore is never joined to the next one.
  await appendFlushed(path.join(dataDir, JOURNAL_FILE), '\n' + lines.join('\n') + '\n');
  return { id: journal.id, lines: journal.lines + lines.length };
}

function toColumns(files: Map<string, FileState>, journal: string): Columns {
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
    journal,
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
