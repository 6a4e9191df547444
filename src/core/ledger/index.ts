/**
 * The ledger: an append-only, durable store of Interactions, idempotent by id, shared by several
 * processes at once (VS Code windows, the CLI, a gateway). The file format is in fileFormat.ts.
 *
 * Writing. Each batch for a segment goes out as ONE write() on a descriptor opened with O_APPEND
 * ('a+'), then fdatasync() before append() resolves (a new segment's directory entry is fsync'ed
 * too), so a record reported written survives the process being killed and the machine losing power. On local filesystems (ext4, xfs, btrfs, tmpfs,
 * APFS, NTFS) the kernel holds the file's lock for the whole write() and moves the end-of-file
 * pointer atomically with it, so two processes' batches can land in either order but never inside
 * one another: lines cannot interleave. (Network filesystems such as NFS do not promise this; keep
 * the data directory local.) A write() can still be cut short by a crash (SIGKILL during a large
 * copy, power loss, a full disk); that leaves a torn last line.
 *
 * Torn lines. Readers never consume a line without its newline: it may be another process's write
 * still in flight. A torn tail is repaired by starting the next batch written behind it with a
 * newline — never by truncating, and never on open: opening must work on a full disk, so the
 * repair waits for a write that succeeds. Prepending is safe even if the "torn" tail is a live
 * write: the batch queues behind that write on the file lock and only adds a blank line. The
 * terminated fragment is then an ordinary malformed line, counted and skipped; and should a crash
 * glue a fragment to the next writer's first line anyway, fileFormat.ts recovers that record.
 *
 * Bounded reading. Segments are read in chunks; a line longer than maxLineBytes (e.g. a runaway
 * line in a damaged or hostile file) is passed over without being held or decoded, and is one
 * counted malformed line naming its file and number. Every other line is still read.
 *
 * Privacy. The ledger's folders are 0700 and its files 0600, tightened on open; the data directory
 * is created 0700 but, when it already exists, left as its owner set it (privateFs.ts).
 *
 * Idempotence. For each id the view keeps the copy with the largest token total (input + output +
 * cache reads + cache writes): the same response is often seen first with partial output tokens,
 * then complete, or both in a log and through the gateway. An append whose id is already stored
 * with an equal or larger total writes nothing. Two processes racing on one id may both write it;
 * the view still shows it once, because every reader applies the same rule. The same holds for a
 * request seen in telemetry and in a log or the gateway under different ids (twins.ts).
 */
import { fstatSync, promises as fsp, readdirSync, rmSync, statSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { UnmeteredError, errorMessage } from '../errors';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tighten } from '../privateFs';
import { moreComplete, type Interaction } from '../interaction';
import { silentLogger, type Logger } from '../ports';
import { readSnapshot, writeSnapshot, type SegmentState } from './cache';
import type { Appended } from './rollup';
import { decodeLine, encodeLine, HEADER_LINE, LEDGER_FORMAT_VERSION, SEGMENT_FILE, segmentOf, validateRecord } from './fileFormat';
import { ADDED, KEPT, View } from './view';
import { randomHex } from '../lazy';

export { LEDGER_FORMAT_VERSION } from './fileFormat';

export interface LedgerStats {
  /** Lines that were not a valid record (bad JSON, failed validation, torn fragments), skipped. */
  malformedLines: number;
  /** Torn last lines this process terminated, with a newline before a batch it wrote behind one. */
  tornLinesRepaired: number;
  /** At open: record lines not in the view because another copy of their id has at least as many tokens. */
  duplicateLines: number;
  /** Segment files known. */
  segments: number;
  /** Segments whose snapshot was usable at open. */
  snapshotsUsed: number;
}

