/**
 * The importer: finds every enabled agent's logs, reads what is new in each (tailer.ts), prices the
 * records and appends them to the ledger; then, live, watches the log folders (fs.watch, recursive
 * where supported, with polling as the fallback) so a new assistant line reaches the ledger within
 * a second. Offsets are saved in the data directory only after the records they cover are stored.
 */
import { stat } from 'node:fs/promises';
import { existsSync, lstatSync, realpathSync, statSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Interaction } from '../interaction';
import { monotonicMs, type Logger } from '../ports';
import type { Recorder } from '../record/recorder';
import { ADAPTERS } from '../agents/registry';
import { DEFAULTS_TOKEN, defaultSourceSettings, type SourceSettings } from '../agents/sourceSettings';
import { Offsets } from './offsets';
import { readInWorkers, WorkerPool } from './parallel';
import { ImportStore } from './store';
import { readFileUpdate, type FileUpdate } from './tailer';
import type { RootContext, SourceAdapter, SourceId } from '../agents/types';
import { expandHome } from '../agents/util';
import { DEFAULT_WALK_DEPTH, walkRoot, type WalkResult } from './walk';
import { QUICK_FILE, QuickDigest, readQuick, saveQuick } from './quick';
import { StatsKept, type KeptStat } from './statsKept';
import { errorMessage } from '../errors';
import { agentCostOf } from '../ledger/rollup';

export interface ImporterOptions extends RootContext {
  /** Where the offsets file lives (the ledger's data directory). */
  dataDir: string;
  /** Prices and stores what is read (the same recorder the gateway and the chat use). */
  recorder: Recorder;
  logger: Logger;
  /** Normalised settings (settings.ts); default: every source on, default locations. */
  settings?: SourceSettings;
  adapters?: readonly SourceAdapter[];
  /** Longest line read (bigger ones are skipped and counted as malformed). */
  maxLineBytes?: number;
  /**
   * The bundled worker entry (dist/sources-worker.js). When given, a scan with at least
   * `parallelMinBytes` to read (a first import of a long history) reads and parses in worker
   * threads while this thread prices and stores; without it everything runs on this thread.
   */
  workerScript?: string;
  /** Worker threads for a big scan (default: one per core beside this thread's, which prices and stores; 1 to 2). */
  workers?: number;
  /** Bytes to read below which no worker is started (default 64 MiB): starting one costs ~30 ms. */
  parallelMinBytes?: number;
  /**
   * Whether scan() reports per-source status (it counts the ledger's records, so loads them all).
   * Default true; a report answered from the rollup passes false and gets `sources: []`.
   */
  sourcesInSummary?: boolean;
  /**
   * The per-agent counts status() shows, from somewhere that holds them without the records (the extension
   * host's rollup: core/aggregate/sources.ts); null when it cannot answer. Absent: status() loads the ledger.
   */
  logCounts?: () => Promise<Map<string, LogCounts> | null>;
  /** Told what a scan that found nothing new checked (a CLI answer kept for the next run: src/cli/answers.ts). */
  watch?: ScanWatch;
  /**
   * Which standing warnings were told already (a link not followed, a walk's limit, a log that cannot be read: each
   * found again by every scan until someone acts). Default: each once in this importer's life. The CLI, whose runs
   * are each a process, keeps them a day when a prompt or a script runs it (src/cli/told.ts).
   */
  told?: Told;
}

/** Which warnings were told: a scan that finds the same again says it only when `first` says so. */
export interface Told {
  /** True the first time `key` is asked (it is then told), false while it counts as told. */
  first(key: string): boolean;
}

/** Each key told once, for as long as this lives. */
export function toldOnce(): Told {
  const told = new Set<string>();
  return { first: (key) => !told.has(key) && (told.add(key), true) };
}

/** What identifies a log file as read: unchanged, it has nothing new. */
export interface CoveredStat {
  ino: number;
  size: number;
  mtimeMs: number;
}

/** What a scan checked, for a caller that keeps its answer while none of it changes. */
export interface ScanWatch {
  /** Each folder discovery looked in: read, unreadable, or (a root) missing. */
  dir(path: string): void;
  /**
   * Every log file found, each as the ledger now covers it (its stat when its offsets were last saved): told after a
   * quick check that found nothing new, or after a scan that saved the offsets of every file; not told otherwise.
   */
  covered(files: readonly (readonly [file: string, st: CoveredStat])[]): void;
}

