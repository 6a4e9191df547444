/**
 * The editor chat provider's logic, free of `vscode`: list models, answer a request (streaming parts to
 * the caller, stopping upstream on abort), count tokens, and meter every request as one Interaction.
 */
import { randomUUID } from 'node:crypto';
import type { Interaction, Tokens } from '../interaction';
import { tokens } from '../interaction';
import type { LocalHosts } from '../local/servers';
import { notLocalReason } from '../local/where';
import type { Clock, Logger } from '../ports';
import { chatPromptTokens, loadTokenizer, messageTokens, type CountableMessage, type Tokenizer } from '../tokens';
import { ChatError } from './errors';
import {
  countableText,
  countableTools,
  normaliseMessages,
  type ChatRequestMessage,
  type ChatRequestOptions,
  type ChatResponsePart,
  type Message,
} from './messages';
import {
  AUTO_ID,
  autoModelInfo,
  chatCapableIds,
  cloudModelInfo,
  isLocalBackend,
  resolveAuto,
  type Backend,
  type ChatModelInfo,
  type ChatSettings,
  type RouteState,
} from './models';
import { streamOllamaChat } from './ollamaChat';
import { streamLocalChat } from './localChat';
import { LocalChatModels } from './localModels';
import { createOpenAIClient, listOpenAIModels, streamOpenAIChat } from './openai';
import { newTrace, type RequestTrace } from './trace';
import { errorMessage } from '../errors';

export interface ChatServiceDeps {
  /** Current chat settings (read on every call: they may change at any time). */
  settings(): ChatSettings;
  /** The status bar switch: route and chosen local model (settings owned by the gateway). */
  route(): RouteState;
  /** Each local server's base URL (unmetered.ollama.host, unmetered.lmstudio.host, unmetered.llamacpp.host). */
  localHosts(): LocalHosts;
  /** The endpoint's API key from SecretStorage; undefined when none is stored. */
  apiKey(): Promise<string | undefined>;
  /** Receives every metered request (the caller prices it and appends it to the ledger). */
  record(i: Interaction): void | Promise<void>;
  clock: Clock;
  logger: Logger;
  /** Workspace name for Interaction.project. */
  project(): string | null;
  /** The workspace checkout's branch and repository (core/git.ts), when the editor knows one folder. */
  attribution?(): { branch?: string; repo?: string };
  /** Identifies this editor session in ids of requests that have no provider id. */
  sessionId: string;
  /** Unique key per request without a provider id; random by default. */
  newKey?(): string;
  /** Retries of the `openai` client on 429/5xx/connection errors (default 1). */
  openaiMaxRetries?: number;
  /** fetch for the local servers' clients (tests); defaults to the global one. */
  fetch?: typeof fetch;
}

interface Target {
  backend: Backend;
  upstream: string;
}

export class ChatService {
  private readonly local: LocalChatModels;

  constructor(private readonly deps: ChatServiceDeps) {
    this.local = new LocalChatModels({ logger: deps.logger, fetch: deps.fetch, note: (t, l, m) => this.note(t, l, m) });
  }

  /**
   * Every model for the picker. Unreachable servers contribute none (logged once), never an error. Auto is
   * offered only while the model it follows is listed: a picker entry that can only fail is no choice.
   */
  async listModels(): Promise<ChatModelInfo[]> {
    const settings = this.deps.settings();
    const route = this.deps.route();
    const [local, cloud] = await Promise.all([
      this.local.list(this.deps.localHosts(), route.localServer ?? 'ollama'),
      this.cloudModels(settings),
    ]);
    const listed = [...local, ...cloud];
    const target = resolveAuto(this.deps.route(), settings);
    const followed = 'error' in target ? undefined : listed.find((m) => m.backend === target.backend && m.upstream === target.upstream);
    return followed ? [autoModelInfo(this.deps.route(), settings, listed), ...listed] : listed;
  }

  // The picker asks for the list again and again: the same note is logged once, until it changes.
  private readonly lastNote = new Map<string, string>();
  private note(topic: string, level: 'info' | 'warn', message: string): void {
    if (this.lastNote.get(topic) === message) return;
    this.lastNote.set(topic, message);
    this.deps.logger[level](message);
  }

  private async cloudModels(settings: ChatSettings): Promise<ChatModelInfo[]> {
    if (settings.cloudModels.length) return settings.cloudModels.map((s) => cloudModelInfo(s, settings.openaiBaseUrl));
    const key = await this.deps.apiKey();
    // Without a key the default endpoint would only answer 401; nothing is configured yet.
    if (!key) return [];
    try {
      const client = createOpenAIClient({ baseURL: settings.openaiBaseUrl, apiKey: key, maxRetries: 0, timeoutMs: 10_000 });
      const ids = chatCapableIds(await listOpenAIModels({ client, baseURL: settings.openaiBaseUrl, hasKey: true }));
      return ids.map((id) => cloudModelInfo({ id }, settings.openaiBaseUrl));
    } catch (err) {
      this.note('cloud', 'warn', `chat: could not list the cloud models: ${errorMessage(err)}`);
      return [];
    }
  }

  /** Where a request for `model` goes now (Auto is resolved at request time: the switch may have moved). */
  resolve(model: Pick<ChatModelInfo, 'id' | 'backend' | 'upstream'>): Target {
    if (model.id === AUTO_ID || model.backend === 'auto') {
      const t = resolveAuto(this.deps.route(), this.deps.settings());
      if ('error' in t) throw new ChatError('E_CHAT_MODEL_NOT_FOUND', t.error);
      return t;
    }
    return { backend: model.backend, upstream: model.upstream };
  }

