/**
 * The OTLP/HTTP receiver: POST /v1/logs, /v1/metrics (and /v1/traces, accepted and dropped, since Copilot
 * Chat exports all three to one endpoint and a refused signal fills its log with export errors).
 * Protobuf or JSON, gzip or not, as the OTLP specification's HTTP section defines: 200 with an export
 * response (partial_success naming rejected records), 4xx with a google.rpc.Status in the request's
 * encoding. It refuses what the gateway refuses (request.ts `refusal`: a web page's Origin, a non-loopback
 * Host) and bounds the body as sent and inflated.
 *
 * Served on the gateway's port (server.ts hands these paths here): one loopback port that every window's
 * election already owns, one endpoint to configure (`http://127.0.0.1:<port>`), and no second port to collide.
 */
import type http from 'node:http';
import { refusal } from '../gateway/request';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports';
import {
  decodeRequest,
  encodeResponse,
  encodeStatus,
  encodingOf,
  inflate,
  loadOtlpTypes,
  OtlpDecodeError,
  type Encoding,
  type Signal,
} from './decode';
import { attributesOf, isoFromNanos, mapLogRecord, RejectedRecord, type OtelInteraction } from './vendors';
import { DEFAULT_METRIC_HOLD_MS, tokenUsageMetrics } from './metrics';
import { errorMessage } from '../errors';

export const OTLP_PATHS: Readonly<Record<string, Signal | 'traces'>> = {
  '/v1/logs': 'logs',
  '/v1/metrics': 'metrics',
  '/v1/traces': 'traces',
};

const MiB = 1024 * 1024;
/** The OpenTelemetry Collector's own OTLP/HTTP receiver defaults to 20 MiB a request; inflated, 4 times that. */
export const DEFAULT_MAX_BODY = 20 * MiB;
export const DEFAULT_MAX_INFLATED = 80 * MiB;

export interface ReceiverOptions {
  /** Called with what one request held; the answer waits for it (so the sender retries when storing failed). */
  onInteractions: (items: OtelInteraction[]) => void | Promise<void>;
  clock?: Clock;
  logger?: Logger;
  maxBody?: number;
  maxInflated?: number;
  /** How long a gen_ai.client.token.usage point waits for the events of its interval (metrics.ts). */
  metricHoldMs?: number;
}

export interface ReceiverStats {
  requests: number;
  logRecords: number;
  interactions: number;
  rejected: number;
  metricPoints: number;
}

export interface OtlpReceiver {
  /** Whether `path` (query stripped) is an OTLP path this receiver answers. */
  handles(path: string): boolean;
  serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  stats(): ReceiverStats;
  /** Decides every held metric point now (at shutdown, and in tests); resolves once they are handed over. */
  flushMetrics(): Promise<void>;
  dispose(): void;
}

/** Answers an OTLP/HTTP request with an error status whose body the exporter can decode in its own encoding. */
function failRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  encoding: Encoding | null,
  status: number,
  message: string,
): void {
  req.resume();
  const body = encodeStatus(encoding, status === 415 ? 3 : status === 413 ? 8 : status === 403 ? 7 : 3, message);
  res.writeHead(status, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': body.length,
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  res.end(body);
}

/** Refuses, before reading the body, a request from a page, not a POST, not an OTLP path or of an unknown type. */
function refusedEarly(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  known: { signal: unknown; encoding: unknown },
  fail: (status: number, message: string) => void,
): boolean {
  const why = refusal(req.headers);
  if (why) fail(403, why.replace('The Unmetered gateway', 'The Unmetered telemetry receiver'));
  else if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    fail(405, `OTLP/HTTP takes POST, not ${req.method}.`);
  }
  // The gateway sends only paths this receiver handles(); anything else is not ours to decode.
  else if (!known.signal) fail(404, `Not an OTLP/HTTP path: ${pathOf(req.url)}.`);
  else if (!known.encoding) fail(415, 'Send Content-Type application/x-protobuf or application/json (OTLP/HTTP).');
  else return false;
  return true;
}