/** Per agent: interactions read from its logs, and where its log states a cost, its sum and ours for the same records. */
export interface LogCounts {
  interactions: number;
  agentCost: { agentNanos: number; ourNanos: number } | null;
}

export interface RootStatus {
  path: string;
  exists: boolean;
}

export interface SourceStatus {
  id: SourceId;
  label: string;
  enabled: boolean;
  /** The folders searched, and whether each exists now. */
  roots: RootStatus[];
  /** Log files found. */
  files: number;
  /** Records of this agent read from logs and held in the ledger. */
  interactions: number;
  /** Malformed lines skipped in the files found (persisted across restarts). */
  malformedLines: number;
  /** Over the records priced by our table whose agent also recorded a cost: its sum and ours (nanos). */
  agentCost?: { agentNanos: number; ourNanos: number };
}

export interface ImportSummary {
  durationMs: number;
  filesSeen: number;
  filesRead: number;
  bytesRead: number;
  /** Records parsed from the logs (content-block copies included). */
  recordsParsed: number;
  /** Interactions written to the ledger (new, or more complete than the stored copy). */
  written: number;
  malformedLines: number;
  /** Worker threads the scan read files in: 0 when it read every file on the calling thread (or none). */
  threads: number;
  sources: SourceStatus[];
}

/** How far a scan is: files looked at (read, or found unchanged) of those found, and bytes read so far. */
export interface ImportProgress {
  filesDone: number;
  files: number;
  bytesRead: number;
}

export interface ScanOptions {
  /** Called after each file; cheap to call, so the caller decides how often to show it. */
  onProgress?: (p: ImportProgress) => void;
  /**
   * These files alone, in this order, and no folder walked: for a caller told which logs changed (Claude Code names
   * its transcript to its status line). A file is read only where a scan would find it (sourceOf); others are passed
   * over. The offsets of other files are kept as they are.
   */
  only?: readonly string[];
}

export interface WatchOptions {
  /** Called after records reach the ledger. */
  onImported?(written: Interaction[]): void;
  /** Polling period when file events are unavailable (default 1000 ms). */
  pollMs?: number;
  /** Polling period while file events work: a safety net for missed events and new folders (default 15 s). */
  safetyPollMs?: number;
}

/** A live import: dispose() stops it; its promise settles once a read under way and the last offsets save are done. */
export interface Watching {
  dispose(): Promise<void>;
}

const SQLITE_SIDE_FILE = /-(wal|journal)$/;

interface Tally {
  filesRead: number;
  bytesRead: number;
  recordsParsed: number;
  written: number;
  malformed: number;
  threads: number;
}

/** Adds `n` interactions of `agent`, and a stated cost with ours when there is one (theirs null: none). */
export function addLogCount(m: Map<string, LogCounts>, agent: string, n: number, theirs: number | null, ours: number | null): void {
  let c = m.get(agent);
  if (!c) m.set(agent, (c = { interactions: 0, agentCost: null }));
  c.interactions += n;
  if (theirs === null) return;
  c.agentCost ??= { agentNanos: 0, ourNanos: 0 };
  c.agentCost.agentNanos += theirs;
  c.agentCost.ourNanos += ours ?? 0;
}

