/**
 * What the local route adds to forwarding: Ollama's models listed in the vendor's shape, Ollama's errors
 * reworded into what to do, and a guard against a request too large for the model's loaded context window.
 */
import type http from 'node:http';
import type { Clock } from '../ports';
import { isModelNotFound, MIN_AGENT_CONTEXT, smallContextMessage } from '../local/ollama';
import { BACKENDS, modelMissingMessage, unsupportedApiMessage, type LocalKind } from '../local/backend';
import { createBackend } from '../local/servers';
import { errorMessageOf, gatewayError, type ErrorShape, type GatewayError, type GatewayErrorKind } from './errors';
import type { LocalTarget } from './proxy';
import { send } from './reply';

/** A local server's error, reworded into what to do, in the shape of the API the client speaks. */
export function localFailure(shape: ErrorShape, status: number, body: string, s: LocalTarget): GatewayError {
  const message = errorMessageOf(body);
  const label = BACKENDS[s.kind].label;
  if (status === 404 && isModelNotFound(message))
    return gatewayError(shape, 'model_not_pulled', modelMissingMessage(s.kind, s.host, s.model));
  // A 404 that is not about the model: the server has no such path (an older release).
  if (status === 404) return gatewayError(shape, 'local_api_unsupported', unsupportedApiMessage(s.kind, s.host, s.api));
  if (/context (length|window|size)|too long|exceeds/i.test(message)) {
    return gatewayError(
      shape,
      'context_too_small',
      `The request does not fit ${s.model}'s context window (${label}: ${message}). Coding agents need` +
        ` at least ${MIN_AGENT_CONTEXT.toLocaleString('en-US')} tokens: ${BACKENDS[s.kind].contextHint}.`,
    );
  }
  // The server refused this request (llama-server's `previous_response_id`, an invalid tool schema): a client
  // error, so the agent must not take it for an outage and retry it as agents retry a 5xx.
  if (status >= 400 && status < 500)
    return gatewayError(shape, 'bad_request', `${label} at ${s.host} refused the request (${status}): ${message}`);
  const kind: GatewayErrorKind = 'ollama_error';
  return gatewayError(shape, kind, `${label} at ${s.host} answered ${status}: ${message}`);
}

/** GET /v1/models on the local route: the local server's models, in the shape the client's API lists them. */
export async function localModels(
  res: http.ServerResponse,
  server: { kind: LocalKind; host: string },
  shape: ErrorShape,
  now: number,
  startedAt: string,
): Promise<void> {
  let models;
  try {
    models = await createBackend(server.kind, server.host).list();
  } catch (err) {
    return send(res, gatewayError(shape, 'ollama_unreachable', (err as Error).message));
  }
  const created = Math.floor(now / 1000);
  const out =
    shape === 'anthropic'
      ? {
          data: models.map((m) => ({ type: 'model', id: m.name, display_name: m.name, created_at: m.modifiedAt ?? startedAt })),
          has_more: false,
          first_id: models[0]?.name ?? null,
          last_id: models.at(-1)?.name ?? null,
        }
      : { object: 'list', data: models.map((m) => ({ id: m.name, object: 'model', created, owned_by: server.kind })) };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(out));
}

/**
 * Knows, per model, the context length Ollama loaded it with (from /api/ps), refreshed in the background so
 * no request waits for it. A request whose body alone exceeds that window (at a generous 6 bytes per token,
 * so only certain overflows are refused) is answered with how to raise the window instead of being
 * silently truncated by Ollama.
 */
export class ContextWatch {
  private readonly known = new Map<string, { ctx: number | null; at: number; refreshing: boolean }>();
  private static readonly TTL = 15_000;

  constructor(private readonly clock: Clock) {}

  /** Why a request of `bodyBytes` cannot fit `model`'s loaded window, or null when it may. */
  check(kind: LocalKind, host: string, model: string, bodyBytes: number): string | null {
    const key = `${kind} ${host} ${model}`;
    const k = this.known.get(key);
    const now = this.clock.now();
    if (!k || (now - k.at > ContextWatch.TTL && !k.refreshing)) {
      const entry = k ?? { ctx: null, at: now, refreshing: true };
      entry.refreshing = true;
      this.known.set(key, entry);
      createBackend(kind, host, { timeoutMs: 2_000 })
        .loadedContextLength(model)
        .then(
          (r) => Object.assign(entry, { ctx: r.contextLength, at: this.clock.now(), refreshing: false }),
          () => Object.assign(entry, { ctx: null, at: this.clock.now(), refreshing: false }),
        );
    }
    const ctx = k?.ctx ?? null;
    if (ctx !== null && bodyBytes / 6 > ctx) {
      return `This request (about ${Math.round(bodyBytes / 4).toLocaleString('en-US')} tokens) does not fit: ${smallContextMessage(model, ctx, kind)}`;
    }
    return null;
  }
}
