/**
 * The metering gateway: a loopback HTTP proxy in front of the Anthropic and OpenAI APIs (route `cloud`)
 * or Ollama's compatible endpoints (route `local`). Responses pass through as they arrive; a copy of the
 * bytes is read on the side for the provider's id, model and usage, and each generation request becomes
 * one Interaction handed to `onInteraction` (the composition layer prices it and appends it to the ledger).
 *
 * Nothing here stores or logs a header or a body: credentials travel from the client to the vendor and
 * are never kept. The route is read from `config()` on every request, so a switch applies to the next one.
 */
import http from 'node:http';
import type { BudgetAction, Interaction, Route } from '../interaction';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports';
import { countTokens as tiktokenCount } from '../tokens';
import { refusalMessage, type BudgetDecision } from '../budgets/gate';
import { notLocalReason } from '../local/where';
import { BACKENDS, unsupportedApiMessage, type LocalKind } from '../local/backend';
import { gatewayError, type ErrorShape } from './errors';
import { classify, refusal, type Endpoint } from './request';
import { requestText } from './usage';
import { healthProof } from './secret';
import { Metering } from './metering';
import { ContextWatch, localModels } from './localRoute';
import { forwardHeaders, ollamaHeaders, parseJson, readBody, target, Upstreams } from './proxy';
import { send } from './reply';

export interface GatewayConfig {
  route: Route;
  /** The model that serves requests on the local route. */
  localModel: string | null;
  anthropicUpstream: string;
  openaiUpstream: string;
  ollamaHost: string;
  /** The server that serves localModel; Ollama at ollamaHost when absent. */
  localServer?: { kind: LocalKind; host: string };
}

/** The local server of a config: the one named, else Ollama at ollamaHost. */
function localServerOf(cfg: GatewayConfig): { kind: LocalKind; host: string } {
  return cfg.localServer ?? { kind: 'ollama', host: cfg.ollamaHost };
}

export interface GatewayOptions {
  /** Read on every request. */
  config: () => GatewayConfig;
  /** Called once per generation request, after its response ended (or was cut off). */
  onInteraction: (i: Interaction) => void | Promise<void>;
  clock?: Clock;
  logger?: Logger;
  /** Token counter for responses without usage; defaults to tiktoken (src/core/tokens). */
  countTokens?: (text: string, model: string) => Promise<number>;
  /** Reported by the health endpoint, so a second instance can tell what is running. */
  version?: string;
  /** Overrides the per-endpoint request body caps (bodyLimit) when lower. */
  maxBodyBytes?: number;
  /** The data directory's gateway secret: the health endpoint proves holding it (see secret.ts). */
  secret?: Buffer;
  /** Cap on one SSE line or event read for usage (sse.ts); the bytes pass through regardless. */
  maxSseLine?: number;
  /**
   * Asked before a cloud generation request is forwarded (src/core/budgets/gate.ts). A rejection fails
   * open: the request is forwarded and its record says so.
   */
  budget?: { decide(): Promise<BudgetDecision> };
  /** The OTLP/HTTP receiver (src/core/otlp) that answers its paths on this port; it applies the same refusal. */
  otlp?: { handles(path: string): boolean; serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> };
}

export interface HealthInfo {
  service: 'unmetered-gateway';
  version: string;
  pid: number;
  route: Route;
  localModel: string | null;
  startedAt: string;
  /** HMAC of the probe's nonce under the gateway secret; absent when no nonce was sent or no secret is set. */
  proof?: string;
}

export interface Gateway {
  readonly server: http.Server;
  /** Binds 127.0.0.1:port (0 = any free port) and resolves with the port. Rejects with the listen error (e.g. EADDRINUSE). */
  listen(port: number): Promise<number>;
  close(): Promise<void>;
  /** Resolves when every request so far has finished and its Interaction was handed over. */
  settled(): Promise<void>;
  /** How many upstream responses raised each diagnostic (odd shapes, invalid counts, over-long lines). */
  diagnostics(): Record<string, number>;
}

export const HEALTH_PATH = '/unmetered/health';

const MiB = 1024 * 1024;
/**
 * Request body caps per endpoint. Anthropic documents 32 MB for Messages and Token Counting (larger is
 * refused with 413 request_too_large); OpenAI documents no figure, so its endpoints get the gateway's
 * general 64 MiB. Listing models takes no body.
 */
function bodyLimit(ep: Endpoint): number {
  if (ep.kind === 'count_tokens' || (ep.kind === 'generate' && ep.api === 'anthropic')) return 32 * MiB;
  if (ep.kind === 'generate') return 64 * MiB;
  return 1 * MiB;
}
type Served = Extract<Endpoint, { kind: 'generate' | 'count_tokens' | 'models' }>;

export function createGateway(opts: GatewayOptions): Gateway {
  return new GatewayServer(opts);
}

