/**
 * A loopback stand-in for an OpenTelemetry Collector's OTLP/HTTP receiver: it decodes every request
 * with the official opentelemetry-proto definitions (the receiver's decoder, src/core/otlp/decode.ts)
 * and keeps what a backend would store. A mode makes it fail the way real collectors do: refuse
 * connections (stopped), answer slowly, answer 503 or 400, or drop the connection mid-request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeRequest, encodeResponse, inflate, loadOtlpTypes } from '../../src/core/otlp';

export type Mode = 'ok' | 'slow' | '503' | '400' | 'reset';

export interface Event {
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  timeUnixNano: string;
  eventName?: string;
}

export interface Point {
  metric: string;
  unit: string;
  kind: 'sum' | 'histogram' | 'gauge';
  temporality?: number;
  monotonic?: boolean;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  value: number;
  count?: number;
  buckets?: number[];
  bounds?: number[];
  start: string;
  end: string;
}

/** An OTLP AnyValue as a plain JS value (int64 arrives as a decimal string: kept exact as a number below 2^53). */
export function anyValue(v: Record<string, unknown> | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  return v;
}

export function attrs(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of (list as { key: string; value: Record<string, unknown> }[] | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export class Collector {
  /** 'slow' holds every request, body read, until answerLate(): past any sender's timeout, with no fixed sleep. */
  mode: Mode = 'ok';
  /** Runs after a request was stored and before it is answered (a test stops the collector or kills the sender there). */
  hook: ((signal: 'logs' | 'metrics', accepted: number) => Promise<void> | void) | null = null;
  events: Event[] = [];
  points: Point[] = [];
  requests = { logs: 0, metrics: 0, refused: 0 };
  /** Raw protobuf bodies, for conformance checks. */
  bodies: { path: string; contentType: string | undefined; body: Buffer }[] = [];
  private server: http.Server | null = null;
  private late = gate();
  private handling = new Set<Promise<void>>();
  port = 0;

  async start(port = 0): Promise<void> {
    await loadOtlpTypes();
    const server = http.createServer((req, res) => {
      const handled = this.handle(req, res).finally(() => this.handling.delete(handled));
      this.handling.add(handled);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Lets the requests held in 'slow' mode go on; resolves once every request in hand is stored and answered. */
  async answerLate(): Promise<void> {
    this.late.open();
    this.late = gate();
    await Promise.all(this.handling);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = inflate(Buffer.concat(chunks), req.headers['content-encoding'], 64 << 20);
    const signal = req.url === '/v1/logs' ? 'logs' : req.url === '/v1/metrics' ? 'metrics' : null;
    if (!signal) {
      res.writeHead(404).end();
      return;
    }
    if (this.mode === 'reset') {
      this.requests.refused++;
      req.socket.destroy();
      return;
    }
    if (this.mode === '503' || this.mode === '400') {
      this.requests.refused++;
      res.writeHead(Number(this.mode), { 'content-type': 'application/json' }).end(JSON.stringify({ code: 14, message: 'not now' }));
      return;
    }
    // A slow collector still stores what it was sent, even after the sender gave up waiting.
    if (this.mode === 'slow') await this.late.promise;
    this.bodies.push({ path: req.url!, contentType: req.headers['content-type'], body });
    const decoded = decodeRequest(signal, 'protobuf', body);
    if (signal === 'logs') this.keepLogs(decoded);
    else this.keepMetrics(decoded);
    this.requests[signal]++;
    await this.hook?.(signal, this.requests.logs + this.requests.metrics);
    if (res.destroyed || !this.server) {
      res.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(encodeResponse(signal, 'protobuf', 0, ''));
  }

  private keepLogs(d: Record<string, unknown>): void {
    for (const rl of (d.resourceLogs as Record<string, unknown>[] | undefined) ?? []) {
      const resource = attrs((rl.resource as Record<string, unknown> | undefined)?.attributes);
      for (const sl of (rl.scopeLogs as Record<string, unknown>[] | undefined) ?? [])
        for (const lr of (sl.logRecords as Record<string, unknown>[] | undefined) ?? [])
          this.events.push({
            attributes: attrs(lr.attributes),
            resource,
            timeUnixNano: String(lr.timeUnixNano),
            eventName: lr.eventName as string | undefined,
          });
    }
  }

  private keepMetrics(d: Record<string, unknown>): void {
    for (const rm of (d.resourceMetrics as Record<string, unknown>[] | undefined) ?? []) {
      const resource = attrs((rm.resource as Record<string, unknown> | undefined)?.attributes);
      for (const sm of (rm.scopeMetrics as Record<string, unknown>[] | undefined) ?? [])
        for (const m of (sm.metrics as Record<string, unknown>[] | undefined) ?? []) this.keepMetric(m, resource);
    }
  }

  private keepMetric(m: Record<string, unknown>, resource: Record<string, unknown>): void {
    const base = { metric: m.name as string, unit: m.unit as string, resource };
    const sum = m.sum as Record<string, unknown> | undefined;
    const hist = m.histogram as Record<string, unknown> | undefined;
    const gauge = m.gauge as Record<string, unknown> | undefined;
    const pts = (x: Record<string, unknown> | undefined) => (x?.dataPoints as Record<string, unknown>[] | undefined) ?? [];
    for (const p of pts(sum))
      this.points.push({
        ...base,
        kind: 'sum',
        temporality: sum!.aggregationTemporality as number,
        monotonic: sum!.isMonotonic as boolean,
        attributes: attrs(p.attributes),
        value: Number(p.asDouble ?? p.asInt ?? 0),
        start: String(p.startTimeUnixNano),
        end: String(p.timeUnixNano),
      });
    for (const p of pts(hist))
      this.points.push({
        ...base,
        kind: 'histogram',
        temporality: hist!.aggregationTemporality as number,
        attributes: attrs(p.attributes),
        value: Number(p.sum ?? 0),
        count: Number(p.count ?? 0),
        buckets: ((p.bucketCounts as string[] | undefined) ?? []).map(Number),
        bounds: (p.explicitBounds as number[] | undefined) ?? [],
        start: String(p.startTimeUnixNano),
        end: String(p.timeUnixNano),
      });
    for (const p of pts(gauge))
      this.points.push({
        ...base,
        kind: 'gauge',
        attributes: attrs(p.attributes),
        value: Number(p.asDouble ?? p.asInt ?? 0),
        start: String(p.startTimeUnixNano),
        end: String(p.timeUnixNano),
      });
  }

  /** Log events deduplicated on unmetered.interaction.id the way a backend would: the most complete copy wins. */
  byId(): Map<string, Event> {
    const out = new Map<string, Event>();
    const total = (e: Event) => Number(e.attributes['gen_ai.usage.input_tokens']) + Number(e.attributes['gen_ai.usage.output_tokens']);
    for (const e of this.events) {
      const id = e.attributes['unmetered.interaction.id'] as string;
      const had = out.get(id);
      if (!had || total(e) > total(had)) out.set(id, e);
    }
    return out;
  }

  /**
   * Points as a backend keeps them: one per series and time window, a duplicate (same metric, attributes,
   * service.instance.id, start and end) dropped, as Prometheus drops a duplicate sample.
   */
  uniquePoints(): Point[] {
    const seen = new Set<string>();
    return this.points.filter((p) => {
      const k = `${p.metric}|${JSON.stringify(p.attributes)}|${String(p.resource['service.instance.id'])}|${p.start}|${p.end}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** Sum of a metric's points (histograms: their sums), optionally over points matching attributes. */
  total(metric: string, where: Record<string, unknown> = {}): number {
    return this.uniquePoints()
      .filter((p) => p.metric === metric && Object.entries(where).every(([k, v]) => p.attributes[k] === v))
      .reduce((n, p) => n + p.value, 0);
  }
}
