/**
 * OpenAI Codex (CLI and its VS Code extension): `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`
 * and `archived_sessions/`, possibly zstd-compressed (`.jsonl.zst`; the plain file wins when both exist).
 *
 * Rules (see shared/reference/agent-logs.md):
 * - `token_count` events carry a CUMULATIVE total; Codex re-emits unchanged totals with fresh
 *   timestamps. Per file, in order: delta = total − previous total; an unchanged total is skipped;
 *   a total that went down (reset, compaction) counts its last_token_usage; the first event counts
 *   its total (a resumed session continues its own file, so the first total is all new).
 * - the model is the latest turn_context's;
 * - cached_input_tokens ⊂ input_tokens and reasoning ⊂ output: stored as disjoint input/cacheRead;
 * - a forked or spawned rollout (session_meta with forked_from_id or a subagent source) opens with
 *   the parent's history copied in one burst, every line re-stamped to within milliseconds of the
 *   fork. token_count events stamped within FORK_BURST_MS of the fork only set the baseline: they
 *   were counted where they were first written. The first line stamped later ends the burst for good.
 * - id = `codex:<session id>:<event time ms>:<cumulative total>`: stable on every re-read.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, isObject, parseObject, projectOf, str, unpriced, utcIso } from './util';

/** How long after a fork's session_meta copied lines may still be stamped. */
export const FORK_BURST_MS = 1000;

interface Usage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

interface CodexState {
  session: string | null;
  model: string | null;
  project: string | null;
  prev: Usage | null;
  /** Fork instant (ms) while its copied burst may still be running; null otherwise. */
  burstFrom: number | null;
  metaSeen: boolean;
}

function usage(v: unknown, where: string): Usage | null {
  if (!isObject(v)) return null;
  const input = count(v, 'input_tokens', where);
  const cached = count(v, 'cached_input_tokens', where);
  const output = count(v, 'output_tokens', where);
  const reasoning = count(v, 'reasoning_output_tokens', where);
  const total = v.total_tokens === undefined || v.total_tokens === null ? input + output : count(v, 'total_tokens', where);
  return { input, cached, output, reasoning, total };
}

const same = (a: Usage, b: Usage) => a.input === b.input && a.cached === b.cached && a.output === b.output && a.reasoning === b.reasoning && a.total === b.total;
const wentDown = (now: Usage, before: Usage) => now.total < before.total || now.input < before.input || now.output < before.output;
const minus = (a: Usage, b: Usage): Usage => ({
  input: a.input - b.input,
  cached: Math.max(0, a.cached - b.cached),
  output: a.output - b.output,
  reasoning: Math.max(0, a.reasoning - b.reasoning),
  total: a.total - b.total,
});

function isFork(payload: Record<string, unknown>): boolean {
  if (str(payload.forked_from_id) || str(payload.parent_thread_id)) return true;
  const src = payload.source;
  return isObject(src) && src.subagent !== undefined && src.subagent !== null;
}

function sessionFromName(file: string): string {
  const base = path.basename(file).replace(/\.jsonl(\.zst)?$/, '');
  const uuid = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(base);
  return uuid ? uuid[1] : base;
}

function parser(file: string, saved?: unknown): LineParser {
  const s: CodexState = isObject(saved)
    ? (saved as unknown as CodexState)
    : { session: null, model: null, project: null, prev: null, burstFrom: null, metaSeen: false };
  return {
    save: () => ({ ...s }),
    line(text): ParsedRecord[] {
      const o = parseObject(text);
      const p = o.payload;
      if (!isObject(p)) return [];
      const ms = typeof o.timestamp === 'string' ? Date.parse(o.timestamp) : NaN;
      if (s.burstFrom !== null && Number.isFinite(ms) && ms - s.burstFrom > FORK_BURST_MS) s.burstFrom = null;

      if (o.type === 'session_meta') {
        // Only the first session_meta is this file's; later ones are ancestors copied by a fork.
        if (!s.metaSeen) {
          s.metaSeen = true;
          s.session = str(p.id) ?? str(p.session_id) ?? s.session;
          s.project = projectOf(p.cwd) ?? s.project;
          if (isFork(p) && Number.isFinite(ms)) s.burstFrom = ms;
        }
        return [];
      }
      if (o.type === 'turn_context') {
        s.model = str(p.model) ?? s.model;
        s.project = s.project ?? projectOf(p.cwd);
        return [];
      }
      if (o.type !== 'event_msg' || p.type !== 'token_count') return [];
      const info = p.info;
      if (info === null || info === undefined) return []; // a rate-limit-only update
      if (!isObject(info)) throw new MalformedLine(`payload.info: expected an object, got ${JSON.stringify(info)?.slice(0, 40)}`);
      const total = usage(info.total_token_usage, 'payload.info.total_token_usage');
      const last = usage(info.last_token_usage, 'payload.info.last_token_usage');
      const at = utcIso(o.timestamp, 'timestamp');

      if (s.burstFrom !== null) {
        if (total) s.prev = total;
        return [];
      }
      let delta: Usage | null;
      if (total) {
        const prev = s.prev;
        if (prev && same(total, prev)) return [];
        delta = !prev ? total : wentDown(total, prev) ? last : minus(total, prev);
        s.prev = total;
      } else {
        delta = last;
      }
      if (!delta || (delta.input === 0 && delta.output === 0 && delta.cached === 0)) return [];
      const cached = Math.min(delta.cached, delta.input);
      const output = delta.output;
      const session = s.session ?? sessionFromName(file);
      const key = total ? String(total.total) : `last${delta.total}`;
      return [
        {
          interaction: unpriced({
            id: `codex:${session}:${Date.parse(at)}:${key}`,
            at,
            agent: 'codex',
            project: s.project,
            model: s.model ?? str(info.model) ?? str(p.model) ?? 'unknown',
            tokens: tokens({ input: delta.input - cached, cacheRead: cached, output, reasoning: Math.min(delta.reasoning, output) }),
          }),
        },
      ];
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
  rootsFromSetting: (p) => (['sessions', 'archived_sessions'].includes(path.basename(p)) ? [p] : [path.join(p, 'sessions'), path.join(p, 'archived_sessions')]),
  matches: (file) => /\.jsonl(\.zst)?$/.test(file),
  readMode: (file) => (file.endsWith('.zst') ? 'zstd-lines' : 'lines'),
  needles: ['"token_count"', '"turn_context"', '"session_meta"'],
  supersededBy: (file) => (file.endsWith('.jsonl.zst') ? file.slice(0, -4) : null),
  createParser: (file, saved) => parser(file, saved),
};
