/**
 * Aggregates of the ledger kept beside its segments (cache/ledger/rollup.bin), so that a report or
 * the meter is answered without reading, decoding or holding every record: a re-run with nothing
 * new stats the segments and reads one small file.
 *
 * A cell sums the records of one local day × agent × model × project × route × repository × branch × the
 * session their ids name (sessionId.ts's namedSession; none for most: a Claude Code message id names none), in the
 * time zone the rollup is kept for (one file per zone, rebuilt when the zone's rules — Node's tzdata
 * — change), so a day, week or month is a union of whole cells and the meter's cuts fall between
 * them. Sums are integers (nano-dollars, tokens, counts), checked to stay safe integers.
 *
 * The rollup describes each segment's first `bytes` bytes (ending at a newline), exactly as a fresh
 * openLedger would see them: one record per id, the copy with the largest token total, ties to the
 * first in (segment name, line) order. Lines after `bytes` are folded in on the next read; a
 * segment that shrank, was replaced (other inode) or whose prefix changed (fingerprint) makes the
 * whole rollup be rebuilt from the ledger, since an id can be shadowed across segments.
 *
 * To fold a line whose id may already be counted, an id index (hash, segment, byte offset, cell)
 * locates the stored copy; that one line is read back from the segment to compare. Removing a copy
 * from a cell recomputes the cell from its members' lines (a cell holds a handful), because a
 * first/last instant cannot be subtracted.
 *
 * Records whose price can change with the user's settings (see pricedBySettings), whose `at` is
 * not in the canonical UTC form, or that came from telemetry (source `otel`) are kept aside as
 * records (`loose`): they are few, and the caller prices and groups them as any record. The rollup
 * does not apply the telemetry twin rule (twins.ts): while a telemetry copy is loose, a caller
 * answers from the records instead (answersAlone).
 */