export interface Ledger {
  /** The data directory given to openLedger. */
  readonly dir: string;
  readonly logger: Logger;
  /** Grows by one whenever the view changes, whoever wrote the change. */
  readonly version: number;
  readonly stats: Readonly<LedgerStats>;
  /**
   * Writes the records that are new or more complete than the stored copy, durably (fsync) before
   * resolving, and returns those. Throws an UnmeteredError for an invalid record (nothing is written).
   */
  append(records: readonly Interaction[]): Promise<Interaction[]>;
  /** Reads what any process appended since the last read; returns records that entered or changed the view. */
  refresh(): Promise<Interaction[]>;
  /**
   * The view: one record per id, its most complete copy. Order: as first read (month segments in
   * order, lines in file order), then as appended or read since; a more complete copy takes the
   * place of the one it supersedes. Live (it changes on append/refresh); do not mutate.
   */
  records(): readonly Interaction[];
  /**
   * Creates and opens the segment that records made at `at` go to, so that the first append under load
   * (a gateway's first answer) does not wait for a dozen file operations. Optional; append works without it.
   */
  prepare(at: string): Promise<void>;
  has(id: string): boolean;
  get(id: string): Interaction | undefined;
  /**
   * The stored copy of each id (absent when not stored). A ledger opened `lazy` with an `index` answers
   * from the index and reads no other record; otherwise it loads first.
   */
  lookup(ids: Iterable<string>): Promise<Map<string, Interaction>>;
  /**
   * Reads the segments into the view, if not done yet: opened `lazy`, records(), has() and get()
   * throw until then (append, refresh and prepare load first by themselves).
   */
  load(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenLedgerOptions {
  /** The data directory (see paths.ts dataDir); created if missing. */
  dir: string;
  logger?: Logger;
  /** Longer lines are skipped as malformed. Default DEFAULT_MAX_LINE_BYTES. */
  maxLineBytes?: number;
  /**
   * The data directory is Unmetered's own (the platform default, not a folder a person named in
   * UNMETERED_HOME): tighten it to 0700 if an older version left it open. Default false.
   */
  ownsDir?: boolean;
  /**
   * Do not read the segments at open but on first use (load(), append, refresh, prepare): for a
   * caller that may need no record at all, such as a report answered from the rollup (rollup.ts).
   */
  lazy?: boolean;
  /**
   * With `lazy`: where append, lookup and refresh learn which copy of an id is stored while the records
   * are not loaded (rollup.ts's RollupIndex), so that a process that only writes and shows aggregates
   * never holds every record. Called on each use: the caller may swap it (another time zone).
   * Undefined (or returning undefined): those calls load the records as before.
   */
  index?: () => StoredCopies | undefined;
}

/** What the ledger needs of an index to append without its records (see OpenLedgerOptions.index). */
export interface StoredCopies {
  /** The copy a full read of the ledger keeps, for each of these ids that is stored; after catching up with every segment. */
  storedCopies(ids: Iterable<string>): Promise<Map<string, Interaction>>;
  /** Catches up with what any process appended; true when something changed. */
  catchUp(): Promise<boolean>;
  /** Told of lines this process appended, so it need not read them back (rollup.ts's foldAppended). */
  appended?(a: Appended): Promise<void>;
}

/** Ledger lines are ~300 bytes; anything near this long is damage, not a record. */
const DEFAULT_MAX_LINE_BYTES = 4 << 20;

/** Segments whose text tail holds at least this many lines get a fresh snapshot at open. */
const SNAPSHOT_MIN_LINES = 2000;
const READ_CHUNK = 8 << 20;
const DIAGNOSTICS_PER_PASS = 10;

interface Segment {
  name: string;
  file: string;
  /** Bytes consumed: through the newline of the last complete line read. */
  offset: number;
  /** Newlines consumed (the next line's number is lines + 1). */
  lines: number;
  ino: number;
  headerVersion: number | null;
  /** Whether bytes after `offset` lacked a newline at the last read. */
  unterminated: boolean;
  /** Bytes after `offset` of an over-long line passed over and not yet ended by a newline. */
  skip: number;
  /** File size looked at by the last read: a torn tail is not read again until the file grows. */
  seen: number;
  handle: FileHandle | null;
}

interface Pass {
  seg: Segment;
  malformed: number;
  shown: number;
}

export async function openLedger(opts: OpenLedgerOptions): Promise<Ledger> {
  const ledger = new FileLedger(
    opts.dir,
    opts.logger ?? silentLogger,
    opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    opts.ownsDir ?? false,
    opts.index,
  );
  await ledger.open(opts.lazy ?? false);
  return ledger;
}

class FileLedger implements Ledger {
  readonly stats: LedgerStats = { malformedLines: 0, tornLinesRepaired: 0, duplicateLines: 0, segments: 0, snapshotsUsed: 0 };
  version = 0;
  private readonly segDir: string;
  private readonly cacheDir: string;
  private readonly segments = new Map<string, Segment>();
  private readonly view = new View();
  private pending = new Map<string, Interaction>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private loaded = false;

  constructor(
    readonly dir: string,
    readonly logger: Logger,
    private readonly maxLineBytes: number,
    private readonly ownsDir: boolean,
    private readonly index?: () => StoredCopies | undefined,
  ) {
    this.segDir = path.join(dir, 'ledger');
    this.cacheDir = path.join(dir, 'cache', 'ledger');
  }

  async open(lazy: boolean): Promise<void> {
    await this.makeDirs();
    await this.removeLeftovers();
    if (!lazy) await this.loadAll();
  }

  load(): Promise<void> {
    // Loaded, it stays readable after close(), as before lazy opening existed.
    if (this.loaded) return Promise.resolve();
    this.assertOpen();
    return this.serialize(() => this.loadAll());
  }

  /** Call only inside serialize() (or at open). */
  private async loadAll(): Promise<void> {
    if (this.loaded) return;
    // Segments an index-backed append touched are read from their start like any other.
    for (const seg of this.segments.values()) await this.dropHandle(seg);
    this.segments.clear();
    for (const name of await this.segmentNames()) await this.loadSegment(name);
    this.loaded = true;
    this.version = 1;
  }

  private assertLoaded(): void {
    if (!this.loaded)
      throw new UnmeteredError('E_LEDGER_NOT_LOADED', `the ledger in ${this.dir} was opened lazily: call load() before reading records`);
  }

  private async makeDirs(): Promise<void> {
    let at = this.dir;
    try {
      await ensurePrivateDir(this.dir, { tightenExisting: this.ownsDir });
      await ensurePrivateDir((at = this.segDir));
      await ensurePrivateDir((at = path.dirname(this.cacheDir)));
      await ensurePrivateDir((at = this.cacheDir));
    } catch (e) {
      throw new UnmeteredError(
        'E_LEDGER_DIR',
        `cannot use ${this.dir} as the data directory (set UNMETERED_HOME to a folder you can` +
          ` write to): ${errorMessage(e).includes(at) ? '' : `${at}: `}${errorMessage(e)}`,
        { cause: e },
      );
    }
  }

  /**
   * Temporary files of processes that died while writing a snapshot, the rollup or a segment (in the cache), or
   * the offsets, the quick check or the settings mirror (atomicFile.ts, in the data directory). Two small
   * folders, read synchronously: a thread-pool round trip cost more than the listing.
   */
  private async removeLeftovers(): Promise<void> {
    for (const dir of [this.cacheDir, this.dir]) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        // <file>.<pid>.<random>.tmp|new: the writer's pid tells whether it can still be writing.
        const m = /\.(\d+)\.[0-9a-f]+\.(?:tmp|new)$/.exec(n);
        if (!m || processAlive(Number(m[1]))) continue;
        try {
          rmSync(path.join(dir, n), { force: true });
        } catch {
          // not ours to remove after all (another owner): left as it is
        }
      }
    }
  }

