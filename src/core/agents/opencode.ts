/**
 * OpenCode (anomalyco/opencode, formerly sst/opencode) and Kilo CLI (Kilo-Org/kilocode, its fork) keep
 * sessions in SQLite: `<data>/opencode.db` (`opencode-<channel>.db` for other release channels) and
 * `<data>/kilo.db`, where `<data>` is `$XDG_DATA_HOME/<app>` or `~/.local/share/<app>` on every
 * platform (xdg-basedir; packages/opencode/src/global/index.ts, src/storage/db.ts). The database is in
 * WAL mode (`PRAGMA journal_mode = WAL`, db.ts), written by bun:sqlite through drizzle.
 *
 * Rules (packages/opencode/src/session/session.sql.ts, message-v2.ts, processor.ts, session.ts getUsage):
 * - table `message(id, session_id, time_created, time_updated, data)`; `data` is the message JSON without
 *   id and sessionID; an assistant message has `modelID`, `providerID`, `path.cwd`, `time.created` (ms),
 *   `cost` (USD) and `tokens {input, output, reasoning, cache: {read, write}}`;
 * - the row is upserted (session/projectors.ts: insert … on conflict do update set data) when the
 *   response starts (zero tokens) and at each step's end; rows are tailed by `time_updated`, and an
 *   unfinished message (no `time.completed`) is also read again by id until it finishes, so its
 *   counts arrive even if an upsert left `time_updated` as it was; the ledger keeps the most
 *   complete copy of an id (tokens are the last step's, `cost` the sum of the steps: processor.ts);
 * - `tokens.input` excludes cache reads and writes (getUsage subtracts them where the provider counts
 *   them in), so the counts are disjoint as the ledger stores them; reasoning is taken as part of output;
 * - `cost` is OpenCode's own price of the message, kept beside ours.
 * The id is the message id alone, shared by both agents: a session Kilo copied from OpenCode is one spend.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import { usdToNanos } from '../money';
import type { Row, SqliteQuery } from './sqliteSnapshot';
import type { ParsedRecord, RootContext, SourceAdapter, SourceId } from './types';
import { MalformedLine } from './types';
import { count, expandHome, isObject, parseObject, projectOf, str, unpriced, utcIso } from './util';
import { errorMessage } from '../errors';

interface Cursor {
  /** The latest `time_updated` read; rows at it are read again, in case more were written in that millisecond. */
  updated: number;
  /**
   * Assistant messages not finished when last read (no `time.completed`, no `error`): read again by id
   * until they are, whether or not an update moved their `time_updated`.
   */
  open: string[];
}

/** Unfinished messages followed at most (a session runs one at a time; a crash can leave some open forever). */
const MAX_OPEN = 200;

function isOpen(row: Row): boolean {
  try {
    const m = parseObject(typeof row.data === 'string' ? row.data : '');
    return m.role === 'assistant' && m.error === undefined && !(isObject(m.time) && m.time.completed !== undefined);
  } catch {
    return false;
  }
}

function record(row: Row, agent: SourceId): ParsedRecord | null {
  const id = typeof row.id === 'string' && row.id ? row.id : null;
  if (!id) throw new MalformedLine(`id: expected a message id, got ${JSON.stringify(row.id)}`);
  if (typeof row.data !== 'string') throw new MalformedLine(`message ${id}: data is not JSON text`);
  const m = parseObject(row.data);
  if (m.role !== 'assistant') return null;
  const t = isObject(m.tokens) ? m.tokens : null;
  if (!t) return null;
  const w = `message ${id}.tokens`;
  const cache = isObject(t.cache) ? t.cache : null;
  const output = count(t, 'output', w);
  const split = {
    input: count(t, 'input', w),
    output,
    reasoning: Math.min(count(t, 'reasoning', w), output),
    cacheRead: count(cache, 'read', `${w}.cache`),
    cacheWrite5m: count(cache, 'write', `${w}.cache`),
  };
  if (split.input + split.output + split.cacheRead + split.cacheWrite5m === 0) return null; // started, nothing counted yet
  const time = isObject(m.time) ? m.time.created : undefined;
  const r: ParsedRecord = {
    interaction: unpriced({
      id: `opencode:${id}`,
      at: utcIso(time ?? row.time_created, `message ${id}.time.created`),
      agent,
      project: projectOf(isObject(m.path) ? m.path.cwd : undefined),
      model: str(m.modelID) ?? 'unknown',
      tokens: tokens(split),
    }),
  };
  if (typeof m.cost === 'number' && Number.isFinite(m.cost) && m.cost >= 0 && m.cost <= 1e9) {
    r.reportedCostNanos = usdToNanos(m.cost);
  }
  return r;
}

function readMessages(agent: SourceId) {
  return (db: SqliteQuery, saved: unknown, malformed: (where: string, reason: string) => void) => {
    if (!db.tables().has('message')) return { records: [], cursor: saved };
    const c = isObject(saved) ? saved : {};
    const from = typeof c.updated === 'number' ? c.updated : -1;
    const open = Array.isArray(c.open) ? c.open.filter((x): x is string => typeof x === 'string').slice(-MAX_OPEN) : [];
    const rows = db.all(
      `SELECT id, time_created, time_updated, data FROM message WHERE time_updated >= ?` +
        `${open.length ? ` OR id IN (${open.map(() => '?').join(',')})` : ''} ORDER BY time_updated, id`,
      [from, ...open],
    );
    const records: ParsedRecord[] = [];
    const next: Cursor = { updated: from, open: [] };
    for (const row of rows) {
      if (typeof row.time_updated === 'number' && row.time_updated > next.updated) next.updated = row.time_updated;
      if (typeof row.id === 'string' && isOpen(row)) next.open.push(row.id);
      try {
        const r = record(row, agent);
        if (r) records.push(r);
      } catch (err) {
        malformed(`message ${String(row.id)}`, errorMessage(err));
      }
    }
    next.open = next.open.slice(-MAX_OPEN);
    return { records, cursor: next };
  };
}

function dataDir(ctx: RootContext, app: string): string {
  const xdg = str(ctx.env.XDG_DATA_HOME?.trim());
  return path.join(
    xdg && path.isAbsolute(expandHome(xdg, ctx.home)) ? expandHome(xdg, ctx.home) : path.join(ctx.home, '.local', 'share'),
    app,
  );
}

function sqliteAgent(o: { id: SourceId; label: string; settingsKey: 'opencode' | 'kiloCli'; app: string; file: RegExp }): SourceAdapter {
  return {
    id: o.id,
    agent: o.id,
    label: o.label,
    settingsKey: o.settingsKey,
    defaultRoots: (ctx) => [dataDir(ctx, o.app)],
    rootsFromSetting: (p) => [p],
    matches: (file) => o.file.test(path.basename(file)),
    readMode: () => 'sqlite',
    shallow: true,
    createParser: () => {
      throw new Error(`${o.label} keeps its usage in SQLite, not in lines`);
    },
    sqlite: { read: readMessages(o.id) },
  };
}

export const opencode = sqliteAgent({
  id: 'opencode',
  label: 'OpenCode',
  settingsKey: 'opencode',
  app: 'opencode',
  file: /^opencode(-[A-Za-z0-9._-]+)?\.db$/,
});

export const kiloCli = sqliteAgent({ id: 'kilo-cli', label: 'Kilo CLI', settingsKey: 'kiloCli', app: 'kilo', file: /^kilo\.db$/ });
