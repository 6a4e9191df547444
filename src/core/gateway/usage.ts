/**
 * Reads what a response says about itself — provider id, model, usage — from a copy of its bytes,
 * for the three APIs the gateway speaks, streamed (SSE) or not (JSON). Maps each vendor's usage to our
 * disjoint Tokens. Text deltas are kept (as raw event data, parsed only if needed) so that a stream that
 * ends without usage can still be counted with a tokenizer.
 *
 * Everything here reads untrusted bytes (a vendor, a proxy, an Ollama build, or whatever answers on the
 * configured upstream URL). Every value is checked for its type before use; anything that is not the
 * documented shape becomes a named diagnostic on the Observation, never an exception, and the bytes the
 * client receives are never touched. A count that is present but not a whole number from 0 to
 * MAX_COUNT marks that token field invalid: the gateway then counts it with the tokenizer and records
 * the interaction as estimated, rather than storing a silent 0.
 */
import { tokens, type Tokens } from '../interaction';
import { SSE_MAX_LINE, SseReader } from './sse';

export type Api = 'anthropic' | 'openai-chat' | 'openai-responses';

type Json = Record<string, unknown>;

/** Diagnostics an upstream response can raise (counted per name by the gateway). */
export type Diagnostic =
  | 'response_not_json' // a 2xx JSON body that does not parse
  | 'response_not_object' // parses, but is not an object (a string, an array, null)
  | 'response_too_large' // a JSON body over the buffering cap: usage not read
  | 'event_not_json' // an SSE event that should hold JSON does not
  | 'usage_not_object' // `usage` present but not an object
  | 'usage_invalid_count' // a count negative, fractional, not a number, or beyond MAX_COUNT
  | 'unexpected_shape' // content/choices/output/items/deltas not of their documented types
  | 'sse_line_too_long' // a line or event over the SSE cap: usage extraction stopped for the stream
  | 'observer_failed'; // a fault in this module itself: the side channel stopped, the response went on

/** No real response reports more tokens than this in one field (context windows are in the millions). */
export const MAX_COUNT = 100_000_000;

/** A plain object (not an array, not null), else null. */
function obj(v: unknown): Json | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
}
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Collects which token fields were present but invalid while mapping one usage object. */
type Bad = Set<keyof Tokens>;

function count(v: unknown, field: keyof Tokens, bad: Bad): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_COUNT) return v;
  bad.add(field);
  return 0;
}

/** Anthropic counts are already disjoint; the 5m/1h split is in `cache_creation` when the API reports it. */
export function anthropicTokens(u: Json, bad: Bad = new Set()): Tokens {
  const cc = obj(u.cache_creation);
  const w5 = cc ? count(cc.ephemeral_5m_input_tokens, 'cacheWrite5m', bad) : count(u.cache_creation_input_tokens, 'cacheWrite5m', bad);
  const w1 = cc ? count(cc.ephemeral_1h_input_tokens, 'cacheWrite1h', bad) : 0;
  return tokens({
    input: count(u.input_tokens, 'input', bad),
    output: count(u.output_tokens, 'output', bad),
    cacheRead: count(u.cache_read_input_tokens, 'cacheRead', bad),
    cacheWrite5m: w5,
    cacheWrite1h: w1,
  });
}

/** OpenAI Chat Completions: cached ⊂ prompt, reasoning ⊂ completion. */
export function chatTokens(u: Json, bad: Bad = new Set()): Tokens {
  return subsetTokens(
    u.prompt_tokens,
    obj(u.prompt_tokens_details)?.cached_tokens,
    u.completion_tokens,
    obj(u.completion_tokens_details)?.reasoning_tokens,
    bad,
  );
}

/** OpenAI Responses: cached ⊂ input, reasoning ⊂ output. */
export function responsesTokens(u: Json, bad: Bad = new Set()): Tokens {
  return subsetTokens(
    u.input_tokens,
    obj(u.input_tokens_details)?.cached_tokens,
    u.output_tokens,
    obj(u.output_tokens_details)?.reasoning_tokens,
    bad,
  );
}

function subsetTokens(inputV: unknown, cachedV: unknown, outputV: unknown, reasoningV: unknown, bad: Bad): Tokens {
  const input = count(inputV, 'input', bad);
  const cached = count(cachedV, 'cacheRead', bad);
  const output = count(outputV, 'output', bad);
  const reasoning = count(reasoningV, 'reasoning', bad);
  // A subset larger than its whole is not a usage any vendor writes.
  if (cached > input) bad.add('cacheRead');
  if (reasoning > output) bad.add('reasoning');
  const c = Math.min(cached, input);
  return tokens({ input: input - c, cacheRead: c, output, reasoning: Math.min(reasoning, output) });
}