  records(): readonly Interaction[] {
    this.assertLoaded();
    return this.view.records;
  }
  has(id: string): boolean {
    this.assertLoaded();
    return this.view.indexOf(id) >= 0;
  }
  get(id: string): Interaction | undefined {
    this.assertLoaded();
    return this.view.get(id);
  }

  /** The index, while the records are not loaded and the caller gave one. */
  private lean(): StoredCopies | undefined {
    return this.loaded ? undefined : this.index?.();
  }

  lookup(ids: Iterable<string>): Promise<Map<string, Interaction>> {
    this.assertOpen();
    return this.serialize(async () => {
      const idx = this.lean();
      if (idx) return idx.storedCopies(ids);
      await this.loadAll();
      const out = new Map<string, Interaction>();
      for (const id of ids) {
        const r = this.view.get(id);
        if (r) out.set(id, r);
      }
      return out;
    });
  }

  async append(records: readonly Interaction[]): Promise<Interaction[]> {
    this.assertOpen();
    // Everything is checked and encoded before anything is written, so a bad record fails the
    // whole batch rather than leaving part of it on disk.
    const lines = new Map<Interaction, string>();
    records.forEach((r, i) => {
      try {
        validateRecord(r);
        lines.set(r, encodeLine(r));
      } catch (e) {
        throw new UnmeteredError(
          'E_LEDGER_APPEND',
          `append: record ${i} is not a valid Interaction (nothing written): ${errorMessage(e)}`,
          { cause: e },
        );
      }
    });
    return this.serialize(async () => {
      const idx = this.lean();
      // A telemetry copy is stored or not by the twin rule, which needs the records (view.ts).
      if (idx && !records.some((r) => r.source === 'otel')) return this.appendLean(records, lines, idx);
      await this.loadAll();
      return this.appendNow(records, lines);
    });
  }

  async prepare(at: string): Promise<void> {
    this.assertOpen();
    await this.serialize(async () => {
      await this.loadAll();
      const name = segmentOf(at);
      const seg = this.segments.get(name) ?? this.newSegment(name);
      await this.createSegmentFile(seg);
      await this.readNew(seg, statNow(seg.file));
      await this.appendHandle(seg);
    });
  }

