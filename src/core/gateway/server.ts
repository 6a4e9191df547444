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
import https from 'node:https';
import zlib from 'node:zlib';
import { randomUUID } from 'node:crypto';
import type { BudgetAction, Interaction, Route, Tokens } from '../interaction';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports';
import { countTokens as tiktokenCount } from '../tokens';
import {
  createOllama,
  isModelNotFound,
  MIN_AGENT_CONTEXT,
  notPulledMessage,
  notRunningMessage,
  smallContextMessage,
} from '../local/ollama';
import { refusalMessage, type BudgetDecision } from '../budgets/gate';
import { errorMessageOf, gatewayError, type ErrorShape, type GatewayError, type GatewayErrorKind } from './errors';
import { classify, detectAgent, refusal, type Endpoint } from './request';
import { observeResponse, requestText, type Api, type Diagnostic, type Observation } from './usage';
import { healthProof } from './secret';
import { fromAnthropicHeaders, shouldAttach, type RateLimitState } from '../plans/limits';
import { notLocalReason } from '../local/where';

export interface GatewayConfig {
  route: Route;
  /** The Ollama model that serves requests on the local route. */
  localModel: string | null;
  anthropicUpstream: string;
  openaiUpstream: string;
  ollamaHost: string;
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
/** Tokenizer work per event-loop turn: about 20 ms of tiktoken, so no client waits behind a huge count. */
const COUNT_SLICE = 64 * 1024;
/** Each diagnostic is logged the first time, then every this many times (always counted). */
const DIAGNOSTIC_LOG_EVERY = 1000;

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);
// Headers worth sending to Ollama; the client's credentials are not among them (the Ollama host may be remote).
const TO_OLLAMA = new Set(['content-type', 'accept', 'user-agent', 'anthropic-version']);

interface Outcome {
  status: number;
  observation: Observation | null;
  /** The vendor's unified rate-limit state, when its response headers carried one. */
  limits: RateLimitState | null;
}

