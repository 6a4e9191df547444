/**
 * A view's answer kept for the next run (<data dir>/cache/answers/): a shell prompt, a status line or a script that
 * runs `unmetered daily --json` again while nothing it depends on changed gets the same text back from the start-up
 * chunk, without loading the command's code, the rollup or the prices. On the 2,768-file long-lines history such a
 * re-run costs Node's start-up and a stat of each log file and folder.
 *
 * A view (daily, weekly, monthly, session, project, branch, repo) is a function of its arguments, the environment
 * variables it read, this build of Unmetered and of Node, the local day, the ledger, the mirrored settings, the
 * system's zone, and (through the import before it) the agents' logs. So is `status`, whose plan limits also change
 * with the clock alone (one grows stale 5 hours on, or its window resets): its answer holds until the first of those,
 * if that comes before midnight (status.ts). An answer is kept with each of those:
 *  - the arguments, the working and home folders, the code (both chunks' size, time and inode; Node's and its tz
 *    database's versions);
 *  - every variable the command read (ctx.env is watched; TZ and UNMETERED_NOW are read before it is); a command
 *    that lists the variables or changes one is not kept;
 *  - the instants the answer holds between: the local day of the view's zone (the only way "now" enters a view);
 *  - the settings file, /etc/localtime and the ledger's folder, stat'ed before the command reads them, and the
 *    ledger's files as they are after the import stored what was new (they only grow) and before the view reads;
 *  - the log files as the import's offsets cover them (import/quick.ts: each file's stat when its offsets were
 *    saved, so unchanged it has nothing new), and each folder the import looked in (a new file changes a folder's
 *    times), stat'ed after the walk: kept only when neither of its times is later than RACY_MS before the run
 *    began, so its entries were as they are when the walk read them (a file system's times have a granularity).
 * The next run compares each of those (a stat a file and a folder, as the import's own quick check does) and prints
 * the answer only when every one is as kept; anything else runs the command as usual, which keeps its answer anew.
 * An answer is kept only when the command succeeded, wrote nothing on standard error but the import's note of what
 * it stored (a warning is the run's to tell, not an answer's to repeat: told.ts), and printed to a pipe or a file (a
 * terminal's width and colours are not kept). Not on Windows, whose zone comes from the registry, which no stat
 * watches.
 *
 * An answer is two files: the answer (small: what is compared first, and the text) and its folders (the paths and
 * stats of every log folder, and the names of the files in each). A run whose kept answer differed only in the ledger
 * or a log file (an agent's turn) keeps the folders' file as it is and writes only the small one: while the folders'
 * stats are as they were, they hold the files that run found.
 */
