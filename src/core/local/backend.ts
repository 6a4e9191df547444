/**
 * A local inference server, whichever one the developer runs: Ollama, LM Studio or llama.cpp's
 * `llama-server`. Each answers the same questions (is it running, which models, how large a window, can
 * it call tools, can it pull) and says which of the agents' APIs it serves natively, so the gateway can
 * forward a request as is, or refuse it in the API's own error shape naming the server that lacks it.
 *
 * The three implementations live beside this file (ollama.ts, lmstudio.ts, llamacpp.ts); each cites the
 * vendor's documentation and source its endpoints follow.
 */
import type { LoadedContext, LocalModel, ModelDetails, PullProgress } from './ollama';

export type LocalKind = 'ollama' | 'lmstudio' | 'llamacpp';
export const LOCAL_KINDS: readonly LocalKind[] = ['ollama', 'lmstudio', 'llamacpp'];

/** The agents' APIs, as the gateway names them (src/core/gateway/usage.ts `Api`). */
export type LocalApi = 'anthropic' | 'openai-chat' | 'openai-responses';

export interface BackendInfo {
  kind: LocalKind;
  /** For people: "Ollama", "LM Studio", "llama.cpp". */
  label: string;
  /** The loopback address the server listens on out of the box. */
  defaultHost: string;
  /** The setting that points Unmetered at it. */
  hostSetting: string;
  /** The path of each API it serves natively; null when it does not serve that API. */
  endpoints: Record<LocalApi, string | null> & { countTokens: string | null; models: string };
  /** How a person starts it (shown when it is not reachable). */
  startHint: string;
  /** How a person gives a model a larger window. */
  contextHint: string;
  /** The release that added an API, for the message when an older one answers 404. */
  since: Partial<Record<LocalApi, string>>;
}

export const BACKENDS: Record<LocalKind, BackendInfo> = {
  // ollama/ollama docs/api.md; docs/openai.mdx (/v1/responses since v0.13.3); docs/api/anthropic-compatibility.mdx (v0.14.0)
  ollama: {
    kind: 'ollama',
    label: 'Ollama',
    defaultHost: 'http://127.0.0.1:11434',
    hostSetting: 'unmetered.ollama.host',
    endpoints: {
      anthropic: '/v1/messages',
      'openai-chat': '/v1/chat/completions',
      'openai-responses': '/v1/responses',
      countTokens: null,
      models: '/api/tags',
    },
    startHint: 'Start it with `ollama serve` (or open the Ollama app)',
    contextHint:
      'start Ollama with OLLAMA_CONTEXT_LENGTH=65536 (environment variable of the Ollama server, then restart' +
      ' it), or create a model with `PARAMETER num_ctx 65536` in its Modelfile',
    since: { anthropic: 'v0.14.0', 'openai-responses': 'v0.13.3' },
  },
  // lmstudio-ai/docs@c6854fba 1_developer/3_openai-compat/index.mdx (models, responses, chat/completions),
  // 1_developer/4_anthropic-compat/index.mdx (/v1/messages only: no count_tokens), 1_developer/2_rest/list.md
  lmstudio: {
    kind: 'lmstudio',
    label: 'LM Studio',
    defaultHost: 'http://127.0.0.1:1234',
    hostSetting: 'unmetered.lmstudio.host',
    endpoints: {
      anthropic: '/v1/messages',
      'openai-chat': '/v1/chat/completions',
      'openai-responses': '/v1/responses',
      countTokens: null,
      models: '/api/v1/models',
    },
    startHint: 'Start its server with `lms server start` (or the toggle on the Developer page of the LM Studio app)',
    contextHint:
      'load it with a larger window: `lms load <model> --context-length 65536` (or the Context Length slider when loading it in the app)',
    // lmstudio-ai/docs 1_developer/api-changelog.md
    since: { anthropic: '0.4.1', 'openai-responses': '0.3.29' },
  },
  // ggml-org/llama.cpp tools/server/server.cpp (the routes registered with ctx_http), at the commit that
  // node-llama-cpp 3.22.1 ships (llama/gitRelease.bundle, de3ff815ea7d, tag v0.5.0 in llama.cpp.info.json)
  llamacpp: {
    kind: 'llamacpp',
    label: 'llama.cpp',
    defaultHost: 'http://127.0.0.1:8080',
    hostSetting: 'unmetered.llamacpp.host',
    endpoints: {
      anthropic: '/v1/messages',
      'openai-chat': '/v1/chat/completions',
      'openai-responses': '/v1/responses',
      countTokens: '/v1/messages/count_tokens',
      models: '/v1/models',
    },
    startHint: 'Start it with `llama-server -m <model.gguf> --jinja`',
    contextHint: 'restart llama-server with `-c 65536` (its --ctx-size is shared among its --parallel slots)',
    since: {},
  },
};