  async refresh(): Promise<Interaction[]> {
    this.assertOpen();
    return this.serialize(async () => {
      const idx = this.lean();
      if (idx) {
        if (await idx.catchUp()) this.version++;
        return [];
      }
      if (!this.loaded) {
        await this.loadAll();
        return [];
      }
      for (const name of await this.segmentNames()) {
        const seg = this.segments.get(name);
        if (!seg) {
          await this.readNew(this.newSegment(name), null);
          continue;
        }
        const st = await fsp.stat(seg.file).catch(() => null);
        if (st && (st.size !== seg.seen || st.ino !== seg.ino)) await this.readNew(seg, st);
      }
      const out = [...this.pending.values()];
      this.pending = new Map();
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    for (const seg of this.segments.values()) {
      await seg.handle?.close().catch(() => {});
      seg.handle = null;
    }
  }

  // ——— reading ———

  private async segmentNames(): Promise<string[]> {
    const names = await fsp.readdir(this.segDir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return []; // deleted behind us; the next append recreates it
      throw e;
    });
    return names
      .filter((n) => SEGMENT_FILE.test(n))
      .map((n) => n.slice(0, -'.jsonl'.length))
      .sort();
  }

  private newSegment(name: string): Segment {
    const seg: Segment = {
      name,
      file: path.join(this.segDir, `${name}.jsonl`),
      offset: 0,
      lines: 0,
      ino: 0,
      headerVersion: null,
      unterminated: false,
      skip: 0,
      seen: 0,
      handle: null,
    };
    this.segments.set(name, seg);
    this.stats.segments = this.segments.size;
    return seg;
  }

  private snapshotPath(seg: Segment): string {
    return path.join(this.cacheDir, `${seg.name}.bin`);
  }

  /**
   * Open-time load of one segment: its snapshot if valid, then the lines after it, deduplicated
   * within the segment first so that a fresh snapshot can be written from the same state.
   */
  private async loadSegment(name: string): Promise<void> {
    const seg = this.newSegment(name);
    const fh = await openForReading(seg.file);
    if (!fh) return; // removed since the directory was listed
    try {
      const st = await fh.stat();
      seg.ino = st.ino;
      if ((st.mode & 0o077) !== 0 && !(await tighten(seg.file, PRIVATE_FILE_MODE))) {
        this.logger.warn(`ledger: ${seg.file} is readable by other users and could not be made private (chmod 600 it)`);
      }
      const snap = await readSnapshot(this.snapshotPath(seg), fh, st);
      let malformed = 0;
      let duplicates = 0;
      if (snap) {
        this.stats.snapshotsUsed++;
        seg.offset = snap.bytes;
        seg.lines = snap.lines;
        seg.headerVersion = snap.headerVersion;
        malformed = snap.malformed;
        duplicates = snap.duplicates;
        this.reportDiagnostics(seg, snap.diagnostics, snap.malformed);
      }
      // The segment's own view, needed only when lines follow the snapshot.
      let local: View | null = null;
      let tailLines = 0;
      const tailDiagnostics: string[] = [];
      let tailMalformed = 0;
      const sink: Sink = {
        record: (r) => {
          if (!local) {
            local = new View();
            if (snap) {
              local.reserve(snap.records.length);
              for (let i = 0; i < snap.records.length; i++) local.offer(snap.records[i]!, snap.hashes[i]);
            }
          }
          tailLines++;
          if (local.offer(r) !== ADDED) duplicates++;
        },
        malformed: (line, reason) => {
          tailLines++;
          malformed++;
          tailMalformed++;
          if (tailDiagnostics.length < DIAGNOSTICS_PER_PASS) tailDiagnostics.push(`line ${line}: ${reason}`);
        },
      };
      // A torn tail stays unread (and unrepaired) until a batch is written behind it.
      await this.readInto(seg, fh, st.size, sink);
      this.reportDiagnostics(seg, tailDiagnostics, tailMalformed);
      this.stats.malformedLines += malformed;
      this.stats.duplicateLines += duplicates;
      const built = local as View | null;
      const state: SegmentState = {
        records: built ? built.records : (snap?.records ?? []),
        hashes: built ? built.hashList() : (snap?.hashes ?? []),
        bytes: seg.offset,
        lines: seg.lines,
        malformed,
        duplicates,
        diagnostics: [...(snap?.diagnostics ?? []), ...tailDiagnostics].slice(0, DIAGNOSTICS_PER_PASS),
        headerVersion: seg.headerVersion,
      };
      if (tailLines >= SNAPSHOT_MIN_LINES) {
        await writeSnapshot(this.snapshotPath(seg), state, fh, seg.ino).catch((e) =>
          this.logger.warn(`ledger: could not write the snapshot of ${seg.file} (the next open will be slower): ${errorMessage(e)}`),
        );
      }
      this.view.reserve(state.records.length);
      for (let i = 0; i < state.records.length; i++) this.ingest(state.records[i]!, 'open', state.hashes[i]);
    } finally {
      await fh.close();
    }
  }

  private reportDiagnostics(seg: Segment, shown: string[], total: number): void {
    for (const d of shown) this.logger.warn(`ledger: ${seg.file}:${d.slice('line '.length)} (line skipped)`);
    if (total > shown.length) this.logger.warn(`ledger: …and ${total - shown.length} more malformed lines in ${seg.file}`);
  }

  /** Reads what was appended to a segment since the last read into the view. */
  private async readNew(seg: Segment, st: { size: number; ino: number } | null): Promise<void> {
    st ??= await fsp.stat(seg.file).catch(() => null);
    if (!st) return; // deleted behind us: what was read stays in the view
    if (seg.ino !== 0 && (st.ino !== seg.ino || st.size < seg.offset + seg.skip)) {
      this.logger.warn(`ledger: ${seg.file} was truncated or replaced; reading it again from the start`);
      seg.offset = 0;
      seg.skip = 0;
      seg.lines = 0;
      seg.headerVersion = null;
      await this.dropHandle(seg);
    }
    seg.ino = st.ino;
    const own = seg.handle;
    const fh = own ?? (await openForReading(seg.file));
    if (!fh) return;
    try {
      const pass: Pass = { seg, malformed: 0, shown: 0 };
      await this.readInto(seg, fh, st.size, {
        record: (r) => this.ingest(r, 'read'),
        malformed: (line, reason) => {
          this.stats.malformedLines++;
          pass.malformed++;
          if (pass.shown++ < DIAGNOSTICS_PER_PASS) this.logger.warn(`ledger: ${seg.file}:${line}: ${reason} (line skipped)`);
        },
      });
      if (pass.malformed > DIAGNOSTICS_PER_PASS)
        this.logger.warn(`ledger: …and ${pass.malformed - DIAGNOSTICS_PER_PASS} more malformed lines in ${seg.file}`);
    } finally {
      if (!own) await fh.close();
    }
  }

  private async dropHandle(seg: Segment): Promise<void> {
    const h = seg.handle;
    seg.handle = null;
    await h?.close().catch(() => {});
  }

  /**
   * Parses complete lines from seg.offset up to `size`; leaves an unterminated tail unread. Memory
   * and work stay linear whatever one line weighs: at most maxLineBytes of a line is ever held,
   * and an over-long line is only searched for its end (it may span many reads: seg.skip).
   */
  private async readInto(seg: Segment, fh: FileHandle, size: number, sink: Sink): Promise<void> {
    const max = this.maxLineBytes;
    let carry: Buffer | null = null;
    let pos = seg.offset + seg.skip;
    // One buffer for the whole pass (what outlives a read is copied): a fresh 8 MiB per read costs
    // page faults on every one, ten times the read itself when passing over a huge line.
    const chunk = pos < size ? Buffer.allocUnsafe(Math.min(READ_CHUNK, size - pos)) : null;
    while (pos < size && chunk) {
      const n = Math.min(chunk.length, size - pos);
      const { bytesRead } = await fh.read(chunk, 0, n, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      let data = chunk.subarray(0, bytesRead);
      if (seg.skip > 0) {
        const nl = data.indexOf(10);
        if (nl < 0) {
          seg.skip += data.length;
          continue;
        }
        sink.malformed(++seg.lines, tooLong(seg.skip + nl, max));
        seg.offset += seg.skip + nl + 1;
        seg.skip = 0;
        data = data.subarray(nl + 1);
      }
      if (carry) data = Buffer.concat([carry, data]);
      const used = this.parseLines(seg, data, sink);
      seg.offset += used;
      const rest = data.length - used;
      carry = null;
      if (rest > max) seg.skip = rest;
      else if (rest > 0) carry = Buffer.from(data.subarray(used));
    }
    seg.unterminated = carry !== null || seg.skip > 0 || pos < size;
    seg.seen = pos;
  }

  /**
   * Parses the complete lines at the start of `data`; returns the bytes they span. Runs of lines of
   * a sane length are decoded with one toString (far cheaper than one per line); an over-long line
   * between them is never decoded.
   */
  private parseLines(seg: Segment, data: Buffer, sink: Sink): number {
    const max = this.maxLineBytes;
    let run = 0;
    let at = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, at)) {
      if (nl - at > max) {
        this.parseRun(seg, data, run, at, sink);
        sink.malformed(++seg.lines, tooLong(nl - at, max));
        run = nl + 1;
      }
      at = nl + 1;
    }
    this.parseRun(seg, data, run, at, sink);
    return at;
  }