import { lstatSync, readdirSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { replaceFileSync } from '../core/atomicFile';
import { readKept } from './readKept';
import { ensurePrivateDirSync } from '../core/privateFs';
import { Hash64 } from '../core/hash64';
import { randomHex } from '../core/lazy';
import type { CoveredStat, ScanWatch } from '../core/import/importer';
import type { CliContext, Output } from './context';

const VERSION = 1;
const DIR = path.join('cache', 'answers');
const FOLDERS_SUFFIX = '.dirs.json';
/** Answers kept at most (per data directory): one per view, options and folder a person runs. */
const KEPT = 16;
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_STDOUT_CHARS = 4 * 1024 * 1024;
/** The files compared first: the most recently changed (a run after an agent wrote differs there). */
const RECENT = 8;
/**
 * A folder is watched by its times only when both are older than this before the run began: an entry added in the
 * same tick of the file system's clock as a change before the walk leaves both times as they were (2 s on FAT).
 */
export const RACY_MS = 3000;
/** The commands whose answers are kept, each with the chunk its code is in (dist/cli-<chunk>.js). */
const ANSWERED: ReadonlyMap<string, string> = new Map([
  ...['daily', 'weekly', 'monthly', 'session', 'project', 'branch', 'repo'].map((v) => [v, 'views'] as const),
  ['status', 'status'],
]);

/** The chunk whose code answers `command` (one of ANSWERED). */
export const chunkOf = (command: string): string => ANSWERED.get(command) ?? command;

/** A file or folder as a stat found it: device, inode, size, modification and change times; null when missing. */
type Identity = [dev: number, ino: number, size: number, mtimeMs: number, ctimeMs: number] | null;
/** A path and how it is stat'ed ('s' following links, 'l' not), and what was found. */
type Watched = [path: string, how: 's' | 'l', id: Identity];
/** A file by its inode, size and modification time: what the import's quick check compares (import/quick.ts). */
type FileId = [path: string, ino: number, size: number, mtimeMs: number];
/** A file in a known folder: its name, inode, size and modification time. */
type NamedFile = readonly [name: string, ino: number, size: number, mtimeMs: number];

/** What is compared first, and the answer. */
interface Answer {
  version: number;
  argv: string[];
  cwd: string;
  home: string;
  code: string;
  env: [name: string, value: string | null][];
  from: number;
  until: number;
  paths: Watched[];
  /** The ledger's folder, its files' names joined by "/" (no name holds it), and their identities' digest. */
  ledger: [dir: string, id: Identity, names: string, digest: string] | null;
  recent: FileId[];
  /** Folders the import looked for and did not find (a root not made yet): each must still be missing. */
  absent: string[];
  /** The folders' file (Folders.id); "" when no log was looked at (--no-scan). */
  folders: string;
  /** The digest of the log files' identities (FileSet). */
  files: string;
  stdout: string;
}

/**
 * The log folders, packed into a few strings however many there are: one `JSON.parse` reads them without an object
 * per folder. Each has its parent's index (-1: its name is its whole path; else it is named under that folder), its
 * name, its identity, and the names of the files found in it.
 */
interface Folders {
  version: number;
  /** Named in the answer that uses these folders: the two files are one answer. */
  id: string;
  /** The parents' indexes, base64 of an Int32Array. */
  parents: string;
  /** The names, each ended by "\0" (no name holds it). */
  names: string;
  /** The identities, five numbers a folder, base64 of a Float64Array. */
  ids: string;
  /** Each folder's files' names joined by "/", each folder's list ended by "\0". */
  files: string;
}

/** A folder as the recorder holds it before packing. */
interface Folder {
  parent: number;
  name: string;
  id: NonNullable<Identity>;
  files: readonly NamedFile[];
}

/**
 * Files' identities as one digest, whatever their order: the sum of each one's hash (cyrb53's mixing, two 32-bit
 * lanes). For noticing change, as Hash64: no defence against a crafted collision. A file renamed, added or removed
 * changes its folder's times, which are compared on their own.
 */
class FileSet {
  private a = 0;
  private b = 0;

  add(ino: number, size: number, mtimeMs: number): void {
    const [x, y] = new Hash64(VERSION).number(ino).number(size).number(mtimeMs).words();
    this.a = (this.a + x) >>> 0;
    this.b = (this.b + y) >>> 0;
  }

  value(): string {
    return this.a.toString(16).padStart(8, '0') + this.b.toString(16).padStart(8, '0');
  }
}

function filesDigest(files: Iterable<NamedFile>): string {
  const set = new FileSet();
  for (const [, ino, size, mtimeMs] of files) set.add(ino, size, mtimeMs);
  return set.value();
}

/** Standard output or error, with what was written: the text, for a kept answer; how many writes, for error. */
export class Tee implements Output {
  kept: string[] | null = null;
  writes = 0;

  constructor(private readonly inner: Output) {}

  write(text: string): unknown {
    this.writes++;
    this.kept?.push(text);
    return this.inner.write(text);
  }

  get isTTY(): boolean | undefined {
    return this.inner.isTTY;
  }

  get columns(): number | undefined {
    return this.inner.columns;
  }
}

/** What a process gives its commands for kept answers (main.ts processContext). */
export interface AnswerPorts {
  /** Where the bundle's chunks are (dist/): see codeOf. */
  distDir: string;
  stdout: Tee;
  stderr: Tee;
}

/** This build of the start-up chunk and `command`'s chunk in `distDir`, and Node's and its tz database's versions. */
export function codeOf(distDir: string, version: string, command: string): string {
  const id = (f: string) => {
    const st = statSync(path.join(distDir, f), { throwIfNoEntry: false });
    return st ? `${st.size}:${st.mtimeMs}:${st.ino}` : 'none';
  };
  return [version, process.version, process.versions.tz, id('cli.js'), id(`cli-${command}.js`)].join('|');
}

function answerFile(dataDir: string, argv: readonly string[], cwd: string): string {
  const name = new Hash64(VERSION).text(JSON.stringify([argv, cwd])).hex();
  return path.join(dataDir, DIR, `${name}.json`);
}

const foldersFile = (answer: string) => answer.slice(0, -'.json'.length) + FOLDERS_SUFFIX;

function identity(st: Stats | undefined): Identity {
  return st ? [st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs] : null;
}

function statOf(p: string, how: 's' | 'l'): Identity {
  try {
    return identity(how === 'l' ? lstatSync(p, { throwIfNoEntry: false }) : statSync(p, { throwIfNoEntry: false }));
  } catch {
    return null;
  }
}

function sameIdentity(a: Identity, b: Identity): boolean {
  if (a === null || b === null) return a === b;
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4];
}