export class Importer {
  private readonly adapters: readonly SourceAdapter[];
  private readonly settings: SourceSettings;
  private readonly offsets: Offsets;
  private readonly store: ImportStore;
  /** Files found at the last discovery, by adapter. */
  private known = new Map<string, SourceAdapter>();
  /**
   * The same, in order (`known` is made from it). The loops over every file found (thousands) run once per
   * command, in the interpreter, where `for (const [f, a] of map)` allocates an entry and a result object per
   * file (~0.65 MB for 2,800 files, each loop): they index this instead.
   */
  private knownInOrder: readonly (readonly [file: string, adapter: SourceAdapter])[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  /** Standing warnings already told: links and limits found by discovery, logs that could not be read. */
  private readonly told: Told;
  private saveTimer: NodeJS.Timeout | null = null;
  /** Stats parallel() took in this scan, used once by readOne (a line appended since is read by the next scan). */
  private sized = new StatsKept();
  /** Per agent, the malformed lines of the offsets a passed quick check vouched for (while they stay unread). */
  private quickMalformed: Record<string, number> | null = null;

  constructor(private readonly opts: ImporterOptions) {
    this.adapters = opts.adapters ?? ADAPTERS;
    this.settings = opts.settings ?? defaultSourceSettings();
    this.offsets = new Offsets(opts.dataDir, opts.logger);
    this.told = opts.told ?? toldOnce();
    this.store = new ImportStore(opts.recorder);
  }

  /** The folders searched for one source: configured ones (with `<defaults>` meaning the defaults), else the defaults. */
  rootsOf(a: SourceAdapter): string[] {
    const configured = this.settings[a.id]?.paths ?? [];
    const roots: string[] = [];
    if (configured.length === 0 || configured.includes(DEFAULTS_TOKEN)) roots.push(...a.defaultRoots(this.opts));
    for (const p of configured) if (p !== DEFAULTS_TOKEN) roots.push(...a.rootsFromSetting(path.resolve(expandHome(p, this.opts.home))));
    return [...new Set(roots)];
  }

  enabled(): SourceAdapter[] {
    return this.adapters.filter((a) => this.settings[a.id]?.enabled !== false);
  }

  /** Reads everything new in every enabled source's logs into the ledger. */
  scan(sopts: ScanOptions = {}): Promise<ImportSummary> {
    return this.serial(async () => {
      const t0 = monotonicMs();
      const tally: Tally = { filesRead: 0, bytesRead: 0, recordsParsed: 0, written: 0, malformed: 0, threads: 0 };
      // A scan reports how many were written, not which: the records are not kept till the end.
      this.store.keepWritten = false;
      let seen = 0;
      const { only } = sopts;
      if (only) {
        tally.written += (await this.readThenSettle(async () => void (seen = await this.readOnly(only, tally)))).count;
        // Saved as a journal line per file read: a quick digest saved before no longer names the offsets (quick.ts).
        await this.offsets.save();
      } else {
        tally.written += (await this.readThenSettle(() => this.readAll(tally, sopts.onProgress))).count;
        this.offsets.prune(this.known);
        if ((await this.offsets.save()) && this.offsets.loaded) await this.saveQuick();
        seen = this.known.size;
      }
      return {
        durationMs: Math.round(monotonicMs() - t0),
        filesSeen: seen,
        ...tally,
        malformedLines: tally.malformed,
        sources: this.opts.sourcesInSummary === false ? [] : await this.status(),
      };
    });
  }

  /** Reads what `files` gained (ScanOptions.only), each that a scan would find; returns how many those are. */
  private async readOnly(files: readonly string[], tally: Tally): Promise<number> {
    await this.offsets.load();
    // Each enabled source's folders, as a scan names them and as they really are: found once for all the files.
    const roots: [SourceAdapter, string, string][] = [];
    for (const a of this.enabled())
      for (const root of this.rootsOf(a)) {
        try {
          roots.push([a, path.normalize(root), realpathSync.native(root)]);
        } catch {
          // not there: nothing of it to read
        }
      }
    let seen = 0;
    for (const file of files) {
      const found = sourceOf(file, roots);
      if (!found) continue;
      seen++;
      await this.readOne(found[0], found[1], tally);
    }
    return seen;
  }

  /** Reads every file found: in worker threads when that pays, then here whatever they did not hand back. */
  private async readAll(tally: Tally, onProgress?: (p: ImportProgress) => void): Promise<void> {
    const found = !this.offsets.loaded && (await this.unchanged());
    if (found === true) {
      const { watch } = this.opts;
      if (watch) {
        const files: (readonly [string, KeptStat])[] = [];
        for (let i = 0; i < this.knownInOrder.length; i++) {
          const f = this.knownInOrder[i]![0];
          const st = this.sized.get(f);
          if (st) files.push([f, st]);
        }
        watch.covered(files);
      }
      this.sized.clear();
      return;
    }
    const state = await this.offsets.load();
    // No offsets, and logs to read: a first import, likely of a long history. The threads start
    // while files are looked for.
    let pool = this.opts.workerScript && state.size === 0 && (await this.anyRoot()) ? this.startWorkers() : null;
    const done = new Set<string>();
    const progress = () => onProgress?.({ filesDone: done.size, files: this.known.size, bytesRead: tally.bytesRead });
    try {
      if (!found) await this.discover(); // else unchanged() found them, and took their stats
      if (this.parallel() && (pool ??= this.startWorkers())) {
        const workers = pool;
        pool = null; // the read stops them
        tally.threads = workers.workers.length;
        await readInWorkers(workers, {
          files: this.knownInOrder,
          state,
          logger: this.opts.logger,
          maxLineBytes: this.opts.maxLineBytes,
          onRecords: (records) => this.store.take(records),
          onFile: (file, upd) => {
            done.add(file);
            this.noteRead(file, upd, tally);
            progress();
          },
        }).catch((err) => {
          if (this.store.broken) throw err;
          // Files handed back keep their records and offsets; this thread reads the rest below.
          this.opts.logger.warn(`agent logs: reading in worker threads failed (${errorMessage(err)}); reading on the main thread instead`);
        });
      }
    } finally {
      pool?.stop();
    }
    let slice = monotonicMs();
    let unread = 0;
    try {
      const list = this.knownInOrder;
      for (let i = 0; i < list.length; i++) {
        const file = list[i]![0];
        const adapter = list[i]![1];
        if (done.has(file)) continue;
        // A file as its offsets left it (the stat taken this scan): nothing to read, and no await for it.
        // Thousands of those are a microsecond or two each: the clock is looked at after every read,
        // and once per 64 of them.
        const unchanged = this.unchangedFile(file, adapter);
        if (!unchanged) await this.readOne(file, adapter, tally);
        done.add(file);
        progress();
        if (unchanged && ++unread % 64 !== 0) continue;
        // Reads are synchronous: hand the event loop back every few milliseconds (an editor runs
        // here), and more often while appends are under way: each is file operations one after
        // another, each needing a turn of the loop, and should finish before the next batch is ready.
        if (monotonicMs() - slice > (this.store.busy ? 2 : 15)) {
          await new Promise((r) => setImmediate(r));
          slice = monotonicMs();
        }
      }
    } finally {
      this.sized.clear(); // a later read (live mode) takes its own stat
    }
  }

  /** Per-source figures for the tooltip and the report. */
  async status(): Promise<SourceStatus[]> {
    // A scan that found nothing new left the offsets unread: the digest it checked holds their malformed counts.
    const quick = !this.offsets.loaded ? this.quickMalformed : null;
    if (!quick) await this.offsets.load();
    const counts = (await this.opts.logCounts?.()) ?? (await this.countLogRecords());
    // One pass over the files found (thousands), not one per source.
    const files = new Map<SourceAdapter, number>();
    const malformed = new Map<SourceAdapter, number>();
    const list = this.knownInOrder;
    for (let i = 0; i < list.length; i++) {
      const file = list[i]![0];
      const a = list[i]![1];
      files.set(a, (files.get(a) ?? 0) + 1);
      if (!quick) malformed.set(a, (malformed.get(a) ?? 0) + (this.offsets.get(file)?.malformed ?? 0));
    }
    const out: SourceStatus[] = [];
    for (const a of this.adapters) {
      const enabled = this.settings[a.id]?.enabled !== false;
      const roots = await Promise.all(this.rootsOf(a).map(async (p) => ({ path: p, exists: await isDir(p) })));
      const s: SourceStatus = {
        id: a.id,
        label: a.label,
        enabled,
        roots,
        files: files.get(a) ?? 0,
        interactions: counts.get(a.agent)?.interactions ?? 0,
        malformedLines: quick ? (quick[a.id] ?? 0) : (malformed.get(a) ?? 0),
      };
      const c = counts.get(a.agent)?.agentCost;
      if (c) s.agentCost = c;
      out.push(s);
    }
    return out;
  }

  private async countLogRecords(): Promise<Map<string, LogCounts>> {
    const ledger = await this.opts.recorder.ledger();
    await ledger.load();
    const out = new Map<string, LogCounts>();
    for (const r of ledger.records()) {
      if (r.source !== 'log') continue;
      addLogCount(out, r.agent, 1, agentCostOf(r), r.costNanos);
    }
    return out;
  }

  /**
   * Live mode: picks up appended lines and new files as they are written. The returned handle
   * stops watching; call scan() first for the history.
   */
  watch(wopts: WatchOptions = {}): Watching {
    const watchers: FSWatcher[] = [];
    let disposed = false;
    let degraded = false;
    const dirty = new Set<string>();
    let rediscover = false;
    let timer: NodeJS.Timeout | null = null;
    let scheduled = false;

    const run = () => {
      if (disposed || scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void this.serial(async () => {
          if (disposed) return;
          const tally: Tally = { filesRead: 0, bytesRead: 0, recordsParsed: 0, written: 0, malformed: 0, threads: 0 };
          this.store.keepWritten = true;
          const { records: written } = await this.readThenSettle(async () => {
            // No state: a failed append made it forget its offsets; the saved ones are read again.
            if (rediscover || !this.offsets.loaded) {
              rediscover = false;
              const before = new Set(this.known.keys());
              await this.discover();
              for (const f of this.known.keys()) if (!before.has(f)) dirty.add(f);
            }
            const files = [...dirty];
            dirty.clear();
            for (const f of files) {
              const a = this.known.get(f);
              if (a) await this.readOne(f, a, tally);
            }
          });
          if (written.length) wopts.onImported?.(written);
          if (!disposed) this.saveStateSoon();
        }).catch((err) => this.opts.logger.warn(`agent logs: reading new lines failed: ${errorMessage(err)}`));
      });
    };

    const poll = () => {
      rediscover = true;
      for (const f of this.known.keys()) dirty.add(f);
      run();
    };

    const startTimer = () => {
      if (timer) clearInterval(timer);
      timer = setInterval(poll, degraded ? (wopts.pollMs ?? 1000) : (wopts.safetyPollMs ?? 15_000));
      timer.unref?.();
    };

    for (const a of this.enabled()) {
      for (const root of this.rootsOf(a)) {
        try {
          const w = fsWatch(root, { recursive: !a.shallow, persistent: false }, (_event, name) => {
            if (disposed) return;
            // A SQLite database changes through its write-ahead log until a checkpoint.
            const file = name ? path.join(root, name.toString()).replace(SQLITE_SIDE_FILE, '') : null;
            if (file && this.known.get(file)) dirty.add(file);
            else rediscover = true; // a new file or folder
            run();
          });
          w.on('error', () => {
            w.close();
            degraded = true;
            startTimer();
          });
          watchers.push(w);
        } catch (err) {
          // Missing folders are found by polling once they appear; other failures mean no events here.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') degraded = true;
        }
      }
    }
    if (watchers.length === 0) degraded = true;
    startTimer();
    return {
      dispose: () => {
        disposed = true;
        if (timer) clearInterval(timer);
        for (const w of watchers) w.close();
        return this.saveNow();
      },
    };
  }

