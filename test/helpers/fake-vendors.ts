/**
 * Loopback servers that speak the vendors' documented wire formats, for tests and benchmarks:
 *   startFakeAnthropic()  Anthropic Messages (+ count_tokens, models), JSON and SSE
 *   startFakeOpenAI()     OpenAI Chat Completions and Responses (+ models), JSON and SSE
 *   startFakeOllama()     Ollama's native API (version, tags, show, ps, pull and chat as NDJSON) and its
 *                         OpenAI- and Anthropic-compatible endpoints
 *
 * Each server answers from a queue of scripted replies (`server.next(reply)`), falling back to
 * `server.defaultReply`, records every request it got (`server.requests`) and the exact bytes of every
 * response body it wrote (`server.responses`), so a test can compare what a client received byte for byte.
 * Streams follow the documents: SSE `event:`/`data:` lines and blank-line framing, the vendors' event order,
 * their error bodies, and Ollama's one-JSON-object-per-line streams.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  json: any;
  /** Set when the client went away before the response was complete. */
  aborted: boolean;
}

export interface Reply {
  /** Assistant text; streamed as one delta per word. */
  text?: string;
  id?: string;
  /** Model reported back; defaults to the requested one. */
  model?: string;
  /** Usage in the API's own shape (merged over a default). */
  usage?: Record<string, unknown>;
  /** Answer with this status and body (the API's error shape when body is omitted). */
  error?: { status: number; body?: unknown; type?: string; message?: string; headers?: Record<string, string> };
  /** Milliseconds between stream events. */
  delayMs?: number;
  /** Destroy the connection after writing this many events (an upstream that dies mid-stream). */
  dieAfterEvents?: number;
  /** Stop writing after this many events and keep the connection open until the client leaves. */
  hangAfterEvents?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

export interface FakeServer {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Exact bytes of each response body written, in request order. */
  readonly responses: Buffer[];
  defaultReply: Reply;
  next(...replies: Reply[]): void;
  /** Resolves when the request with this index has finished on the server side (completed or aborted). */
  settled(index: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export interface SseEvent {
  event?: string;
  data: unknown;
}

/** `event: x\ndata: {...}\n\n` (or a data-only frame), as the vendors write them. */
export function sseFrame(e: SseEvent): string {
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  return `${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`;
}

function words(text: string): string[] {
  const parts = text.match(/\S+\s*/g) ?? [];
  return parts.length ? parts : [''];
}

const rid = (prefix: string, n = 12) =>
  `${prefix}${randomBytes(n)
    .toString('hex')
    .slice(0, n * 2)}`;

// ---------- Anthropic Messages ----------

export const ANTHROPIC_DEFAULT_USAGE = { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 12 };

export function anthropicMessage(req: any, r: Reply, defaultUsage: object = ANTHROPIC_DEFAULT_USAGE) {
  const usage = { ...defaultUsage, ...r.usage };
  return {
    id: r.id ?? rid('msg_'),
    type: 'message',
    role: 'assistant',
    model: r.model ?? req.model,
    content: [{ type: 'text', text: r.text ?? 'Hello!' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage,
  };
}

/** The documented event order: message_start, content_block_start, ping, deltas, content_block_stop, message_delta, message_stop. */
export function anthropicStreamEvents(req: any, r: Reply, defaultUsage: object = ANTHROPIC_DEFAULT_USAGE): SseEvent[] {
  const m = anthropicMessage(req, r, defaultUsage);
  const { output_tokens, ...startUsage } = m.usage as typeof ANTHROPIC_DEFAULT_USAGE;
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: { type: 'message_start', message: { ...m, content: [], stop_reason: null, usage: { ...startUsage, output_tokens: 1 } } },
    },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
  ];
  for (const w of words(r.text ?? 'Hello!'))
    events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } } });
  events.push(
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens } },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return events;
}