export function createGateway(opts: GatewayOptions): Gateway {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const count = opts.countTokens ?? tiktokenCount;
  const maxBodyOverride = opts.maxBodyBytes ?? Infinity;
  const diagnosticCounts = new Map<Diagnostic, number>();
  const startedAt = new Date(clock.now()).toISOString();
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
  const contexts = contextWatch(clock);
  let inflight = 0;
  let waiters: Array<() => void> = [];
  let tokenizerWarned = false;
  /** The last rate-limit state attached per agent: an unchanged one is not written to every record. */
  const lastLimits = new Map<string, RateLimitState>();

  const server = http.createServer((req, res) => {
    inflight++;
    serve(req, res)
      .catch((err) => {
        if (req.destroyed && !res.headersSent) return void res.destroy();
        logger.error(`gateway: ${(err as Error).message}`);
        if (!res.headersSent)
          send(res, gatewayError('openai', 'upstream_unreachable', `The Unmetered gateway failed: ${(err as Error).message}`));
        else res.destroy();
      })
      .finally(() => {
        if (--inflight === 0) {
          const w = waiters;
          waiters = [];
          for (const f of w) f();
        }
      });
  });
  // HTTP clients keep idle connections for long (reqwest, under Codex, pools them 90 s); a server that closes
  // an idle connection first races the client's reuse of it and fails that request. Close later than they do.
  server.keepAliveTimeout = 120_000;
  // Codex tries a WebSocket at /v1/responses first and falls back to HTTP on 404.
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  server.on('clientError', (_err, socket) => socket.destroy());

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (opts.otlp?.handles((req.url ?? '/').split('?')[0]!.replace(/\/+$/, ''))) return opts.otlp.serve(req, res);
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
    const cfg = opts.config();
    if (ep.kind === 'health') {
      req.resume();
      const h: HealthInfo = {
        service: 'unmetered-gateway',
        version: opts.version ?? 'dev',
        pid: process.pid,
        route: cfg.route,
        localModel: cfg.localModel,
        startedAt,
      };
      const nonce = new URL(req.url ?? '/', 'http://x').searchParams.get('nonce');
      if (opts.secret && nonce && /^[0-9a-f]{16,128}$/.test(nonce)) h.proof = healthProof(opts.secret, nonce);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h));
      return;
    }
    if (ep.kind === 'unknown') {
      req.resume();
      return send(
        res,
        gatewayError(
          shape,
          'not_found',
          `The Unmetered gateway has no ${req.method} ${(req.url ?? '').split('?')[0]}. It serves POST /v1/messages, /v1/messages/count_tokens, /v1/chat/completions, /v1/responses and GET /v1/models.`,
        ),
      );
    }
    const maxBody = Math.min(bodyLimit(ep), maxBodyOverride);
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

    if (cfg.route === 'cloud') {
      const upstream = shape === 'anthropic' ? cfg.anthropicUpstream : cfg.openaiUpstream;
      const url = target(upstream, req.url ?? '/');
      const headers = forwardHeaders(req.rawHeaders, url.host, body.length);
      if (ep.kind !== 'generate') {
        await proxy(req, res, url, headers, body, shape, null, null);
        return;
      }
      const at = new Date(clock.now()).toISOString();
      const json = parseJson(body);
      // Decided before anything is forwarded; a request already streaming is never cut off by a cap.
      const decision = await decideBudget();
      if (decision.kind === 'fallback' && cfg.localModel)
        return serveLocal(req, res, ep, shape, cfg, body, { action: 'fallback', budget: decision.budget.id });
      if (decision.kind === 'fallback' || decision.kind === 'refuse') {
        const message =
          decision.kind === 'refuse'
            ? decision.message
            : refusalMessage(decision.budget, 'It is set to fall back to a local model, but none is chosen (unmetered.localModel). ');
        send(res, gatewayError(shape, 'budget_exceeded', message));
        await recordRefusal(at, req, json, decision.budget.id);
        return;
      }
      const outcome = await proxy(req, res, url, headers, body, shape, ep.api, null);
      await record(
        ep.api,
        'cloud',
        at,
        req,
        json,
        cfg.localModel,
        outcome,
        decision.kind === 'failed-open' ? { action: 'failed-open', budget: null } : undefined,
      );
      return;
    }
    return serveLocal(req, res, ep, shape, cfg, body);
  }

  async function decideBudget(): Promise<BudgetDecision> {
    if (!opts.budget) return { kind: 'forward' };
    try {
      return await opts.budget.decide();
    } catch (err) {
      logger.warn(`gateway: the budget check failed, forwarding unchecked: ${(err as Error).message}`);
      return { kind: 'failed-open', reason: (err as Error).message };
    }
  }

  /** The local route: Ollama serves the request (chosen by the route setting, or by a budget's fallback). */
  async function serveLocal(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ep: Extract<Endpoint, { kind: 'generate' | 'count_tokens' | 'models' }>,
    shape: ErrorShape,
    cfg: GatewayConfig,
    body: Buffer,
    budgetAction?: BudgetAction,
  ): Promise<void> {
    const local = cfg.localModel;
    if (ep.kind === 'models') return localModels(res, cfg, shape);
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
      // Ollama has no count_tokens: count with the tokenizer, as Anthropic's would be approximated anyway.
      const n = await countSafely(requestText({ ...json, model: undefined }), local);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: n }));
      return;
    }
    const tooSmall = contexts.check(cfg.ollamaHost, local, body.length);
    if (tooSmall) return send(res, gatewayError(shape, 'context_too_small', tooSmall));
    const at = new Date(clock.now()).toISOString();
    const mapped = Buffer.from(JSON.stringify({ ...json, model: local }));
    const url = target(cfg.ollamaHost, ep.path);
    const outcome = await proxy(req, res, url, ollamaHeaders(req.rawHeaders, url.host, mapped.length), mapped, shape, ep.api, {
      host: cfg.ollamaHost,
      model: local,
    });
    // A cloud model served through Ollama, or an Ollama on another machine, is not local: no spend avoided.
    await record(ep.api, notLocalReason(local, cfg.ollamaHost) ? 'cloud' : 'local', at, req, json, local, outcome, budgetAction);
  }

  /**
   * Sends the request on and streams the answer back chunk by chunk (with backpressure). Cloud error
   * bodies pass unchanged; Ollama's errors are reworded into what to do. Resolves when the exchange is over.
   */
  function proxy(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    headers: string[],
    body: Buffer,
    shape: ErrorShape,
    api: Api | null,
    ollama: { host: string; model: string } | null,
  ): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let done = false;
      let status = 0;
      let observation: Observation | null = null;
      let limits: RateLimitState | null = null;
      let sideEnd: (() => Promise<void>) | null = null;
      const finish = async () => {
        if (done) return;
        done = true;
        if (sideEnd) await sideEnd();
        resolve({ status, observation, limits });
      };
      const mod = url.protocol === 'https:' ? https : http;
      let responded = false;
      const onResponse = (ur: http.IncomingMessage) => {
        responded = true;
        status = ur.statusCode ?? 502;
        if (!ollama) limits = fromAnthropicHeaders((n) => headerText(ur.headers[n]), clock.now());
        if (ollama && status >= 400) {
          readBody(ur, 64 * 1024).then(
            (b) => {
              send(res, ollamaFailure(shape, status, b?.toString('utf8') ?? '', ollama.host, ollama.model));
              void finish();
            },
            () => void finish(),
          );
          return;
        }
        try {
          res.writeHead(status, ur.statusMessage, responseHeaders(ur.rawHeaders));
        } catch (err) {
          // A status or header Node will not send on (e.g. status 099): the agent gets a clear 502 instead.
          ur.destroy();
          send(
            res,
            gatewayError(
              shape,
              'upstream_unreachable',
              `The upstream ${url.origin} answered with something that is not valid HTTP (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
            ),
          );
          void finish();
          return;
        }
        const streaming = /text\/event-stream/i.test(String(ur.headers['content-type'] ?? ''));
        if (streaming) res.flushHeaders();
        let feed: ((b: Buffer) => void) | null = null;
        if (api && status >= 200 && status < 300) {
          const obs = observeResponse(api, streaming, { maxSseLine: opts.maxSseLine });
          observation = obs.observation;
          const side = sideChannel(String(ur.headers['content-encoding'] ?? ''), obs.push, obs.end);
          feed = side.write;
          sideEnd = side.end;
        }
        ur.on('data', (chunk: Buffer) => {
          if (!res.write(chunk)) {
            ur.pause();
            res.once('drain', () => ur.resume());
          }
          feed?.(chunk);
        });
        ur.on('end', () => {
          res.end();
          void finish();
        });
        ur.on('error', () => {});
        ur.on('close', () => {
          if (!ur.complete && !done) {
            // The upstream died mid-answer: close the client's connection after what already arrived (without
            // the final chunk), so it gets every byte sent so far yet cannot take the torn answer for a whole one.
            if (res.socket) res.socket.end();
            else res.destroy();
            void finish();
          }
        });
      };
      const start = (attempt: number): http.ClientRequest => {
        const r = mod.request({
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: req.method,
          headers,
          agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
        });
        r.on('socket', (s) => s.setNoDelay(true));
        r.on('error', (err: NodeJS.ErrnoException) => {
          if (done) return;
          // A kept-alive socket the upstream closed just as it was reused (its idle timer and our reuse
          // crossed): nothing was answered, so the request goes once more on a fresh connection, as Node's
          // documentation advises, rather than failing the agent's turn with a 502.
          if (attempt === 0 && r.reusedSocket && !responded && !res.destroyed && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
            up = start(1);
            return;
          }
          if (!res.headersSent) {
            const code = err.code ?? err.message;
            send(
              res,
              ollama
                ? gatewayError(shape, 'ollama_unreachable', notRunningMessage(ollama.host))
                : gatewayError(
                    shape,
                    'upstream_unreachable',
                    `The Unmetered gateway could not reach ${url.origin} (${code}). Check your network, or the upstream URL in unmetered.gateway.${shape === 'anthropic' ? 'anthropicUpstream' : 'openaiUpstream'}.`,
                  ),
            );
            if (!ollama) logger.warn(`gateway: upstream ${url.origin} unreachable (${code})`);
          } else res.destroy();
          void finish();
        });
        r.on('response', onResponse);
        r.end(body.length > 0 ? body : undefined);
        return r;
      };
      let up = start(0);

      res.on('close', () => {
        if (!res.writableFinished) {
          // The client left: stop the upstream work (and its spend) now.
          up.destroy();
          void finish();
        }
      });
    });
  }

  function ollamaFailure(shape: ErrorShape, status: number, body: string, host: string, model: string): GatewayError {
    const message = errorMessageOf(body);
    if (status === 404 && isModelNotFound(message)) return gatewayError(shape, 'model_not_pulled', notPulledMessage(model, host));
    if (/context (length|window)|too long|exceeds/i.test(message)) {
      return gatewayError(
        shape,
        'context_too_small',
        `The request does not fit ${model}'s context window (Ollama: ${message}). ${raiseContextHint()}`,
      );
    }
    const kind: GatewayErrorKind = 'ollama_error';
    return gatewayError(shape, kind, `Ollama at ${host} answered ${status}: ${message}`);
  }

  async function localModels(res: http.ServerResponse, cfg: GatewayConfig, shape: ErrorShape): Promise<void> {
    let models;
    try {
      models = await createOllama({ host: cfg.ollamaHost }).list();
    } catch (err) {
      return send(res, gatewayError(shape, 'ollama_unreachable', (err as Error).message));
    }
    const created = Math.floor(clock.now() / 1000);
    const out =
      shape === 'anthropic'
        ? {
            data: models.map((m) => ({ type: 'model', id: m.name, display_name: m.name, created_at: m.modifiedAt ?? startedAt })),
            has_more: false,
            first_id: models[0]?.name ?? null,
            last_id: models.at(-1)?.name ?? null,
          }
        : { object: 'list', data: models.map((m) => ({ id: m.name, object: 'model', created, owned_by: 'ollama' })) };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out));
  }

  /**
   * Tokens in `text`, counted in slices of COUNT_SLICE characters with a yield to the event loop between
   * them, so a 30 MB request delays other clients by one slice at a time, not by the whole count. Slices
   * are cut before a space (where the tokenizers' pre-splitting cuts anyway), so the sum matches a count
   * of the whole text for ordinary prose and code.
   */
  async function countSafely(text: string, model: string): Promise<number> {
    try {
      let total = 0;
      for (let at = 0; at < text.length;) {
        const end = sliceEnd(text, at, COUNT_SLICE);
        total += await count(text.slice(at, end), model);
        at = end;
        if (at < text.length) await new Promise<void>((r) => setImmediate(r));
      }
      return total;
    } catch (err) {
      if (!tokenizerWarned) logger.warn(`gateway: tokenizer unavailable, estimating 4 characters per token (${(err as Error).message})`);
      tokenizerWarned = true;
      return Math.ceil(text.length / 4);
    }
  }

  async function record(
    api: Api,
    route: Route,
    at: string,
    req: http.IncomingMessage,
    json: unknown,
    localModel: string | null,
    outcome: Outcome,
    budgetAction?: BudgetAction,
  ): Promise<void> {
    const o = outcome.observation;
    if (o) noteDiagnostics(o.diagnostics, route);
    if (!o || !o.seen || outcome.status < 200 || outcome.status >= 300) return;
    const requested =
      json && typeof json === 'object' && typeof (json as { model?: unknown }).model === 'string'
        ? (json as { model: string }).model
        : null;
    const model = o.model ?? (route === 'local' ? localModel : requested) ?? 'unknown';
    let t: Tokens;
    let estimated = false;
    if (o.reported && o.reportedFinal && o.invalid.size === 0) t = o.reported;
    else {
      // Counted with the tokenizer: output always (a lower reported figure is kept only if larger),
      // input when none was reported or the reported figure was invalid. An invalid cache or reasoning
      // count cannot be rebuilt from text; it stays 0, and the record says it is an estimate.
      estimated = true;
      const output = await countSafely(o.outputText(), model);
      if (o.reported) {
        t = { ...o.reported, output: o.invalid.has('output') ? output : Math.max(o.reported.output, output) };
        if (o.invalid.has('input'))
          t.input = Math.max(0, (await countSafely(requestText(json), model)) - t.cacheRead - t.cacheWrite5m - t.cacheWrite1h);
      } else
        t = { input: await countSafely(requestText(json), model), output, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 };
    }
    const agent = detectAgent(req.headers);
    const limits = outcome.limits && shouldAttach(lastLimits.get(agent) ?? null, outcome.limits) ? outcome.limits : null;
    if (limits) lastLimits.set(agent, limits);
    const i: Interaction = {
      id: o.id ? `${api === 'anthropic' ? 'anthropic' : 'openai'}:${o.id}` : `${agent}:gateway:${randomUUID()}`,
      at,
      agent,
      source: 'gateway',
      project: null,
      model,
      route,
      replaces: route === 'local' ? requested : null,
      tokens: t,
      costNanos: null,
      avoidedNanos: null,
      priceSource: null,
      estimated,
      ...(o.fast ? { fast: true } : {}),
      ...(budgetAction ? { budgetAction } : {}),
      ...(limits ? { rateLimits: limits } : {}),
    };
    await hand(i);
  }

  async function hand(i: Interaction): Promise<void> {
    try {
      await opts.onInteraction(i);
    } catch (err) {
      logger.error(`gateway: recording an interaction failed: ${(err as Error).message}`);
    }
  }

  /** A refused request leaves a record with no tokens, so the ledger shows the decision and reports can count it. */
  async function recordRefusal(at: string, req: http.IncomingMessage, json: unknown, budget: string): Promise<void> {
    const requested =
      json && typeof json === 'object' && typeof (json as { model?: unknown }).model === 'string'
        ? (json as { model: string }).model
        : null;
    const agent = detectAgent(req.headers);
    await hand({
      id: `${agent}:budget:${randomUUID()}`,
      at,
      agent,
      source: 'gateway',
      project: null,
      model: requested ?? 'unknown',
      route: 'cloud',
      replaces: null,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
      costNanos: null,
      avoidedNanos: null,
      priceSource: null,
      estimated: false,
      budgetAction: { action: 'refused', budget },
    });
  }

  function noteDiagnostics(list: readonly Diagnostic[], route: Route): void {
    for (const d of list) {
      const n = (diagnosticCounts.get(d) ?? 0) + 1;
      diagnosticCounts.set(d, n);
      if (n === 1 || n % DIAGNOSTIC_LOG_EVERY === 0) {
        logger.warn(
          `gateway: an upstream response on the ${route} route was not in the documented shape (${d}${n > 1 ? `, ${n} so far` : ''}); it reached the agent unchanged and its usage was ${d === 'usage_invalid_count' || d === 'sse_line_too_long' ? 'estimated' : 'read where possible'}`,
        );
      }
    }
  }

  return {
    server,
    diagnostics: () => Object.fromEntries(diagnosticCounts),
    listen: (port) =>
      new Promise<number>((resolve, reject) => {
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
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) {
          httpAgent.destroy();
          httpsAgent.destroy();
          return resolve();
        }
        server.close(() => resolve());
        server.closeAllConnections();
        httpAgent.destroy();
        httpsAgent.destroy();
      }),
    settled: () => (inflight === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
  };
}

