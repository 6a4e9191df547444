/**
 * The one shape every agent-log adapter has. Adding an agent is adding one file that exports a
 * SourceAdapter, and one fixture. Adapters are pure: they say where an agent writes, which files
 * are its logs, and turn one line (or one whole JSON document) into unpriced Interactions.
 */
import type { Agent, Interaction } from '../interaction';
import type { SourceId } from './registry';
import type { SqliteQuery } from './sqliteSnapshot';

/** An agent's id: the keys of REGISTRY (registry.ts), the one table of agents. */
export type { SourceId } from './registry';

/** Everything an adapter may know about the machine; core never reads these by itself. */
export interface RootContext {
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
  /**
   * VS Code `User/globalStorage` folders to look in besides the well-known ones (the extension
   * passes the parent of its own globalStorageUri, which covers forks and portable installs).
   */
  globalStorageDirs?: readonly string[];
  /**
   * Task storage folders an agent was told to use instead of globalStorage (Roo Code's
   * `roo-cline.customStoragePath`, Kilo Code's `kilo-code.customStoragePath`); tasks are in `<path>/tasks`.
   */
  customStoragePaths?: Partial<Record<SourceId, readonly string[]>>;
}

/** One record a parser produced, before pricing. */
export interface ParsedRecord {
  /** Unpriced: costNanos, avoidedNanos and priceSource are null. */
  interaction: Interaction;
  /** A sidechain copy (Claude Code): never replaces a record already stored under the same id. */
  sidechain?: boolean;
  /**
   * Many requests summed (Factory Droid writes only a session's running total): priced at the base
   * rates, since no one request's prompt is known to have passed a long-context threshold.
   */
  summed?: boolean;
  /**
   * What the agent itself said the request cost: the price when our table cannot price the model, else kept beside
   * ours (the ledger extra `agentCostNanos`) so views can show both where they differ.
   */
  reportedCostNanos?: number;
}

/** A line that could carry usage but cannot be read; counted and reported with file and line. */
export class MalformedLine extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MalformedLine';
  }
}

/**
 * Stateful per file. `line` gets one complete line (no newline) and returns what it produced, or
 * throws MalformedLine. For whole-document formats the entire file is fed as line 1.
 */
export interface LineParser {
  /**
   * `malformed` reports a bad part of a good line (an entry of a document) without losing the rest.
   * The result is read, never changed: a parser may hand back one shared empty array.
   */
  line(text: string, lineNo: number, malformed?: (reason: string) => void): readonly ParsedRecord[];
  /**
   * Optional fast path for JSONL: the same as `line` but reading the raw bytes [start, end), so a
   * parser can skip what it does not need without decoding it.
   */
  lineBytes?(buf: Buffer, start: number, end: number, lineNo: number): readonly ParsedRecord[];
  /** Records held back across lines (e.g. copies of one response), handed over at the end of each read. */
  end?(): readonly ParsedRecord[];
  /** JSON-serialisable state to persist with the file's offset, so a restart resumes mid-file. */
  save?(): unknown;
}

/**
 * How a file is read:
 * - 'lines': JSONL that only grows; tailed from a remembered byte offset.
 * - 'document': one JSON document rewritten in place; re-parsed whole when it changes (ids are
 *   stable, so records already stored are not stored again).
 * - 'zstd-lines': a zstd-compressed JSONL; decompressed and re-read whole when it changes.
 * - 'sqlite': a SQLite database (with its WAL) read as a snapshot; the adapter's `sqlite` reads the rows
 *   written since its cursor.
 */
export type ReadMode = 'lines' | 'document' | 'zstd-lines' | 'sqlite';

/** Rows since a cursor, for agents that keep their usage in SQLite (sqliteRead.ts). */
export interface SqliteSource {
  /**
   * Reads the rows written or updated since `cursor` (undefined: from the start) and returns their
   * records and the cursor to resume from. A bad row is reported through `malformed` (with the row's
   * id) and skipped; a missing table means the agent has not written any usage yet.
   */
  read(db: SqliteQuery, cursor: unknown, malformed: (where: string, reason: string) => void): { records: ParsedRecord[]; cursor: unknown };
}

export interface SourceAdapter {
  id: SourceId;
  agent: Agent;
  /** For people: "Claude Code". */
  label: string;
  /** Settings key under `unmetered.sources.` (camelCase). */
  settingsKey: string;
  /** Directories searched recursively when nothing is configured. */
  defaultRoots(ctx: RootContext): string[];
  /** The directories to search for a path a person configured (e.g. a config dir → its projects/). */
  rootsFromSetting(p: string): string[];
  /** Whether a file found under a root is one of this agent's logs. */
  matches(file: string): boolean;
  readMode(file: string): ReadMode;
  /**
   * Byte strings a line must contain to be worth parsing (any of them). Lines without one are
   * skipped unparsed: most bytes of a transcript are prompts and tool output, not usage.
   */
  needles?: readonly string[];
  /**
   * Lines that do not end with `}` are handed to the parser even without a needle, so a line torn
   * before its usage field is reported as malformed instead of skipped unseen (JSONL of objects).
   */
  reportTornLines?: boolean;
  /**
   * Byte strings that make a line worth parsing when they appear in its first KB: the start of a
   * record that carries usage further on, so a line cut before its usage is parsed and counted as
   * malformed, never skipped unseen.
   */
  leadNeedles?: readonly string[];
  /**
   * Files of a set that must be read before others (e.g. Claude Code's parent sessions before
   * their subagent replays). Lower first; default 0.
   */
  order?(file: string): number;
  /** A file that another file supersedes is skipped (Codex: plain .jsonl wins over .jsonl.zst). */
  supersededBy?(file: string): string | null;
  createParser(file: string, saved?: unknown): LineParser;
  /** For readMode 'sqlite'. */
  sqlite?: SqliteSource;
  /**
   * Logs sit directly in each root (a database beside unrelated folders such as OpenCode's snapshot
   * repositories): the root is neither walked nor watched below its own level.
   */
  shallow?: boolean;
}