import { closeSync, fstatSync, openSync, promises as fsp, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { totalTokens, type Interaction, type Route, type Source } from '../interaction';
import { pricedBySettings } from '../pricing';
import { decodeLine, encodeLine, LEDGER_FORMAT_VERSION, SEGMENT_FILE } from './fileFormat';
import { fingerprint, readFully } from './cache';
import { hashId } from './view';
import type { StoredCopies } from './index';
import { dayOfIso } from '../time';
import { namedSession } from '../sessionId';
import { sha1Hex } from '../lazy';
import { replaceFileSync } from '../atomicFile';
import { addTally, type Tally } from '../report/totals';

const MAGIC = 'URU1';
/** Bump when the layout or what a cell holds changes: an older file is then rebuilt. */
const ROLLUP_VERSION = 8;
const READ_CHUNK = 1 << 20;
/** A cell's names in the file: day, agent, model, project, route, repo, branch, session, source (dictionary codes). */
const CODES = 9;
const DEFAULT_MAX_LINE = 4 << 20;

/** Integer sums of a cell, in this order (the file's sum columns). */
const SUM_FIELDS = [
  'costNanos',
  'avoidedNanos',
  'avoidedAllNanos',
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'reasoning',
  'interactions',
  'unpriced',
  'estimated',
  'local',
  'localPriced',
  // The agent's own cost where its log states one (the ledger extra agentCostNanos), and ours for those records.
  'agentCosted',
  'agentCostNanos',
  'agentCostOurNanos',
] as const;
export type SumField = (typeof SUM_FIELDS)[number];

export interface Cell {
  /** Local 'YYYY-MM-DD' in the rollup's zone, as dayOfIso gives it. */
  day: string;
  agent: string;
  model: string;
  project: string | null;
  route: Route;
  repo: string | null;
  branch: string | null;
  /** The session the records' ids name (namedSession), or null. */
  session: string | null;
  /** Where the records came from (never `otel`: those are loose). */
  source: Source;
  firstAt: string;
  lastAt: string;
  /**
   * As report/totals.ts's Tally (avoidedNanos: local interactions with a known avoided cost),
   * plus avoidedAllNanos: avoidedNanos of every interaction, as the meter counts it.
   */
  sums: Record<SumField, number>;
}

interface SegmentMark {
  name: string;
  ino: number;
  /** The file's size and mtime when last looked at: both unchanged means nothing to read. */
  size: number;
  mtimeMs: number;
  /** Bytes described: through the newline of the last complete line. */
  bytes: number;
  fingerprint: string;
}

/** Lines this process appended to a segment in one write: [from, to) holds exactly `lines`, one per record. */
export interface Appended {
  segment: string;
  ino: number;
  from: number;
  to: number;
  mtimeMs: number;
  records: readonly Interaction[];
  /** Each record's line as written (with its newline). */
  lines: readonly string[];
  /** A handle on the segment that can read (for its fingerprint). */
  fh: FileHandle;
}

export interface RollupStats {
  /** How the rollup was obtained: its file as it was, its file plus new lines, or rebuilt from the ledger. */
  how: 'cached' | 'folded' | 'rebuilt';
  /** Ledger lines decoded by this read (new lines, plus stored copies read back to compare). */
  linesRead: number;
  malformedLines: number;
  /** Why it was rebuilt, when it was. */
  rebuiltBecause?: string;
}

export interface Rollup {
  timeZone: string;
  /** Cells with at least one interaction. */
  cells: Cell[];
  /** Records kept whole (priced by settings, or a non-canonical `at`). */
  loose: Interaction[];
  /** Interactions in all (cells and loose): one per id. */
  interactions: number;
  stats: RollupStats;
}

export interface ReadRollupOptions {
  /** The data directory (the ledger is in <dir>/ledger). */
  dir: string;
  /** The zone whose local days the cells are (an IANA name, as the settings give it). */
  timeZone: string;
  maxLineBytes?: number;
  /** Save what was folded or rebuilt (default true). */
  save?: boolean;
  /**
   * Saves only after a rebuild, or once the lines the saved file lacks that it folded (others appended them) or
   * stored itself reach this many (default 0: whenever it changed), or once the ledger has had no line appended
   * for a minute (QUIET_MS). For a process that reads once and ends (a command, the status line): the file holds
   * every id (~11 MB for a year of history), and writing it for a few new lines costs more than the next process
   * folding them again from the ledger.
   */
  saveAfterLines?: number;
}

/** How long the ledger has had no line appended before lines behind the saved rollup are written out at once. */
const QUIET_MS = 60_000;

/** `at` exactly as Date#toISOString writes it (or without milliseconds): its text order is its time order. */
const CANONICAL_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z$/;

/** Reads the rollup of the ledger in `dir`, folding in what the ledger gained since it was saved. */
export async function readRollup(opts: ReadRollupOptions): Promise<Rollup> {
  const index = new RollupIndex(opts);
  await index.refresh();
  return index.rollup();
}

/**
 * The rollup held between reads (the extension host's meter, a CLI command that stores news and then
 * reports): brought up to the segments on disk by refresh(), which folds only new lines. Its id index
 * also answers which copy of an id the ledger keeps (storedCopies), so the ledger can append without
 * reading its records (openLedger's `index`).
 */
export class RollupIndex implements StoredCopies {
  private state: RollupState;
  private loaded = false;
  private stats: RollupStats = { how: 'cached', linesRead: 0, malformedLines: 0 };
  /** Folded or rebuilt since the last save. */
  private unsaved = false;
  /** Lines the saved file lacks that this process folded or stored (Infinity after a rebuild). */
  private behind = 0;

  constructor(private readonly opts: ReadRollupOptions) {
    this.state = new RollupState(opts.dir, opts.timeZone, opts.maxLineBytes ?? DEFAULT_MAX_LINE);
  }

  get timeZone(): string {
    return this.opts.timeZone;
  }

  /**
   * Loads the saved rollup on first use, then folds what the segments gained (or rebuilds); saves unless
   * told not to (`save` here, or the options).
   */
  async refresh(save = this.opts.save !== false): Promise<RollupStats> {
    const state = this.state;
    const before = state.linesRead;
    const names = await segmentNames(path.join(this.opts.dir, 'ledger'));
    let why: string | undefined;
    if (!this.loaded) {
      const loaded = await state.load();
      this.loaded = true;
      if (loaded !== true) why = loaded;
    }
    let how: RollupStats['how'] = 'cached';
    if (why === undefined) {
      const r = await state.catchUp(names).catch((e: unknown) => {
        if (e instanceof UnreadableIndex) return e.message;
        throw e;
      });
      if (r === 'changed') how = 'folded';
      else if (r !== 'same') why = r;
    }
    if (why !== undefined) {
      state.reset();
      const r = await state.catchUp(names);
      if (r !== 'same' && r !== 'changed') throw new Error(`ledger changed while its rollup was rebuilt: ${r}`);
      how = 'rebuilt';
    }
    const linesRead = state.linesRead - before;
    if (how !== 'cached') this.unsaved = true;
    this.behind = how === 'rebuilt' ? Infinity : this.behind + linesRead;
    // Lines behind in a ledger no process has appended to for a while (a session over): written now, once, rather
    // than folded again by every run until saveAfterLines of them gather.
    const quiet = this.behind > 0 && Date.now() - state.lastAppended() >= QUIET_MS;
    if (this.unsaved && save && (this.behind >= (this.opts.saveAfterLines ?? 0) || quiet)) await this.save();
    this.stats = { how, linesRead, malformedLines: state.malformed, rebuiltBecause: why };
    return this.stats;
  }

  /** What the last refresh() did (before the first: nothing, `cached`). */
  get lastRefresh(): RollupStats {
    return this.stats;
  }

  /** StoredCopies.catchUp: refresh(), true when it folded or rebuilt. */
  async catchUp(): Promise<boolean> {
    return (await this.refresh()).how !== 'cached';
  }

  /** Writes the rollup file if it changed since the last save (a failed save is tried again next time). */
  async save(): Promise<void> {
    if (!this.unsaved) return;
    // The file holds every id: the saved index is read whole first (a fold may have read its hashes alone),
    // and one the loaded file no longer holds (cut short in place) is folded again from the ledger.
    try {
      await this.indexRead();
    } catch {
      return;
    }
    const behind = this.behind;
    this.unsaved = false;
    this.behind = 0;
    await this.state.save().catch(() => {
      this.unsaved = true;
      this.behind = behind;
    });
  }

  /** What the last refresh() saw. */
  rollup(): Rollup {
    const s = this.state;
    return { timeZone: this.opts.timeZone, cells: s.liveCells(), loose: [...s.loose.values()], interactions: s.count, stats: this.stats };
  }

  /**
   * The copy of each id the ledger keeps (a fresh openLedger's choice), read back from its segment;
   * ids not stored are absent. Refreshes first, so lines any process appended count.
   */
  async storedCopies(ids: Iterable<string>): Promise<Map<string, Interaction>> {
    // Not saved here: an import asks before every append, and each save writes the whole id index
    // (a cold import of 92k records wrote it 46 times). The next refresh() that may save does.
    await this.refresh(false);
    const wanted = [...ids];
    // The saved id index is read as far as the lookups need: its hash column, the rest once a hash matches.
    return this.withIndex(async () => {
      const out = new Map<string, Interaction>();
      for (const id of wanted) {
        const found = this.state.findStored(id, hashId(id));
        if (found) out.set(id, found.stored);
      }
      return out;
    });
  }

  /**
   * StoredCopies.appended: folds lines this process just appended without reading them back, when it can, reading
   * of the saved id index only what the fold needs. They count as lines behind the saved file, as lines others
   * appended do (saveAfterLines): the next process folds them from the ledger. Saved at once, a status line's one
   * new line wrote the whole file each time, ids and all (12.8 MB on 16 months of history, ~0.14 s of the run).
   */
  async appended(a: Appended): Promise<void> {
    if (await this.withIndex(() => this.state.foldAppended(a))) {
      this.unsaved = true;
      this.behind += a.records.length;
    }
  }

  /**
   * The kept records whose `at` is at or after `since` (canonical ISO), as of the last refresh, of one agent when
   * `agent` is given: read back from their segments, only those in cells whose latest instant reaches `since` (and
   * of that agent), so a few recent ones cost a few reads whatever the history holds.
   */
  async recentRecords(since: string, agent?: string): Promise<Interaction[]> {
    return this.withIndex(() => this.state.recentRecords(since, agent));
  }

  /**
   * The kept records of the cells `pick` chooses (of those the last refresh() saw; loose records are in
   * rollup().loose), read back from their segments.
   */
  async recordsOfCells(pick: (cell: Cell) => boolean): Promise<Interaction[]> {
    return this.withIndex(() => this.state.recordsOf(pick));
  }

  /** The saved id index read (RollupState.readIndex); one the file no longer holds is folded again from the ledger. */
  private async indexRead(): Promise<void> {
    await this.withIndex(async () => this.state.readIndex());
  }

  /** `use` of the id index; when the saved file no longer holds it, again once the state is folded again from the ledger. */
  private async withIndex<T>(use: () => Promise<T>): Promise<T> {
    try {
      return await use();
    } catch (e) {
      if (!(e instanceof UnreadableIndex)) throw e;
      await this.refresh(false);
      return use();
    }
  }
}

/** Whether the rollup alone gives what the records give: not while a telemetry copy may have a twin in a cell. */
export function answersAlone(rollup: Pick<Rollup, 'loose'>): boolean {
  return !rollup.loose.some((r) => r.source === 'otel');
}

async function segmentNames(segDir: string): Promise<string[]> {
  const names = await fsp.readdir(segDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  return names
    .filter((n) => SEGMENT_FILE.test(n))
    .map((n) => n.slice(0, -'.jsonl'.length))
    .sort();
}

type Keyed = Pick<Cell, 'agent' | 'model' | 'project' | 'route' | 'source'> & { repo?: string | null; branch?: string | null };
/**
 * A cell's names as one string, distinct for distinct names: as JSON, since names come from agents' logs and
 * may hold any character (joined by a separator, a project named "\u0001" shared its key with no project).
 */
function cellKey(day: string, r: Keyed, session: string | null): string {
  return JSON.stringify([day, r.agent, r.model, r.project, r.route, r.repo ?? null, r.branch ?? null, session, r.source]);
}

/** Whether a record of `day` naming `session` belongs in cell c (cellKey's fields, compared one by one). */
function inCell(c: Cell, day: string, r: Interaction, session: string | null): boolean {
  return (
    c.day === day &&
    c.agent === r.agent &&
    c.model === r.model &&
    c.project === r.project &&
    c.route === r.route &&
    c.repo === (r.repo ?? null) &&
    c.branch === (r.branch ?? null) &&
    c.session === session &&
    c.source === r.source
  );
}

/** The agent's own cost of a record, where its log stated a valid one and we priced it too (as the import's status counts it). */
export function agentCostOf(r: Interaction): number | null {
  const theirs = (r as Interaction & { agentCostNanos?: unknown }).agentCostNanos;
  return typeof theirs === 'number' && Number.isSafeInteger(theirs) && theirs >= 0 && r.costNanos !== null ? theirs : null;
}

function addTo(c: Cell, r: Interaction): void {
  const s = c.sums;
  const k = r.tokens;
  s.input += k.input;
  s.output += k.output;
  s.cacheRead += k.cacheRead;
  s.cacheWrite += k.cacheWrite5m + k.cacheWrite1h;
  s.reasoning += k.reasoning;
  s.interactions++;
  if (r.costNanos === null) s.unpriced++;
  else s.costNanos += r.costNanos;
  if (r.estimated) s.estimated++;
  s.avoidedAllNanos += r.avoidedNanos ?? 0;
  if (r.route === 'local') {
    s.local++;
    if (r.avoidedNanos !== null) {
      s.localPriced++;
      s.avoidedNanos += r.avoidedNanos;
    }
  }
  const theirs = agentCostOf(r);
  if (theirs !== null) {
    s.agentCosted++;
    s.agentCostNanos += theirs;
    s.agentCostOurNanos += r.costNanos!;
  }
  if (c.firstAt === '' || r.at < c.firstAt) c.firstAt = r.at;
  if (c.lastAt === '' || r.at > c.lastAt) c.lastAt = r.at;
  for (const f of SUM_FIELDS) {
    if (!Number.isSafeInteger(s[f])) throw new Error(`rollup: a ${f} sum left the safe-integer range`);
  }
}

export function emptySums(): Record<SumField, number> {
  return {
    costNanos: 0,
    avoidedNanos: 0,
    avoidedAllNanos: 0,
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    reasoning: 0,
    interactions: 0,
    unpriced: 0,
    estimated: 0,
    local: 0,
    localPriced: 0,
    agentCosted: 0,
    agentCostNanos: 0,
    agentCostOurNanos: 0,
  };
}

/** The saved file's cell columns, shared by its cells (SavedCell). */
interface SavedColumns {
  dict: readonly (string | null)[];
  /** CODES dictionary codes a cell: day, agent, model, project, route, repo, branch, session, source. */
  codes: Int32Array;
  /** SUM_FIELDS.length sums a cell. */
  sums: Float64Array;
  /** Two instants a cell (atIn). */
  ats: string;
}

/**
 * A cell as the saved file holds it: its names, instants and sums left in the file's columns until they are asked
 * for. A year of history has ~6,500 cells (16 months of the bench's: 13.7k) and the status line or the meter asks for
 * a month's: building every cell's sums object at load took ~40 ms of a status line's, most of it collecting garbage;
 * copying every cell's nine names into fields of its own made each cell ~150 bytes, 2 MB to build, move and promote
 * at every load: ~550 of the status line's page faults on 16 months (7,700 -> 7,150, each ~16 µs on these VMs).
 */
class SavedCell implements Cell {
  private own: Record<SumField, number> | null = null;
  /** First and last instants set by a fold; until then they are read from the saved column. */
  private first: string | null = null;
  private last: string | null = null;

  /** Cell `c` of the saved file's columns (a cell's names are read from them when asked for). */
  constructor(
    private readonly t: SavedColumns,
    private readonly c: number,
  ) {}

  private name(k: number): string | null {
    return this.t.dict[this.t.codes[CODES * this.c + k]!] ?? null;
  }

  get day(): string {
    return this.name(0)!;
  }
  get agent(): string {
    return this.name(1)!;
  }
  get model(): string {
    return this.name(2)!;
  }
  get project(): string | null {
    return this.name(3);
  }
  get route(): Route {
    return this.name(4) as Route;
  }
  get repo(): string | null {
    return this.name(5);
  }
  get branch(): string | null {
    return this.name(6);
  }
  get session(): string | null {
    return this.name(7);
  }
  get source(): Source {
    return this.name(8) as Source;
  }

  get firstAt(): string {
    return this.first ?? atIn(this.t.ats, 2 * this.c);
  }

  set firstAt(at: string) {
    this.first = at;
  }

  get lastAt(): string {
    return this.last ?? atIn(this.t.ats, 2 * this.c + 1);
  }

  set lastAt(at: string) {
    this.last = at;
  }

  get sums(): Record<SumField, number> {
    return (this.own ??= this.read());
  }

  /** The sums read from the column (the getter keeps them; a pass that only adds them uses addTo). */
  private read(): Record<SumField, number> {
    const c = this.t.sums;
    const k = this.c * SUM_FIELDS.length;
    // One literal, in SUM_FIELDS' order: a loop setting the fields by name cost a call and a keyed store per
    // field, in the interpreter, for every cell a view adds (2.4 of a daily view's 6 ms under the CPU profiler).
    return {
      costNanos: c[k]!,
      avoidedNanos: c[k + 1]!,
      avoidedAllNanos: c[k + 2]!,
      input: c[k + 3]!,
      output: c[k + 4]!,
      cacheRead: c[k + 5]!,
      cacheWrite: c[k + 6]!,
      reasoning: c[k + 7]!,
      interactions: c[k + 8]!,
      unpriced: c[k + 9]!,
      estimated: c[k + 10]!,
      local: c[k + 11]!,
      localPriced: c[k + 12]!,
      agentCosted: c[k + 13]!,
      agentCostNanos: c[k + 14]!,
      agentCostOurNanos: c[k + 15]!,
    };
  }

  set sums(s: Record<SumField, number>) {
    this.own = s;
  }

  /** One of the cell's sums, without building them. */
  sum(f: SumField): number {
    return this.own === null ? this.t.sums[this.c * SUM_FIELDS.length + SUM_INDEX[f]]! : this.own[f];
  }

  /** Adds the cell's sums into `t` from the column (SUM_FIELDS' order), building no sums object. */
  addTo(t: Tally): Tally {
    if (this.own !== null) return addTally(t, this.own);
    const c = this.t.sums;
    const k = this.c * SUM_FIELDS.length;
    t.costNanos += c[k]!;
    t.avoidedNanos += c[k + 1]!;
    t.input += c[k + 3]!;
    t.output += c[k + 4]!;
    t.cacheRead += c[k + 5]!;
    t.cacheWrite += c[k + 6]!;
    t.reasoning += c[k + 7]!;
    t.interactions += c[k + 8]!;
    t.unpriced += c[k + 9]!;
    t.estimated += c[k + 10]!;
    t.local += c[k + 11]!;
    t.localPriced += c[k + 12]!;
    return t;
  }
}

/**
 * The saved file's instants column: each cell's first and last `at`, AT_WIDTH latin1 bytes each, padded with spaces.
 * A cell's instants are canonical (keptWhole keeps any other record loose): 24 characters, or 20 without
 * milliseconds; '' for a cell emptied by a fold. As one string, sliced when asked for: a year of history has 27k of
 * them, and parsed from the header's JSON they were ~15 ms of a status line's run, and as much again of collecting
 * the garbage of it.
 */
const AT_WIDTH = 24;
const SPACE = 32;

function putAt(into: Buffer, i: number, at: string): void {
  if (!(at === '' || CANONICAL_AT.test(at))) throw new Error(`rollup: a cell's instant is not canonical: ${at}`);
  into.write(at, i * AT_WIDTH, 'latin1');
}

/** The column's shapes, byte by byte: d a digit, anything else itself. */
const [WITH_MS, WITHOUT_MS, BLANK] = ['dddd-dd-ddTdd:dd:dd.dddZ', 'dddd-dd-ddTdd:dd:ddZ    ', ' '.repeat(AT_WIDTH)].map((s) =>
  Buffer.from(s, 'latin1'),
) as [Buffer, Buffer, Buffer];
const DIGIT = 'd'.charCodeAt(0);

/**
 * Whether every entry of an instants column read from the file has one of putAt's shapes (the file is untrusted). A
 * call per shape, not a loop over them: 1.2 ms instead of 3.7 for the bench's 1,734 instants, 4 instead of 7 for 27k.
 */
function instantsIn(col: Buffer): boolean {
  for (let at = 0; at < col.length; at += AT_WIDTH)
    if (!shaped(col, at, WITH_MS) && !shaped(col, at, WITHOUT_MS) && !shaped(col, at, BLANK)) return false;
  return true;
}

function shaped(col: Buffer, at: number, shape: Buffer): boolean {
  for (let k = 0; k < AT_WIDTH; k++) {
    const b = col[at + k]!;
    const want = shape[k]!;
    if (want === DIGIT ? b < 48 || b > 57 : b !== want) return false;
  }
  return true;
}

function atIn(ats: string, i: number): string {
  const at = ats.slice(i * AT_WIDTH, (i + 1) * AT_WIDTH);
  return ats.charCodeAt((i + 1) * AT_WIDTH - 1) === SPACE ? at.trimEnd() : at;
}

const SUM_INDEX = Object.fromEntries(SUM_FIELDS.map((f, j) => [f, j])) as Record<SumField, number>;

/**
 * One sum of a cell (or of an aggregate entry). A loaded cell answers from the saved file's column without building
 * its sums object, so a pass over every cell (the import status's per-agent counts, the budgets' spends) leaves them
 * unbuilt.
 */
export function sumOf(c: Pick<Cell, 'sums'>, f: SumField): number {
  return c instanceof SavedCell ? c.sum(f) : c.sums[f];
}

/**
 * Adds a cell's (or an aggregate entry's) sums into a tally: a view's row, a model's, the totals. A loaded cell's are
 * added from the saved file's column: a daily view of a year of history (13.7k cells) built a sums object a cell
 * and each addition of a sum past 2^31 made a new heap number, 6 MB of its 22 MB allocated and most of its 38 ms of
 * garbage collection.
 */
export function addCellTo(t: Tally, c: Pick<Cell, 'sums'>): Tally {
  return c instanceof SavedCell ? c.addTo(t) : addTally(t, c.sums);
}

/** Telemetry copies (the twin rule, twins.ts, pairs them with a log copy record by record), prices the settings set, odd instants. */
const keptWhole = (r: Interaction): boolean => r.source === 'otel' || pricedBySettings(r) || !CANONICAL_AT.test(r.at);

/** Where a record's copy lives: cell index, or -1 when kept whole in `loose`. */
const LOOSE = -1;
/** Cells placeOf finds by a scan before it builds its table of keys (~10k cells: ~4 ms to build). */
const SCANNED_LOOKUPS = 16;
/**
 * Ids findStored looks up by a scan of the hashes before it builds its table. Both cost in proportion to the
 * index: here a scan of 500k hashes (TypedArray#indexOf) took 0.14 ms and the table 48 ms (~340 scans); at 110k,
 * 0.034 and 14 ms (~420); at 30k, 0.012 and 5.7 ms (~490). A command folds the lines the saved file lacks, one
 * lookup a line: those the editor appended since its last save (it saves once a minute) and those the commands
 * before it stored. 128 scans stay well below the table's cost at every size.
 */
export const SCANNED_ID_LOOKUPS = 128;

class RollupState {
  cells: Cell[] = [];
  /** Cell by key; built on the first lookup past SCANNED_LOOKUPS, so that a fold of a line or two does not build it. */
  private cellIndex: Map<string, number> | null = null;
  /** Lookups placeOf answered by a scan of the cells so far. */
  private cellScans = 0;
  /** The cell placeOf gave last (-1: none). */
  private lastPlace = -1;
  loose = new Map<string, Interaction>();
  marks = new Map<string, SegmentMark>();
  /** Segment names in the order of `seg` below. */
  segs: string[] = [];
  // The id index, parallel arrays (`count` ids; read from the saved file on first use: readIndex).
  private hash = new Uint32Array(1024);
  private seg = new Uint32Array(1024);
  private off = new Float64Array(1024);
  private cell = new Int32Array(1024);
  count = 0;
  /**
   * The saved file's id index, not read yet: the file (held open, so another process replacing it changes nothing
   * here), where the index starts and how many ids it holds. `hashRead`: its hash column is in `hash` already (a
   * fold's lookups need no more: readHashes); its other columns are not, and ids added since follow at [n, count).
   */
  private unreadIndex: { fd: number; at: number; n: number; hashRead: boolean } | null = null;
  /** The open-addressing table over `hash`, built on the first lookup past SCANNED_ID_LOOKUPS. */
  private slots: Uint32Array | null = null;
  /** Lookups answered by scanning `hash` so far (see findStored). */
  private scans = 0;
  linesRead = 0;
  malformed = 0;
  /** No file of this zone was found: the first save removes what an older release left (legacyFile). */
  private legacyMayExist = false;

  private readonly dayOf: (iso: string) => string;

  constructor(
    private readonly dir: string,
    private readonly timeZone: string,
    private readonly maxLine: number,
  ) {
    this.dayOf = dayOfIso(timeZone);
  }

  /**
   * One file per zone, named by the zone (its letters, digits, '_', '+' and '-' as they are, any other
   * character as ~ and its code: rollup-Europe~2fParis.bin): no hash to compute, so no node:crypto to
   * load on a re-run. The header names the zone too, and load() refuses another zone's file.
   */
  private get file(): string {
    const zone = this.timeZone.replace(/[^A-Za-z0-9_+-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`);
    return path.join(this.dir, 'cache', 'ledger', `rollup-${zone}.bin`);
  }

  /** Where releases before 0.2 kept this zone's rollup (a sha1 of the zone's name): removed once a rebuild replaces it. */
  private get legacyFile(): string {
    return path.join(this.dir, 'cache', 'ledger', `rollup-${sha1Hex(this.timeZone).slice(0, 12)}.bin`);
  }
  private segFile(name: string): string {
    return path.join(this.dir, 'ledger', `${name}.jsonl`);
  }

  reset(): void {
    this.dropUnreadIndex();
    this.cells = [];
    this.cellIndex = null;
    this.cellScans = 0;
    this.lastPlace = -1;
    this.loose = new Map();
    this.marks = new Map();
    this.segs = [];
    this.count = 0;
    this.slots = null;
    this.scans = 0;
  }

  /** When a segment was last written to, as its mark last saw it (0: no segment). */
  lastAppended(): number {
    let last = 0;
    for (const m of this.marks.values()) last = Math.max(last, m.mtimeMs);
    return last;
  }

  liveCells(): Cell[] {
    return this.cells.filter((c) => sumOf(c, 'interactions') > 0);
  }

  /**
   * Brings the state up to the segments on disk. Returns 'same', 'changed', or why the state cannot
   * be caught up (the caller then rebuilds).
   */
  async catchUp(names: string[]): Promise<string> {
    for (const name of this.marks.keys()) if (!names.includes(name)) return `segment ${name} was removed`;
    let changed = false;
    for (const name of names) {
      const file = this.segFile(name);
      const fh = await fsp.open(file, 'r').catch(() => null);
      if (!fh) return `segment ${name} vanished while being read`;
      try {
        const st = await fh.stat();
        let mark = this.marks.get(name);
        if (mark && mark.ino === st.ino && mark.size === st.size && mark.mtimeMs === st.mtimeMs) continue;
        if (mark && (mark.ino !== st.ino || st.size < mark.bytes)) return `segment ${name} was truncated or replaced`;
        if (mark && (await fingerprint(fh, mark.bytes)) !== mark.fingerprint) return `segment ${name} was rewritten`;
        if (!mark) {
          mark = { name, ino: st.ino, size: 0, mtimeMs: 0, bytes: 0, fingerprint: '' };
          this.marks.set(name, mark);
          this.segs.push(name);
        }
        await this.foldTail(fh, mark, st.size);
        mark.size = st.size;
        mark.mtimeMs = st.mtimeMs;
        mark.fingerprint = await fingerprint(fh, mark.bytes);
        changed = true;
      } finally {
        await fh.close();
      }
    }
    return changed ? 'changed' : 'same';
  }

  /** Folds the complete lines of [mark.bytes, size); an unterminated tail stays for later. */
  private async foldTail(fh: FileHandle, mark: SegmentMark, size: number): Promise<void> {
    const segNo = this.segs.indexOf(mark.name);
    const dirty = new Set<number>();
    const reader = new LineReader(fh, mark.bytes, size, this.maxLine);
    for (let batch = await reader.next(); batch.length; batch = await reader.next()) {
      for (const [text, at] of batch) {
        this.linesRead++;
        let parsed;
        try {
          parsed = decodeLine(text);
        } catch {
          this.malformed++;
          continue;
        }
        if (parsed.kind === 'record') this.offer(parsed.record, segNo, at, dirty);
      }
    }
    this.malformed += reader.overLong;
    mark.bytes = reader.done;
    if (dirty.size) this.recomputeCells(dirty);
  }

  /**
   * Folds lines this process appended, from the records in hand: when the state describes the segment
   * up to exactly where they start, they are what a read would find there (the ledger wrote them in
   * one O_APPEND write and checked the file grew by exactly their bytes). Kept-whole records are
   * decoded from their lines, as a read gives them. False when it cannot: catchUp reads them instead.
   */
  async foldAppended(a: Appended): Promise<boolean> {
    const mark = this.marks.get(a.segment);
    if (!mark || mark.ino !== a.ino || mark.bytes !== a.from || mark.size !== a.from || a.records.length !== a.lines.length) return false;
    const lengths = a.lines.map((l) => Buffer.byteLength(l));
    // Over-long lines are counted as malformed by a read: leave those appends to it.
    if (lengths.some((n) => n - 1 > this.maxLine) || lengths.reduce((x, y) => x + y, a.from) !== a.to) return false;
    // A record kept whole is handed out as a read decodes it; one that would not decode is left to the read.
    const records = a.records.slice();
    for (let k = 0; k < records.length; k++) {
      if (!keptWhole(records[k]!)) continue;
      let p;
      try {
        p = decodeLine(a.lines[k]!.slice(0, -1));
      } catch {
        return false;
      }
      if (p.kind !== 'record') return false;
      records[k] = p.record;
    }
    const segNo = this.segs.indexOf(a.segment);
    const dirty = new Set<number>();
    let at = a.from;
    for (let k = 0; k < records.length; k++) {
      this.offer(records[k]!, segNo, at, dirty);
      at += lengths[k]!;
    }
    mark.bytes = mark.size = a.to;
    mark.mtimeMs = a.mtimeMs;
    mark.fingerprint = await fingerprint(a.fh, a.to);
    if (dirty.size) this.recomputeCells(dirty);
    return true;
  }

  /** The record's place: a cell (created if new) or LOOSE. */
  private placeOf(r: Interaction): number {
    // Telemetry copies are kept whole: the twin rule (twins.ts) pairs them with a log copy record by record.
    if (keptWhole(r)) return LOOSE;
    const day = this.dayOf(r.at);
    const session = namedSession(r);
    // Records come in runs (one log file at a time): most fall in the cell of the record before.
    const last = this.cells[this.lastPlace];
    if (last && inCell(last, day, r, session)) return this.lastPlace;
    // A run that stores a line or two places as many: a scan of the cells costs microseconds each, where the
    // table over every cell's key costs milliseconds to build and its garbage to collect (~10k cells: ~4 ms).
    let i: number | undefined;
    let key: string | undefined;
    if (!this.cellIndex && this.cellScans < SCANNED_LOOKUPS) {
      this.cellScans++;
      const at = this.cells.findIndex((c) => inCell(c, day, r, session));
      if (at >= 0) i = at;
    } else {
      key = cellKey(day, r, session);
      this.cellIndex ??= new Map(this.cells.map((c, n) => [cellKey(c.day, c, c.session), n]));
      i = this.cellIndex.get(key);
    }
    if (i === undefined) {
      i = this.cells.length;
      this.cells.push({
        day,
        agent: r.agent,
        model: r.model,
        project: r.project,
        route: r.route,
        repo: r.repo ?? null,
        branch: r.branch ?? null,
        session,
        source: r.source,
        firstAt: '',
        lastAt: '',
        sums: emptySums(),
      });
      if (key !== undefined) this.cellIndex!.set(key, i);
    }
    this.lastPlace = i;
    return i;
  }

  private offer(r: Interaction, segNo: number, at: number, dirty: Set<number>): void {
    const h = hashId(r.id);
    const found = this.findStored(r.id, h);
    if (found) {
      const { i, stored } = found;
      const [a, b] = [totalTokens(r.tokens), totalTokens(stored.tokens)];
      // Ties go to the copy first in (segment, line) order, as a fresh open of the ledger reads them.
      const [mine, theirs] = [this.segs[segNo]!, this.segs[this.seg[i]!]!];
      const earlier = mine < theirs || (mine === theirs && at < this.off[i]!);
      if (a < b || (a === b && !earlier)) return;
      const was = this.cell[i];
      if (was === LOOSE) this.loose.delete(stored.id);
      else dirty.add(was!);
      const now = this.placeOf(r);
      this.seg[i] = segNo;
      this.off[i] = at;
      this.cell[i] = now;
      if (now === LOOSE) this.loose.set(r.id, r);
      else if (dirty.has(now))
        return; // recomputed from its members below
      else addTo(this.cells[now]!, r);
      return;
    }
    const place = this.placeOf(r);
    this.push(h, segNo, at, place);
    if (place === LOOSE) this.loose.set(r.id, r);
    else if (!dirty.has(place)) addTo(this.cells[place]!, r);
  }

  /** The index entry holding `id`, with its stored copy read back from the ledger. */
  findStored(id: string, h: number): { i: number; stored: Interaction } | null {
    this.readHashes();
    // A run that stores a line or two looks up as many ids: a scan of the hashes costs microseconds
    // each, where the table over every id costs milliseconds to build (SCANNED_ID_LOOKUPS).
    // Each id is in the index once, so a scan and the table find the same entry.
    if (!this.slots && this.scans < SCANNED_ID_LOOKUPS) {
      this.scans++;
      // TypedArray#indexOf: a native loop, ~4× a JavaScript one (487k ids: 0.23 against 1.0 ms a lookup).
      const hash = this.hash.subarray(0, this.count);
      for (let i = hash.indexOf(h); i >= 0; i = hash.indexOf(h, i + 1)) {
        const stored = this.storedAt(i);
        if (stored && stored.id === id) return { i, stored };
      }
      return null;
    }
    const slots = this.ensureSlots();
    const mask = (slots.length >> 1) - 1;
    for (let s = h & mask; slots[2 * s + 1] !== 0; s = (s + 1) & mask) {
      if (slots[2 * s] !== h) continue;
      const i = slots[2 * s + 1]! - 1;
      const stored = this.storedAt(i);
      if (stored && stored.id === id) return { i, stored };
    }
    return null;
  }

  /** The record index entry i points at; the rest of the saved index is read first when i is one of its ids. */
  private storedAt(i: number): Interaction | null {
    if (this.unreadIndex && i < this.unreadIndex.n) this.readIndex();
    return this.lineAt(this.seg[i]!, this.off[i]!);
  }

  /** Whether `slots` (2 words a slot) holds every entry at most half full: else it is built again, larger. */
  private roomy(slots: Uint32Array): boolean {
    return this.count * 2 <= slots.length >> 1;
  }

  private ensureSlots(): Uint32Array {
    if (this.slots && this.roomy(this.slots)) return this.slots;
    let cap = 2048;
    while (this.count * 2 + 2 > cap) cap *= 2;
    const slots = new Uint32Array(2 * cap);
    const mask = cap - 1;
    for (let i = 0; i < this.count; i++) {
      let s = this.hash[i]! & mask;
      while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
      slots[2 * s] = this.hash[i]!;
      slots[2 * s + 1] = i + 1;
    }
    return (this.slots = slots);
  }

  private push(h: number, segNo: number, at: number, place: number): void {
    this.readHashes();
    if (this.count === this.hash.length) {
      this.readIndex(); // the arrays are copied whole below
      const n = Math.max(1024, this.count * 2);
      this.hash = grow(this.hash, new Uint32Array(n));
      this.seg = grow(this.seg, new Uint32Array(n));
      this.off = grow(this.off, new Float64Array(n));
      this.cell = grow(this.cell, new Int32Array(n));
    }
    const i = this.count++;
    this.hash[i] = h;
    this.seg[i] = segNo;
    this.off[i] = at;
    this.cell[i] = place;
    const slots = this.slots;
    if (!slots) return; // built over every hash when first needed
    // Full: dropped, and built again over every hash (this one included) at the next lookup. Rebuilt here,
    // the table already held this entry before the insert below put it in a second time.
    if (!this.roomy(slots)) {
      this.slots = null;
      return;
    }
    const mask = (slots.length >> 1) - 1;
    let s = h & mask;
    while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
    slots[2 * s] = h;
    slots[2 * s + 1] = i + 1;
  }

  /** Rebuilds cells from their members' lines: after a copy left them, their first/last instant may have moved. */
  private recomputeCells(dirty: Set<number>): void {
    this.readIndex();
    const members: number[] = [];
    for (let i = 0; i < this.count; i++) if (dirty.has(this.cell[i]!)) members.push(i);
    for (const c of dirty) {
      const cell = this.cells[c]!;
      cell.sums = emptySums();
      cell.firstAt = cell.lastAt = '';
    }
    for (const i of members) {
      const r = this.lineAt(this.seg[i]!, this.off[i]!);
      if (!r) throw new Error(`rollup: the line at ${this.segs[this.seg[i]!]}:${this.off[i]} is no longer a record`);
      addTo(this.cells[this.cell[i]!]!, r);
    }
  }

  /** See RollupIndex.recentRecords. */
  async recentRecords(since: string, agent?: string): Promise<Interaction[]> {
    const theirs = (x: { agent: string }) => agent === undefined || x.agent === agent;
    const out = [...this.loose.values()].filter((r) => r.at >= since && theirs(r));
    for (const r of await this.recordsOf((c) => c.lastAt >= since && theirs(c))) if (r.at >= since) out.push(r);
    return out;
  }

  /** See RollupIndex.recordsOfCells. */
  async recordsOf(pick: (cell: Cell) => boolean): Promise<Interaction[]> {
    const out: Interaction[] = [];
    const picked = this.cells.map(pick);
    const bySeg = new Map<number, number[]>();
    const add = (segNo: number, at: number) => {
      const offs = bySeg.get(segNo);
      if (offs) offs.push(at);
      else bySeg.set(segNo, [at]);
    };
    const unread = this.unreadIndex;
    if (unread) this.placesInFile(unread, picked, add);
    // The ids added since the saved index was loaded (all of them when it was read whole).
    for (let i = unread ? unread.n : 0; i < this.count; i++) {
      const c = this.cell[i]!;
      if (c !== LOOSE && picked[c]) add(this.seg[i]!, this.off[i]!);
    }
    for (const [segNo, offs] of bySeg) {
      const fd = openSync(this.segFile(this.segs[segNo]!), 'r');
      try {
        offs.sort((a, b) => a - b);
        recordsAtPlaces(fd, offs, this.maxLine, out);
      } finally {
        closeSync(fd);
      }
    }
    return out;
  }

  /**
   * recordsOf's places (segment, offset) of the ids in picked cells, from an id index not read yet: its cell column,
   * then the stretch of the three columns those ids span, not the whole index. A status line's last day of a year
   * of history reads 2 MB and a few kB instead of 10 MB. The cell column is scanned through one small buffer kept
   * from call to call (scanBuf): read whole into a new 2 MB array, most of its ~25 ms here was the kernel handing
   * out the array's pages. Fails as readIndex does.
   */
  private placesInFile(unread: { fd: number; at: number; n: number }, picked: boolean[], add: (segNo: number, at: number) => void): void {
    const n = unread.n;
    const at = indexLayout(unread.at, n);
    this.fromIndexFile(() => {
      const buf = (scanBuf ??= new Int32Array(SCAN_IDS));
      let [lo, hi] = [n, -1];
      for (let from = 0; from < n; from += SCAN_IDS) {
        const len = Math.min(SCAN_IDS, n - from);
        readSection(unread.fd, buf, len * 4, at.cell + from * 4);
        for (let k = 0; k < len; k++) {
          const c = buf[k]!;
          if (c === LOOSE || !picked[c]) continue;
          if (lo === n) lo = from + k;
          hi = from + k;
        }
      }
      if (hi < lo) return;
      const cell = new Int32Array(hi - lo + 1);
      const seg = new Uint32Array(hi - lo + 1);
      const off = new Float64Array(hi - lo + 1);
      readSection(unread.fd, cell, cell.byteLength, at.cell + lo * 4);
      readSection(unread.fd, seg, seg.byteLength, at.seg + lo * 4);
      readSection(unread.fd, off, off.byteLength, at.off + lo * 8);
      const ends = this.segmentEnds();
      for (let i = 0; i < cell.length; i++) {
        const c = cell[i]!;
        this.checkPlace(ends, seg[i]!, off[i]!, c);
        if (c !== LOOSE && picked[c]) add(seg[i]!, off[i]!);
      }
    });
  }

  /**
   * Throws when a place read from the saved id index cannot be one: a segment the rollup does not know, an offset
   * that is not a whole number of bytes inside the lines that segment's mark describes, or a cell it does not
   * have. A damaged file is then unreadable (fromIndexFile), and the rollup is folded again from the ledger.
   */
  private checkPlace(ends: readonly number[], segNo: number, at: number, c: number): void {
    // `ends[segNo]` is undefined past the segments, and -1 for one without a mark: no offset is below either.
    if (!Number.isSafeInteger(at) || at < 0 || !(at < ends[segNo]!) || !(c === LOOSE || (c >= 0 && c < this.cells.length)))
      throw new Error(`an id's place (segment ${segNo}, byte ${at}, cell ${c}) is not one`);
  }

  /** Per segment number, the bytes its mark describes (checkPlace's bound), looked up once per index read. */
  private segmentEnds(): number[] {
    return this.segs.map((name) => this.marks.get(name)?.bytes ?? -1);
  }

  /**
   * A read of the saved id index. When the file no longer holds it (cut short in place since load), the state is
   * emptied, as before anything was folded (a catchUp then folds every line again), and UnreadableIndex thrown.
   */
  private fromIndexFile(read: () => void): void {
    try {
      read();
    } catch (e) {
      this.reset();
      throw new UnreadableIndex((e as Error).message);
    }
  }

  /** The record on the line starting at `at` in a segment (a line the index points at was a record). */
  lineAt(segNo: number, at: number): Interaction | null {
    const fd = openSync(this.segFile(this.segs[segNo]!), 'r');
    try {
      this.linesRead++;
      return recordAt(fd, at, this.maxLine);
    } finally {
      closeSync(fd);
    }
  }

  // ——— the file ———

  /** Loads the saved rollup (all but its id index: readIndex); true, or why it cannot be used. */
  async load(): Promise<true | string> {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      this.legacyMayExist = true;
      return 'no rollup saved yet';
    }
    try {
      return this.decode(fd);
    } catch (e) {
      this.reset();
      return `the saved rollup is unreadable (${(e as Error).message})`;
    } finally {
      if (this.unreadIndex?.fd !== fd) closeSync(fd);
    }
  }

  /**
   * Reads the file's header and cells, section by section, each into its own array. The id index (20 bytes an
   * id: 10 MB for a year of history, ~30 ms to read here) is left in the file until a fold, a save or a read of
   * records needs it: a report or the meter from a rollup with nothing new never does.
   */
  private decode(fd: number): true | string {
    const size = fstatSync(fd).size;
    let pos = 0;
    /** Fills `into` from `pos` on, then moves `pos` to the next section. */
    const read = (into: ArrayBufferView, bytes: number): void => {
      readSection(fd, into, bytes, pos);
      pos = align(pos + bytes);
    };
    const head = Buffer.alloc(8);
    if (size < 8) return 'the saved rollup is not one';
    read(head, 8);
    if (head.toString('latin1', 0, 4) !== MAGIC) return 'the saved rollup is not one';
    const hlen = head.readUInt32LE(4);
    if (8 + hlen > size) return 'the saved rollup is unreadable (shorter than its header says)';
    const hb = Buffer.alloc(hlen);
    read(hb, hb.length);
    const h = JSON.parse(hb.toString('utf8')) as FileHeader;
    if (h.version !== ROLLUP_VERSION || h.ledgerVersion !== LEDGER_FORMAT_VERSION || h.endian !== os.endianness())
      return 'the saved rollup is of another version';
    if (h.timeZone !== this.timeZone || h.tzdata !== tzdata()) return 'the saved rollup is of another zone or zone rules';
    const nc = h.cells;
    const n = h.ids;
    // Every section's length from the header, checked against the file before anything is allocated for it.
    if (!Number.isSafeInteger(nc) || !Number.isSafeInteger(n) || nc < 0 || n < 0)
      return 'the saved rollup is unreadable (its counts are not counts)';
    const indexAt = align(align(align(pos + nc * CODES * 4) + nc * SUM_FIELDS.length * 8) + nc * 2 * AT_WIDTH);
    if (indexLayout(indexAt, n).end > size) return 'the saved rollup is unreadable (shorter than its header says)';
    const codes = new Int32Array(nc * CODES);
    read(codes, codes.byteLength);
    const sums = new Float64Array(nc * SUM_FIELDS.length);
    read(sums, sums.byteLength);
    const atBytes = Buffer.allocUnsafe(nc * 2 * AT_WIDTH);
    read(atBytes, atBytes.length);
    if (!instantsIn(atBytes)) return "the saved rollup is unreadable (a cell's instant is not one)";
    const ats = atBytes.toString('latin1');
    const columns: SavedColumns = { dict: h.dict, codes, sums, ats };
    for (let c = 0; c < nc; c++) this.cells.push(new SavedCell(columns, c));
    for (const line of h.loose) {
      const p = decodeLine(line);
      if (p.kind === 'record') this.loose.set(p.record.id, p.record);
    }
    this.segs = h.segments.map((m) => m.name);
    for (const m of h.segments) this.marks.set(m.name, m);
    this.malformed = h.malformed;
    this.count = n;
    if (n > 0) this.unreadIndex = { fd, at: indexAt, n, hashRead: false };
    return true;
  }

  /**
   * Reads the saved id index, if it is not read yet, into arrays twice its length: the ids a later fold adds
   * go into room already there (copied into larger arrays on the first new id, a year's index took ~45 ms here,
   * most of it the kernel handing out new pages; room not used is never touched). Fails as fromIndexFile says.
   */
  readIndex(): void {
    this.readHashes();
    const unread = this.unreadIndex;
    if (!unread) return;
    this.unreadIndex = null;
    const { fd, n } = unread;
    const at = indexLayout(unread.at, n);
    try {
      const { seg, off, cell } = this;
      this.fromIndexFile(() => {
        readSection(fd, seg, n * 4, at.seg);
        readSection(fd, off, n * 8, at.off);
        readSection(fd, cell, n * 4, at.cell);
        const ends = this.segmentEnds();
        for (let i = 0; i < n; i++) this.checkPlace(ends, seg[i]!, off[i]!, cell[i]!);
      });
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads only the hash column of the saved id index (a fifth of it: 2 MB for a year of history), into arrays
   * with room as readIndex's. A fold's lookups need no more until one finds a stored id (storedAt), and a command
   * that folds what the editor appended, and does not save, never reads the other 8 MB. Fails as readIndex.
   */
  private readHashes(): void {
    const unread = this.unreadIndex;
    if (!unread || unread.hashRead) return;
    this.roomFor(unread.n);
    const hash = this.hash;
    this.fromIndexFile(() => readSection(unread.fd, hash, unread.n * 4, indexLayout(unread.at, unread.n).hash));
    unread.hashRead = true;
  }

  /** Empty id index arrays of twice `n` ids (pages not written are never touched). */
  private roomFor(n: number): void {
    const room = Math.max(1024, 2 * n);
    [this.hash, this.seg, this.off, this.cell] = [
      new Uint32Array(room),
      new Uint32Array(room),
      new Float64Array(room),
      new Int32Array(room),
    ];
  }

  private dropUnreadIndex(): void {
    if (this.unreadIndex) closeSync(this.unreadIndex.fd);
    this.unreadIndex = null;
  }

  async save(): Promise<void> {
    this.readIndex();
    const dict: (string | null)[] = [null];
    const codeOf = new Map<string, number>();
    const code = (s: string | null) => {
      if (s === null) return 0;
      let i = codeOf.get(s);
      if (i === undefined) codeOf.set(s, (i = dict.push(s) - 1));
      return i;
    };
    const nc = this.cells.length;
    const codes = new Int32Array(nc * CODES);
    const sums = new Float64Array(nc * SUM_FIELDS.length);
    const ats = Buffer.alloc(nc * 2 * AT_WIDTH, ' ', 'latin1');
    this.cells.forEach((c, i) => {
      codes.set([c.day, c.agent, c.model, c.project, c.route, c.repo, c.branch, c.session, c.source].map(code), CODES * i);
      SUM_FIELDS.forEach((f, j) => (sums[i * SUM_FIELDS.length + j] = sumOf(c, f)));
      putAt(ats, 2 * i, c.firstAt);
      putAt(ats, 2 * i + 1, c.lastAt);
    });
    const header: FileHeader = {
      version: ROLLUP_VERSION,
      timeZone: this.timeZone,
      tzdata: tzdata(),
      ledgerVersion: LEDGER_FORMAT_VERSION,
      endian: os.endianness(),
      segments: this.segs.map((s) => this.marks.get(s)!),
      dict,
      cells: nc,
      ids: this.count,
      loose: [...this.loose.values()].map((r) => encodeLine(r).slice(0, -1)),
      malformed: this.malformed,
    };
    const n = this.count;
    const hb = Buffer.from(JSON.stringify(header), 'utf8');
    const parts: Uint8Array[] = [Buffer.from(MAGIC, 'latin1'), u32(hb.length), hb];
    let size = 8 + hb.length;
    for (const a of [
      codes,
      sums,
      ats,
      this.hash.subarray(0, n),
      this.seg.subarray(0, n),
      this.off.subarray(0, n),
      this.cell.subarray(0, n),
    ]) {
      const pad = align(size) - size;
      if (pad) parts.push(Buffer.alloc(pad));
      parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      size += pad + a.byteLength;
    }
    await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // Not flushed to disk: a rollup lost in a crash is rebuilt from the ledger.
    replaceFileSync(this.file, parts, { flush: false });
    if (this.legacyMayExist) await fsp.rm(this.legacyFile, { force: true }).catch(() => {});
    this.legacyMayExist = false;
  }
}

interface FileHeader {
  version: number;
  timeZone: string;
  tzdata: string;
  ledgerVersion: number;
  endian: string;
  segments: SegmentMark[];
  dict: (string | null)[];
  cells: number;
  ids: number;
  loose: string[];
  malformed: number;
}

function grow<T extends Uint32Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from.subarray(0, Math.min(from.length, to.length)));
  return to;
}

/** The tz database Node was built with: a new one can move a zone's midnights. */
const tzdata = () => process.versions.tz ?? '';

const align = (n: number) => n + ((8 - (n % 8)) % 8);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** The saved rollup's id index could not be read where its header said it is. */
export class UnreadableIndex extends Error {
  constructor(why: string) {
    super(`the saved rollup is unreadable (${why})`);
  }
}

/**
 * Where the saved file's id index columns start, the index starting at `at` with `n` ids (save() writes them in
 * this order, each 8-byte aligned), and where the last ends.
 */
function indexLayout(at: number, n: number): { hash: number; seg: number; off: number; cell: number; end: number } {
  const seg = align(at + n * 4);
  const off = align(seg + n * 4);
  const cell = align(off + n * 8);
  return { hash: at, seg, off, cell, end: cell + n * 4 };
}

/** Reads `bytes` bytes at `pos` of `fd` into `into` (cache.ts readFully); throws when the file ends first. */
function readSection(fd: number, into: ArrayBufferView, bytes: number, pos: number): void {
  if (!readFully(fd, into, pos, bytes)) throw new Error('shorter than its header says');
}

/** lineAt's buffer, reused (a read never yields, so no two share it): a ledger line is a few hundred bytes. */
let lineBuf = Buffer.allocUnsafe(4096);

/** placesInFile's window on the id index's cell column, reused as lineBuf is: 64 kB, a year's column in 32 reads. */
let scanBuf: Int32Array | null = null;
const SCAN_IDS = 16_384;

/** recordsAtPlaces' buffer, reused as lineBuf is. */
let spanBuf: Buffer | null = null;
const SPAN = 1 << 20;

/**
 * The records on the complete lines starting at `places` (increasing byte offsets) of the open file `fd`, as
 * recordAt reads each, appended to `out`. Read in spans of up to 1 MiB (no more than the places left need)
 * instead of a read per line: the two weeks a weekly summary reads of a year's ledger were ~14k reads, ~110 ms.
 */
function recordsAtPlaces(fd: number, places: readonly number[], max: number, out: Interaction[]): void {
  const buf = (spanBuf ??= Buffer.allocUnsafe(SPAN));
  const last = places[places.length - 1] ?? 0;
  // The file's bytes [start, start + have) are buf[0, have).
  let start = 0;
  let have = 0;
  for (const at of places) {
    let nl = at >= start && at < start + have ? buf.indexOf(10, at - start) : -1;
    if (nl < 0 || nl >= have) {
      start = at;
      have = readSync(fd, buf, 0, Math.min(SPAN, Math.max(4096, last - at + 4096)), at);
      nl = buf.indexOf(10);
      if (nl < 0 || nl >= have) {
        // Longer than a span, or a tail without its newline.
        const r = recordAt(fd, at, max);
        if (r) out.push(r);
        continue;
      }
    }
    const from = at - start;
    if (nl - from > max) continue;
    const p = decodeLine(buf.toString('utf8', from, nl));
    if (p.kind === 'record') out.push(p.record);
  }
}

/**
 * The record on the complete line starting at byte `at` of the open file `fd`; null when the file ends
 * before a newline (a torn or unfinished tail), the line is longer than `max` bytes or is not a record.
 * Synchronous and small: an import asks for one stored copy at a time (an id seen again), where an open,
 * a 64 KiB read and a close through the thread pool cost ~160 µs of this thread each (524 of them in a
 * 30k-interaction first import).
 */
function recordAt(fd: number, at: number, max: number): Interaction | null {
  for (let have = 0; ;) {
    if (have === lineBuf.length) {
      if (have > max) return null;
      const bigger = Buffer.allocUnsafe(lineBuf.length * 2);
      lineBuf.copy(bigger, 0, 0, have);
      lineBuf = bigger;
    }
    const n = readSync(fd, lineBuf, have, lineBuf.length - have, at + have);
    if (n === 0) return null;
    const nl = lineBuf.subarray(0, have + n).indexOf(10, have);
    if (nl >= 0) {
      if (nl > max) return null;
      const p = decodeLine(lineBuf.toString('utf8', 0, nl));
      return p.kind === 'record' ? p.record : null;
    }
    have += n;
  }
}

/**
 * The complete lines of [from, to) in batches (one read each) of [text, startOffset]; `done` is the
 * offset after the last complete line. A line longer than `max` is passed over undecoded and
 * counted in `overLong`.
 */
class LineReader {
  done: number;
  overLong = 0;
  private pos: number;
  private carry: Buffer | null = null;
  private carryAt: number;
  private skipping = false;
  private readonly chunk: Buffer;

  constructor(
    private readonly fh: FileHandle,
    from: number,
    private readonly to: number,
    private readonly max: number,
  ) {
    this.done = this.pos = this.carryAt = from;
    this.chunk = Buffer.allocUnsafe(Math.max(1, Math.min(READ_CHUNK, to - from)));
  }

  async next(): Promise<[string, number][]> {
    const out: [string, number][] = [];
    while (out.length === 0 && this.pos < this.to) {
      const { bytesRead } = await this.fh.read(this.chunk, 0, Math.min(this.chunk.length, this.to - this.pos), this.pos);
      if (bytesRead === 0) break;
      let data = this.chunk.subarray(0, bytesRead);
      const base = this.carry ? this.carryAt : this.pos;
      if (this.carry) data = Buffer.concat([this.carry, data]);
      this.pos += bytesRead;
      let start = 0;
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
        if (this.skipping || nl - start > this.max) this.overLong++;
        else out.push([data.toString('utf8', start, nl), base + start]);
        this.skipping = false;
        start = nl + 1;
        this.done = base + start;
      }
      const rest = data.length - start;
      this.carry = null;
      if (rest > this.max) this.skipping = true;
      else if (!this.skipping && rest > 0) {
        this.carry = Buffer.from(data.subarray(start));
        this.carryAt = base + start;
      }
    }
    return out;
  }
}
