/**
 * The gateway's forwarding: one Exchange per request sends it on (to the vendor or to Ollama) and streams the
 * answer back chunk by chunk with backpressure, reading a decoded copy on the side for usage (usage.ts). Also
 * the HTTP plumbing the routes share: bounded body reads, header filtering, upstream URLs and error replies.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { Clock, Logger } from '../ports';
import { notReachableMessage, type LocalKind } from '../local/backend';
import { gatewayError, type ErrorShape } from './errors';
import { observeResponse, type Api, type Observation } from './usage';
import { localFailure } from './localRoute';
import { send } from './reply';
import { fromAnthropicHeaders, type RateLimitState } from '../plans/limits';

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

export interface Outcome {
  status: number;
  observation: Observation | null;
  /** The vendor's unified rate-limit state, when its response headers carried one. */
  limits: RateLimitState | null;
}

/** Where a request goes and what to read from its answer. */
export interface Forward {
  url: URL;
  headers: string[];
  body: Buffer;
  shape: ErrorShape;
  /** The generation API whose usage is read from the answer; null = pass through without reading. */
  api: Api | null;
  /** Set when a local server serves the request: its errors are reworded into what to do. */
  ollama: LocalTarget | null;
}

/** The local server, model and API a request on the local route goes to. */
export interface LocalTarget {
  kind: LocalKind;
  host: string;
  model: string;
  api: Api;
}

