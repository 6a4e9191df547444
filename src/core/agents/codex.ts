/**
 * OpenAI Codex (CLI and its VS Code extension): `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`
 * and `archived_sessions/`, possibly zstd-compressed (`.jsonl.zst`; the plain file wins when both
 * exist, as in codex-rs/rollout/src/compression.rs).
 *
 * What the writer does (openai/codex; files and commits cited in test/sources/fixtures/codex-conformance/README.md):
 * - Every line is `{"timestamp", ["ordinal",] "type", "payload"}`. The first line is the thread's own
 *   `session_meta`. `codex resume` appends to the same file (no new session_meta).
 * - `token_usage_record` (newer builds): one line per completed Responses API response, with
 *   `thread_id`, `response_id` and that response's own `usage`. A fork never copies these
 *   (`RolloutItem::TokenUsageRecord(_) => false` in the fork filter). A parent may carry a child's
 *   record forwarded to it (`parent_thread_id`): the id below is the same in both files.
 * - `event_msg` / `token_count`: `info.total_token_usage` is cumulative, `info.last_token_usage` the
 *   latest response's (TokenUsageInfo::append_last_usage: total += last). `info: null` is a
 *   rate-limit-only update.
 * - A fork (`session_meta.forked_from_id`) copies the parent's rollout items after its own
 *   session_meta, the parent's session_meta line(s) included, every line re-stamped at copy time,
 *   and seeds its cumulative total from the last copied token_count (last_token_info_from_rollout).
 *   So the child's own totals continue the parent's series. A spawned subagent with no copied
 *   history starts its own series from zero.
 *
 * Rules:
 * 1. Per-response records win: once a file has a `token_usage_record` of its own thread, its
 *    token_count lines only move the baseline. id = `codex:<thread_id>:<response_id>`.
 * 2. Otherwise token_count. The series belongs to the LINEAGE: the id of the last session_meta line
 *    read, i.e. the oldest ancestor whose history was copied in (a fork of a fork carries both
 *    ancestors' session_meta lines). id = `codex:<lineage>:e<epoch>:<cumulative totals>`, so a
 *    fork's copy of a parent's event gets the very id the parent's original has and is stored
 *    once, however long the copy took to write: the copy is recognised by what it is, not when.
 * 3. The count for one token_count, with `prev` the previous cumulative total of the file:
 *    - total equal to prev: re-emitted, nothing;
 *    - total − prev equal to last_token_usage in all five fields: a continuation, count last;
 *    - any other total (fill_to_context_window sets total to (0,0,0,0,window) and last to the
 *      window's missing tokens with no input or output; a resume or re-seed restarts the series; a
 *      compaction leaves a total that is not prev + last), WHETHER ABOVE OR BELOW prev: the series
 *      was reset, so count the turn's own last_token_usage and start a new epoch;
 *    - no prev (the first of a file): last_token_usage (total when an old line has no last).
 * 4. A fork file's token_count records are held until the end of each read and dropped if a record
 *    of its own thread turns up: on a build that writes records the copied parent counts are
 *    covered by the parent's records, which forks never copy.
 * 5. cached_input_tokens ⊂ input_tokens and reasoning ⊂ output: stored as disjoint input/cacheRead.
 * 6. The model is the record's `attribution.model`, else the latest turn_context's. The project is
 *    the latest turn_context's cwd (a thread can move between workspaces), else session_meta's.
 *    Branch and repo: the thread's own session_meta `git` (SessionMetaLine.git, a GitInfo of
 *    {commit_hash, branch, repository_url} that collect_git_info fills from `git rev-parse
 *    --abbrev-ref HEAD` and `git remote get-url origin`: openai/codex codex-rs/core/src/git_info.rs
 *    @00b4d8a7); the URL is normalised, credentials dropped (core/git.ts normaliseRemote).
 * 7. A token_count without `info`, a record without `usage`, or a line cut before its closing brace
 *    is malformed (counted and reported), never silently skipped.
 * 8. `codex-auto-review` is the model Codex's approval auto-reviewer (guardian) runs under ChatGPT
 *    sign-in (codex-rs/model-provider: DEFAULT_APPROVAL_REVIEW_PREFERRED_MODEL; with an API key it
 *    uses a public model, priced as usual). It is a hidden catalog entry with no published per-token
 *    price, so it is kept under its own name and reported unpriced with that reason
 *    (pricing/unpricedReasons.ts), never guessed.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, isObject, parseObject, projectOf, str, unpriced, utcIso } from './util';
import { attribute, codexGit } from './attribution';
import { fromCodexRateLimits, shouldAttach, type RateLimitState } from '../plans/limits';

interface Usage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

interface CodexState {
  /** This file's own thread id (its first session_meta). */
  session: string | null;
  /** Id of the last session_meta read: the ancestor whose token_count series this file continues. */
  lineage: string | null;
  /** Resets seen in the lineage's series so far (part of token_count ids). */
  epoch: number;
  /** The first session_meta names forked_from_id: the file opens with a copy of its parent. */
  fork: boolean;
  /** A token_usage_record of this thread was read: token_count only tracks the baseline. */
  records: boolean;
  model: string | null;
  project: string | null;
  metaProject: string | null;
  /** From the thread's own session_meta `git` (null: not recorded; older saved states lack them). */
  branch: string | null;
  repo: string | null;
  prev: Usage | null;
  metaSeen: boolean;
  /** The plan-limit state last attached to a record of this file, and one read since that waits for the next record. */
  limitsSent: RateLimitState | null;
  limitsPending: RateLimitState | null;
}