export function anthropicError(type: string, message: string) {
  return { type: 'error', error: { type, message }, request_id: rid('req_') };
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

// ---------- OpenAI Chat Completions ----------

export const OPENAI_DEFAULT_USAGE = {
  prompt_tokens: 20,
  completion_tokens: 9,
  total_tokens: 29,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

export function chatCompletion(req: any, r: Reply, created: number, defaultUsage: object = OPENAI_DEFAULT_USAGE) {
  return {
    id: r.id ?? rid('chatcmpl-'),
    object: 'chat.completion',
    created,
    model: r.model ?? req.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: r.text ?? 'Hello!', refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { ...defaultUsage, ...r.usage },
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

/** Chunks, then (only with stream_options.include_usage) a final chunk with `choices: []` and usage, then [DONE]. */
export function chatCompletionChunks(req: any, r: Reply, created: number, defaultUsage: object = OPENAI_DEFAULT_USAGE): SseEvent[] {
  const id = r.id ?? rid('chatcmpl-');
  const model = r.model ?? req.model;
  const withUsage = req.stream_options?.include_usage === true;
  const base = { id, object: 'chat.completion.chunk', created, model, service_tier: 'default', system_fingerprint: 'fp_fake' };
  const u = withUsage ? { usage: null } : {};
  const events: SseEvent[] = [
    {
      data: {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }],
        ...u,
      },
    },
  ];
  for (const w of words(r.text ?? 'Hello!'))
    events.push({ data: { ...base, choices: [{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }], ...u } });
  events.push({ data: { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], ...u } });
  if (withUsage) events.push({ data: { ...base, choices: [], usage: { ...defaultUsage, ...r.usage } } });
  events.push({ data: '[DONE]' });
  return events;
}

export function openaiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

// ---------- OpenAI Responses ----------

export const RESPONSES_DEFAULT_USAGE = {
  input_tokens: 30,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 11,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 41,
};

export function responseObject(
  req: any,
  r: Reply,
  created: number,
  status: 'in_progress' | 'completed',
  id?: string,
  defaultUsage: object = RESPONSES_DEFAULT_USAGE,
) {
  const done = status === 'completed';
  const text = r.text ?? 'Hello!';
  return {
    id: id ?? r.id ?? rid('resp_'),
    object: 'response',
    created_at: created,
    status,
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    model: r.model ?? req.model,
    output: done
      ? [
          {
            id: 'msg_out_1',
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ]
      : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    store: req.store ?? true,
    usage: done ? { ...defaultUsage, ...r.usage } : null,
  };
}

/** response.created, response.in_progress, output item/part added, text deltas, done events, response.completed. */
export function responseEvents(req: any, r: Reply, created: number, defaultUsage: object = RESPONSES_DEFAULT_USAGE): SseEvent[] {
  const id = r.id ?? rid('resp_');
  const text = r.text ?? 'Hello!';
  let seq = 0;
  const ev = (type: string, body: Record<string, unknown>): SseEvent => ({ event: type, data: { type, sequence_number: seq++, ...body } });
  const item = { id: 'msg_out_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
  const events: SseEvent[] = [
    ev('response.created', { response: responseObject(req, r, created, 'in_progress', id, defaultUsage) }),
    ev('response.in_progress', { response: responseObject(req, r, created, 'in_progress', id, defaultUsage) }),
    ev('response.output_item.added', { output_index: 0, item }),
    ev('response.content_part.added', {
      item_id: 'msg_out_1',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    }),
  ];
  for (const w of words(text))
    events.push(ev('response.output_text.delta', { item_id: 'msg_out_1', output_index: 0, content_index: 0, delta: w }));
  events.push(
    ev('response.output_text.done', { item_id: 'msg_out_1', output_index: 0, content_index: 0, text }),
    ev('response.content_part.done', {
      item_id: 'msg_out_1',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text, annotations: [] },
    }),
    ev('response.output_item.done', {
      output_index: 0,
      item: { ...item, status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] },
    }),
    ev('response.completed', { response: responseObject(req, r, created, 'completed', id, defaultUsage) }),
  );
  return events;
}

// ---------- the server shell ----------

export type Handler = (req: RecordedRequest, reply: Reply, res: http.ServerResponse, io: Io) => void | Promise<void>;

export interface Io {
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  stream(contentType: string, frames: string[], reply: Reply): Promise<void>;
}

export async function startServer(route: (req: RecordedRequest) => Handler | null, defaultReply: Reply): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const responses: Buffer[] = [];
  const queue: Reply[] = [];
  const settledWaiters = new Map<number, Array<(r: RecordedRequest) => void>>();
  const settledSet = new Set<number>();
  const markSettled = (i: number) => {
    if (settledSet.has(i)) return;
    settledSet.add(i);
    for (const w of settledWaiters.get(i) ?? []) w(requests[i]);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: any;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json, aborted: false };
      const index = requests.push(rec) - 1;
      const written: Buffer[] = [];
      responses[index] = Buffer.alloc(0);
      const keep = (b: string | Buffer) => {
        written.push(Buffer.from(b));
        responses[index] = Buffer.concat(written);
      };
      res.on('close', () => {
        if (!res.writableFinished) rec.aborted = true;
        markSettled(index);
      });
      const handler = route(rec);
      // Scripted replies are for generation requests; status calls (/api/ps, /api/tags, …) do not use one up.
      const scripted = rec.method === 'POST' && !/^\/api\/(show|pull)\b/.test(pathOf(rec.path));
      const reply = (scripted ? queue.shift() : undefined) ?? fake.defaultReply;
      const io: Io = {
        json(status, b, headers) {
          const text = JSON.stringify(b);
          keep(text);
          res.writeHead(status, { 'content-type': 'application/json', ...reply.headers, ...headers });
          res.end(text);
        },
        async stream(contentType, frames, r) {
          res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', connection: 'keep-alive', ...r.headers });
          res.flushHeaders();
          for (let i = 0; i < frames.length; i++) {
            if (r.dieAfterEvents !== undefined && i >= r.dieAfterEvents) {
              res.socket?.destroy();
              return;
            }
            if (r.hangAfterEvents !== undefined && i >= r.hangAfterEvents) return; // until the client leaves
            if (res.destroyed) return;
            keep(frames[i]);
            // A dying server still got its earlier events onto the wire: wait for them before the cut.
            if (r.dieAfterEvents !== undefined) await new Promise<void>((ok) => res.write(frames[i], () => ok()));
            else res.write(frames[i]);
            if (r.delayMs) await new Promise((ok) => setTimeout(ok, r.delayMs));
          }
          res.end();
        },
      };
      if (!handler) return io.json(404, { error: `no route for ${rec.method} ${rec.path}` });
      try {
        await handler(rec, reply, res, io);
      } catch (err) {
        if (!res.headersSent) io.json(500, { error: String(err) });
        else res.destroy();
      }
    });
  });
  // Tests open many streams at once.
  server.maxConnections = 1000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const fake: FakeServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    responses,
    defaultReply,
    next: (...r) => void queue.push(...r),
    settled: (i) =>
      settledSet.has(i) ? Promise.resolve(requests[i]) : new Promise((ok) => settledWaiters.set(i, [...(settledWaiters.get(i) ?? []), ok])),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
  return fake;
}

