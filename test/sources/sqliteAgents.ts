/**
 * What OpenCode, Kilo CLI and GitHub Copilot CLI write into their SQLite databases, as SQL a real
 * SQLite runs (fixtures/sqlite/writer.py); the sources of each statement are in fixtures/sqlite/README.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES } from './helpers';

export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const WRITER = path.join(FIXTURES, 'sqlite', 'writer.py');

/** anomalyco/opencode packages/opencode/src/session/session.sql.ts (drizzle), as its migration creates it. */
export const OPENCODE_SCHEMA = [
  'CREATE TABLE IF NOT EXISTS `message` (`id` text PRIMARY KEY, `session_id` text NOT NULL, `time_created`' +
    ' integer NOT NULL, `time_updated` integer NOT NULL, `data` text NOT NULL)',
  'CREATE INDEX IF NOT EXISTS `message_session_time_created_id_idx` ON `message` (`session_id`,`time_created`,`id`)',
];

/** session/projectors.ts: `insert … onConflictDoUpdate({ target: id, set: { data } })`, time_updated by drizzle's $onUpdate. */
export const OPENCODE_UPSERT =
  'insert into "message" ("id", "session_id", "time_created", "time_updated", "data") values (?, ?, ?, ?, ?)' +
  ' on conflict ("message"."id") do update set "data" = excluded."data", "time_updated" = excluded."time_updated"';
/** The same upsert if drizzle left time_updated alone on conflict: the reader must still see the update. */
export const OPENCODE_UPSERT_DATA_ONLY =
  'insert into "message" ("id", "session_id", "time_created", "time_updated", "data") values (?, ?, ?, ?, ?)' +
  ' on conflict ("message"."id") do update set "data" = excluded."data"';

/** Copilot CLI's session-store.db as observed on installs (README.md): sessions and assistant_usage_events. */
export const COPILOT_SCHEMA = [
  'CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, cwd TEXT, repository TEXT, host_type TEXT, branch' +
    ' TEXT, summary TEXT, created_at TEXT, updated_at TEXT)',
  `CREATE TABLE IF NOT EXISTS assistant_usage_events (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, turn_index INTEGER,
    agent_id TEXT, parent_tool_call_id TEXT, model TEXT NOT NULL, input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER,
    cache_write_tokens INTEGER, reasoning_tokens INTEGER, total_nano_aiu INTEGER, request_multiplier REAL, duration_ms INTEGER,
    time_to_first_token_ms INTEGER, inter_token_latency_ms INTEGER, initiator TEXT, api_endpoint TEXT, reasoning_effort TEXT,
    finish_reason TEXT, content_filter_triggered INTEGER, token_details_json TEXT, created_at TEXT)`,
];
export const COPILOT_INSERT =
  'INSERT INTO assistant_usage_events (session_id, turn_index, model, input_tokens, output_tokens,' +
  ' cache_read_tokens, cache_write_tokens, reasoning_tokens, total_nano_aiu, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export interface AssistantInfo {
  model: string;
  provider: string;
  cwd: string;
  created: number;
  completed?: number;
  cost: number;
  tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } };
}

/** An assistant message's `data` column: MessageV2.Assistant without id and sessionID (message-v2.ts). */
export function assistantData(a: AssistantInfo): string {
  return JSON.stringify({
    role: 'assistant',
    time: a.completed === undefined ? { created: a.created } : { created: a.created, completed: a.completed },
    parentID: 'msg_parent',
    modelID: a.model,
    providerID: a.provider,
    mode: 'build',
    agent: 'build',
    path: { cwd: a.cwd, root: a.cwd },
    cost: a.cost,
    tokens: a.tokens,
    finish: a.completed === undefined ? undefined : 'stop',
  });
}

export type Step = [string, (string | number | null)[]] | { sleep: number } | { checkpoint: string };

export interface WriterSpec {
  db: string;
  schema: string[];
  steps: Step[];
  exit: 'abrupt' | 'close';
  autocheckpoint?: number;
}

export interface WriterResult {
  writes: number;
  maxCommitMs: number;
  checkpoints: number;
  busyCheckpoints: number;
}

function specFile(spec: WriterSpec): string {
  const file = `${spec.db}.writer.json`;
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

function lastJson(stdout: string): WriterResult {
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as WriterResult;
}

/** Runs the writer to its end (bounded). */
export function writeNow(spec: WriterSpec): WriterResult {
  const r = spawnSync(PYTHON, [WRITER, specFile(spec)], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`writer failed (${r.status}): ${r.stderr || r.error?.message}`);
  return lastJson(r.stdout);
}

/** Starts the writer; resolves with its result when it exits, rejects if it fails or overruns. */
export function writeLive(spec: WriterSpec, timeoutMs: number): { done: Promise<WriterResult>; committed: () => number } {
  const child = spawn(PYTHON, [WRITER, specFile(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<WriterResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer still running after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(lastJson(out));
      else reject(new Error(`writer failed (${code}): ${err}`));
    });
  });
  return { done, committed: () => (out.match(/^committed /gm) ?? []).length };
}