  /** Parses the lines in data[start, end), which ends just after a newline (or is empty). */
  private parseRun(seg: Segment, data: Buffer, start: number, end: number, sink: Sink): void {
    if (end <= start) return;
    const lines = data.toString('utf8', start, end - 1).split('\n');
    for (const text of lines) {
      const lineNo = ++seg.lines;
      let parsed;
      try {
        parsed = decodeLine(text);
      } catch (e) {
        sink.malformed(lineNo, errorMessage(e));
        continue;
      }
      if (parsed.kind === 'record') sink.record(parsed.record);
      else if (parsed.kind === 'header') this.noteHeader(seg, parsed.version);
    }
  }

  private noteHeader(seg: Segment, version: number): void {
    if (seg.headerVersion !== null) return;
    seg.headerVersion = version;
    if (version > LEDGER_FORMAT_VERSION) {
      this.logger.warn(
        `ledger: ${seg.file} was written in format version ${version} by a newer Unmetered (this one knows ${LEDGER_FORMAT_VERSION}); ` +
          `reading the lines it understands and not writing to it`,
      );
    }
  }

  /**
   * Adds a record to the view if its id is new or it has more tokens than the stored copy.
   * 'open': loading at open (duplicates counted); 'read': appended by someone since (reported by
   * refresh); 'own': just written by this ledger.
   */
  private ingest(r: Interaction, how: 'open' | 'read' | 'own', hash?: number): void {
    const o = this.view.offer(r, hash);
    if (o !== ADDED && how === 'open') this.stats.duplicateLines++;
    if (o === KEPT) return;
    this.version++;
    if (how === 'read') this.pending.set(r.id, r);
  }

