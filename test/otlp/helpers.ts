/**
 * Sends telemetry with the official OpenTelemetry JavaScript SDK and its OTLP/HTTP exporters (protobuf:
 * exporter-*-otlp-proto; JSON: exporter-*-otlp-http), the very packages Copilot Chat and Gemini CLI export with,
 * to a real gateway on loopback with the receiver mounted.
 */
import http from 'node:http';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { createGateway, type Gateway } from '../../src/core/gateway';
import { createOtlpReceiver, type OtelInteraction, type OtlpReceiver, type ReceiverOptions } from '../../src/core/otlp';
import { closedUrl } from '../helpers/net';

export type Wire = 'protobuf' | 'json';

export interface EventSpec {
  body?: string;
  eventName?: string;
  attributes: AnyValueMap;
  /** ms since the epoch */
  time?: number;
}

export interface Rig {
  port: number;
  gateway: Gateway;
  receiver: OtlpReceiver;
  received: OtelInteraction[];
  close(): Promise<void>;
}

export async function startRig(extra: Partial<ReceiverOptions> = {}, listenOn = 0): Promise<Rig> {
  const received: OtelInteraction[] = [];
  const receiver = createOtlpReceiver({ onInteractions: (items) => void received.push(...items), ...extra });
  const dead = await closedUrl();
  const gateway = createGateway({
    config: () => ({
      route: 'cloud',
      localModel: null,
      anthropicUpstream: dead,
      openaiUpstream: dead,
      ollamaHost: dead,
    }),
    onInteraction: () => {},
    otlp: receiver,
  });
  const port = await gateway.listen(listenOn);
  return {
    port,
    gateway,
    receiver,
    received,
    close: async () => {
      receiver.dispose();
      await gateway.close();
    },
  };
}

/** Emits `events` through an SDK LoggerProvider whose resource is `resource`, and waits until they are exported. */
export async function sendLogs(
  port: number,
  wire: Wire,
  gzip: boolean,
  resource: Record<string, string>,
  events: EventSpec[],
): Promise<void> {
  const opts = { url: `http://127.0.0.1:${port}/v1/logs`, compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE };
  const exporter = wire === 'protobuf' ? new ProtoLogExporter(opts) : new JsonLogExporter(opts);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resource),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('test');
  for (const e of events)
    logger.emit({
      body: e.body,
      eventName: e.eventName,
      attributes: e.attributes,
      timestamp: e.time ?? Date.parse('2026-11-30T10:00:00Z'),
    });
  await provider.forceFlush();
  await provider.shutdown();
}

/** Records `gen_ai.client.token.usage` as Copilot Chat does (genAiMetrics.ts) and exports once. */
export async function sendTokenUsageMetric(port: number, wire: Wire, points: { value: number; type: 'input' | 'output' }[]): Promise<void> {
  const opts = { url: `http://127.0.0.1:${port}/v1/metrics`, compression: CompressionAlgorithm.GZIP };
  const exporter = wire === 'protobuf' ? new ProtoMetricExporter(opts) : new JsonMetricExporter(opts);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'copilot-chat' }), readers: [reader] });
  const h = provider.getMeter('copilot').createHistogram('gen_ai.client.token.usage', { unit: 'tokens' });
  for (const p of points)
    h.record(p.value, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'github',
      'gen_ai.token.type': p.type,
      'gen_ai.request.model': 'gpt-4o',
    });
  // shutdown collects and exports once (a forceFlush before it would export the cumulative points twice).
  await provider.shutdown();
}

/**
 * A Copilot Chat-like meter (genAiMetrics.ts's attributes) whose every `exportNow` sends what its reader
 * collects, with the SDK's default cumulative temporality: each export repeats the running sums.
 */
export function tokenUsageMeter(port: number, wire: Wire, service = 'copilot-chat') {
  const opts = { url: `http://127.0.0.1:${port}/v1/metrics` };
  const exporter = wire === 'protobuf' ? new ProtoMetricExporter(opts) : new JsonMetricExporter(opts);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': service }), readers: [reader] });
  const h = provider.getMeter('copilot').createHistogram('gen_ai.client.token.usage', { unit: 'tokens' });
  return {
    record(value: number, type: 'input' | 'output', model = 'gpt-4o') {
      h.record(value, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'github',
        'gen_ai.token.type': type,
        'gen_ai.request.model': model,
      });
    },
    exportNow: () => reader.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request, for what an SDK never sends (wrong headers, hostile bodies). */
export function post(port: number, path: string, body: Buffer, headers: Record<string, string | number>, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: { 'content-length': body.length, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
