/**
 * The chat picker's local models: every model of each local server that answers on its configured address
 * (Ollama, LM Studio, llama-server), with the window it can really take. Ollama's come from its native API
 * (/api/tags, /api/show: its trained window, as before); LM Studio's from its REST API (/api/v1/models:
 * loaded instance's context_length); llama-server's from /v1/models and /props (n_ctx of one slot).
 */
import { errorMessage, UnmeteredError } from '../errors';
import { LOCAL_KINDS, type LocalBackend, type LocalKind } from '../local/backend';
import type { LocalModel, ModelDetails } from '../local/ollama';
import { createBackend, type LocalHosts } from '../local/servers';
import { notLocalReason } from '../local/where';
import type { Logger } from '../ports';
import { ollamaModelInfo, serverModelInfo, type ChatModelInfo } from './models';

export interface LocalListingDeps {
  logger: Logger;
  fetch?: typeof fetch;
  /** Logs a note once until it changes (the picker asks for the list again and again). */
  note(topic: string, level: 'info' | 'warn', message: string): void;
}

export class LocalChatModels {
  // Details (trained window, capabilities) are asked once per installed model version, not on every listing.
  private readonly details = new Map<string, ModelDetails>();

  constructor(private readonly deps: LocalListingDeps) {}

  /**
   * Every local server's chat models, in the order Ollama, LM Studio, llama.cpp. A server that does not
   * answer contributes none; that is noted only for Ollama (the default) and the server the switch names,
   * since most people run one server and the others are simply absent.
   */
  async list(hosts: LocalHosts, chosen: LocalKind): Promise<ChatModelInfo[]> {
    const lists = await Promise.all(
      LOCAL_KINDS.map(async (kind) => {
        const server = createBackend(kind, hosts[kind], { fetch: this.deps.fetch });
        try {
          return await this.fromServer(server);
        } catch (err) {
          const absent = err instanceof UnmeteredError && /UNREACHABLE$/.test(err.code);
          if (!absent || kind === 'ollama' || kind === chosen)
            this.deps.note(kind, 'info', `chat: no ${server.info.label} models listed: ${errorMessage(err)}`);
          return [];
        }
      }),
    );
    return lists.flat();
  }

  private async fromServer(server: LocalBackend): Promise<ChatModelInfo[]> {
    const installed = await server.list();
    const out = await Promise.all(installed.map((m) => this.one(server, m)));
    return out.filter((m): m is ChatModelInfo => m !== undefined);
  }

  private async one(server: LocalBackend, m: LocalModel): Promise<ChatModelInfo | undefined> {
    const key = `${server.kind}|${server.host}|${m.name}|${m.modifiedAt ?? ''}|${m.size}`;
    let d = this.details.get(key) ?? null;
    if (!d) {
      try {
        d = await server.show(m.name);
        this.details.set(key, d);
      } catch (err) {
        this.deps.logger.warn(`chat: could not read ${m.name}'s details from ${server.info.label}: ${errorMessage(err)}`);
        if (server.kind === 'ollama') return undefined;
      }
    }
    // Embedding-only models cannot chat (LM Studio's list holds LLMs only; llama-server serves what it loaded).
    if (d && !d.capabilities.completion) return undefined;
    const notLocal = notLocalReason(m.name, server.host, server.kind);
    if (server.kind === 'ollama') return ollamaModelInfo(m, d!, server.host, notLocal);
    // The loaded window changes with every load: asked on each listing.
    const loaded = await server.loadedContextLength(m.name).catch(() => null);
    return serverModelInfo(server.kind, m, d, loaded?.contextLength ?? null, server.host, notLocal);
  }
}
