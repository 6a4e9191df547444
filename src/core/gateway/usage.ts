/**
 * Reads what a response says about itself — provider id, model, usage — from a copy of its bytes,
 * for the three APIs the gateway speaks, streamed (SSE) or not (JSON). Maps each vendor's usage to our
 * disjoint Tokens. Text deltas are kept (as raw event data, parsed only if needed) so that a stream that
 * ends without usage can still be counted with a tokenizer.
 */
import { tokens, type Tokens } from '../interaction';
import { SseReader } from './sse';

export type Api = 'anthropic' | 'openai-chat' | 'openai-responses';

type Json = Record<string, any>;

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);

/** Anthropic counts are already disjoint; the 5m/1h split is in `cache_creation` when the API reports it. */
export function anthropicTokens(u: Json): Tokens {
  const cc = u.cache_creation && typeof u.cache_creation === 'object' ? u.cache_creation : null;
  const w5 = cc ? n(cc.ephemeral_5m_input_tokens) : n(u.cache_creation_input_tokens);
  const w1 = cc ? n(cc.ephemeral_1h_input_tokens) : 0;
  return tokens({ input: n(u.input_tokens), output: n(u.output_tokens), cacheRead: n(u.cache_read_input_tokens), cacheWrite5m: w5, cacheWrite1h: w1 });
}

/** OpenAI Chat Completions: cached ⊂ prompt, reasoning ⊂ completion. */
export function chatTokens(u: Json): Tokens {
  const cached = Math.min(n(u.prompt_tokens_details?.cached_tokens), n(u.prompt_tokens));
  return tokens({ input: n(u.prompt_tokens) - cached, cacheRead: cached, output: n(u.completion_tokens), reasoning: Math.min(n(u.completion_tokens_details?.reasoning_tokens), n(u.completion_tokens)) });
}

/** OpenAI Responses: cached ⊂ input, reasoning ⊂ output. */
export function responsesTokens(u: Json): Tokens {
  const cached = Math.min(n(u.input_tokens_details?.cached_tokens), n(u.input_tokens));
  return tokens({ input: n(u.input_tokens) - cached, cacheRead: cached, output: n(u.output_tokens), reasoning: Math.min(n(u.output_tokens_details?.reasoning_tokens), n(u.output_tokens)) });
}

export interface Observation {
  /** The provider's id for this response (msg_…, chatcmpl-…, resp_…). */
  id: string | null;
  model: string | null;
  /** Usage as reported; null when none was seen. */
  reported: Tokens | null;
  /** True when the reported usage is final (Anthropic message_delta, an OpenAI usage chunk, Responses completion, a JSON body). */
  reportedFinal: boolean;
  /** Anthropic fast mode. */
  fast: boolean;
  /** Something of the response arrived (an event or a body). */
  seen: boolean;
  /** The stream reached its documented end (message_stop, [DONE], response.completed…). */
  complete: boolean;
  /** Generated text, for counting when usage is missing. */
  outputText(): string;
}

function safeParse(s: string): Json | null {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}

/** The `type` of an event whose `event:` line is missing: the first "type" key (vendors write it first). */
function typeOf(data: string): string {
  const m = /"type"\s*:\s*"([^"]+)"/.exec(data);
  return m ? m[1] : '';
}

export interface ResponseObserver {
  /** Bytes of the response body, in order (after any content decoding). */
  push(chunk: Buffer): void;
  end(): void;
  readonly observation: Observation;
}

/**
 * Observer for one response. `streaming` decides SSE vs JSON (from the response's content type).
 * JSON bodies are buffered up to `maxJsonBytes` (a usage block sits at the end of small bodies).
 */
