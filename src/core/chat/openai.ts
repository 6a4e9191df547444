/**
 * VS Code chat requests ⇄ OpenAI Chat Completions, through the official `openai` client, against any
 * OpenAI-compatible endpoint (OpenAI, Azure-style gateways, OpenRouter, llama-server, vLLM, …).
 */
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionContentPart,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { Tokens } from '../interaction';
import { chatTokens, obj } from '../gateway/usage';
import { ChatError, cancelled, isAbort, networkCode } from './errors';
import { TOOL_MODE_REQUIRED, type ChatRequestOptions, type ChatResponsePart, type ChatTool, type Message } from './messages';
import type { RequestTrace } from './trace';

// OpenAI only accepts these characters in a message's `name`; anything else is dropped, not sent.
const VALID_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function toOpenAIMessages(messages: readonly Message[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  for (const m of messages) {
    const name = m.name && VALID_NAME.test(m.name) ? { name: m.name } : {};
    const text = m.parts.flatMap((p) => (p.kind === 'text' ? [p.text] : [])).join('');
    if (m.role === 'system') {
      out.push({ role: 'system', content: text, ...name });
    } else if (m.role === 'assistant') {
      const calls = m.parts.flatMap((p) =>
        p.kind === 'toolCall'
          ? [{ id: p.callId, type: 'function' as const, function: { name: p.name, arguments: JSON.stringify(p.input) } }]
          : [],
      );
      out.push({ role: 'assistant', content: text || (calls.length ? null : ''), ...(calls.length ? { tool_calls: calls } : {}), ...name });
    } else {
      // Tool results travel in VS Code's user messages; OpenAI wants them as `tool` messages that follow
      // the assistant's tool_calls directly, so they go first.
      for (const p of m.parts) if (p.kind === 'toolResult') out.push({ role: 'tool', tool_call_id: p.callId, content: p.text });
      const content: ChatCompletionContentPart[] = m.parts.flatMap((p): ChatCompletionContentPart[] =>
        p.kind === 'text'
          ? [{ type: 'text', text: p.text }]
          : p.kind === 'image'
            ? [{ type: 'image_url', image_url: { url: `data:${p.mimeType};base64,${Buffer.from(p.data).toString('base64')}` } }]
            : [],
      );
      if (content.length === 0) continue;
      const plain = content.every((c) => c.type === 'text');
      out.push({ role: 'user', content: plain ? text : content, ...name });
    }
  }
  return out;
}

export function toOpenAITools(options: ChatRequestOptions): Pick<ChatCompletionCreateParamsStreaming, 'tools' | 'tool_choice'> {
  const tools = options.tools ?? [];
  if (tools.length === 0) return {};
  return {
    tools: tools.map((t: ChatTool): ChatCompletionTool => ({
      type: 'function',
      function: {
        name: t.name,
        description: t.description,
        parameters: (t.inputSchema as Record<string, unknown>) ?? { type: 'object', properties: {} },
      },
    })),
    ...(options.toolMode === TOOL_MODE_REQUIRED ? { tool_choice: 'required' as const } : {}),
  };
}

// Model options a caller may pass through (`modelOptions`); anything else is ignored rather than risking
// a 400 from an endpoint that rejects unknown fields.
const PASSED_OPTIONS = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'reasoning_effort',
] as const;

function passedOptions(modelOptions: ChatRequestOptions['modelOptions']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of PASSED_OPTIONS) if (modelOptions?.[k] !== undefined) out[k] = modelOptions[k];
  return out;
}

/**
 * OpenAI's usage (prompt_tokens includes cached ones) as Unmetered's disjoint token counts, checked as
 * the gateway checks it: the SDK types the chunk but validates nothing, and any OpenAI-compatible
 * server answers here. Usage with a count that is not a whole number in range is treated as absent,
 * so the service counts the exchange with the tokenizer instead of storing a wrong figure.
 */
function openAIUsage(u: unknown): Tokens | undefined {
  const fields = obj(u);
  if (!fields) return undefined;
  const bad = new Set<keyof Tokens>();
  const t = chatTokens(fields, bad);
  return bad.size === 0 ? t : undefined;
}

export interface OpenAITarget {
  client: OpenAI;
  /** The base URL the client talks to, for messages. */
  baseURL: string;
  model: string;
  /** Whether an API key was stored (a 401 without one needs a different hint). */
  hasKey: boolean;
}