export const pathOf = (p: string) => p.split('?')[0];
const now = () => Math.floor(Date.now() / 1000);

// Handlers shared by the vendor fakes and Ollama's compatible endpoints.

export function anthropicMessages(
  errorShape: (status: number, message: string) => unknown = (s, m) => anthropicError(ANTHROPIC_ERROR_TYPES[s] ?? 'api_error', m),
  usage: object = ANTHROPIC_DEFAULT_USAGE,
): Handler {
  return (req, r, _res, io) => {
    if (r.error)
      return io.json(r.error.status, r.error.body ?? errorShape(r.error.status, r.error.message ?? 'error'), {
        'request-id': rid('req_'),
        ...r.error.headers,
      });
    if (!req.json?.model) return io.json(400, errorShape(400, 'model: Field required'));
    if (req.json.stream) return io.stream('text/event-stream; charset=utf-8', anthropicStreamEvents(req.json, r, usage).map(sseFrame), r);
    return io.json(200, anthropicMessage(req.json, r, usage), { 'request-id': rid('req_') });
  };
}

export function chatCompletions(
  errorShape: (status: number, message: string) => unknown = (s, m) =>
    openaiError(m, s === 429 ? 'rate_limit_error' : 'invalid_request_error', null),
  usage: object = OPENAI_DEFAULT_USAGE,
): Handler {
  return (req, r, _res, io) => {
    if (r.error) return io.json(r.error.status, r.error.body ?? errorShape(r.error.status, r.error.message ?? 'error'), r.error.headers);
    const created = now();
    if (req.json?.stream)
      return io.stream('text/event-stream; charset=utf-8', chatCompletionChunks(req.json, r, created, usage).map(sseFrame), r);
    return io.json(200, chatCompletion(req.json, r, created, usage), { 'x-request-id': rid('req_') });
  };
}