export interface Observation {
  /** The provider's id for this response (msg_…, chatcmpl-…, resp_…). */
  id: string | null;
  model: string | null;
  /** Usage as reported; null when none was seen. */
  reported: Tokens | null;
  /** True when the reported usage is final (Anthropic message_delta, an OpenAI usage chunk, Responses completion, a JSON body). */
  reportedFinal: boolean;
  /** Token fields of `reported` that were present but not valid counts (stored as 0 there; to be counted). */
  invalid: Set<keyof Tokens>;
  /** Named diagnostics about the response's shape, in order of occurrence (each name at most once). */
  diagnostics: Diagnostic[];
  /** Anthropic fast mode. */
  fast: boolean;
  /** Something of the response arrived (an event or a body). */
  seen: boolean;
  /** The stream reached its documented end (message_stop, [DONE], response.completed…). */
  complete: boolean;
  /** Generated text, for counting when usage is missing. */
  outputText(): string;
}

export interface ResponseObserver {
  /** Bytes of the response body, in order (after any content decoding). Never throws. */
  push: (chunk: Buffer) => void;
  /** Never throws. */
  end: () => void;
  readonly observation: Observation;
}

export interface ObserveOptions {
  /** JSON bodies are buffered up to this many bytes (a usage block sits at the end of small bodies). */
  maxJsonBytes?: number;
  /** Cap on one SSE line or event (see sse.ts). */
  maxSseLine?: number;
}

/** Observer for one response. `streaming` decides SSE vs JSON (from the response's content type). */
export function observeResponse(api: Api, streaming: boolean, opts: ObserveOptions = {}): ResponseObserver {
  const deltas: string[] = [];
  const o: Observation = {
    id: null,
    model: null,
    reported: null,
    reportedFinal: false,
    invalid: new Set(),
    diagnostics: [],
    fast: false,
    seen: false,
    complete: false,
    outputText: () => guarded(() => deltas.map((d) => deltaText(api, d)).join(''), ''),
  };
  const diag = (d: Diagnostic) => void (o.diagnostics.includes(d) || o.diagnostics.push(d));
  // The last line of defence: a fault here stops observing this response, and only this one.
  let broken = false;
  function guarded<T>(fn: () => T, fallback: T): T {
    if (broken) return fallback;
    try {
      return fn();
    } catch {
      broken = true;
      diag('observer_failed');
      return fallback;
    }
  }
  const parse = (s: string): Json | null => {
    try {
      const v = obj(JSON.parse(s));
      if (!v) diag('event_not_json');
      return v;
    } catch {
      diag('event_not_json');
      return null;
    }
  };
  const usage = (v: unknown): Json | null => {
    if (v === undefined || v === null) return null;
    const u = obj(v);
    if (!u) diag('usage_not_object');
    return u;
  };
  const noteBad = (bad: Bad) => {
    for (const f of bad) o.invalid.add(f);
    if (bad.size > 0) diag('usage_invalid_count');
  };
  const ctx: Ctx = { o, deltas, diag, parse, usage, noteBad };

  if (!streaming) {
    const body = jsonBody(api, ctx, opts.maxJsonBytes ?? 32 * 1024 * 1024);
    return { observation: o, push: (c) => guarded(() => body.push(c), undefined), end: () => guarded(() => body.end(), undefined) };
  }
  const onEvent = api === 'anthropic' ? anthropicEvent(ctx) : api === 'openai-chat' ? chatEvent(ctx) : responsesEvent(ctx);
  const reader = new SseReader(
    (event, data) => {
      o.seen = true;
      onEvent(event || typeOf(data), data);
    },
    opts.maxSseLine ?? SSE_MAX_LINE,
    () => {
      // The stream was answered; what was read so far (and the request) still gives an estimate.
      o.seen = true;
      diag('sse_line_too_long');
    },
  );
  return { observation: o, push: (c) => guarded(() => reader.push(c), undefined), end: () => guarded(() => reader.end(), undefined) };
}

interface Ctx {
  o: Observation;
  deltas: string[];
  diag: (d: Diagnostic) => void;
  /** An event's JSON object, or null (diagnosed). */
  parse(s: string): Json | null;
  /** A `usage` value as an object; null when absent, or (diagnosed) when not an object. */
  usage(v: unknown): Json | null;
  noteBad(bad: Bad): void;
}

/** The `type` of an event whose `event:` line is missing: the first "type" key (vendors write it first). */
function typeOf(data: string): string {
  const m = /"type"\s*:\s*"([^"]{1,100})"/.exec(data.length > 4096 ? data.slice(0, 4096) : data);
  return m ? m[1]! : '';
}