function shapeFor(ep: Endpoint): ErrorShape {
  if (ep.kind === 'generate') return ep.api === 'anthropic' ? 'anthropic' : 'openai';
  if (ep.kind === 'count_tokens') return 'anthropic';
  if (ep.kind === 'models' || ep.kind === 'unknown') return ep.shape;
  return 'openai';
}

/** Where a slice of at most `max` characters from `at` should end: before a space when one is near. */
function sliceEnd(text: string, at: number, max: number): number {
  if (text.length - at <= max) return text.length;
  let end = at + max;
  const space = text.lastIndexOf(' ', end);
  if (space > at + max / 2) end = space;
  // Never split a surrogate pair.
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return end;
}

/** One header's value; a repeated header (an array) is not trusted to say one thing. */
function headerText(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v.slice(0, 64) : undefined;
}

function send(res: http.ServerResponse, e: GatewayError): void {
  res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(e.body) });
  res.end(e.body);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * A refused upload is read to its end before the 413 goes out: Node closes the connection when a response is sent
 * before its request is complete, and a client still writing then sees EPIPE instead of the API's error. Reading and
 * dropping is bounded: past 512 MiB, 30 s, or a second with nothing sent, the answer goes out and the connection closes.
 */
const DRAIN_MAX_BYTES = 512 * 1024 * 1024;
const DRAIN_MAX_MS = 30_000;
const DRAIN_IDLE_MS = 1_000;