export interface OpenAIClientOptions {
  baseURL: string;
  apiKey: string | undefined;
  maxRetries?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function createOpenAIClient(o: OpenAIClientOptions): OpenAI {
  // Endpoints such as llama-server need no key; the client insists on one, and a placeholder makes the
  // server's 401 (if it does need one) the error the person sees.
  return new OpenAI({
    baseURL: o.baseURL,
    apiKey: o.apiKey || 'no-key-set',
    maxRetries: o.maxRetries ?? 1,
    timeout: o.timeoutMs ?? 10 * 60_000,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
}

function classifyOpenAIError(err: unknown, t: Pick<OpenAITarget, 'baseURL' | 'model' | 'hasKey'>): ChatError {
  if (err instanceof ChatError) return err;
  if (isAbort(err) || err instanceof OpenAI.APIUserAbortError) return cancelled(err);
  const where = `the OpenAI-compatible endpoint at ${t.baseURL}`;
  if (err instanceof OpenAI.APIConnectionError) {
    const why = networkCode(err) ?? (err instanceof OpenAI.APIConnectionTimeoutError ? 'timed out' : err.message);
    return new ChatError(
      'E_CHAT_UNREACHABLE',
      `Cannot reach ${where} (${why}). Check the setting unmetered.chat.openaiBaseUrl and your network.`,
      { cause: err },
    );
  }
  if (err instanceof OpenAI.APIError) {
    const said = (err.error as { message?: string } | undefined)?.message ?? err.message;
    if (err.status === 401 || err.status === 403) {
      const hint = t.hasKey
        ? 'The stored API key was rejected: run "Unmetered: Set Chat API Key" to replace it.'
        : 'No API key is stored: run "Unmetered: Set Chat API Key".';
      return new ChatError('E_CHAT_AUTH', `${where} refused the request (${err.status}: ${said}). ${hint}`, {
        cause: err,
        status: err.status as number | undefined,
      });
    }
    if (err.status === 404) {
      return new ChatError(
        'E_CHAT_MODEL_NOT_FOUND',
        `${where} has no model "${t.model}" (404: ${said}). Check unmetered.chat.cloudModels, or that the base URL ends with the API version (e.g. /v1).`,
        { cause: err, status: 404 },
      );
    }
    return new ChatError('E_CHAT_UPSTREAM', `${where} returned an error for "${t.model}" (${err.status ?? 'no status'}: ${said}).`, {
      cause: err,
      status: err.status as number | undefined,
    });
  }
  return new ChatError('E_CHAT_UPSTREAM', `Request to ${where} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

function parseArguments(call: PendingCall, model: string): object {
  if (call.args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(call.args);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
  } catch {
    // fall through to the error below
  }
  throw new ChatError(
    'E_CHAT_BAD_RESPONSE',
    `"${model}" called the tool "${call.name}" with arguments that are not a JSON object: ${call.args.slice(0, 120)}`,
  );
}

/**
 * Streams one chat completion. Text is reported as it arrives; a tool call once its arguments are
 * complete (its choice finished, or the stream ended). Usage arrives in the final chunk thanks to
 * `stream_options.include_usage`; servers that ignore it leave `trace.usage` undefined.
 */
export async function streamOpenAIChat(
  t: OpenAITarget,
  messages: readonly Message[],
  options: ChatRequestOptions,
  onPart: (p: ChatResponsePart) => void,
  signal: AbortSignal,
  trace: RequestTrace,
): Promise<void> {
  if (signal.aborted) throw cancelled();
  const calls = new Map<number, PendingCall>();
  const flushCalls = () => {
    for (const [index, c] of [...calls].sort((a, b) => a[0] - b[0])) {
      calls.delete(index);
      onPart({ type: 'toolCall', callId: c.id, name: c.name, input: parseArguments(c, t.model) });
    }
  };
  try {
    const stream = await t.client.chat.completions.create(
      {
        ...passedOptions(options.modelOptions),
        model: t.model,
        messages: toOpenAIMessages(messages),
        ...toOpenAITools(options),
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal },
    );
    trace.accepted = true;
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      if (chunk.id) trace.providerId ??= chunk.id;
      if (chunk.usage) trace.usage = openAIUsage(chunk.usage) ?? trace.usage;
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const text = choice.delta?.content;
      if (text) {
        trace.output += text;
        onPart({ type: 'text', value: text });
      }
      for (const d of choice.delta?.tool_calls ?? []) {
        let c = calls.get(d.index);
        if (!c) calls.set(d.index, (c = { id: d.id ?? `call_${d.index}_${trace.providerId ?? 'x'}`, name: '', args: '' }));
        if (d.id) c.id = d.id;
        if (d.function?.name && !c.name) c.name = d.function.name;
        if (d.function?.arguments) {
          c.args += d.function.arguments;
          trace.output += d.function.arguments;
        }
      }
      if (choice.finish_reason && !signal.aborted) flushCalls();
    }
    // The client ends the iteration quietly when its signal fires: a cut-off stream is not a complete answer.
    if (signal.aborted) throw cancelled();
    flushCalls();
  } catch (err) {
    if (signal.aborted) throw cancelled(err);
    throw classifyOpenAIError(err, t);
  }
}

/** Model ids the endpoint lists at GET /models. */
export async function listOpenAIModels(t: Pick<OpenAITarget, 'client' | 'baseURL' | 'hasKey'>, signal?: AbortSignal): Promise<string[]> {
  try {
    const ids: string[] = [];
    for await (const m of t.client.models.list({ signal })) ids.push(m.id);
    return ids;
  } catch (err) {
    throw classifyOpenAIError(err, { ...t, model: '(model list)' });
  }
}