const NONE: readonly ParsedRecord[] = [];

function usage(v: unknown, where: string): Usage | null {
  if (!isObject(v)) return null;
  const input = count(v, 'input_tokens', where);
  const cached = count(v, 'cached_input_tokens', where);
  const output = count(v, 'output_tokens', where);
  const reasoning = count(v, 'reasoning_output_tokens', where);
  const total = v.total_tokens === undefined || v.total_tokens === null ? input + output : count(v, 'total_tokens', where);
  return { input, cached, output, reasoning, total };
}

const same = (a: Usage, b: Usage) =>
  a.input === b.input && a.cached === b.cached && a.output === b.output && a.reasoning === b.reasoning && a.total === b.total;
const continues = (now: Usage, prev: Usage, last: Usage) =>
  now.input - prev.input === last.input &&
  now.cached - prev.cached === last.cached &&
  now.output - prev.output === last.output &&
  now.reasoning - prev.reasoning === last.reasoning &&
  now.total - prev.total === last.total;
const minus = (a: Usage, b: Usage): Usage => ({
  input: a.input - b.input,
  cached: a.cached - b.cached,
  output: a.output - b.output,
  reasoning: a.reasoning - b.reasoning,
  total: a.total - b.total,
});
const nonNegative = (u: Usage) => u.input >= 0 && u.cached >= 0 && u.output >= 0 && u.reasoning >= 0 && u.total >= 0;

function sessionFromName(file: string): string {
  const base = path.basename(file).replace(/\.jsonl(\.zst)?$/, '');
  const uuid = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(base);
  return uuid ? uuid[1]! : base;
}

/**
 * When a thread started, from its file name: the UUIDv7 thread id's millisecond prefix, else the
 * name's local timestamp. Reading older threads first means a fork's parent is stored before the
 * fork's copy of it, so the parent's own timestamps are the ones kept.
 */
function threadStartMs(file: string): number {
  const id = sessionFromName(file);
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-7/i.test(id)) return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  const m = /rollout-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})/.exec(path.basename(file));
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : 0;
}

function freshState(): CodexState {
  return {
    session: null,
    lineage: null,
    epoch: 0,
    fork: false,
    records: false,
    model: null,
    project: null,
    metaProject: null,
    branch: null,
    repo: null,
    prev: null,
    metaSeen: false,
    limitsSent: null,
    limitsPending: null,
  };
}

/** A state saved by an earlier version of this adapter continues with what it knew. */
function restore(saved: Record<string, unknown>): CodexState {
  const s = { ...freshState(), ...(saved as Partial<CodexState>) };
  s.lineage ??= s.session;
  s.metaProject ??= s.project;
  s.limitsSent ??= null;
  s.limitsPending ??= null;
  return s;
}

function record(s: CodexState, id: string, at: string, model: string | null, u: Usage): ParsedRecord | null {
  if (u.input === 0 && u.output === 0 && u.cached === 0) return null; // a retry that used nothing
  const cached = Math.min(u.cached, u.input);
  const interaction = attribute(
    unpriced({
      id,
      at,
      agent: 'codex',
      project: s.project ?? s.metaProject,
      model: model ?? s.model ?? 'unknown',
      tokens: tokens({ input: u.input - cached, cacheRead: cached, output: u.output, reasoning: Math.min(u.reasoning, u.output) }),
    }),
    { branch: s.branch ?? undefined, repo: s.repo ?? undefined },
  );
  if (s.limitsPending) {
    Object.assign(interaction, { rateLimits: s.limitsPending });
    s.limitsSent = s.limitsPending;
    s.limitsPending = null;
  }
  return { interaction };
}

/**
 * A token_count's `rate_limits` (rate-limit-only updates included) waits in the state for the next record
 * of the file, which carries it to the ledger; an unchanged state is not carried again (limits.ts).
 */
function noteLimits(s: CodexState, o: Record<string, unknown>, p: Record<string, unknown>): void {
  if (p.rate_limits === undefined || p.rate_limits === null) return;
  const t = typeof o.timestamp === 'string' ? Date.parse(o.timestamp) : NaN;
  if (!Number.isFinite(t)) return;
  const next = fromCodexRateLimits(p.rate_limits, t);
  if (next && shouldAttach(s.limitsSent, next)) s.limitsPending = next;
}

function onSessionMeta(s: CodexState, p: Record<string, unknown>): void {
  const id = str(p.id) ?? str(p.session_id);
  if (!s.metaSeen) {
    s.metaSeen = true;
    s.session = id ?? s.session;
    s.metaProject = projectOf(p.cwd);
    s.fork = str(p.forked_from_id) !== null;
    const git = codexGit(p.git);
    s.branch = git.branch ?? null;
    s.repo = git.repo ?? null;
  }
  s.lineage = id ?? s.lineage;
}

