/**
 * Amp (Sourcegraph; closed source): `~/.local/share/amp/threads/T-<uuid>.json`, one JSON document per
 * thread, rewritten in place. No writer source is public; the shape is the one the public readers agree
 * on: ccusage `rust/crates/ccusage/src/adapter/amp/{README.md,parser.rs}` at
 * 5816e640e8824986f33427203da164b01394a161 and tokscale `packages/core/src/sessions/amp.rs` at
 * a496cca5f703337c33c0975d541e605ee731d03e. (`AMP_DATA_DIR` is ccusage's own variable, not Amp's.)
 *
 * Rules:
 * - a thread with `usageLedger.events[]` is read from the ledger: one event `{id, timestamp, model,
 *   tokens:{input, output}, toMessageId}` per request; the cache counts are on the assistant message it
 *   points to (`messages[].messageId`, `usage.cacheCreationInputTokens` / `cacheReadInputTokens`);
 * - otherwise (newer threads) each assistant message's `usage {model, timestamp, inputTokens,
 *   outputTokens, cacheCreationInputTokens, cacheReadInputTokens, totalInputTokens}` is one request;
 *   `totalInputTokens` = input + cache writes + cache reads, so `inputTokens` is the uncached part;
 * - ids are the thread id with the event id or message id: a rewrite re-reads the thread and stores
 *   nothing twice;
 * - a usage with only a total (no split) is reported, not guessed; Amp's `credits` are not dollars we can
 *   check, so they are left out.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, isObject, parseObject, segments, str, unpriced, utcIso } from './util';

type Obj = Record<string, unknown>;
const NOTHING: readonly ParsedRecord[] = [];

function record(id: string, at: unknown, model: unknown, t: { input: number; output: number; cacheWrite5m: number; cacheRead: number }) {
  return {
    interaction: unpriced({
      id,
      at: utcIso(at, 'timestamp'),
      agent: 'amp',
      project: null,
      model: str(model) ?? 'unknown',
      tokens: tokens(t),
    }),
  };
}

const empty = (t: { input: number; output: number; cacheWrite5m: number; cacheRead: number }) =>
  t.input + t.output + t.cacheWrite5m + t.cacheRead === 0;

function onlyTotal(u: Obj, total: string, w: string, t: Parameters<typeof empty>[0]): void {
  const n = count(u, total, w);
  if (empty(t) && n > 0) throw new MalformedLine(`${w}: only ${total} (${n}), no input/output split; not counted`);
}

function cacheOf(messages: Obj[]): Map<unknown, Obj> {
  const m = new Map<unknown, Obj>();
  for (const x of messages) if (x.role === 'assistant' && isObject(x.usage)) m.set(x.messageId, x.usage);
  return m;
}

function fromLedger(thread: string, events: unknown[], messages: Obj[], bad: (r: string) => void): ParsedRecord[] {
  const cache = cacheOf(messages);
  const out: ParsedRecord[] = [];
  events.forEach((e, i) => {
    const w = `usageLedger.events[${i}]`;
    try {
      if (!isObject(e) || !isObject(e.tokens)) throw new MalformedLine(`${w}: expected an event with tokens`);
      const id = str(e.id) ?? (typeof e.id === 'number' ? String(e.id) : null);
      if (!id) throw new MalformedLine(`${w}.id: expected an event id, got ${JSON.stringify(e.id)?.slice(0, 40)}`);
      const c = cache.get(e.toMessageId) ?? e.tokens;
      const t = {
        input: count(e.tokens, 'input', `${w}.tokens`),
        output: count(e.tokens, 'output', `${w}.tokens`),
        cacheWrite5m: count(c, 'cacheCreationInputTokens', `${w} cache`),
        cacheRead: count(c, 'cacheReadInputTokens', `${w} cache`),
      };
      onlyTotal(e.tokens, 'total', `${w}.tokens`, t);
      if (!empty(t)) out.push(record(`amp:${thread}:${id}`, e.timestamp, e.model, t));
    } catch (err) {
      if (!(err instanceof MalformedLine)) throw err;
      bad(err.message);
    }
  });
  return out;
}

function fromMessages(thread: string, messages: Obj[], bad: (r: string) => void): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  messages.forEach((m, i) => {
    if (m.role !== 'assistant' || !isObject(m.usage)) return;
    const u = m.usage;
    const w = `messages[${i}].usage`;
    try {
      const t = {
        input: count(u, 'inputTokens', w),
        output: count(u, 'outputTokens', w),
        cacheWrite5m: count(u, 'cacheCreationInputTokens', w),
        cacheRead: count(u, 'cacheReadInputTokens', w),
      };
      onlyTotal(u, 'totalTokens', w, t);
      if (empty(t)) return;
      const mid = typeof m.messageId === 'number' || typeof m.messageId === 'string' ? m.messageId : `#${i}`;
      out.push(record(`amp:${thread}:m${mid}`, u.timestamp ?? m.timestamp, u.model ?? m.model, t));
    } catch (err) {
      if (!(err instanceof MalformedLine)) throw err;
      bad(err.message);
    }
  });
  return out;
}

function parser(file: string): LineParser {
  const stem = segments(file)
    .pop()!
    .replace(/\.json$/, '');
  return {
    line(text, _lineNo, malformed): readonly ParsedRecord[] {
      const o = parseObject(text);
      const thread = str(o.id) ?? stem;
      const messages = Array.isArray(o.messages) ? o.messages.filter(isObject) : [];
      const bad =
        malformed ??
        ((r: string) => {
          throw new MalformedLine(r);
        });
      const events = isObject(o.usageLedger) && Array.isArray(o.usageLedger.events) ? o.usageLedger.events : [];
      if (events.length) return fromLedger(thread, events, messages, bad);
      const out = fromMessages(thread, messages, bad);
      return out.length ? out : NOTHING;
    },
  };
}

export const amp: SourceAdapter = {
  id: 'amp',
  agent: 'amp',
  label: 'Amp',
  settingsKey: 'amp',
  defaultRoots: (ctx: RootContext) => [path.join(ctx.home, '.local', 'share', 'amp', 'threads')],
  rootsFromSetting: (p) => [path.basename(p) === 'threads' ? p : path.join(p, 'threads')],
  matches: (file) => /[\\/]T-[^\\/]+\.json$/.test(file),
  readMode: () => 'document',
  createParser: (file) => parser(file),
};