/**
 * The HTTP server and its routes: what is not a generation request is answered here (probe, health, unknown
 * paths, oversized bodies); a generation request goes to the cloud route (after the budget check) or to the
 * local route, as `config()` says now. Forwarding is proxy.ts's, writing down what was used metering.ts's.
 */
class GatewayServer implements Gateway {
  readonly server: http.Server;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly startedAt: string;
  private readonly upstreams: Upstreams;
  private readonly metering: Metering;
  private readonly contexts: ContextWatch;
  private inflight = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly opts: GatewayOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.startedAt = new Date(this.clock.now()).toISOString();
    this.upstreams = new Upstreams({ clock: this.clock, logger: this.logger, maxSseLine: opts.maxSseLine });
    this.metering = new Metering({ logger: this.logger, count: opts.countTokens ?? tiktokenCount, onInteraction: opts.onInteraction });
    this.contexts = new ContextWatch(this.clock);
    this.server = http.createServer((req, res) => this.accept(req, res));
    // HTTP clients keep idle connections for long (reqwest, under Codex, pools them 90 s); a server that closes
    // an idle connection first races the client's reuse of it and fails that request. Close later than they do.
    this.server.keepAliveTimeout = 120_000;
    // Codex tries a WebSocket at /v1/responses first and falls back to HTTP on 404.
    this.server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  diagnostics(): Record<string, number> {
    return this.metering.diagnostics();
  }

