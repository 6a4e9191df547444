/**
 * VS Code chat requests ⇄ Ollama's native /api/chat, through the official `ollama` client. Model listing,
 * capabilities and context lengths come from ../local/ollama.ts; only the chat call lives here.
 */
import { Ollama, type Message as OllamaMessage, type Tool as OllamaTool } from 'ollama';
import { tokens } from '../interaction';
import { isModelNotFound, notPulledMessage, notRunningMessage } from '../local/ollama';
import { ChatError, cancelled, isAbort, isNetworkFailure } from './errors';
import type { ChatRequestOptions, ChatResponsePart, Message } from './messages';
import type { RequestTrace } from './trace';

export function toOllamaMessages(messages: readonly Message[]): OllamaMessage[] {
  const toolNames = new Map<string, string>();
  const out: OllamaMessage[] = [];
  for (const m of messages) {
    const content = m.parts.flatMap((p) => (p.kind === 'text' ? [p.text] : [])).join('');
    if (m.role === 'assistant') {
      const calls = m.parts.flatMap((p) => (p.kind === 'toolCall' ? [p] : []));
      for (const c of calls) toolNames.set(c.callId, c.name);
      out.push({
        role: 'assistant',
        content,
        ...(calls.length
          ? { tool_calls: calls.map((c) => ({ function: { name: c.name, arguments: c.input as Record<string, unknown> } })) }
          : {}),
      });
      continue;
    }
    if (m.role === 'user') {
      // Ollama matches a tool result to its call by the tool's name (it has no call ids in older versions).
      for (const p of m.parts)
        if (p.kind === 'toolResult')
          out.push({ role: 'tool', content: p.text, ...(toolNames.has(p.callId) ? { tool_name: toolNames.get(p.callId) } : {}) });
    }
    const images = m.parts.flatMap((p) => (p.kind === 'image' ? [p.data] : []));
    if (m.role === 'user' && content === '' && images.length === 0) continue;
    out.push({ role: m.role, content, ...(images.length ? { images } : {}) });
  }
  return out;
}

export function toOllamaTools(options: ChatRequestOptions): OllamaTool[] | undefined {
  const tools = options.tools ?? [];
  if (tools.length === 0) return undefined;
  return tools.map((t) => ({
    type: 'function',
    function: {
      name: t.name,
      description: t.description,
      parameters: (t.inputSchema as OllamaTool['function']['parameters']) ?? { type: 'object', properties: {} },
    },
  }));
}

// VS Code / OpenAI-style option names → Ollama's `options` (num_predict is Ollama's max_tokens).
function ollamaOptions(modelOptions: ChatRequestOptions['modelOptions']): Record<string, unknown> | undefined {
  if (!modelOptions) return undefined;
  const o: Record<string, unknown> = {};
  const map: Record<string, string> = {
    temperature: 'temperature',
    top_p: 'top_p',
    top_k: 'top_k',
    seed: 'seed',
    stop: 'stop',
    max_tokens: 'num_predict',
    num_predict: 'num_predict',
    num_ctx: 'num_ctx',
  };
  for (const [from, to] of Object.entries(map)) if (modelOptions[from] !== undefined) o[to] = modelOptions[from];
  return Object.keys(o).length ? o : undefined;
}

export interface OllamaTarget {
  host: string;
  model: string;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

function classifyOllamaError(err: unknown, t: OllamaTarget): ChatError {
  if (err instanceof ChatError) return err;
  if (isAbort(err)) return cancelled(err);
  const message = err instanceof Error ? err.message : String(err);
  if (isNetworkFailure(err)) return new ChatError('E_CHAT_UNREACHABLE', notRunningMessage(t.host), { cause: err });
  const status = (err as { status_code?: number }).status_code;
  if (isModelNotFound(message)) return new ChatError('E_CHAT_MODEL_NOT_FOUND', notPulledMessage(t.model, t.host), { cause: err, status });
  return new ChatError('E_CHAT_UPSTREAM', `Ollama at ${t.host} failed to answer with "${t.model}": ${message}`, { cause: err, status });
}

let callCounter = 0;

/**
 * Streams one /api/chat request. Ollama sends whole tool calls in one chunk and its usage in the final
 * (`done: true`) chunk as prompt_eval_count / eval_count, which are omitted when zero.
 */
export async function streamOllamaChat(
  t: OllamaTarget,
  messages: readonly Message[],
  options: ChatRequestOptions,
  onPart: (p: ChatResponsePart) => void,
  signal: AbortSignal,
  trace: RequestTrace,
): Promise<void> {
  if (signal.aborted) throw cancelled();
  const base = t.fetch ?? fetch;
  // The client's own abort handle only exists once the response has started; the caller's signal must
  // also stop a request that is still waiting for its first byte (a model loading for 30 s).
  const client = new Ollama({
    host: t.host,
    fetch: (input, init) => base(input, { ...init, signal: init?.signal ? AbortSignal.any([signal, init.signal]) : signal }),
  });
  const tools = toOllamaTools(options);
  const opts = ollamaOptions(options.modelOptions);
  try {
    const stream = await client.chat({
      model: t.model,
      messages: toOllamaMessages(messages),
      stream: true,
      ...(tools ? { tools } : {}),
      ...(opts ? { options: opts } : {}),
    });
    trace.accepted = true;
    const onAbort = () => stream.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of stream) {
        const text = chunk.message?.content;
        if (text) {
          trace.output += text;
          onPart({ type: 'text', value: text });
        }
        for (const c of chunk.message?.tool_calls ?? []) {
          const args = c.function?.arguments;
          const input = typeof args === 'object' && args !== null && !Array.isArray(args) ? args : {};
          const id = (c as { id?: unknown }).id;
          trace.output += `${c.function?.name ?? ''}${JSON.stringify(input)}`;
          onPart({
            type: 'toolCall',
            callId: typeof id === 'string' && id ? id : `call_ollama_${++callCounter}`,
            name: c.function?.name ?? '',
            input,
          });
        }
        if (chunk.done) {
          const input = chunk.prompt_eval_count;
          const output = chunk.eval_count;
          // Both omitted means the server reported nothing usable; one omitted means it was zero.
          if (typeof input === 'number' || typeof output === 'number') trace.usage = tokens({ input: input ?? 0, output: output ?? 0 });
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  } catch (err) {
    if (signal.aborted) throw cancelled(err);
    throw classifyOllamaError(err, t);
  }
}