function jsonBody(api: Api, ctx: Ctx, maxJsonBytes: number): { push: (c: Buffer) => void; end: () => void } {
  const { o, diag } = ctx;
  const parts: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      if (size + chunk.length <= maxJsonBytes) parts.push(chunk);
      size += chunk.length;
    },
    end() {
      if (size > maxJsonBytes) return diag('response_too_large');
      let v: unknown;
      try {
        v = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        return diag('response_not_json');
      }
      const body = obj(v);
      if (!body) return diag('response_not_object');
      o.seen = true;
      o.complete = true;
      o.id = str(body.id);
      o.model = str(body.model);
      const u = ctx.usage(body.usage);
      if (u) {
        const bad: Bad = new Set();
        o.reported = api === 'anthropic' ? anthropicTokens(u, bad) : api === 'openai-chat' ? chatTokens(u, bad) : responsesTokens(u, bad);
        ctx.noteBad(bad);
        o.reportedFinal = true;
        o.fast = u.speed === 'fast';
      }
      // The text is kept for counting whenever some count has to come from the tokenizer.
      if (!o.reported || o.invalid.size > 0) {
        const text =
          api === 'anthropic'
            ? anthropicBodyText(body, diag)
            : api === 'openai-chat'
              ? chatBodyText(body, diag)
              : responsesBodyText(body, diag);
        ctx.deltas.push(JSON.stringify({ __text: text }));
      }
    },
  };
}

/** The elements of an array field; a missing field is empty, anything else not an array is diagnosed. */
function list(v: unknown, diag: (d: Diagnostic) => void): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== undefined && v !== null) diag('unexpected_shape');
  return [];
}

/** Text of one content part: a string as it is, else its `text` (or `thinking`, or a tool call's input). */
function partText(p: unknown, diag: (d: Diagnostic) => void): string {
  if (typeof p === 'string') return p;
  const c = obj(p);
  if (!c) {
    if (p !== null && p !== undefined) diag('unexpected_shape');
    return '';
  }
  return str(c.text) ?? str(c.thinking) ?? (c.input !== undefined && c.input !== null ? JSON.stringify(c.input) : '');
}

function anthropicBodyText(body: Json, diag: (d: Diagnostic) => void): string {
  // Some compatible servers send `content` as a plain string: its text is still the answer.
  if (typeof body.content === 'string') {
    diag('unexpected_shape');
    return body.content;
  }
  return list(body.content, diag)
    .map((c) => partText(c, diag))
    .join('');
}

function chatBodyText(body: Json, diag: (d: Diagnostic) => void): string {
  return list(body.choices, diag)
    .map((ch) => {
      const m = obj(obj(ch)?.message);
      if (!m) {
        diag('unexpected_shape');
        return '';
      }
      const content = Array.isArray(m.content) ? m.content.map((p) => partText(p, diag)).join('') : (str(m.content) ?? '');
      return (
        content +
        list(m.tool_calls, diag)
          .map((t) => str(obj(obj(t)?.function)?.arguments) ?? '')
          .join('')
      );
    })
    .join('');
}

function responsesBodyText(body: Json, diag: (d: Diagnostic) => void): string {
  return list(body.output, diag)
    .map((item) => {
      const it = obj(item);
      if (!it) {
        diag('unexpected_shape');
        return '';
      }
      return (
        list(it.content, diag)
          .map((p) => partText(p, diag))
          .join('') + (str(it.arguments) ?? '')
      );
    })
    .join('');
}

function anthropicEvent(ctx: Ctx): (event: string, data: string) => void {
  const { o } = ctx;
  return (event, data) => {
    switch (event) {
      case 'content_block_delta':
        ctx.deltas.push(data);
        return;
      case 'message_start': {
        const m = obj(ctx.parse(data)?.message);
        if (!m) return;
        o.id = str(m.id) ?? o.id;
        o.model = str(m.model) ?? o.model;
        const u = ctx.usage(m.usage);
        if (u) {
          const bad: Bad = new Set();
          o.reported = anthropicTokens(u, bad);
          o.invalid = bad;
          if (bad.size > 0) ctx.diag('usage_invalid_count');
          o.fast ||= u.speed === 'fast';
        }
        return;
      }
      case 'message_delta': {
        const u = ctx.usage(ctx.parse(data)?.usage);
        if (!u) return;
        // message_delta counts are cumulative and may restate input and cache counts: the later value wins.
        const start = o.reported ?? tokens({});
        const bad: Bad = new Set();
        const d = anthropicTokens(u, bad);
        const restated: Record<keyof Tokens, boolean> = {
          input: 'input_tokens' in u,
          output: true,
          cacheRead: 'cache_read_input_tokens' in u,
          cacheWrite5m: 'cache_creation_input_tokens' in u || obj(u.cache_creation) !== null,
          cacheWrite1h: obj(u.cache_creation) !== null,
          reasoning: false,
        };
        const next = { ...start };
        for (const k of Object.keys(restated) as (keyof Tokens)[]) {
          if (!restated[k]) continue;
          next[k] = d[k];
          o.invalid.delete(k);
          if (bad.has(k)) o.invalid.add(k);
        }
        if (bad.size > 0) ctx.diag('usage_invalid_count');
        o.reported = next;
        o.reportedFinal = true;
        o.fast ||= u.speed === 'fast';
        return;
      }
      case 'message_stop':
        o.complete = true;
        return;
    }
  };
}