export function responses(
  errorShape: (status: number, message: string) => unknown = (_s, m) => openaiError(m, 'invalid_request_error', null),
  usage: object = RESPONSES_DEFAULT_USAGE,
): Handler {
  return (req, r, _res, io) => {
    if (r.error) return io.json(r.error.status, r.error.body ?? errorShape(r.error.status, r.error.message ?? 'error'), r.error.headers);
    const created = now();
    if (req.json?.stream)
      return io.stream('text/event-stream; charset=utf-8', responseEvents(req.json, r, created, usage).map(sseFrame), r);
    return io.json(200, responseObject(req.json, r, created, 'completed', undefined, usage));
  };
}

export function startFakeAnthropic(defaultReply: Reply = {}): Promise<FakeServer> {
  return startServer((req) => {
    const p = pathOf(req.path);
    if (req.method === 'POST' && p === '/v1/messages') return anthropicMessages();
    if (req.method === 'POST' && p === '/v1/messages/count_tokens')
      return (r, reply, _res, io) =>
        reply.error
          ? io.json(reply.error.status, reply.error.body ?? anthropicError('api_error', 'error'))
          : io.json(200, { input_tokens: Math.ceil(r.body.length / 4) });
    if (req.method === 'GET' && p === '/v1/models')
      return (_r, _reply, _res, io) =>
        io.json(200, {
          data: [
            { type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
          ],
          has_more: false,
          first_id: 'claude-sonnet-4-5-20250929',
          last_id: 'claude-sonnet-4-5-20250929',
        });
    return null;
  }, defaultReply);
}

export function startFakeOpenAI(defaultReply: Reply = {}): Promise<FakeServer> {
  return startServer((req) => {
    const p = pathOf(req.path);
    if (req.method === 'POST' && p === '/v1/chat/completions') return chatCompletions();
    if (req.method === 'POST' && p === '/v1/responses') return responses();
    if (req.method === 'GET' && p === '/v1/models')
      return (_r, _reply, _res, io) =>
        io.json(200, { object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' }] });
    return null;
  }, defaultReply);
}

// ---------- Ollama ----------

export interface FakeOllamaModel {
  name: string;
  size?: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  /** `<arch>.context_length` in /api/show. */
  contextLength?: number;
  capabilities?: string[];
  /** When set, the model is listed by /api/ps as loaded with this context length. */
  loadedContext?: number;
}

export interface PullScript {
  /** Layer sizes in bytes; each is reported in `steps` increments. */
  layers?: number[];
  steps?: number;
  /** Write `{"error": …}` after this many progress lines. */
  errorAfter?: number;
  error?: string;
  delayMs?: number;
  /** What the model reports once pulled (its window, what it can do); only its name when absent. */
  model?: Omit<FakeOllamaModel, 'name'>;
}

export interface FakeOllama extends FakeServer {
  version: string;
  models: FakeOllamaModel[];
  pullScript: PullScript;
}

const ollamaError = (message: string) => ({ error: message });
// Ollama's compatible endpoints report no cache detail; its Responses usage carries zeros for them.
export const OLLAMA_CHAT_USAGE = { prompt_tokens: 26, completion_tokens: 8, total_tokens: 34 };
export const OLLAMA_MESSAGES_USAGE = { input_tokens: 26, output_tokens: 8 };
export const OLLAMA_RESPONSES_USAGE = {
  input_tokens: 26,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 8,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 34,
};

export async function startFakeOllama(opts: { models?: FakeOllamaModel[]; version?: string; reply?: Reply } = {}): Promise<FakeOllama> {
  const state = { version: opts.version ?? '0.14.2', models: opts.models ?? [], pullScript: {} as PullScript };
  const find = (name: string | undefined) => {
    if (!name) return undefined;
    const tagged = name.includes(':') ? name : `${name}:latest`;
    return state.models.find((m) => m.name === name || m.name === tagged);
  };
  const tag = (m: FakeOllamaModel) => (m.name.includes(':') ? m.name : `${m.name}:latest`);
  const digest = (m: FakeOllamaModel) => Buffer.from(m.name).toString('hex').padEnd(64, '0').slice(0, 64);
  const details = (m: FakeOllamaModel) => ({
    parent_model: '',
    format: 'gguf',
    family: m.family ?? 'llama',
    families: [m.family ?? 'llama'],
    parameter_size: m.parameterSize ?? '7.6B',
    quantization_level: m.quantization ?? 'Q4_K_M',
  });
  const missing = (model: string) => `model '${model}' not found`;
  const compatMissing = (model: string) => `model "${model}" not found, try pulling it first`;

  // Ollama's compatibility layers answer with the vendor's error shapes (openai.NewError / anthropic.NewError).
  const oaiCompatError = (status: number, message: string) =>
    openaiError(message, status === 404 ? 'not_found_error' : status === 400 ? 'invalid_request_error' : 'api_error', null);
  const antCompatError = (status: number, message: string) => anthropicError(ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message);
  const requireModel =
    (h: Handler, shape: (s: number, m: string) => unknown, msg: (m: string) => string): Handler =>
    (req, r, res, io) => {
      if (!find(req.json?.model)) return io.json(404, shape(404, msg(req.json?.model ?? '')));
      return h(req, r, res, io);
    };

  const base = await startServer((req) => {
    const p = pathOf(req.path);
    const m = req.method;
    if (m === 'GET' && p === '/')
      return (_r, _reply, res) => void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Ollama is running');
    if (m === 'GET' && p === '/api/version') return (_r, _reply, _res, io) => io.json(200, { version: state.version });
    if (m === 'GET' && p === '/api/tags')
      return (_r, _reply, _res, io) =>
        io.json(200, {
          models: state.models.map((x) => ({
            name: tag(x),
            model: tag(x),
            modified_at: '2026-01-10T09:00:00.000000000Z',
            size: x.size ?? 4_683_087_332,
            digest: digest(x),
            details: details(x),
          })),
        });
    if (m === 'GET' && p === '/api/ps')
      return (_r, _reply, _res, io) =>
        io.json(200, {
          models: state.models
            .filter((x) => x.loadedContext !== undefined)
            .map((x) => ({
              name: tag(x),
              model: tag(x),
              size: x.size ?? 4_683_087_332,
              digest: digest(x),
              details: details(x),
              expires_at: '2026-01-10T09:05:00.000000000Z',
              size_vram: x.size ?? 4_683_087_332,
              context_length: x.loadedContext,
            })),
        });
    if (m === 'POST' && p === '/api/show')
      return (r, _reply, _res, io) => {
        const x = find(r.json?.model ?? r.json?.name);
        if (!x) return io.json(404, ollamaError(missing(r.json?.model)));
        const arch = x.family ?? 'llama';
        io.json(200, {
          license: '',
          modelfile: `FROM ${x.name}`,
          parameters: '',
          template: '{{ .Prompt }}',
          details: details(x),
          model_info: {
            'general.architecture': arch,
            'general.parameter_count': 7_615_616_512,
            [`${arch}.context_length`]: x.contextLength ?? 32_768,
            [`${arch}.embedding_length`]: 3584,
          },
          capabilities: x.capabilities ?? ['completion'],
          modified_at: '2026-01-10T09:00:00.000000000Z',
        });
      };
    if (m === 'POST' && p === '/api/pull')
      return async (r, _reply, res) => {
        const s = state.pullScript;
        const name: string = r.json?.model ?? r.json?.name;
        const lines: unknown[] = [{ status: 'pulling manifest' }];
        const layerSizes = s.layers ?? [1000, 200];
        const steps = s.steps ?? 4;
        layerSizes.forEach((total, li) => {
          const d = `sha256:${String(li).repeat(64).slice(0, 64)}`;
          for (let k = 0; k <= steps; k++)
            lines.push({ status: `pulling ${d.slice(7, 19)}`, digest: d, total, completed: Math.round((total * k) / steps) });
        });
        lines.push({ status: 'verifying sha256 digest' }, { status: 'writing manifest' }, { status: 'success' });
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (let i = 0; i < lines.length; i++) {
          if (res.destroyed) return;
          if (s.errorAfter !== undefined && i === s.errorAfter) {
            res.end(JSON.stringify({ error: s.error ?? 'pull model manifest: file does not exist' }) + '\n');
            return;
          }
          res.write(JSON.stringify(lines[i]) + '\n');
          if (s.delayMs) await new Promise((ok) => setTimeout(ok, s.delayMs));
        }
        if (!find(name)) state.models.push({ ...state.pullScript.model, name });
        res.end();
      };
    if (m === 'POST' && p === '/api/chat')
      return async (r, reply, _res, io) => {
        const x = find(r.json?.model);
        if (!x) return io.json(404, ollamaError(missing(r.json?.model)));
        const text = reply.text ?? 'Hello!';
        const created = new Date().toISOString();
        const final = {
          model: r.json.model,
          created_at: created,
          message: { role: 'assistant', content: '' },
          done: true,
          done_reason: 'stop',
          total_duration: 512_000_000,
          load_duration: 2_000_000,
          prompt_eval_count: (reply.usage?.prompt_eval_count as number) ?? 26,
          prompt_eval_duration: 100_000_000,
          eval_count: (reply.usage?.eval_count as number) ?? 8,
          eval_duration: 400_000_000,
        };
        if (r.json.stream === false) return io.json(200, { ...final, message: { role: 'assistant', content: text } });
        const frames = words(text).map(
          (w) =>
            JSON.stringify({ model: r.json.model, created_at: created, message: { role: 'assistant', content: w }, done: false }) + '\n',
        );
        frames.push(JSON.stringify(final) + '\n');
        return io.stream('application/x-ndjson', frames, reply);
      };
    if (m === 'POST' && p === '/v1/chat/completions')
      return requireModel(chatCompletions(oaiCompatError, OLLAMA_CHAT_USAGE), oaiCompatError, compatMissing);
    if (m === 'POST' && p === '/v1/responses')
      return requireModel(responses(oaiCompatError, OLLAMA_RESPONSES_USAGE), oaiCompatError, compatMissing);
    if (m === 'POST' && p === '/v1/messages')
      return requireModel(anthropicMessages(antCompatError, OLLAMA_MESSAGES_USAGE), antCompatError, missing);
    if (m === 'GET' && p === '/v1/models')
      return (_r, _reply, _res, io) =>
        io.json(200, {
          object: 'list',
          data: state.models.map((x) => ({ id: tag(x), object: 'model', created: 1768035600, owned_by: 'library' })),
        });
    return null;
  }, opts.reply ?? {});

  const fake = base as FakeOllama;
  // Live views of the state, so a test can change the installed models or the pull script between requests.
  for (const key of ['version', 'models', 'pullScript'] as const) {
    Object.defineProperty(fake, key, {
      get: () => state[key],
      set: (v) => ((state as Record<string, unknown>)[key] = v),
      enumerable: true,
    });
  }
  return fake;
}
