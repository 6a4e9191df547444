/**
 * GitHub Copilot CLI keeps one row per model call in `assistant_usage_events` of
 * `~/.copilot/session-store.db` (`$COPILOT_HOME/session-store.db` when set). Copilot CLI's source is not
 * public (github/copilot-cli holds its docs and releases only), so these rules come from the schema and
 * rows others observed on real installs (their tests and notes, cited in the fixture README), not from
 * the writer's code:
 * - columns `id INTEGER PRIMARY KEY AUTOINCREMENT, session_id, model, input_tokens, output_tokens,
 *   cache_read_tokens, cache_write_tokens, reasoning_tokens, total_nano_aiu, created_at` (ISO, UTC);
 *   rows are appended, so they are tailed by `id`;
 * - `input_tokens` is the whole prompt, cache reads and writes included: uncached input is
 *   `input_tokens - cache_read_tokens - cache_write_tokens`; reasoning is taken as part of output;
 * - `total_nano_aiu` is Copilot's own unit (AI credits), not dollars: not used as a cost;
 * - `sessions(id, cwd)` names the project.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { Row, SqliteQuery } from './sqliteSnapshot';
import type { ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, expandHome, isObject, projectOf, str, unpriced, utcIso } from './util';
import { errorMessage } from '../errors';

/** SQLite's `datetime()` text has no zone; Copilot's times are UTC. */
function utc(v: unknown, where: string): string {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v)) return utcIso(`${v.replace(' ', 'T')}Z`, where);
  return utcIso(v, where);
}

function record(row: Row): ParsedRecord | null {
  const id = row.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new MalformedLine(`id: expected a row id, got ${JSON.stringify(id)}`);
  const w = `assistant_usage_events ${id}`;
  const whole = count(row, 'input_tokens', w);
  const cacheRead = count(row, 'cache_read_tokens', w);
  const cacheWrite5m = count(row, 'cache_write_tokens', w);
  const output = count(row, 'output_tokens', w);
  const t = {
    input: Math.max(0, whole - cacheRead - cacheWrite5m),
    cacheRead,
    cacheWrite5m,
    output,
    reasoning: Math.min(count(row, 'reasoning_tokens', w), output),
  };
  if (whole + t.output === 0 && cacheRead + cacheWrite5m === 0) return null;
  const session = str(row.session_id) ?? 'unknown';
  return {
    interaction: unpriced({
      id: `copilot-cli:${session}:${id}`,
      at: utc(row.created_at, `${w}.created_at`),
      agent: 'copilot-cli',
      project: projectOf(row.cwd),
      model: str(row.model) ?? 'unknown',
      tokens: tokens(t),
    }),
  };
}

function read(db: SqliteQuery, saved: unknown, malformed: (where: string, reason: string) => void) {
  const from = isObject(saved) && typeof saved.id === 'number' ? saved.id : -1;
  const tables = db.tables();
  if (!tables.has('assistant_usage_events')) return { records: [], cursor: saved };
  const cwd = tables.has('sessions') && db.all("SELECT 1 FROM pragma_table_info('sessions') WHERE name = 'cwd'").length > 0;
  const rows = db.all(
    cwd
      ? 'SELECT e.*, s.cwd AS cwd FROM assistant_usage_events e LEFT JOIN sessions s ON s.id = e.session_id WHERE e.id > ? ORDER BY e.id'
      : 'SELECT e.*, NULL AS cwd FROM assistant_usage_events e WHERE e.id > ? ORDER BY e.id',
    [from],
  );
  const records: ParsedRecord[] = [];
  let last = from;
  for (const row of rows) {
    if (typeof row.id === 'number' && row.id > last) last = row.id;
    try {
      const r = record(row);
      if (r) records.push(r);
    } catch (err) {
      malformed(`assistant_usage_events ${String(row.id)}`, errorMessage(err));
    }
  }
  return { records, cursor: { id: last } };
}

function home(ctx: RootContext): string {
  const dir = str(ctx.env.COPILOT_HOME?.trim());
  return dir ? path.resolve(expandHome(dir, ctx.home)) : path.join(ctx.home, '.copilot');
}

export const copilotCli: SourceAdapter = {
  id: 'copilot-cli',
  agent: 'copilot-cli',
  label: 'GitHub Copilot CLI',
  settingsKey: 'copilotCli',
  defaultRoots: (ctx) => [home(ctx)],
  rootsFromSetting: (p) => [p],
  matches: (file) => path.basename(file) === 'session-store.db',
  readMode: () => 'sqlite',
  shallow: true,
  createParser: () => {
    throw new Error('GitHub Copilot CLI keeps its usage in SQLite, not in lines');
  },
  sqlite: { read },
};