  /**
   * Saves the offsets now, after a read under way, in place of a save that was due: whoever awaits it (a
   * test about to delete the data folder) knows nothing writes there afterwards. save() reports its own failure.
   */
  private saveNow(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    return this.serial(() => this.offsets.save()).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Runs work one at a time: reads, appends and state saves never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private async discover(): Promise<void> {
    await this.offsets.load();
    await this.find();
  }

  /**
   * The quick check (quick.ts), before any offset is loaded: finds the files and stats each (the stats
   * are kept for the read, when it comes). True: the saved digest is theirs, nothing is new. Else
   * 'found' (the files are found, and read as usual) or false (no digest saved: nothing done yet).
   */
  private async unchanged(): Promise<true | 'found' | false> {
    const saved = readQuick(this.opts.dataDir);
    this.quickMalformed = null;
    if (saved === null) return false;
    await this.find();
    const digest = new QuickDigest();
    let usable = true;
    const list = this.knownInOrder;
    for (let i = 0; i < list.length; i++) {
      const f = list[i]![0];
      const a = list[i]![1];
      const st = statSync(f, { throwIfNoEntry: false });
      if (!st) {
        usable = false;
        continue;
      }
      this.sized.set(f, st);
      if (a.readMode(f) === 'sqlite') usable = false;
      else digest.add(f, a.id, st);
    }
    if (!usable || digest.value() !== saved.digest) return 'found';
    this.quickMalformed = saved.malformed;
    return true;
  }

  /** After a scan whose offsets are saved: the digest of what they cover, when they cover every file found. */
  private async saveQuick(): Promise<void> {
    const digest = new QuickDigest();
    const malformed: Record<string, number> = {};
    const list = this.knownInOrder;
    for (let i = 0; i < list.length; i++) {
      const f = list[i]![0];
      const a = list[i]![1];
      const s = this.offsets.get(f);
      if (!s || a.readMode(f) === 'sqlite') return;
      digest.add(f, a.id, s);
      if (s.malformed) malformed[a.id] = (malformed[a.id] ?? 0) + s.malformed;
    }
    this.opts.watch?.covered(list.map(([f]) => [f, this.offsets.get(f)!] as const));
    const quick = { digest: digest.value(), malformed };
    const saved = readQuick(this.opts.dataDir);
    if (saved?.digest === quick.digest && sameCounts(saved.malformed, malformed)) return;
    try {
      await saveQuick(this.opts.dataDir, quick);
    } catch (err) {
      this.opts.logger.warn(
        `agent logs: could not save ${QUICK_FILE} in ${this.opts.dataDir} (${errorMessage(err)}); the next run checks every file's offsets`,
      );
    }
  }

  /** Finds the enabled sources' files (this.known), without loading offsets. */
  private async find(): Promise<void> {
    const found: [string, SourceAdapter, number][] = [];
    const { watch } = this.opts;
    const onDir = watch && ((dir: string) => watch.dir(dir));
    for (const a of this.enabled()) {
      const files = new Set<string>();
      const limits = a.shallow ? { maxDepth: 0, onDir } : { onDir };
      for (const root of this.rootsOf(a)) this.noteWalk(root, await walkRoot(root, (f) => a.matches(f) && files.add(f), limits));
      // Each source's files put in order here (order, then path) by sorts that compare natively: the sort
      // below, which merges the sources, then calls its comparator about once a file instead of ~10 times
      // (2,768 files: ~28k calls, ~2 ms of a re-run in the interpreter).
      const byOrder = new Map<number, string[]>();
      files.forEach((f) => {
        const sup = a.supersededBy?.(f);
        if (sup && files.has(sup)) return;
        const o = a.order?.(f) ?? 0;
        const group = byOrder.get(o);
        if (group) group.push(f);
        else byOrder.set(o, [f]);
      });
      const orders = Float64Array.from(byOrder.keys()).sort();
      for (let k = 0; k < orders.length; k++) {
        const group = byOrder.get(orders[k]!)!.sort();
        for (let i = 0; i < group.length; i++) found.push([group[i]!, a, orders[k]!]);
      }
    }
    found.sort((x, y) => x[2] - y[2] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    this.knownInOrder = found.map((x) => [x[0], x[1]] as const);
    this.known = new Map(this.knownInOrder);
  }

  /** Says once per link (and per limit) what the walk left out: a rescan must not repeat it. */
  private noteWalk(root: string, r: WalkResult): void {
    for (const l of r.skippedLinks) {
      const key = `${l.path}\0${l.target}`;
      if (this.told.first(key)) this.opts.logger.warn(`agent logs: not following the link ${l.path} -> ${l.target ?? '?'}: ${l.why}`);
    }
    if (r.limit && this.told.first(`${root}\0limit\0${r.limit}`)) {
      this.opts.logger.warn(`agent logs: ${root}: ${r.limit}`);
    }
  }

  private async anyRoot(): Promise<boolean> {
    for (const a of this.enabled()) for (const root of this.rootsOf(a)) if (await isDir(root)) return true;
    return false;
  }

  /** Worker threads, when a worker script was given and they start; else null (everything runs here). */
  private startWorkers(): WorkerPool | null {
    if (!this.opts.workerScript) return null;
    try {
      // This thread prices and stores what the workers parse: on 2 cores a second worker only takes
      // turns with it, costing CPU time and an isolate's memory for no gain in wall time.
      return new WorkerPool(this.opts.workerScript, this.opts.workers ?? Math.max(1, Math.min(2, availableParallelism() - 1)));
    } catch (err) {
      this.opts.logger.warn(`agent logs: could not start worker threads (${errorMessage(err)}); reading on the main thread`);
      return null;
    }
  }

  /** Whether this scan reads in worker threads: a worker script, the built-in adapters, and much to read. */
  private parallel(): boolean {
    const { workerScript, parallelMinBytes = 64 * 1024 * 1024 } = this.opts;
    if (!workerScript || !this.enabled().every((a) => ADAPTERS.includes(a))) return false;
    let bytes = 0;
    for (const f of this.known.keys()) {
      // Kept for readOne: an unchanged file then costs one stat in the whole scan, not two.
      let size = this.sized.size(f);
      if (size === undefined) {
        const st = statSync(f, { throwIfNoEntry: false });
        if (st) this.sized.set(f, st);
        size = st?.size;
      }
      if (size !== undefined) bytes += Math.max(0, size - (this.offsets.get(f)?.offset ?? 0));
      if (bytes >= parallelMinBytes) return true;
    }
    return false;
  }

  /** Whether this scan's stat of `file` is the one its offsets hold (readFileUpdate's quick check, without the call). */
  private unchangedFile(file: string, adapter: SourceAdapter): boolean {
    if (!this.sized.same(file, this.offsets.get(file)) || adapter.readMode(file) === 'sqlite') return false;
    this.sized.delete(file);
    return true;
  }

  private async readOne(file: string, adapter: SourceAdapter, tally: Tally): Promise<void> {
    let upd;
    const stat = this.sized.get(file);
    this.sized.delete(file);
    try {
      upd = await readFileUpdate(file, adapter, this.offsets.get(file), {
        stat,
        logger: this.opts.logger,
        maxLineBytes: this.opts.maxLineBytes,
        onRecords: (records) => this.store.take(records),
      });
    } catch (err) {
      if (this.store.broken) throw err; // storing failed, not reading
      const why = errorMessage(err);
      if (this.told.first(`${file}\0unreadable\0${why}`)) this.opts.logger.warn(`${file}: could not be read (${why}); trying again later`);
      return;
    }
    this.noteRead(file, upd, tally);
  }

  private noteRead(file: string, upd: FileUpdate | null, tally: Tally): void {
    if (!upd) return;
    this.offsets.set(file, upd.state);
    tally.filesRead++;
    tally.bytesRead += upd.bytesRead;
    tally.recordsParsed += upd.records;
    tally.malformed += upd.malformed;
  }

  /** Runs a read, then waits until what it stored is durable (settle); a failed append is what it throws. */
  private async readThenSettle(read: () => Promise<void>): Promise<{ records: Interaction[]; count: number }> {
    try {
      await read();
    } catch (err) {
      await this.settle(); // throws an append's failure, the cause of this one; else waits for what is under way
      throw err;
    }
    return this.settle();
  }

  /**
   * Stores everything pending and waits until it is durable; returns what was written since the
   * last call. When an append failed, throws its error and forgets the offsets read since the last
   * save: they may be ahead of what is stored, while the saved ones are behind it (re-reading
   * lines already stored counts nothing twice).
   */
  private async settle(): Promise<{ records: Interaction[]; count: number }> {
    try {
      return await this.store.settle();
    } catch (err) {
      this.offsets.forget();
      throw err;
    }
  }

  private saveStateSoon(): void {
    if (this.saveTimer || !this.offsets.unsaved) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.serial(() => this.offsets.save()).catch(() => {});
    }, 1000);
    this.saveTimer.unref?.();
  }
}