export function observeResponse(api: Api, streaming: boolean, maxJsonBytes = 32 * 1024 * 1024): ResponseObserver {
  const deltas: string[] = [];
  const o: Observation = {
    id: null,
    model: null,
    reported: null,
    reportedFinal: false,
    fast: false,
    seen: false,
    complete: false,
    outputText: () => deltas.map((d) => deltaText(api, d)).join(''),
  };

  if (!streaming) {
    const parts: Buffer[] = [];
    let size = 0;
    return {
      observation: o,
      push(chunk) {
        if (size + chunk.length <= maxJsonBytes) parts.push(chunk);
        size += chunk.length;
      },
      end() {
        const body = size <= maxJsonBytes ? safeParse(Buffer.concat(parts).toString('utf8')) : null;
        if (!body) return;
        o.seen = true;
        o.complete = true;
        o.id = typeof body.id === 'string' ? body.id : null;
        o.model = typeof body.model === 'string' ? body.model : null;
        if (body.usage && typeof body.usage === 'object') {
          o.reported = api === 'anthropic' ? anthropicTokens(body.usage) : api === 'openai-chat' ? chatTokens(body.usage) : responsesTokens(body.usage);
          o.reportedFinal = true;
          o.fast = body.usage.speed === 'fast';
        }
        if (!o.reported) {
          // Keep the text for counting: the generated content of the body.
          const text = api === 'anthropic' ? (body.content ?? []).map((c: Json) => c.text ?? c.thinking ?? (c.input ? JSON.stringify(c.input) : '')).join('')
            : api === 'openai-chat' ? (body.choices ?? []).map((c: Json) => (c.message?.content ?? '') + (c.message?.tool_calls ?? []).map((t: Json) => t.function?.arguments ?? '').join('')).join('')
            : (body.output ?? []).map((it: Json) => (it.content ?? []).map((c: Json) => c.text ?? '').join('') + (it.arguments ?? '')).join('');
          deltas.push(JSON.stringify({ __text: text }));
        }
      },
    };
  }

  const onEvent = api === 'anthropic' ? anthropicEvent : api === 'openai-chat' ? chatEvent : responsesEvent;
  const reader = new SseReader((event, data) => {
    o.seen = true;
    onEvent(event || typeOf(data), data);
  });
  return { observation: o, push: (c) => reader.push(c), end: () => reader.end() };

  function anthropicEvent(event: string, data: string): void {
    switch (event) {
      case 'content_block_delta':
        deltas.push(data);
        return;
      case 'message_start': {
        const m = safeParse(data)?.message;
        if (!m) return;
        o.id = typeof m.id === 'string' ? m.id : o.id;
        o.model = typeof m.model === 'string' ? m.model : o.model;
        if (m.usage) {
          o.reported = anthropicTokens(m.usage);
          o.fast ||= m.usage.speed === 'fast';
        }
        return;
      }
      case 'message_delta': {
        const u = safeParse(data)?.usage;
        if (!u) return;
        // message_delta counts are cumulative and may restate input and cache counts: the later value wins.
        const start = o.reported ?? tokens({});
        const d = anthropicTokens(u);
        o.reported = {
          input: 'input_tokens' in u ? d.input : start.input,
          output: d.output,
          cacheRead: 'cache_read_input_tokens' in u ? d.cacheRead : start.cacheRead,
          cacheWrite5m: 'cache_creation_input_tokens' in u || u.cache_creation ? d.cacheWrite5m : start.cacheWrite5m,
          cacheWrite1h: u.cache_creation ? d.cacheWrite1h : start.cacheWrite1h,
          reasoning: 0,
        };
        o.reportedFinal = true;
        o.fast ||= u.speed === 'fast';
        return;
      }
      case 'message_stop':
        o.complete = true;
        return;
    }
  }

  function chatEvent(_event: string, data: string): void {
    if (data === '[DONE]') {
      o.complete = true;
      return;
    }
    // Only the first chunk (id, model) and a chunk carrying usage need parsing on the hot path.
    const hasUsage = data.includes('"usage"') && !/"usage"\s*:\s*null/.test(data);
    if (o.id === null || hasUsage) {
      const c = safeParse(data);
      if (!c) return;
      if (o.id === null && typeof c.id === 'string') o.id = c.id;
      if (o.model === null && typeof c.model === 'string') o.model = c.model;
      if (c.usage && typeof c.usage === 'object') {
        o.reported = chatTokens(c.usage);
        o.reportedFinal = true;
      }
    }
    deltas.push(data);
  }

  function responsesEvent(event: string, data: string): void {
    switch (event) {
      case 'response.output_text.delta':
      case 'response.function_call_arguments.delta':
      case 'response.reasoning_text.delta':
      case 'response.reasoning_summary_text.delta':
      case 'response.refusal.delta':
        deltas.push(data);
        return;
      case 'response.created':
      case 'response.in_progress': {
        if (o.id !== null) return;
        const r = safeParse(data)?.response;
        if (!r) return;
        o.id = typeof r.id === 'string' ? r.id : null;
        o.model = typeof r.model === 'string' ? r.model : null;
        return;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        o.complete = true;
        const r = safeParse(data)?.response;
        if (!r) return;
        o.id ??= typeof r.id === 'string' ? r.id : null;
        o.model ??= typeof r.model === 'string' ? r.model : null;
        if (r.usage && typeof r.usage === 'object') {
          o.reported = responsesTokens(r.usage);
          o.reportedFinal = true;
        }
        return;
      }
    }
  }
}

/** The generated text in one kept event (or a body's text kept as `{__text}`). */
function deltaText(api: Api, data: string): string {
  const e = safeParse(data);
  if (!e) return '';
  if (typeof e.__text === 'string') return e.__text;
  if (api === 'anthropic') {
    const d = e.delta ?? {};
    return d.text ?? d.partial_json ?? d.thinking ?? '';
  }
  if (api === 'openai-chat') {
    return (e.choices ?? [])
      .map((c: Json) => (c.delta?.content ?? '') + (c.delta?.reasoning_content ?? c.delta?.reasoning ?? '') + (c.delta?.tool_calls ?? []).map((t: Json) => t.function?.arguments ?? '').join(''))
      .join('');
  }
  return typeof e.delta === 'string' ? e.delta : '';
}

const SKIP_KEYS = new Set(['type', 'role', 'id', 'tool_use_id', 'call_id', 'model', 'cache_control', 'media_type', 'data', 'image_url', 'signature', 'stream', 'stream_options', 'max_tokens', 'max_output_tokens', 'temperature', 'metadata', 'store', 'status']);

/** The text a request sends (instructions, messages, tool schemas), for counting its input when no usage arrives. */
export function requestText(body: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown, key: string | null): void => {
    if (typeof v === 'string') {
      if (key === null || !SKIP_KEYS.has(key)) out.push(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (SKIP_KEYS.has(k)) continue;
        // Tool schemas count as input as the model sees them: as JSON.
        if (k === 'tools' || k === 'input_schema' || k === 'parameters') out.push(JSON.stringify(x));
        else walk(x, k);
      }
    }
  };
  walk(body, null);
  return out.join('\n');
}