/**
 * The whole body, or null when it passes `max` bytes: at once, or with `drain` once the rest has been read and
 * dropped (within the bounds above).
 */
function readBody(stream: http.IncomingMessage, max: number, drain = false): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    let parts: Buffer[] = [];
    let size = 0;
    let over = false;
    let settled = false;
    let deadline: NodeJS.Timeout | undefined;
    let idle: NodeJS.Timeout | undefined;
    const settle = (v: Buffer | null | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(idle);
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    const quiet = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => settle(null), DRAIN_IDLE_MS);
    };
    const refuse = (): void => {
      over = true;
      parts = [];
      if (!drain) return settle(null);
      deadline = setTimeout(() => settle(null), DRAIN_MAX_MS);
      quiet();
    };
    const declared = Number(stream.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) refuse();
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (over) {
        if (size > DRAIN_MAX_BYTES) settle(null);
        else if (!settled) quiet();
      } else if (size > max) refuse();
      else parts.push(c);
    });
    let ended = false;
    stream.on('end', () => {
      ended = true;
      settle(over ? null : Buffer.concat(parts));
    });
    stream.on('error', (e) => settle(e));
    // A client that leaves mid-upload ends nothing: settle anyway so the request is not counted as in flight forever.
    stream.on('close', () => ended || settle(over ? null : new Error('the client closed the connection before sending the whole request')));
  });
}

