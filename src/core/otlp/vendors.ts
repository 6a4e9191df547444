/**
 * Each vendor's request-level telemetry event → one Interaction (source `otel`). Only the named token,
 * model and id attributes are read; nothing else of a record (prompt or response text that an agent may be
 * configured to include: Gemini CLI's `response_text`, Copilot's `gen_ai.input.messages`, Codex's prompt
 * events) is copied anywhere. Names follow each writer's own source (test/otlp/fixtures/README.md cites them):
 *
 * - Claude Code: log record `claude_code.api_request` (body), attribute `event.name` = `api_request`;
 *   `model`, `input_tokens` (uncached), `output_tokens`, `cache_read_tokens`, `cache_creation_tokens`
 *   (no 5-minute/1-hour split: stored as 5-minute, as the log adapter does without `cache_creation`),
 *   `speed` = `fast`, `session.id`, `request_id`, `event.sequence`. Numbers may arrive as strings.
 * - Codex: `event.name` = `codex.sse_event`, `event.kind` = `response.completed`, `input_token_count`
 *   (includes cached; a string: codex formats it with Display), `cached_token_count`, `output_token_count`
 *   (includes reasoning), `reasoning_token_count`, `model`, `conversation.id`. `tool_token_count` is not
 *   read: codex passes the response's total there.
 * - Gemini CLI: `event.name` = `gemini_cli.api_response`, `input_token_count` (includes cached),
 *   `cached_content_token_count`, `output_token_count`, `thoughts_token_count` (billed as output),
 *   `tool_token_count` (extra input), `model`, `prompt_id`, `session.id`: split as the log adapter splits.
 * - Copilot Chat, and any sender of the GenAI conventions' event: `event.name` =
 *   `gen_ai.client.inference.operation.details`, `gen_ai.usage.input_tokens` (includes cached, per the
 *   conventions), `gen_ai.usage.cache_read.input_tokens`, `gen_ai.usage.cache_creation.input_tokens`,
 *   `gen_ai.usage.output_tokens`, `gen_ai.usage.reasoning.output_tokens`, `gen_ai.response.model` or
 *   `gen_ai.request.model`, `gen_ai.response.id`. Gemini CLI emits this event too for the very request
 *   its `gemini_cli.api_response` describes; from service `gemini-cli` it is therefore not read.
 */
import { tokens, type Interaction, type Tokens } from '../interaction';
import { fingerprintOf } from '../ledger/twins';

export type AnyValue = Record<string, unknown>;
export type Attrs = ReadonlyMap<string, string | number | boolean>;

export class RejectedRecord extends Error {}

/** OTLP KeyValue list → scalar values; arrays, maps and bytes are left out (no token count is one). */
export function attributesOf(list: unknown): Map<string, string | number | boolean> {
  const out = new Map<string, string | number | boolean>();
  if (!Array.isArray(list)) return out;
  for (const kv of list as { key?: unknown; value?: AnyValue }[]) {
    if (typeof kv?.key !== 'string' || !kv.value) continue;
    const v = scalar(kv.value);
    if (v !== undefined) out.set(kv.key, v);
  }
  return out;
}

function scalar(v: AnyValue): string | number | boolean | undefined {
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (typeof v.intValue === 'string' || typeof v.intValue === 'number') return String(v.intValue);
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  return undefined;
}

/** A token count: a non-negative integer, sent as a number or a decimal string; absent = 0. */
function count(a: Attrs, key: string): number {
  const v = a.get(key);
  if (v === undefined || v === '') return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RejectedRecord(`${key}: expected a non-negative integer, got ${JSON.stringify(v).slice(0, 40)}`);
  return n;
}

function text(a: Attrs, key: string): string | null {
  const v = a.get(key);
  if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 200);
  if (typeof v === 'number') return String(v);
  return null;
}

/** What the mapping needs of one log record, beside its attributes. */
export interface RecordContext {
  service: string | null;
  /** The record's own time (timeUnixNano, else observedTimeUnixNano), ISO; null when neither is set. */
  time: string | null;
  /** The record's body when it is a string (Claude Code puts the event name there). */
  body: string | null;
  /** LogRecord.event_name (newer SDKs) when set. */
  eventName: string | null;
}

/** An Interaction from telemetry, and whether another source (its agent's log, the gateway) may hold it too. */
export interface OtelInteraction {
  interaction: Interaction;
  /** True for agents whose logs Unmetered reads or that the gateway serves: see join.ts. */
  mayBeElsewhere: boolean;
}

/** One Interaction, null when the record is no request-level event; throws RejectedRecord for a malformed one. */
export function mapLogRecord(a: Attrs, ctx: RecordContext, now: () => number): OtelInteraction | null {
  const name = text(a, 'event.name') ?? ctx.eventName ?? ctx.body;
  if (!name) return null;
  if (
    (name === 'api_request' && (ctx.body === 'claude_code.api_request' || ctx.service === 'claude-code')) ||
    name === 'claude_code.api_request'
  )
    return claudeCode(a, at(a, ctx, now));
  if (name === 'codex.sse_event')
    return a.get('event.kind') === 'response.completed' && a.has('input_token_count') ? codex(a, at(a, ctx, now)) : null;
  if (name === 'gemini_cli.api_response') return gemini(a, at(a, ctx, now));
  if (name === 'gen_ai.client.inference.operation.details' && ctx.service !== 'gemini-cli') return genAi(a, ctx, at(a, ctx, now));
  return null;
}