/** The usage one token_count adds (rule 3), moving the baseline. */
function tokenCountDelta(s: CodexState, total: Usage | null, last: Usage | null): Usage | null {
  if (!total) return last;
  const prev = s.prev;
  s.prev = total;
  if (!prev) return last ?? total;
  if (same(total, prev)) return null;
  if (last && continues(total, prev, last)) return last;
  if (!last) {
    const d = minus(total, prev);
    if (nonNegative(d)) return d;
  }
  s.epoch++;
  return last;
}

function parser(file: string, saved?: unknown): LineParser {
  const s: CodexState = isObject(saved) ? restore(saved) : freshState();
  /** A fork's token_count records of this read, until a record of its own thread says they were copies. */
  let held: ParsedRecord[] = [];

  function tokenCount(o: Record<string, unknown>, p: Record<string, unknown>): readonly ParsedRecord[] {
    if (!('info' in p)) throw new MalformedLine('payload.info: missing (a token_count always carries info, null or an object)');
    noteLimits(s, o, p);
    const info = p.info;
    if (info === null) return NONE; // a rate-limit-only update
    if (!isObject(info)) throw new MalformedLine(`payload.info: expected an object, got ${JSON.stringify(info)?.slice(0, 40)}`);
    const total = usage(info.total_token_usage, 'payload.info.total_token_usage');
    const last = usage(info.last_token_usage, 'payload.info.last_token_usage');
    if (!total && !last) throw new MalformedLine('payload.info: neither total_token_usage nor last_token_usage');
    const at = utcIso(o.timestamp, 'timestamp');
    const delta = tokenCountDelta(s, total, last);
    if (s.records || !delta) return NONE;
    const lineage = s.lineage ?? s.session ?? sessionFromName(file);
    const key = total
      ? `e${s.epoch}:${total.input}-${total.cached}-${total.output}-${total.reasoning}-${total.total}`
      : `${Date.parse(at)}:last${delta.total}`;
    const r = record(s, `codex:${lineage}:${key}`, at, str(info.model) ?? str(p.model), delta);
    if (!r) return NONE;
    if (s.fork) {
      held.push(r);
      return NONE;
    }
    return [r];
  }

  function usageRecord(o: Record<string, unknown>, p: Record<string, unknown>): readonly ParsedRecord[] {
    const u = usage(p.usage, 'payload.usage');
    if (!u) throw new MalformedLine('payload.usage: missing or not an object');
    const thread = str(p.thread_id) ?? s.session ?? sessionFromName(file);
    const response = str(p.response_id);
    if (!response) throw new MalformedLine('payload.response_id: missing');
    if (thread === s.session && !s.records) {
      s.records = true;
      held = []; // copies of the parent's counts: its records cover them
    }
    const attribution = isObject(p.attribution) ? p.attribution : null;
    const r = record(s, `codex:${thread}:${response}`, utcIso(o.timestamp, 'timestamp'), str(attribution?.model), u);
    return r ? [r] : NONE;
  }

  return {
    save: () => ({ ...s }),
    end() {
      const out = held;
      held = [];
      return out;
    },
    line(text): readonly ParsedRecord[] {
      const o = parseObject(text);
      const p = o.payload;
      if (!isObject(p)) {
        if (o.type === 'token_usage_record' || o.type === 'session_meta') throw new MalformedLine('payload: missing or not an object');
        return NONE;
      }
      switch (o.type) {
        case 'session_meta':
          onSessionMeta(s, p);
          return NONE;
        case 'turn_context':
          s.model = str(p.model) ?? s.model;
          s.project = projectOf(p.cwd) ?? s.project;
          return NONE;
        case 'token_usage_record':
          return usageRecord(o, p);
        case 'event_msg':
          return p.type === 'token_count' ? tokenCount(o, p) : NONE;
        default:
          return NONE;
      }
    },
  };
}

function codexHome(ctx: RootContext): string {
  return ctx.env.CODEX_HOME?.trim() || path.join(ctx.home, '.codex');
}

export const codex: SourceAdapter = {
  id: 'codex',
  agent: 'codex',
  label: 'Codex',
  settingsKey: 'codex',
  defaultRoots: (ctx) => [path.join(codexHome(ctx), 'sessions'), path.join(codexHome(ctx), 'archived_sessions')],
  rootsFromSetting: (p) =>
    ['sessions', 'archived_sessions'].includes(path.basename(p)) ? [p] : [path.join(p, 'sessions'), path.join(p, 'archived_sessions')],
  matches: (file) => /\.jsonl(\.zst)?$/.test(file),
  readMode: (file) => (file.endsWith('.zst') ? 'zstd-lines' : 'lines'),
  needles: ['"token_count"', '"turn_context"', '"session_meta"', '"token_usage_record"'],
  reportTornLines: true,
  order: threadStartMs,
  supersededBy: (file) => (file.endsWith('.jsonl.zst') ? file.slice(0, -4) : null),
  createParser: (file, saved) => parser(file, saved),
};