  listen(port: number): Promise<number> {
    const server = this.server;
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve((server.address() as { port: number }).port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, '127.0.0.1');
    });
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.server.listening) {
        this.upstreams.destroy();
        return resolve();
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      this.upstreams.destroy();
    });
  }

  settled(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise<void>((r) => this.waiters.push(r));
  }

  /** Every request is counted in flight until it is over, and a failure in serving it answers, never throws. */
  private accept(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.inflight++;
    this.serve(req, res)
      .catch((err) => {
        if (req.destroyed && !res.headersSent) return void res.destroy();
        this.logger.error(`gateway: ${(err as Error).message}`);
        if (!res.headersSent)
          send(res, gatewayError('openai', 'upstream_unreachable', `The Unmetered gateway failed: ${(err as Error).message}`));
        else res.destroy();
      })
      .finally(() => {
        if (--this.inflight === 0) {
          const w = this.waiters;
          this.waiters = [];
          for (const f of w) f();
        }
      });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.opts.otlp?.handles((req.url ?? '/').split('?')[0]!.replace(/\/+$/, ''))) return this.opts.otlp.serve(req, res);
    const ep = classify(req.method ?? 'GET', req.url ?? '/', req.headers);
    const shape = shapeFor(ep);
    const why = refusal(req.headers);
    if (why) {
      req.resume();
      return send(res, gatewayError(shape, 'forbidden', why));
    }
    if (ep.kind === 'probe') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : 'Unmetered gateway\n');
      return;
    }
    const cfg = this.opts.config();
    if (ep.kind === 'health') return this.health(req, res, cfg);
    if (ep.kind === 'unknown') {
      req.resume();
      return send(
        res,
        gatewayError(
          shape,
          'not_found',
          `The Unmetered gateway has no ${req.method} ${(req.url ?? '').split('?')[0]}. It serves POST` +
            ` /v1/messages, /v1/messages/count_tokens, /v1/chat/completions, /v1/responses and GET /v1/models.`,
        ),
      );
    }
    const maxBody = Math.min(bodyLimit(ep), this.opts.maxBodyBytes ?? Infinity);
    const body = await readBody(req, maxBody, true);
    if (body === null) {
      // The upload was read to its end (within bounds) so that the client, done writing, reads this answer.
      return send(
        res,
        gatewayError(
          shape,
          'too_large',
          `The request body is larger than this endpoint accepts (${maxBody.toLocaleString('en-US')} bytes). Send a smaller request.`,
        ),
      );
    }
    if (cfg.route === 'cloud') return this.serveCloud(req, res, ep, shape, cfg, body);
    return this.serveLocal(req, res, ep, shape, cfg, body);
  }

  private health(req: http.IncomingMessage, res: http.ServerResponse, cfg: GatewayConfig): void {
    req.resume();
    const h: HealthInfo = {
      service: 'unmetered-gateway',
      version: this.opts.version ?? 'dev',
      pid: process.pid,
      route: cfg.route,
      localModel: cfg.localModel,
      startedAt: this.startedAt,
    };
    const nonce = new URL(req.url ?? '/', 'http://x').searchParams.get('nonce');
    if (this.opts.secret && nonce && /^[0-9a-f]{16,128}$/.test(nonce)) h.proof = healthProof(this.opts.secret, nonce);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(h));
  }

  /** The cloud route: the vendor serves the request, unless a budget's cap says to refuse it or serve it locally. */
  private async serveCloud(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ep: Served,
    shape: ErrorShape,
    cfg: GatewayConfig,
    body: Buffer,
  ): Promise<void> {
    const url = target(shape === 'anthropic' ? cfg.anthropicUpstream : cfg.openaiUpstream, req.url ?? '/');
    const headers = forwardHeaders(req.rawHeaders, url.host, body.length);
    if (ep.kind !== 'generate') {
      await this.upstreams.forward(req, res, { url, headers, body, shape, api: null, ollama: null });
      return;
    }
    const at = new Date(this.clock.now()).toISOString();
    const json = parseJson(body);
    // Decided before anything is forwarded; a request already streaming is never cut off by a cap.
    const decision = await this.decideBudget();
    if (decision.kind === 'fallback' && cfg.localModel)
      return this.serveLocal(req, res, ep, shape, cfg, body, { action: 'fallback', budget: decision.budget.id });
    if (decision.kind === 'fallback' || decision.kind === 'refuse') {
      const message =
        decision.kind === 'refuse'
          ? decision.message
          : refusalMessage(decision.budget, 'It is set to fall back to a local model, but none is chosen (unmetered.localModel). ');
      send(res, gatewayError(shape, 'budget_exceeded', message));
      await this.metering.recordRefusal(at, req, json, decision.budget.id);
      return;
    }
    const outcome = await this.upstreams.forward(req, res, { url, headers, body, shape, api: ep.api, ollama: null });
    const budgetAction: BudgetAction | undefined = decision.kind === 'failed-open' ? { action: 'failed-open', budget: null } : undefined;
    await this.metering.record({ api: ep.api, route: 'cloud', at, req, json, localModel: cfg.localModel, outcome, budgetAction });
  }

  private async decideBudget(): Promise<BudgetDecision> {
    if (!this.opts.budget) return { kind: 'forward' };
    try {
      return await this.opts.budget.decide();
    } catch (err) {
      this.logger.warn(`gateway: the budget check failed, forwarding unchecked: ${(err as Error).message}`);
      return { kind: 'failed-open', reason: (err as Error).message };
    }
  }

  /** The local route: the local server serves the request (chosen by the route setting, or by a budget's fallback). */
  private async serveLocal(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ep: Served,
    shape: ErrorShape,
    cfg: GatewayConfig,
    body: Buffer,
    budgetAction?: BudgetAction,
  ): Promise<void> {
    const local = cfg.localModel;
    const server = localServerOf(cfg);
    if (ep.kind === 'models') return localModels(res, server, shape, this.clock.now(), this.startedAt);
    if (!local)
      return send(
        res,
        gatewayError(
          shape,
          'no_local_model',
          'No local model is chosen for the local route. Pick one in the Unmetered status bar menu ("Local: <model>") or set unmetered.localModel.',
        ),
      );
    const json = parseJson(body);
    if (!json || typeof json !== 'object') return send(res, gatewayError(shape, 'bad_request', 'The request body is not a JSON object.'));
    if (ep.kind === 'count_tokens') {
      // Counted with the tokenizer on every server (Ollama and LM Studio have no count_tokens), as
      // Anthropic's own count would be approximated for a local model anyway.
      const n = await this.metering.countSafely(requestText({ ...json, model: undefined }), local);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: n }));
      return;
    }
    const path = BACKENDS[server.kind].endpoints[ep.api];
    if (!path) return send(res, gatewayError(shape, 'local_api_unsupported', unsupportedApiMessage(server.kind, server.host, ep.api)));
    const tooSmall = this.contexts.check(server.kind, server.host, local, body.length);
    if (tooSmall) return send(res, gatewayError(shape, 'context_too_small', tooSmall));
    const at = new Date(this.clock.now()).toISOString();
    const mapped = Buffer.from(JSON.stringify({ ...json, model: local }));
    const url = target(server.host, path);
    const headers = ollamaHeaders(req.rawHeaders, url.host, mapped.length);
    const outcome = await this.upstreams.forward(req, res, {
      url,
      headers,
      body: mapped,
      shape,
      api: ep.api,
      ollama: { ...server, model: local, api: ep.api },
    });
    // A cloud model served through Ollama, or a server on another machine, is not local: no spend avoided.
    const route = notLocalReason(local, server.host, server.kind) ? 'cloud' : 'local';
    await this.metering.record({ api: ep.api, route, at, req, json, localModel: local, outcome, budgetAction });
  }
}

function shapeFor(ep: Endpoint): ErrorShape {
  if (ep.kind === 'generate') return ep.api === 'anthropic' ? 'anthropic' : 'openai';
  if (ep.kind === 'count_tokens') return 'anthropic';
  if (ep.kind === 'models' || ep.kind === 'unknown') return ep.shape;
  return 'openai';
}