  // ——— writing ———

  private async appendNow(records: readonly Interaction[], lines: Map<Interaction, string>): Promise<Interaction[]> {
    const written = new Set<Interaction>();
    for (const [name, group] of bySegment(records)) {
      const seg = this.segments.get(name) ?? this.newSegment(name);
      await this.createSegmentFile(seg);
      // Catch up first: another process may already have stored these ids. This also notices a
      // file deleted or replaced behind us, and drops our handle on its old inode.
      await this.readNew(seg, statNow(seg.file));
      const fh = await this.appendHandle(seg);
      const fresh = group.filter((r) => !this.view.absorbs(r) && moreComplete(r, this.get(r.id)));
      if (fresh.length === 0) continue;
      const before = fstatSync(fh.fd).size;
      const caughtUp = before === seg.offset && seg.skip === 0;
      const w = await this.writeDurably(seg, fh, fresh, lines, !caughtUp);
      for (const r of fresh) {
        this.ingest(r, 'own');
        written.add(r);
      }
      if (caughtUp) {
        // Our bytes directly follow what we had read: skip reading them back.
        const after = fstatSync(fh.fd).size;
        if (after === before + w.bytes) {
          seg.offset = seg.seen = after;
          seg.lines += fresh.length;
        }
      }
    }
    return records.filter((r) => written.has(r));
  }

  /**
   * Appends without the records (OpenLedgerOptions.index): the index says which copies are stored. Its
   * answer can be a moment old when another process appends the same id meanwhile: both copies are
   * then written, and every reader still keeps one (the view's rule), as with two writers racing.
   */
  private async appendLean(records: readonly Interaction[], lines: Map<Interaction, string>, idx: StoredCopies): Promise<Interaction[]> {
    const groups = bySegment(records);
    const stored = await idx.storedCopies([...groups.values()].flatMap((g) => g.map((r) => r.id)));
    const written = new Set<Interaction>();
    for (const [name, group] of groups) {
      const fresh = group.filter((r) => moreComplete(r, stored.get(r.id)));
      if (fresh.length === 0) continue;
      const seg = this.segments.get(name) ?? this.newSegment(name);
      await this.createSegmentFile(seg);
      const st = statNow(seg.file);
      // Replaced behind us: append to the file that is there now, never to an unlinked one.
      if (seg.handle && st && fstatSync(seg.handle.fd).ino !== st.ino) await this.dropHandle(seg);
      seg.headerVersion ??= await headerVersionOf(seg.file);
      const fh = await this.appendHandle(seg);
      const before = fstatSync(fh.fd).size;
      const w = await this.writeDurably(seg, fh, fresh, lines, true);
      this.version++;
      const after = fstatSync(fh.fd);
      // Our bytes alone, right where the file ended: the index may take them from here.
      if (idx.appended && !w.repaired && after.size === before + w.bytes) {
        const ls = fresh.map((r) => lines.get(r)!);
        await idx.appended({
          segment: name,
          ino: after.ino,
          from: before,
          to: after.size,
          mtimeMs: after.mtimeMs,
          records: fresh,
          lines: ls,
          fh,
        });
      }
      for (const r of fresh) written.add(r);
    }
    return records.filter((r) => written.has(r));
  }