/** The regular files among `names` in `dir`, each with its inode, size and modification time. */
function filesIn(dir: string, names: readonly string[]): NamedFile[] {
  const files: NamedFile[] = [];
  for (const name of names) {
    const st = statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile()) files.push([name, st.ino, st.size, st.mtimeMs]);
  }
  return files;
}

/** Whether this run may use or keep an answer: a view, printed to a pipe or a file, not on Windows. */
export function answerable(ctx: CliContext, command: string): boolean {
  return ctx.answers !== undefined && ctx.platform !== 'win32' && ANSWERED.has(command) && ctx.stdout.isTTY === false;
}

/**
 * What an earlier run kept for `argv`: `answer` when everything it was kept with is as it was (else null: the
 * command runs), and `earlier`, the answer read, whose folders' file a run that finds the same folders and files
 * keeps as it is: only when what differs is the ledger or a log file (an agent's turn). Null otherwise (a variable,
 * the day, a setting, a folder missing then, one of the folders): then the run that answers stats every folder.
 */
export interface Kept {
  answer: string | null;
  earlier: Answer | null;
}

/** The answer kept for `argv`, checked (see Kept). */
export function keptAnswer(ctx: CliContext, argv: readonly string[], code: string): Kept {
  const none: Kept = { answer: null, earlier: null };
  let a: Answer | null;
  const file = answerFile(ctx.dataDir, argv, ctx.cwd);
  try {
    a = parseAnswer(readKept(file, MAX_FILE_BYTES));
  } catch {
    return none; // none yet, or not ours: the command answers
  }
  if (!a || a.code !== code || a.cwd !== ctx.cwd || a.home !== ctx.home || !sameArgv(a.argv, argv)) return none;
  try {
    for (const [name, value] of a.env) if ((ctx.env[name] ?? null) !== value) return none;
    const now = ctx.clock.now();
    if (!(now >= a.from && now < a.until)) return none;
    for (const [p, how, id] of a.paths) if (!sameIdentity(statOf(p, how), id)) return none;
    for (const d of a.absent) if (statOf(d, 's') !== null) return none;
    // The variables and settings that say which folders are walked are as they were, and so is each one missing
    // then: what differs from here on is in the ledger or the logs' files, and the earlier answer's folders stand.
    const earlier: Kept = { answer: null, earlier: a };
    if (a.ledger) {
      const [dir, id, names, d] = a.ledger;
      if (!sameIdentity(statOf(dir, 's'), id)) return earlier;
      const kept = names === '' ? [] : names.split('/');
      const files = filesIn(dir, kept);
      if (files.length !== kept.length || filesDigest(files) !== d) return earlier;
    }
    for (const [f, ino, size, mtimeMs] of a.recent) {
      const st = statSync(f, { throwIfNoEntry: false });
      if (!st || st.ino !== ino || st.size !== size || st.mtimeMs !== mtimeMs) return earlier;
    }
    if (a.folders === '') return { answer: a.stdout, earlier: a };
    const f = unpack(readKept(foldersFile(file), MAX_FILE_BYTES), a.folders);
    if (!f) return none;
    const set = new FileSet();
    const dirs: string[] = [];
    for (let i = 0; i < f.parents.length; i++) {
      const parent = f.parents[i];
      const dir = parent < 0 ? f.names[i] : dirs[parent] + path.sep + f.names[i];
      dirs.push(dir);
      const st = statSync(dir, { throwIfNoEntry: false });
      const at = i * 5;
      if (!st || st.dev !== f.ids[at] || st.ino !== f.ids[at + 1] || st.size !== f.ids[at + 2]) return none;
      if (st.mtimeMs !== f.ids[at + 3] || st.ctimeMs !== f.ids[at + 4]) return none;
      if (f.files[i] === '') continue;
      for (const n of f.files[i].split('/')) {
        const fst = statSync(dir + path.sep + n, { throwIfNoEntry: false });
        if (!fst) return none;
        set.add(fst.ino, fst.size, fst.mtimeMs);
      }
    }
    return set.value() === a.files ? { answer: a.stdout, earlier: a } : none;
  } catch {
    return none;
  }
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIdentity = (v: unknown): v is Identity => v === null || (Array.isArray(v) && v.length === 5 && v.every(isNum));
const isString = (v: unknown): v is string => typeof v === 'string';

/** A kept answer as read back, checked field by field: null when anything is not as written here. */
function parseAnswer(text: string): Answer | null {
  const a = JSON.parse(text) as Partial<Record<keyof Answer, unknown>> | null;
  if (a === null || typeof a !== 'object' || a.version !== VERSION) return null;
  if (![a.cwd, a.home, a.code, a.folders, a.files, a.stdout].every(isString)) return null;
  if (!isNum(a.from) || !isNum(a.until) || !Array.isArray(a.argv) || !a.argv.every(isString)) return null;
  const { env, paths, ledger, recent } = a;
  if (!Array.isArray(env) || !env.every((e) => Array.isArray(e) && isString(e[0]) && (isString(e[1]) || e[1] === null))) return null;
  if (
    !Array.isArray(paths) ||
    !paths.every((w) => Array.isArray(w) && isString(w[0]) && (w[1] === 's' || w[1] === 'l') && isIdentity(w[2]))
  )
    return null;
  if (
    ledger !== null &&
    !(Array.isArray(ledger) && isString(ledger[0]) && isIdentity(ledger[1]) && isString(ledger[2]) && isString(ledger[3]))
  )
    return null;
  if (!Array.isArray(recent) || !recent.every((r) => Array.isArray(r) && r.length === 4 && isString(r[0]) && r.slice(1).every(isNum)))
    return null;
  if (!Array.isArray(a.absent) || !a.absent.every(isString)) return null;
  return a as Answer;
}

/** A typed array of base64's bytes, copied so that it is aligned; null when the length does not fit. */
function typed<T>(b64: string, size: number, make: (b: ArrayBuffer) => T): T | null {
  const b = Buffer.from(b64, 'base64');
  if (b.length % size !== 0) return null;
  return make(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** The folders' file unpacked and checked: null when it is another answer's, or any part does not fit the others. */
function unpack(text: string, id: string): { parents: Int32Array; names: string[]; ids: Float64Array; files: string[] } | null {
  const p = JSON.parse(text) as Partial<Record<keyof Folders, unknown>> | null;
  if (p === null || typeof p !== 'object' || p.version !== VERSION || p.id !== id) return null;
  if (!isString(p.parents) || !isString(p.names) || !isString(p.ids) || !isString(p.files)) return null;
  const parents = typed(p.parents, 4, (b) => new Int32Array(b));
  const ids = typed(p.ids, 8, (b) => new Float64Array(b));
  if (!parents || !ids) return null;
  const n = parents.length;
  const names = p.names.split('\0');
  const files = p.files.split('\0');
  // Each list is ended by "\0": split, it has one more (empty) part than there are folders.
  if (names.length !== n + 1 || files.length !== n + 1 || ids.length !== n * 5) return null;
  for (let i = 0; i < n; i++) if (parents[i] < -1 || parents[i] >= i) return null;
  if (!ids.every(Number.isFinite)) return null;
  return { parents, names, ids, files };
}

function pack(id: string, folders: readonly Folder[]): Folders {
  const parents = new Int32Array(folders.length);
  const ids = new Float64Array(folders.length * 5);
  let names = '';
  let files = '';
  folders.forEach((f, i) => {
    parents[i] = f.parent;
    ids.set(f.id, i * 5);
    names += f.name + '\0';
    files += f.files.map((x) => x[0]).join('/') + '\0';
  });
  const b64 = (a: Int32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return { version: VERSION, id, parents: b64(parents), names, ids: b64(ids), files };
}

/**
 * Watches one run of a view, and keeps its answer when it may be kept (see the top of this file). Made before the
 * command runs: it stats what the command will read, and watches ctx.env from then on.
 */
export class AnswerRecorder implements ScanWatch {
  /** Why the answer is not kept, once something says so. */
  private refused: string | null = null;
  private readonly began = Date.now();
  private readonly env = new Map<string, string | null>();
  private readonly paths: Watched[] = [];
  private readonly dirs = new Set<string>();
  private files: readonly (readonly [string, CoveredStat])[] | null = null;
  private ledger: { dir: string; id: Identity; files: NamedFile[] } | null = null;
  private notes = 0;
  private readonly stderrBefore: number;
  private scanning = false;
  private window: [number, number] | null = null;

  constructor(
    private readonly ctx: CliContext,
    private readonly ports: AnswerPorts,
    private readonly argv: readonly string[],
    /** The answer an earlier run kept, which this run did not use (Kept.earlier). */
    private readonly earlier: Answer | null,
  ) {
    // Read before ctx.env is watched: the clock's pin (main.ts), and TZ, which the core reads from process.env.
    this.env.set('UNMETERED_NOW', ctx.env.UNMETERED_NOW ?? null);
    this.env.set('TZ', process.env.TZ ?? null);
    for (const [p, how] of [
      [path.join(ctx.dataDir, 'settings.json'), 's'],
      ['/etc/localtime', 'l'],
    ] as const) {
      const id = statOf(p, how);
      this.notRacy(p, id);
      this.paths.push([p, how, id]);
    }
    // The ledger's folder before the command reads its entries, then each file in it.
    const dir = path.join(ctx.dataDir, 'ledger');
    const id = statOf(dir, 's');
    this.notRacy(dir, id);
    if (id === null) this.refuse('there is no ledger yet');
    else this.ledger = { dir, id, files: filesIn(dir, readdirSync(dir)) };
    ctx.env = this.watchEnv(ctx.env);
    const logger = ctx.logger;
    // A note (what the import stored) is this run's own; so is a warning, which a kept answer would repeat or lose.
    ctx.logger = {
      info: (m) => (this.notes++, logger.info(m)),
      warn: (m) => (this.refuse('a warning was given'), logger.warn(m)),
      error: (m) => (this.refuse('an error was told'), logger.error(m)),
    };
    ports.stdout.kept = [];
    this.stderrBefore = ports.stderr.writes;
    if (this.stderrBefore > 0) this.refuse('something was written on standard error');
  }

  /** Why the answer was not kept (null when it was, or still may be). */
  get reason(): string | null {
    return this.refused;
  }

  private refuse(why: string): void {
    this.refused ??= why;
  }

  /** A file or folder changed in the last RACY_MS may change again within its time's tick: not watched by it. */
  private notRacy(p: string, id: Identity): void {
    if (id !== null && Math.max(id[3], id[4]) >= this.began - RACY_MS) this.refuse(`${p} changed moments ago`);
  }

  private watchEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const seen = (name: string | symbol) => {
      if (typeof name === 'string' && !this.env.has(name)) this.env.set(name, env[name] ?? null);
    };
    return new Proxy(env, {
      get: (t, name) => (seen(name), Reflect.get(t, name) as string | undefined),
      has: (t, name) => (seen(name), Reflect.has(t, name)),
      getOwnPropertyDescriptor: (t, name) => (seen(name), Reflect.getOwnPropertyDescriptor(t, name)),
      ownKeys: (t) => (this.refuse('the environment was listed'), Reflect.ownKeys(t)),
      set: (t, name, v) => (this.refuse('the environment was changed'), Reflect.set(t, name, v)),
      deleteProperty: (t, name) => (this.refuse('the environment was changed'), Reflect.deleteProperty(t, name)),
      defineProperty: (t, name, d) => (this.refuse('the environment was changed'), Reflect.defineProperty(t, name, d)),
    });
  }

  /** The command imports the agents' logs first: its answer is kept only if the import ends with every file covered. */
  expectScan(): void {
    this.scanning = true;
  }

  /**
   * After the import stored what the logs gained: the ledger's files as they are now, before the view reads them
   * (they only grow: one that grows after this differs from what is kept). A new file means the folder changed.
   */
  imported(): void {
    if (!this.ledger) return;
    const { dir, id, files } = this.ledger;
    const names = files.map((f) => f[0]);
    if (!sameIdentity(statOf(dir, 's'), id)) this.refuse(`${dir} changed`);
    else this.ledger.files = filesIn(dir, names);
  }

  /** The instants between which the answer holds (the view's local day). */
  holdsBetween(from: number, until: number): void {
    this.window = [from, until];
  }

  dir(p: string): void {
    // As a file's folder is named below (a root given as "/a/b/" is walked as that).
    this.dirs.add(p.length > 1 && p.endsWith(path.sep) ? p.slice(0, -1) : p);
  }

  covered(files: readonly (readonly [string, CoveredStat])[]): void {
    this.files = files;
  }

  /** After the command: keeps its answer when it may be kept. Never throws (an answer not kept costs nothing). */
  save(code: string): void {
    try {
      const file = answerFile(this.ctx.dataDir, this.argv, this.ctx.cwd);
      const kept = this.answer(code);
      if (!kept) return;
      ensurePrivateDirSync(path.dirname(file));
      // Caches, not flushed to disk: the command answers when one is lost. The folders first: the answer names them.
      if (kept.folders) replaceFileSync(foldersFile(file), JSON.stringify(kept.folders), { flush: false });
      replaceFileSync(file, JSON.stringify(kept.answer), { flush: false });
      prune(path.dirname(file));
    } catch {
      // a cache that cannot be written only means the next run answers as this one did
    }
  }

  private answer(code: string): { answer: Answer; folders: Folders | null } | null {
    const { ctx, ports } = this;
    if (ports.stderr.writes - this.stderrBefore > this.notes) this.refuse('something was written on standard error');
    if (!this.window) this.refuse('the command gave no window');
    if (this.scanning && !this.files) this.refuse('the import did not end with every log file covered');
    const stdout = (ports.stdout.kept ?? []).join('');
    if (stdout.length > MAX_STDOUT_CHARS) this.refuse('the answer is too long');
    if (this.refused !== null || !this.window) return null;
    const recent = new Recent();
    let ledger: Answer['ledger'] = null;
    if (this.ledger) {
      const { dir, id, files } = this.ledger;
      ledger = [dir, id, files.map((f) => f[0]).join('/'), filesDigest(files)];
      for (const [name, ino, size, mtimeMs] of files) recent.offer(dir + path.sep + name, ino, size, mtimeMs);
    }
    let folders: Folders | null = null;
    let absent: string[] = [];
    let foldersId = '';
    let logs = '';
    if (this.scanning && this.files) {
      const set = new FileSet();
      for (const [f, st] of this.files) {
        set.add(st.ino, st.size, st.mtimeMs);
        recent.offer(f, st.ino, st.size, st.mtimeMs);
      }
      logs = set.value();
      const earlier = this.earlier;
      if (earlier !== null && earlier.folders !== '') {
        // An earlier answer's folders, stat'ed by the rule below when it was kept, are compared first when this one
        // is read: while they are as they were then, they hold the files this run found (a change to a folder's
        // files changes its times), so its folders' file stays as it is, and no folder is stat'ed here.
        foldersId = earlier.folders;
        absent = earlier.absent;
      } else {
        const list = this.folders(absent);
        if (!list) return null;
        foldersId = randomHex(8);
        folders = pack(foldersId, list);
      }
    }
    const answer: Answer = {
      version: VERSION,
      argv: [...this.argv],
      cwd: ctx.cwd,
      home: ctx.home,
      code,
      env: [...this.env],
      from: this.window[0],
      until: this.window[1],
      paths: this.paths,
      ledger,
      recent: recent.files,
      absent,
      folders: foldersId,
      files: logs,
      stdout,
    };
    return { answer, folders };
  }

  /**
   * Each folder walked, stat'ed now, after the walk: unchanged since RACY_MS before the run began, it held then what
   * the walk read. Named under the folder above it where that was walked too; `absent` is told those not found. Null
   * when one changed just now.
   */
  private folders(absent: string[]): Folder[] | null {
    const inFolder = new Map<string, [string, number, number, number][]>();
    for (const d of this.dirs) inFolder.set(d, []);
    for (const [f, st] of this.files ?? []) {
      const cut = f.lastIndexOf(path.sep);
      const files = inFolder.get(f.slice(0, cut));
      if (!files) {
        this.refuse(`${f} lies outside the folders walked`);
        return null;
      }
      files.push([f.slice(cut + 1), st.ino, st.size, st.mtimeMs]);
    }
    const list: Folder[] = [];
    const index = new Map<string, number>();
    for (const [d, files] of inFolder) {
      const id = statOf(d, 's');
      if (id === null) {
        if (files.length > 0) {
          this.refuse(`${d} is gone`);
          return null;
        }
        absent.push(d);
        continue;
      }
      this.notRacy(d, id);
      if (this.refused !== null) return null;
      const cut = d.lastIndexOf(path.sep);
      const parent = cut > 0 ? index.get(d.slice(0, cut)) : undefined;
      index.set(d, list.length);
      list.push(parent === undefined ? { parent: -1, name: d, id, files } : { parent, name: d.slice(cut + 1), id, files });
    }
    return list;
  }
}

/** The RECENT files changed last, of those offered. */
class Recent {
  readonly files: FileId[] = [];

  offer(file: string, ino: number, size: number, mtimeMs: number): void {
    const list = this.files;
    if (list.length === RECENT && mtimeMs <= list[list.length - 1][3]) return;
    let i = list.length;
    while (i > 0 && list[i - 1][3] < mtimeMs) i--;
    list.splice(i, 0, [file, ino, size, mtimeMs]);
    if (list.length > RECENT) list.pop();
  }
}

/** Keeps the KEPT most recently written answers in `dir` (each with its folders). */
function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.endsWith(FOLDERS_SUFFIX));
  if (names.length <= KEPT) return;
  const aged = names.map((n) => ({ n, t: statSync(path.join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => b.t - a.t);
  for (const { n } of aged.slice(KEPT)) {
    rmSync(path.join(dir, n), { force: true });
    rmSync(foldersFile(path.join(dir, n)), { force: true });
  }
}
