/**
 * What test/helpers/fake-vendors.ts does not script yet: tool calls in the OpenAI and Ollama stream
 * formats, an OpenAI-compatible server that ignores stream_options.include_usage (as some do), and a
 * server that accepts a request but never answers (a model still loading). Written from the vendors'
 * documents; everything else in the chat tests uses the shared fakes.
 */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sseFrame } from '../helpers/fake-vendors';

export interface ScriptedRequest {
  path: string;
  json: any;
  headers: http.IncomingHttpHeaders;
  /** Resolves true when the client closed the connection before the response ended. */
  closedEarly: Promise<boolean>;
}

export interface ScriptedServer {
  url: string;
  requests: ScriptedRequest[];
  /** Resolves once request number `index` (0-based) has arrived: an event, not a poll. */
  arrived(index: number): Promise<ScriptedRequest>;
  close(): Promise<void>;
}

/** A loopback server; `respond` writes the body (or nothing, to hang until the client leaves). */
export async function startScripted(
  respond: (req: ScriptedRequest, res: http.ServerResponse) => void | Promise<void>,
): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const arrivals = new EventEmitter();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const closedEarly = new Promise<boolean>((ok) => res.on('close', () => ok(!res.writableFinished)));
      const r: ScriptedRequest = { path: req.url ?? '', json: body ? JSON.parse(body) : undefined, headers: req.headers, closedEarly };
      requests.push(r);
      arrivals.emit('request');
      void respond(r, res);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    arrived: async (index) => {
      while (requests.length <= index) await once(arrivals, 'request');
      return requests[index];
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface ToolCallScript {
  id: string;
  name: string;
  /** The JSON arguments, streamed in these fragments (OpenAI splits them arbitrarily). */
  argumentFragments: string[];
}

/** OpenAI Chat Completions stream for an answer that is text and then tool calls (finish_reason "tool_calls"). */
export function openAIToolCallStream(opts: {
  id: string;
  model: string;
  text?: string;
  calls: ToolCallScript[];
  usage?: object | null;
}): string {
  const base = { id: opts.id, object: 'chat.completion.chunk', created: 1_763_900_000, model: opts.model, system_fingerprint: 'fp_test' };
  const chunk = (delta: object, finish: string | null = null) =>
    sseFrame({ data: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] } });
  let out = chunk({ role: 'assistant', content: opts.text ?? null });
  opts.calls.forEach((c, index) => {
    out += chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
    for (const f of c.argumentFragments) out += chunk({ tool_calls: [{ index, function: { arguments: f } }] });
  });
  out += chunk({}, 'tool_calls');
  if (opts.usage) out += sseFrame({ data: { ...base, choices: [], usage: opts.usage } });
  return out + sseFrame({ data: '[DONE]' });
}

/** OpenAI stream with text only and no usage chunk: a server that ignores include_usage. */
export function openAITextStreamWithoutUsage(opts: { id: string; model: string; deltas: string[] }): string {
  const base = { id: opts.id, object: 'chat.completion.chunk', created: 1_763_900_000, model: opts.model };
  let out = '';
  for (const d of opts.deltas) out += sseFrame({ data: { ...base, choices: [{ index: 0, delta: { content: d }, finish_reason: null }] } });
  out += sseFrame({ data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } });
  return out + sseFrame({ data: '[DONE]' });
}

/** Ollama /api/chat NDJSON: whole tool calls in one chunk, then the final chunk with its counts. */
export function ollamaToolCallStream(opts: {
  model: string;
  calls: { name: string; arguments: object }[];
  promptEvalCount?: number;
  evalCount?: number;
}): string {
  const at = '2026-11-23T12:00:00.000000000Z';
  const lines = [
    {
      model: opts.model,
      created_at: at,
      message: {
        role: 'assistant',
        content: '',
        tool_calls: opts.calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })),
      },
      done: false,
    },
    {
      model: opts.model,
      created_at: at,
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      total_duration: 900_000_000,
      load_duration: 1_000_000,
      ...(opts.promptEvalCount !== undefined ? { prompt_eval_count: opts.promptEvalCount } : {}),
      prompt_eval_duration: 200_000_000,
      ...(opts.evalCount !== undefined ? { eval_count: opts.evalCount } : {}),
      eval_duration: 600_000_000,
    },
  ];
  return lines.map((l) => JSON.stringify(l) + '\n').join('');
}