  /**
   * One write of the batch, then fdatasync; returns the bytes written, and whether they began with the
   * newline that terminates a torn line. `check`: the end of the file was not read, so look whether it is
   * a torn line first.
   */
  private async writeDurably(
    seg: Segment,
    fh: FileHandle,
    fresh: Interaction[],
    lines: Map<Interaction, string>,
    check: boolean,
  ): Promise<{ bytes: number; repaired: boolean }> {
    // A torn tail (left by a crash or a full disk) is terminated by this batch's first byte, so
    // the repair needs no write of its own and happens only when writing works again.
    const torn = check && (await lastByte(fh, fstatSync(fh.fd).size)) !== 10;
    const batch = fresh.map((r) => lines.get(r)!);
    const buf = encodeBatch(batch, torn);
    await writeBatch(fh, buf, seg.file);
    if (torn) this.noteRepair(seg);
    try {
      await fh.datasync();
    } catch (e) {
      throw new UnmeteredError('E_LEDGER_WRITE', `could not flush ${seg.file} to disk: ${errorMessage(e)}`, { cause: e });
    }
    return { bytes: buf.length, repaired: torn };
  }

  /** An O_APPEND handle on the segment's current file (kept open for later appends). */
  private async appendHandle(seg: Segment): Promise<FileHandle> {
    if (seg.headerVersion !== null && seg.headerVersion > LEDGER_FORMAT_VERSION) {
      throw new UnmeteredError(
        'E_LEDGER_VERSION',
        `${seg.file} is in ledger format ${seg.headerVersion}, newer than this Unmetered (format ${LEDGER_FORMAT_VERSION}); update Unmetered to record into it`,
      );
    }
    if (!seg.handle) {
      try {
        seg.handle = await fsp.open(seg.file, 'a+');
      } catch (e) {
        throw new UnmeteredError('E_LEDGER_WRITE', `cannot open ${seg.file} for appending: ${errorMessage(e)}`, { cause: e });
      }
    }
    return seg.handle;
  }

  /**
   * Creates a segment file that already holds its header: written under a temporary name and
   * hard-linked into place, so no process can ever see (or append to) a header-less segment.
   */
  private async createSegmentFile(seg: Segment): Promise<void> {
    if (statNow(seg.file)) return;
    await this.makeDirs();
    const tmp = path.join(this.cacheDir, `${seg.name}.${process.pid}.${randomHex(4)}.new`);
    try {
      await fsp.writeFile(tmp, HEADER_LINE, { flush: true, mode: PRIVATE_FILE_MODE });
      await fsp.link(tmp, seg.file).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') return;
        // Filesystems without hard links: exclusive create; a racing writer may then put its
        // lines before our header, which readers accept.
        const fh = await fsp.open(seg.file, 'wx', PRIVATE_FILE_MODE).catch((e2: NodeJS.ErrnoException) => {
          if (e2.code === 'EEXIST') return null;
          throw e2;
        });
        if (fh) {
          await fh.appendFile(HEADER_LINE);
          await fh.datasync();
          await fh.close();
        }
      });
      await syncDir(this.segDir);
    } catch (e) {
      throw new UnmeteredError('E_LEDGER_WRITE', `cannot create ${seg.file}: ${errorMessage(e)}`, { cause: e });
    } finally {
      await fsp.rm(tmp, { force: true }).catch(() => {});
    }
  }

  private noteRepair(seg: Segment): void {
    this.stats.tornLinesRepaired++;
    this.logger.warn(`ledger: ${seg.file}:${seg.lines + 1}: terminated a torn last line (a writer stopped mid-write); it is skipped`);
  }

  // ——— plumbing ———

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new UnmeteredError('E_LEDGER_CLOSED', `the ledger in ${this.dir} is closed`);
  }
}

/** The most complete copy of each id in the batch (within a batch, too, it is the one that counts), by segment. */
function bySegment(records: readonly Interaction[]): Map<string, Interaction[]> {
  const best = new Map<string, Interaction>();
  for (const r of records) {
    if (moreComplete(r, best.get(r.id))) best.set(r.id, r);
  }
  const out = new Map<string, Interaction[]>();
  for (const r of best.values()) {
    const name = segmentOf(r.at);
    const list = out.get(name);
    if (list) list.push(r);
    else out.set(name, [r]);
  }
  return out;
}