/** Upstream base URL + the client's path and query (a base path such as a corporate proxy's prefix is kept). */
function target(base: string, pathAndQuery: string): URL {
  const u = new URL(base);
  const prefix = u.pathname.replace(/\/+$/, '');
  return new URL(`${u.origin}${prefix}${pathAndQuery}`);
}

// Node's rawHeaders alternate name and value, so a list holds an even number of entries: raw[i + 1] exists.

/** The client's headers as sent (names, order, duplicates), less hop-by-hop ones; the body length is set anew. */
function forwardHeaders(raw: string[], host: string, length: number): string[] {
  // With headers given as a list, Node adds no Host of its own.
  const out: string[] = ['host', host];
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  if (length > 0) out.push('content-length', String(length));
  return out;
}

function ollamaHeaders(raw: string[], host: string, length: number): string[] {
  const out: string[] = ['host', host];
  for (let i = 0; i < raw.length; i += 2) if (TO_OLLAMA.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  out.push('content-length', String(length));
  return out;
}

function responseHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (k !== 'content-length' && HOP_BY_HOP.has(k)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** Feeds the observer the decoded body, whatever content encoding the client accepted and the vendor chose. */
function sideChannel(
  encoding: string,
  push: (b: Buffer) => void,
  end: () => void,
): { write: (b: Buffer) => void; end: () => Promise<void> } {
  const enc = encoding.trim().toLowerCase();
  const z =
    enc === 'gzip' || enc === 'x-gzip'
      ? zlib.createGunzip()
      : enc === 'br'
        ? zlib.createBrotliDecompress()
        : enc === 'deflate'
          ? zlib.createInflate()
          : null;
  if (!z) return { write: push, end: async () => end() };
  z.on('data', push);
  let failed = false;
  const finished = new Promise<void>((resolve) => {
    z.once('end', resolve);
    // A corrupt compressed body ends the side channel only; `on`, as a second error must not go unheard.
    z.on('error', () => {
      failed = true;
      resolve();
    });
  });
  return {
    write: (b) => void (failed || z.write(b)),
    end: async () => {
      z.end();
      await finished;
      end();
    },
  };
}

function raiseContextHint(): string {
  return `Coding agents need at least ${MIN_AGENT_CONTEXT.toLocaleString('en-US')} tokens: start Ollama with OLLAMA_CONTEXT_LENGTH=${MIN_AGENT_CONTEXT} (then restart it), or set num_ctx in the model's Modelfile.`;
}

/**
 * Knows, per model, the context length Ollama loaded it with (from /api/ps), refreshed in the background so
 * no request waits for it. A request whose body alone exceeds that window (at a generous 6 bytes per token,
 * so only certain overflows are refused) is answered with how to raise the window instead of being
 * silently truncated by Ollama.
 */
function contextWatch(clock: Clock) {
  const known = new Map<string, { ctx: number | null; at: number; refreshing: boolean }>();
  const TTL = 15_000;
  return {
    check(host: string, model: string, bodyBytes: number): string | null {
      const key = `${host} ${model}`;
      const k = known.get(key);
      const now = clock.now();
      if (!k || (now - k.at > TTL && !k.refreshing)) {
        const entry = k ?? { ctx: null, at: now, refreshing: true };
        entry.refreshing = true;
        known.set(key, entry);
        createOllama({ host, timeoutMs: 2_000 })
          .loadedContextLength(model)
          .then(
            (r) => Object.assign(entry, { ctx: r.contextLength, at: clock.now(), refreshing: false }),
            () => Object.assign(entry, { ctx: null, at: clock.now(), refreshing: false }),
          );
      }
      const ctx = k?.ctx ?? null;
      if (ctx !== null && bodyBytes / 6 > ctx) {
        return `This request (about ${Math.round(bodyBytes / 4).toLocaleString('en-US')} tokens) does not fit: ${smallContextMessage(model, ctx)}`;
      }
      return null;
    },
  };
}