  /**
   * Answers one request, streaming parts to `onPart`. Every request the server accepted is metered,
   * including ones cancelled or failed half-way (their prompt was processed), and the Interaction is
   * returned; errors are thrown as ChatError after metering.
   */
  async respond(
    model: Pick<ChatModelInfo, 'id' | 'backend' | 'upstream'>,
    messages: readonly ChatRequestMessage[],
    options: ChatRequestOptions,
    onPart: (p: ChatResponsePart) => void,
    signal: AbortSignal,
  ): Promise<Interaction | undefined> {
    const target = this.resolve(model);
    const normalised = normaliseMessages(messages);
    const trace = newTrace();
    let failure: unknown;
    const hosts = this.deps.localHosts();
    // A model on another machine, or one Ollama runs in its cloud, is not spend avoided: metered as cloud.
    const local = isLocalBackend(target.backend) && notLocalReason(target.upstream, hosts[target.backend], target.backend) === null;
    try {
      if (target.backend === 'ollama') {
        await streamOllamaChat(
          { host: hosts.ollama, model: target.upstream, fetch: this.deps.fetch },
          normalised,
          options,
          onPart,
          signal,
          trace,
        );
      } else if (target.backend !== 'openai') {
        const t = { kind: target.backend, host: hosts[target.backend], model: target.upstream, fetch: this.deps.fetch };
        await streamLocalChat(t, normalised, options, onPart, signal, trace);
      } else {
        const settings = this.deps.settings();
        const key = await this.deps.apiKey();
        const client = createOpenAIClient({ baseURL: settings.openaiBaseUrl, apiKey: key, maxRetries: this.deps.openaiMaxRetries });
        await streamOpenAIChat(
          { client, baseURL: settings.openaiBaseUrl, model: target.upstream, hasKey: !!key },
          normalised,
          options,
          onPart,
          signal,
          trace,
        );
      }
    } catch (err) {
      failure = err;
    }
    let interaction: Interaction | undefined;
    if (trace.accepted) {
      interaction = await this.interaction(target, local, normalised, options, trace);
      try {
        await this.deps.record(interaction);
      } catch (err) {
        this.deps.logger.error(`chat: could not record the request: ${errorMessage(err)}`);
      }
    }
    // Rethrows what the request threw, unchanged (a ChatError or the client's own error).
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (failure !== undefined) throw failure;
    return interaction;
  }

  private async interaction(
    target: Target,
    local: boolean,
    messages: readonly Message[],
    options: ChatRequestOptions,
    trace: RequestTrace,
  ): Promise<Interaction> {
    const estimated = trace.usage === undefined;
    const counted: Tokens = trace.usage ?? (await this.estimate(target.upstream, messages, options, trace.output));
    const id =
      target.backend === 'openai' && trace.providerId
        ? `openai:${trace.providerId}`
        : `editor-chat:${this.deps.sessionId}:${this.deps.newKey?.() ?? randomUUID()}`;
    return {
      id,
      at: new Date(this.deps.clock.now()).toISOString(),
      agent: 'editor-chat',
      source: 'chat',
      project: this.deps.project(),
      model: target.upstream,
      route: local ? 'local' : 'cloud',
      replaces: local ? replacedModel(this.deps.settings()) : null,
      tokens: counted,
      costNanos: null,
      avoidedNanos: null,
      priceSource: null,
      estimated,
      ...this.attribution(),
    };
  }

  private attribution(): { branch?: string; repo?: string } {
    try {
      const a = this.deps.attribution?.() ?? {};
      return { ...(a.branch ? { branch: a.branch } : {}), ...(a.repo ? { repo: a.repo } : {}) };
    } catch {
      return {}; // attribution is a label: a failure to read it never costs the record
    }
  }

  private tokenizerWarned = false;

  /** tiktoken, or when its wasm cannot load, 4 characters per token: metering must not stop over a tokenizer. */
  private async tokenizer(model: string): Promise<Pick<Tokenizer, 'count'>> {
    try {
      return await loadTokenizer(model);
    } catch (err) {
      if (!this.tokenizerWarned)
        this.deps.logger.warn(`chat: tokenizer unavailable, estimating 4 characters per token (${errorMessage(err)})`);
      this.tokenizerWarned = true;
      return { count: (text) => Math.ceil(text.length / 4) };
    }
  }

  /** Tokens of a request whose server reported no usage: the prompt with chat framing, and what streamed back. */
  private async estimate(model: string, messages: readonly Message[], options: ChatRequestOptions, output: string): Promise<Tokens> {
    const tk = await this.tokenizer(model);
    const input = chatPromptTokens(tk, messages.map(countable)) + tk.count(countableTools(options.tools));
    return tokens({ input, output: tk.count(output) });
  }

  /** `provideTokenCount`: the tokenizer of the model's family (see core/tokens for approximations). */
  async countTokens(model: Pick<ChatModelInfo, 'id' | 'backend' | 'upstream'>, value: string | ChatRequestMessage): Promise<number> {
    let upstream = model.upstream;
    if (model.backend === 'auto') {
      const t = resolveAuto(this.deps.route(), this.deps.settings());
      upstream = 'error' in t ? '' : t.upstream;
    }
    const tk = await this.tokenizer(upstream);
    if (typeof value === 'string') return tk.count(value);
    return messageTokens(tk, countable(normaliseMessages([value])[0]!));
  }
}

/** A message as the tokenizer's chat framing sees it. */
function countable(m: Message): CountableMessage {
  return m.name ? { role: m.role, content: countableText(m), name: m.name } : { role: m.role, content: countableText(m) };
}

/** The cloud model a local request stands in for: the configured one, else the first offered. */
function replacedModel(s: ChatSettings): string | null {
  return s.cloudModel ?? s.cloudModels[0]?.id ?? null;
}