/** Keeps the upstream connections (pooled, kept alive) and forwards requests over them. */
export class Upstreams {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly env: { clock: Clock; logger: Logger; maxSseLine?: number }) {}

  /** Sends the request on and streams the answer back. Resolves when the exchange is over, however it ended. */
  forward(req: http.IncomingMessage, res: http.ServerResponse, f: Forward): Promise<Outcome> {
    const agent = f.url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    return new Promise<Outcome>((resolve) => new Exchange(req, res, f, agent, this.env, resolve).begin());
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/**
 * One request's trip upstream and back. Cloud error bodies pass unchanged; Ollama's are reworded into what to do.
 * It settles once: the answer ended, the upstream or the client left, or the upstream could not be reached.
 */
class Exchange {
  private done = false;
  private status = 0;
  private observation: Observation | null = null;
  private limits: RateLimitState | null = null;
  private sideEnd: (() => Promise<void>) | null = null;
  private responded = false;
  private up: http.ClientRequest | undefined;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly f: Forward,
    private readonly agent: http.Agent,
    private readonly env: { clock: Clock; logger: Logger; maxSseLine?: number },
    private readonly resolve: (o: Outcome) => void,
  ) {}

  begin(): void {
    this.up = this.start(0);
    this.res.on('close', () => {
      if (!this.res.writableFinished) {
        // The client left: stop the upstream work (and its spend) now.
        this.up?.destroy();
        void this.finish();
      }
    });
  }

  private async finish(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (this.sideEnd) await this.sideEnd();
    this.resolve({ status: this.status, observation: this.observation, limits: this.limits });
  }

  private start(attempt: number): http.ClientRequest {
    const { url } = this.f;
    const r = (url.protocol === 'https:' ? https : http).request({
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method: this.req.method,
      headers: this.f.headers,
      agent: this.agent,
    });
    r.on('socket', (s) => s.setNoDelay(true));
    r.on('error', (err: NodeJS.ErrnoException) => this.failed(r, attempt, err));
    r.on('response', (ur) => this.answered(ur));
    r.end(this.f.body.length > 0 ? this.f.body : undefined);
    return r;
  }

  private failed(r: http.ClientRequest, attempt: number, err: NodeJS.ErrnoException): void {
    if (this.done) return;
    const { res, f } = this;
    // A kept-alive socket the upstream closed just as it was reused (its idle timer and our reuse
    // crossed): nothing was answered, so the request goes once more on a fresh connection, as Node's
    // documentation advises, rather than failing the agent's turn with a 502.
    if (attempt === 0 && r.reusedSocket && !this.responded && !res.destroyed && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
      this.up = this.start(1);
      return;
    }
    if (!res.headersSent) {
      const code = err.code ?? err.message;
      send(
        res,
        f.ollama
          ? gatewayError(f.shape, 'ollama_unreachable', notReachableMessage(f.ollama.kind, f.ollama.host))
          : gatewayError(
              f.shape,
              'upstream_unreachable',
              `The Unmetered gateway could not reach ${f.url.origin} (${code}). Check your network, or the` +
                ` upstream URL in unmetered.gateway.${f.shape === 'anthropic' ? 'anthropicUpstream' : 'openaiUpstream'}.`,
            ),
      );
      if (!f.ollama) this.env.logger.warn(`gateway: upstream ${f.url.origin} unreachable (${code})`);
    } else res.destroy();
    void this.finish();
  }

  private answered(ur: http.IncomingMessage): void {
    const { res, f } = this;
    this.responded = true;
    this.status = ur.statusCode ?? 502;
    if (!f.ollama) this.limits = fromAnthropicHeaders((n) => headerText(ur.headers[n]), this.env.clock.now());
    if (f.ollama && this.status >= 400) return this.reword(ur, f.ollama);
    try {
      res.writeHead(this.status, ur.statusMessage, responseHeaders(ur.rawHeaders));
    } catch (err) {
      // A status or header Node will not send on (e.g. status 099): the agent gets a clear 502 instead.
      ur.destroy();
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      send(
        res,
        gatewayError(
          f.shape,
          'upstream_unreachable',
          `The upstream ${f.url.origin} answered with something that is not valid HTTP (${why}).`,
        ),
      );
      void this.finish();
      return;
    }
    this.pipe(ur);
  }

  /** A local server's error answer, read (bounded) and replaced by one that says what to do. */
  private reword(ur: http.IncomingMessage, ollama: LocalTarget): void {
    readBody(ur, 64 * 1024).then(
      (b) => {
        send(this.res, localFailure(this.f.shape, this.status, b?.toString('utf8') ?? '', ollama));
        void this.finish();
      },
      () => void this.finish(),
    );
  }

  /** The answer's bytes go to the client as they arrive; a decoded copy feeds the usage observer. */
  private pipe(ur: http.IncomingMessage): void {
    const { res, f } = this;
    const streaming = /text\/event-stream/i.test(String(ur.headers['content-type'] ?? ''));
    if (streaming) res.flushHeaders();
    let feed: ((b: Buffer) => void) | null = null;
    if (f.api && this.status >= 200 && this.status < 300) {
      const obs = observeResponse(f.api, streaming, { maxSseLine: this.env.maxSseLine });
      this.observation = obs.observation;
      const side = sideChannel(String(ur.headers['content-encoding'] ?? ''), obs.push, obs.end);
      feed = side.write;
      this.sideEnd = side.end;
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
      void this.finish();
    });
    ur.on('error', () => {});
    ur.on('close', () => {
      if (!ur.complete && !this.done) {
        // The upstream died mid-answer: close the client's connection after what already arrived (without
        // the final chunk), so it gets every byte sent so far yet cannot take the torn answer for a whole one.
        if (res.socket) res.socket.end();
        else res.destroy();
        void this.finish();
      }
    });
  }
}

/** One header's value; a repeated header (an array) is not trusted to say one thing. */
function headerText(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v.slice(0, 64) : undefined;
}

export function parseJson(body: Buffer): unknown {
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
export function readBody(stream: http.IncomingMessage, max: number, drain = false): Promise<Buffer | null> {
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
export function target(base: string, pathAndQuery: string): URL {
  const u = new URL(base);
  const prefix = u.pathname.replace(/\/+$/, '');
  return new URL(`${u.origin}${prefix}${pathAndQuery}`);
}

/** The client's headers as sent (names, order, duplicates), less hop-by-hop ones; the body length is set anew. */
// Node's rawHeaders alternate name and value, so a list holds an even number of entries: raw[i + 1] exists.

export function forwardHeaders(raw: string[], host: string, length: number): string[] {
  // With headers given as a list, Node adds no Host of its own.
  const out: string[] = ['host', host];
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  if (length > 0) out.push('content-length', String(length));
  return out;
}

export function ollamaHeaders(raw: string[], host: string, length: number): string[] {
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
