/**
 * Chat requests to LM Studio and llama-server, in OpenAI Chat Completions, which both serve natively
 * (lmstudio-ai/docs 1_developer/3_openai-compat/chat-completions.md; ggml-org/llama.cpp tools/server/README.md
 * at de3ff815ea7d, "POST /v1/chat/completions"). Usage is asked for in the stream with
 * stream_options.include_usage: LM Studio honours it since 0.3.18 (docs 1_developer/api-changelog.md),
 * llama-server sends its final usage chunk only then (tools/server/server-task.cpp to_json_oaicompat_chat_stream).
 * Errors are reworded into what to do on that server, not the cloud endpoint's settings.
 */
import OpenAI from 'openai';
import { BACKENDS, modelMissingMessage, notReachableMessage, type LocalKind } from '../local/backend';
import { ChatError } from './errors';
import type { ChatRequestOptions, ChatResponsePart, Message } from './messages';
import { createOpenAIClient, streamOpenAIChat } from './openai';
import type { RequestTrace } from './trace';

export interface LocalChatTarget {
  kind: Exclude<LocalKind, 'ollama'>;
  /** The server's base URL, without /v1. */
  host: string;
  model: string;
  fetch?: typeof fetch;
}

export async function streamLocalChat(
  t: LocalChatTarget,
  messages: readonly Message[],
  options: ChatRequestOptions,
  onPart: (p: ChatResponsePart) => void,
  signal: AbortSignal,
  trace: RequestTrace,
): Promise<void> {
  const baseURL = `${t.host}/v1`;
  // No retries: a local server that refuses or fails will do so again, and the person waits for nothing.
  const client = createOpenAIClient({ baseURL, apiKey: undefined, maxRetries: 0, fetch: t.fetch });
  try {
    await streamOpenAIChat({ client, baseURL, model: t.model, hasKey: false }, messages, options, onPart, signal, trace);
  } catch (err) {
    throw localChatError(err, t);
  }
}

/** The OpenAI client's error, said for the local server that answered it. */
function localChatError(err: unknown, t: LocalChatTarget): unknown {
  if (!(err instanceof ChatError) || err.code === 'E_CHAT_CANCELLED' || err.code === 'E_CHAT_BAD_RESPONSE') return err;
  const b = BACKENDS[t.kind];
  if (err.code === 'E_CHAT_UNREACHABLE') return new ChatError('E_CHAT_UNREACHABLE', notReachableMessage(t.kind, t.host), { cause: err });
  const api = err.cause instanceof OpenAI.APIError ? err.cause : undefined;
  const said = (api?.error as { message?: string } | undefined)?.message ?? api?.message ?? err.message;
  const status = api?.status as number | undefined;
  if (status === 404) return new ChatError('E_CHAT_MODEL_NOT_FOUND', modelMissingMessage(t.kind, t.host, t.model), { cause: err, status });
  if (status === 401 || status === 403)
    return new ChatError(
      'E_CHAT_AUTH',
      `${b.label} at ${t.host} refused the request (${status}: ${said}): it asks for an API key, ` +
        'and Unmetered sends none to a local server. Turn its authentication off for this machine.',
      { cause: err, status },
    );
  if (/context (length|window|size)|too long|exceeds/i.test(said))
    return new ChatError(
      'E_CHAT_UPSTREAM',
      `The conversation does not fit ${t.model}'s context window (${b.label}: ${said}). Raise it: ${b.contextHint}.`,
      { cause: err, status },
    );
  const loading = status === 503 ? ' (it is still loading its model: try again in a moment)' : '';
  return new ChatError(
    'E_CHAT_UPSTREAM',
    `${b.label} at ${t.host} failed to answer with "${t.model}" (${status ?? 'no status'}: ${said})${loading}.`,
    {
      cause: err,
      status,
    },
  );
}