export type BackendStatus = { running: true; host: string; version: string | null } | { running: false; host: string; error: string };

export interface Puller {
  pull(name: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void>;
}

export interface LocalBackend {
  readonly kind: LocalKind;
  readonly info: BackendInfo;
  /** Base URL, without a trailing slash. */
  readonly host: string;
  status(): Promise<BackendStatus>;
  /** Models it has on disk (LM Studio, Ollama) or has loaded (llama-server serves the one it was started with). */
  list(): Promise<LocalModel[]>;
  /** Trained window and what the model can do. */
  show(name: string): Promise<ModelDetails>;
  /** The window the model is loaded with now, when the server says. */
  loadedContextLength(name: string): Promise<LoadedContext>;
  /** Null when this server cannot pull models; then `pullUnsupported` says what to do instead. */
  readonly puller: Puller | null;
  readonly pullUnsupported: string | null;
}

const API_NAMES: Record<LocalApi, string> = {
  anthropic: 'the Anthropic Messages API',
  'openai-chat': 'OpenAI Chat Completions',
  'openai-responses': 'the OpenAI Responses API',
};

/** What the gateway says when `kind` does not serve `api` (it is not listed, or the server answered 404 to its path). */
export function unsupportedApiMessage(kind: LocalKind, host: string, api: LocalApi): string {
  const b = BACKENDS[kind];
  const since = b.since[api] ? ` (${b.label} serves it since ${b.since[api]}: update it)` : '';
  return (
    `${b.label} at ${host} does not serve ${API_NAMES[api]}${since}, so the Unmetered gateway cannot send` +
    ` this request to the local model. Point the agent at an API it serves, or choose a local model on another server.`
  );
}

/** The model is not on the server. */
export function modelMissingMessage(kind: LocalKind, host: string, model: string): string {
  if (kind === 'ollama')
    return `The model "${model}" is not installed in Ollama at ${host}. Pull it with \`ollama pull ${model}\` or the "Unmetered: Pull a model…" command.`;
  if (kind === 'lmstudio') return `LM Studio at ${host} has no model "${model}". Get it with \`lms get ${model}\` or in the LM Studio app.`;
  return `llama-server at ${host} does not serve "${model}": it serves the one model it was started with (\`-m <model.gguf>\`, named by --alias).`;
}

/** A loaded window too small for coding agents, and how to raise it on this server. */
export function smallWindowMessage(kind: LocalKind, model: string, contextLength: number, min: number): string {
  return (
    `${model} is loaded with a ${contextLength.toLocaleString('en-US')}-token context window; coding agents need at least ` +
    `${min.toLocaleString('en-US')} and are silently truncated below that. Raise it: ${BACKENDS[kind].contextHint}.`
  );
}

export function notReachableMessage(kind: LocalKind, host: string): string {
  const b = BACKENDS[kind];
  return `${b.label} is not running at ${host}. ${b.startHint}; if it runs elsewhere, set ${b.hostSetting}.`;
}

export function isLocalKind(v: unknown): v is LocalKind {
  return typeof v === 'string' && (LOCAL_KINDS as readonly string[]).includes(v);
}
