/**
 * The only file that loads the OpenTelemetry JavaScript SDK: its OTLP/HTTP protobuf exporters serialise
 * and send what exporter.ts built (official serialisers, retries on 429/502/503/504 with Retry-After,
 * timeouts, OTEL_EXPORTER_OTLP_* variables such as _COMPRESSION and _CERTIFICATE). Built as its own chunk
 * (dist/otlp-export.js, see esbuild.mjs) and imported only when export is on, so neither the editor's
 * start nor any other CLI command parses it.
 */
import { ValueType, type HrTime } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { BudgetStatus } from '../../budgets/evaluate';
import type { Batch, SendResult, Transport } from './exporter';
import { EVENT_NAME, SCOPE, TOKEN_BUCKETS, type Attributes, type SumPoint } from './records';

export interface SdkTransportOptions {
  logsUrl: string;
  metricsUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** service.name, service.instance.id, user.id, … (resource.ts). */
  resource: Attributes;
  version: string;
}

const msToHr = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
const nsToHr = (ns: string): HrTime => {
  const n = BigInt(ns);
  return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
};

export function createSdkTransport(o: SdkTransportOptions): Transport {
  const common = { headers: o.headers, timeoutMillis: o.timeoutMs };
  const logs = new OTLPLogExporter({ ...common, url: o.logsUrl });
  const metrics = new OTLPMetricExporter({ ...common, url: o.metricsUrl });
  const resources = new Map<string, ReturnType<typeof resourceFromAttributes>>();
  const resourceOf = (instance: string) => {
    let r = resources.get(instance);
    if (!r) resources.set(instance, (r = resourceFromAttributes({ ...o.resource, 'service.instance.id': instance })));
    return r;
  };
  const scope = { name: SCOPE, version: o.version };
  return {
    async send(batch: Batch): Promise<SendResult> {
      const resource = resourceOf(batch.instance);
      if (batch.logs.length > 0) {
        const records = batch.logs.map((e): ReadableLogRecord => {
          const t = msToHr(e.timeMs);
          return {
            hrTime: t,
            hrTimeObserved: t,
            severityNumber: SeverityNumber.INFO,
            severityText: 'INFO',
            eventName: EVENT_NAME,
            resource,
            instrumentationScope: scope,
            attributes: e.attributes,
            droppedAttributesCount: 0,
          };
        });
        const r = await exportWith(logs, records, 'logs');
        if (!r.ok) return r;
      }
      const data = metricData(batch);
      if (data.length === 0) return { ok: true };
      const rm: ResourceMetrics = { resource, scopeMetrics: [{ scope, metrics: data }] };
      return exportWith(metrics, rm, 'metrics');
    },
    async shutdown() {
      await Promise.allSettled([logs.shutdown(), metrics.shutdown()]);
    },
  };
}

/** The SDK exporters' callback as a promise; their own retries and timeout have run by the time it answers. */
function exportWith<T>(
  exporter: { export(items: T, cb: (r: { code: number; error?: Error }) => void): void },
  items: T,
  signal: string,
): Promise<SendResult> {
  return new Promise((resolve) =>
    exporter.export(items, (r) =>
      resolve(
        r.code === 0
          ? { ok: true }
          : { ok: false, error: `the collector did not take the ${signal}: ${r.error?.message ?? 'unknown error'}` },
      ),
    ),
  );
}

function metricData(b: Batch): MetricData[] {
  const start = nsToHr(b.startNs);
  const end = nsToHr(b.endNs);
  const out: MetricData[] = [];
  if (b.metrics.tokens.size > 0)
    out.push({
      descriptor: {
        name: 'gen_ai.client.token.usage',
        description: 'Number of input and output tokens used.',
        unit: '{token}',
        valueType: ValueType.INT,
      },
      aggregationTemporality: AggregationTemporality.DELTA,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...b.metrics.tokens.values()].map((p) => ({
        attributes: p.attributes,
        startTime: start,
        endTime: end,
        value: { buckets: { boundaries: [...TOKEN_BUCKETS], counts: p.buckets }, count: p.count, sum: p.sum },
      })),
    });
  const money = (name: string, description: string, points: Map<string, SumPoint>) => {
    if (points.size === 0) return;
    out.push({
      descriptor: { name, description, unit: 'USD', valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.DELTA,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints: [...points.values()].map((p) => ({ attributes: p.attributes, startTime: start, endTime: end, value: p.nanos / 1e9 })),
    });
  };
  money('unmetered.cost.usage', 'Spend on metered interactions, at the price table that priced them.', b.metrics.cost);
  money('unmetered.cost.avoided', 'What the cloud model would have charged for interactions served locally.', b.metrics.avoided);
  if (b.budgets.length > 0) {
    out.push(budgetGauge('unmetered.budget.limit', 'The budget set for the period.', b.budgets, (x) => x.limitNanos, end));
    out.push(
      budgetGauge(
        'unmetered.budget.remaining',
        'What is left of the budget (negative when over).',
        b.budgets,
        (x) => x.limitNanos - x.spentNanos,
        end,
      ),
    );
  }
  return out;
}

function budgetGauge(
  name: string,
  description: string,
  budgets: readonly BudgetStatus[],
  nanos: (b: BudgetStatus) => number,
  end: HrTime,
): MetricData {
  return {
    descriptor: { name, description, unit: 'USD', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: budgets.map((b) => ({
      attributes: { 'unmetered.budget.id': b.id, 'unmetered.budget.kind': b.kind, 'unmetered.budget.period': b.period },
      startTime: end,
      endTime: end,
      value: nanos(b) / 1e9,
    })),
  };
}