/** The format version a segment's header line names, or null without one (a racing writer's lines came first). */
async function headerVersionOf(file: string): Promise<number | null> {
  const fh = await openForReading(file);
  if (!fh) return null;
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl < 0) return null;
    const p = decodeLine(buf.toString('utf8', 0, nl));
    return p.kind === 'header' ? p.version : null;
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}

interface Sink {
  record(r: Interaction): void;
  malformed(line: number, reason: string): void;
}

/** A read handle, or null when the file is gone; other failures are errors that name the file. */
async function openForReading(file: string): Promise<FileHandle | null> {
  try {
    return await fsp.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UnmeteredError('E_LEDGER_READ', `cannot read ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tooLong(bytes: number, max: number): string {
  return `a line of ${bytes} bytes is longer than the ${max}-byte limit for a ledger line (damaged or not written by Unmetered)`;
}

/**
 * stat() without an event-loop round trip. The append path uses it: under load (a gateway serving many
 * streams) each round trip waits for a whole loop turn, and four of them per batch made the group commit
 * fall a second behind; a stat of a local file's cached inode takes microseconds.
 */
function statNow(file: string): { size: number; ino: number } | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

async function lastByte(fh: FileHandle, size: number): Promise<number> {
  if (size === 0) return 10;
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, size - 1);
  return b[0]!;
}

/**
 * A batch's lines as the UTF-8 bytes of one write, after a newline when `newline`. Each line is encoded
 * into one buffer of the exact size: joining them into one string first copied every byte once more (a
 * first import, 8 alternating runs: CPU median 3.51 -> 3.45 s on 92k interactions, 2.11 -> 2.07 s on 29k).
 */
export function encodeBatch(lines: readonly string[], newline: boolean): Buffer {
  let bytes = newline ? 1 : 0;
  for (const l of lines) bytes += Buffer.byteLength(l, 'utf8');
  const buf = Buffer.allocUnsafe(bytes);
  let at = newline ? buf.write('\n', 0) : 0;
  for (const l of lines) at += buf.write(l, at, 'utf8');
  return buf;
}

/** One write() for the whole batch; a short write (disk full) is an error, never continued. */
async function writeBatch(fh: FileHandle, buf: Buffer, file: string): Promise<void> {
  let n: number;
  try {
    ({ bytesWritten: n } = await fh.write(buf, 0, buf.length, null));
  } catch (e) {
    throw new UnmeteredError('E_LEDGER_WRITE', `could not append to ${file}: ${errorMessage(e)}`, { cause: e });
  }
  // Continuing would let another process's lines land inside ours; the torn tail is repaired instead.
  if (n !== buf.length)
    throw new UnmeteredError('E_LEDGER_WRITE', `could not append to ${file}: wrote ${n} of ${buf.length} bytes (is the disk full?)`);
}

async function syncDir(dir: string): Promise<void> {
  // Makes a new file's directory entry durable; not possible (nor needed) on Windows.
  const fh = await fsp.open(dir, 'r').catch(() => null);
  await fh?.sync().catch(() => {});
  await fh?.close();
}

export interface WatchOptions {
  /** Polling period, the fallback when file events are missed or unavailable. Default 500 ms. */
  intervalMs?: number;
}

/**
 * Calls `onChange` whenever the ledger's view changed — records appended by another process (seen
 * through fs.watch, or by polling at least every `intervalMs`) or by this one.
 */
export function watchLedger(ledger: Ledger, onChange: () => void, opts: WatchOptions = {}): { dispose(): void } {
  let seen = ledger.version;
  let running = false;
  let again = false;
  let disposed = false;
  let lastError = '';
  const tick = async (): Promise<void> => {
    if (disposed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await ledger.refresh();
        lastError = '';
      } while (again && !disposed);
    } catch (e) {
      const err = e as UnmeteredError;
      if (err.code === 'E_LEDGER_CLOSED') stop();
      else if (!disposed && err.message !== lastError)
        ledger.logger.warn(`ledger: watching ${ledger.dir}: could not read new records: ${err.message}`);
      lastError = err.message;
    } finally {
      running = false;
    }
    if (!disposed && ledger.version !== seen) {
      seen = ledger.version;
      onChange();
    }
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = fsWatch(path.join(ledger.dir, 'ledger'), { persistent: false }, () => void tick());
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null; // e.g. out of inotify watches: polling still works
  }
  const timer = setInterval(() => void tick(), opts.intervalMs ?? 500);
  timer.unref();
  function stop(): void {
    disposed = true;
    clearInterval(timer);
    watcher?.close();
  }
  return { dispose: stop };
}