function claudeCode(a: Attrs, when: string): OtelInteraction | null {
  const t = tokens({
    input: count(a, 'input_tokens'),
    output: count(a, 'output_tokens'),
    cacheRead: count(a, 'cache_read_tokens'),
    cacheWrite5m: count(a, 'cache_creation_tokens'),
  });
  if (sum(t) === 0) return null;
  const session = text(a, 'session.id');
  const key = text(a, 'request_id') ?? (session && text(a, 'event.sequence') ? `${session}:${text(a, 'event.sequence')}` : null);
  const i = build('claude-code', a, when, t, key ?? `${session ?? '-'}:${when}:${fingerprintOf(t)}`);
  if (a.get('speed') === 'fast') i.fast = true;
  return { interaction: i, mayBeElsewhere: true };
}

function codex(a: Attrs, when: string): OtelInteraction | null {
  const input = count(a, 'input_token_count');
  const cached = Math.min(count(a, 'cached_token_count'), input);
  const output = count(a, 'output_token_count');
  const t = tokens({ input: input - cached, cacheRead: cached, output, reasoning: Math.min(count(a, 'reasoning_token_count'), output) });
  if (sum(t) === 0) return null;
  const key = `${text(a, 'conversation.id') ?? '-'}:${text(a, 'event.timestamp') ?? when}:${fingerprintOf(t)}`;
  return { interaction: build('codex', a, when, t, key), mayBeElsewhere: true };
}

function gemini(a: Attrs, when: string): OtelInteraction | null {
  const input = count(a, 'input_token_count');
  const cached = Math.min(count(a, 'cached_content_token_count'), input);
  const thoughts = count(a, 'thoughts_token_count');
  const t = tokens({
    input: input - cached + count(a, 'tool_token_count'),
    cacheRead: cached,
    output: count(a, 'output_token_count') + thoughts,
    reasoning: thoughts,
  });
  if (sum(t) === 0) return null;
  const key = `${text(a, 'session.id') ?? '-'}:${text(a, 'prompt_id') ?? '-'}:${text(a, 'event.timestamp') ?? when}:${fingerprintOf(t)}`;
  return { interaction: build('gemini-cli', a, when, t, key), mayBeElsewhere: true };
}

function genAi(a: Attrs, ctx: RecordContext, when: string): OtelInteraction | null {
  if (a.has('error.type')) return null;
  const input = count(a, 'gen_ai.usage.input_tokens');
  const cacheRead = Math.min(count(a, 'gen_ai.usage.cache_read.input_tokens'), input);
  const cacheWrite = Math.min(count(a, 'gen_ai.usage.cache_creation.input_tokens'), input - cacheRead);
  const output = count(a, 'gen_ai.usage.output_tokens');
  const t = tokens({
    input: input - cacheRead - cacheWrite,
    cacheRead,
    cacheWrite5m: cacheWrite,
    output,
    reasoning: Math.min(count(a, 'gen_ai.usage.reasoning.output_tokens'), output),
  });
  if (sum(t) === 0) return null;
  const agent = agentOfService(ctx.service);
  const model = text(a, 'gen_ai.response.model') ?? text(a, 'gen_ai.request.model');
  const key = text(a, 'gen_ai.response.id') ?? `${text(a, 'session.id') ?? '-'}:${when}:${fingerprintOf(t)}`;
  return { interaction: build(agent, a, when, t, key, model), mayBeElsewhere: false };
}

/** Copilot Chat's default service.name is `copilot-chat` (OTEL_SERVICE_NAME may change it). */
export function agentOfService(service: string | null): string {
  if (!service || /^(github[-.])?copilot/i.test(service)) return 'copilot-chat';
  const slug = service
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return slug || 'copilot-chat';
}

function build(agent: string, a: Attrs, when: string, t: Tokens, key: string, model = text(a, 'model')): Interaction {
  return {
    id: `${agent}:otel:${key}`,
    at: when,
    agent,
    source: 'otel',
    project: null,
    model: model ?? 'unknown',
    route: 'cloud',
    replaces: null,
    tokens: t,
    costNanos: null,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
  };
}

function sum(t: Tokens): number {
  return t.input + t.output + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
}

export { fingerprintOf };

/** `event.timestamp` (ISO, Claude Code, Codex, Gemini CLI), else the record's time, else now. */
function at(a: Attrs, ctx: RecordContext, now: () => number): string {
  const ts = text(a, 'event.timestamp');
  const ms = ts ? Date.parse(ts) : NaN;
  if (Number.isFinite(ms)) return new Date(ms).toISOString();
  return ctx.time ?? new Date(now()).toISOString();
}

/** Nanoseconds since the epoch (a decimal string) → ISO, or null for 0, absent or out of range. */
export function isoFromNanos(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v);
  if (!/^\d{1,20}$/.test(s) || /^0+$/.test(s)) return null;
  const ms = Number(s.length > 6 ? s.slice(0, -6) : '0');
  if (!Number.isFinite(ms) || ms > 8.64e15) return null;
  return new Date(ms).toISOString();
}