export function createOtlpReceiver(opts: ReceiverOptions): OtlpReceiver {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const maxBody = opts.maxBody ?? DEFAULT_MAX_BODY;
  const maxInflated = opts.maxInflated ?? DEFAULT_MAX_INFLATED;
  const stats: ReceiverStats = { requests: 0, logRecords: 0, interactions: 0, rejected: 0, metricPoints: 0 };
  let rejectWarned = false;
  const metrics = tokenUsageMetrics(clock.now(), opts.metricHoldMs ?? DEFAULT_METRIC_HOLD_MS);
  let metricTimer: NodeJS.Timeout | undefined;
  let metricsHanded: Promise<void> = Promise.resolve();

  function decideMetrics(all: boolean): Promise<void> {
    clearTimeout(metricTimer);
    const items = metrics.decide(clock.now(), all);
    stats.interactions += items.length;
    if (items.length)
      metricsHanded = metricsHanded.then(async () => {
        try {
          await opts.onInteractions(items);
        } catch (err) {
          logger.error(`telemetry receiver: recording the token usage metric failed: ${(err as Error).message}`);
        }
      });
    const next = metrics.nextDue();
    if (next !== null) {
      metricTimer = setTimeout(() => void decideMetrics(false), Math.max(0, next - clock.now()));
      metricTimer.unref?.();
    }
    return metricsHanded;
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await loadOtlpTypes();
    const signal = OTLP_PATHS[pathOf(req.url)];
    const encoding = encodingOf(req.headers['content-type']);
    const fail = (status: number, message: string): void => failRequest(req, res, encoding, status, message);
    if (refusedEarly(req, res, { signal, encoding }, fail) || !signal || !encoding) return;
    stats.requests++;
    const body = await readBounded(req, maxBody);
    if (body === null) return fail(413, `The request body is larger than ${maxBody} bytes; export smaller batches.`);
    let rejected = 0;
    let reason = '';
    try {
      const data = inflate(body, header(req, 'content-encoding'), maxInflated);
      if (signal === 'traces') return ok(res, 'logs', encoding, 0, '');
      const msg = decodeRequest(signal, encoding, data);
      if (signal === 'metrics') {
        stats.metricPoints += countMetricPoints(msg);
        if (metrics.offer(msg, clock.now()) > 0) void decideMetrics(false);
        return ok(res, 'metrics', encoding, 0, '');
      }
      const out = readLogs(msg, () => clock.now());
      for (const o of out.items) metrics.noteEvent(o.interaction.agent, Date.parse(o.interaction.at));
      rejected = out.rejected;
      reason = out.reason;
      stats.logRecords += out.records;
      stats.rejected += rejected;
      stats.interactions += out.items.length;
      if (out.items.length) await opts.onInteractions(out.items);
    } catch (err) {
      if (err instanceof OtlpDecodeError) return fail(err.status, err.message);
      logger.error(`telemetry receiver: ${errorMessage(err)}`);
      return fail(503, `Unmetered could not store the telemetry (${errorMessage(err)}); retry later.`);
    }
    if (rejected && !rejectWarned) {
      rejectWarned = true;
      logger.warn(`telemetry receiver: ${rejected} record(s) had unreadable token counts and were skipped (${reason})`);
    }
    ok(res, 'logs', encoding, rejected, reason);
  }

  return {
    handles: (path) => path in OTLP_PATHS,
    serve,
    stats: () => ({ ...stats }),
    flushMetrics: () => decideMetrics(true),
    dispose: () => clearTimeout(metricTimer),
  };
}

function ok(res: http.ServerResponse, signal: Signal, encoding: Encoding, rejected: number, why: string): void {
  const body = encodeResponse(signal, encoding, rejected, why);
  res.writeHead(200, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': body.length,
  });
  res.end(body);
}

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Every log record of an export request, mapped; a record with an unreadable count is counted and skipped. */
export function readLogs(msg: Obj, now: () => number): { items: OtelInteraction[]; records: number; rejected: number; reason: string } {
  const items: OtelInteraction[] = [];
  let records = 0;
  let rejected = 0;
  let reason = '';
  for (const rl of list(msg.resourceLogs)) {
    const service = attributesOf((rl.resource as Obj | undefined)?.attributes).get('service.name');
    const svc = typeof service === 'string' ? service : null;
    for (const sl of list(rl.scopeLogs)) {
      for (const lr of list(sl.logRecords)) {
        records++;
        const body = (lr.body as Obj | undefined)?.stringValue;
        try {
          const o = mapLogRecord(
            attributesOf(lr.attributes),
            {
              service: svc,
              time: isoFromNanos(lr.timeUnixNano) ?? isoFromNanos(lr.observedTimeUnixNano),
              body: typeof body === 'string' ? body : null,
              eventName: typeof lr.eventName === 'string' && lr.eventName ? lr.eventName : null,
            },
            now,
          );
          if (o) items.push(o);
        } catch (err) {
          if (!(err instanceof RejectedRecord)) throw err;
          rejected++;
          reason ||= err.message;
        }
      }
    }
  }
  return { items, records, rejected, reason };
}

function countMetricPoints(msg: Obj): number {
  let n = 0;
  for (const rm of list(msg.resourceMetrics))
    for (const sm of list(rm.scopeMetrics))
      for (const m of list(sm.metrics))
        for (const kind of ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary'])
          n += list((m[kind] as Obj | undefined)?.dataPoints).length;
  return n;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return (q < 0 ? u : u.slice(0, q)).replace(/\/+$/, '') || '/';
}

/** The body, or null past `max` bytes (what follows is drained, bounded, so the client reads the 413). */
function readBounded(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) return resolve(null);
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (over) {
        if (size > 4 * max) req.destroy();
      } else if (size > max) {
        over = true;
        parts.length = 0;
        resolve(null);
      } else parts.push(c);
    });
    req.on('end', () => !over && resolve(Buffer.concat(parts)));
    req.on('error', (e) => !over && reject(e));
    req.on('close', () => !over && reject(new Error('the client closed the connection before sending the whole request')));
  });
}