function chatEvent(ctx: Ctx): (event: string, data: string) => void {
  const { o } = ctx;
  return (_event, data) => {
    if (data === '[DONE]') {
      o.complete = true;
      return;
    }
    // Only the first chunk (id, model) and a chunk carrying usage need parsing on the hot path.
    const hasUsage = data.includes('"usage"') && !/"usage"\s*:\s*null/.test(data);
    if (o.id === null || hasUsage) {
      const c = ctx.parse(data);
      if (!c) return;
      if (o.id === null) o.id = str(c.id);
      if (o.model === null) o.model = str(c.model);
      const u = ctx.usage(c.usage);
      if (u) {
        const bad: Bad = new Set();
        o.reported = chatTokens(u, bad);
        o.invalid = bad;
        if (bad.size > 0) ctx.diag('usage_invalid_count');
        o.reportedFinal = true;
      }
    }
    ctx.deltas.push(data);
  };
}

function responsesEvent(ctx: Ctx): (event: string, data: string) => void {
  const { o } = ctx;
  return (event, data) => {
    switch (event) {
      case 'response.output_text.delta':
      case 'response.function_call_arguments.delta':
      case 'response.reasoning_text.delta':
      case 'response.reasoning_summary_text.delta':
      case 'response.refusal.delta':
        ctx.deltas.push(data);
        return;
      case 'response.created':
      case 'response.in_progress': {
        if (o.id !== null) return;
        const r = obj(ctx.parse(data)?.response);
        if (!r) return;
        o.id = str(r.id);
        o.model = str(r.model);
        return;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        o.complete = true;
        const r = obj(ctx.parse(data)?.response);
        if (!r) return;
        o.id ??= str(r.id);
        o.model ??= str(r.model);
        const u = ctx.usage(r.usage);
        if (u) {
          const bad: Bad = new Set();
          o.reported = responsesTokens(u, bad);
          o.invalid = bad;
          if (bad.size > 0) ctx.diag('usage_invalid_count');
          o.reportedFinal = true;
        }
        return;
      }
    }
  };
}

/** The generated text in one kept event (or a body's text kept as `{__text}`); '' for anything unexpected. */
function deltaText(api: Api, data: string): string {
  let e: Json | null;
  try {
    e = obj(JSON.parse(data));
  } catch {
    return '';
  }
  if (!e) return '';
  if (typeof e.__text === 'string') return e.__text;
  if (api === 'anthropic') {
    const d = obj(e.delta);
    return d ? (str(d.text) ?? str(d.partial_json) ?? str(d.thinking) ?? '') : '';
  }
  if (api === 'openai-chat') {
    const choices = Array.isArray(e.choices) ? e.choices : [];
    return choices
      .map((c) => {
        const d = obj(obj(c)?.delta);
        if (!d) return '';
        const calls = Array.isArray(d.tool_calls) ? d.tool_calls : [];
        return (
          (str(d.content) ?? '') +
          (str(d.reasoning_content) ?? str(d.reasoning) ?? '') +
          calls.map((t) => str(obj(obj(t)?.function)?.arguments) ?? '').join('')
        );
      })
      .join('');
  }
  return str(e.delta) ?? '';
}

const SKIP_KEYS = new Set([
  'type',
  'role',
  'id',
  'tool_use_id',
  'call_id',
  'model',
  'cache_control',
  'media_type',
  'data',
  'image_url',
  'signature',
  'stream',
  'stream_options',
  'max_tokens',
  'max_output_tokens',
  'temperature',
  'metadata',
  'store',
  'status',
]);

/**
 * The text a request sends (instructions, messages, tool schemas), for counting its input when no usage
 * arrives. Walks with an explicit stack: a hostile request nested a million levels deep is just text.
 */
export function requestText(body: unknown): string {
  const out: string[] = [];
  // Reversed pushes keep document order: the last pushed is read first.
  const stack: Array<[unknown, string | null]> = [[body, null]];
  while (stack.length > 0) {
    const [v, key] = stack.pop()!;
    if (typeof v === 'string') {
      if (key === null || !SKIP_KEYS.has(key)) out.push(v);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], key]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        if (SKIP_KEYS.has(k)) continue;
        // Tool schemas count as input as the model sees them: as JSON.
        if (k === 'tools' || k === 'input_schema' || k === 'parameters') stack.push([safeStringify(x), null]);
        else stack.push([x, k]);
      }
    }
  }
  return out.join('\n');
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return ''; // nested past the engine's recursion limit: such a schema is not something a model reads
  }
}