/**
 * `file` as a scan names it, with the source that reads it, when a scan of `roots` (source, folder, its real path)
 * would find it there: a regular file (not a link) the source matches and does not supersede, in one of its folders
 * no deeper than a walk goes, with no link between that folder and the file (walkRoot follows none below a root).
 * Undefined for any other path: one a caller names is not trusted to lie where logs are.
 */
function sourceOf(file: string, roots: readonly [SourceAdapter, string, string][]): [string, SourceAdapter] | undefined {
  if (!path.isAbsolute(file)) return undefined;
  const f = path.normalize(file);
  let real: string;
  try {
    if (!lstatSync(f).isFile()) return undefined;
    real = realpathSync.native(f);
  } catch {
    return undefined;
  }
  for (const [a, root, realRoot] of roots) {
    if (!a.matches(f)) continue;
    const sup = a.supersededBy?.(f);
    if (sup && existsSync(sup)) continue;
    const rel = path.relative(root, f);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) continue;
    if (rel.split(path.sep).length - 1 > (a.shallow ? 0 : DEFAULT_WALK_DEPTH)) continue;
    if (path.join(realRoot, rel) === real) return [f, a];
  }
  return undefined;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export function createImporter(opts: ImporterOptions): Importer {
  return new Importer(opts);
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
