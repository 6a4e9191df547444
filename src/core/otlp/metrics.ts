/**
 * The metric `gen_ai.client.token.usage`, recorded only for the requests no event counts.
 *
 * Copilot Chat records this histogram AND emits a `gen_ai.client.inference.operation.details` event for
 * the very same request, in the same branch of the same function (microsoft/vscode-copilot-chat at
 * 31acd00a86424e2ee6e980e54919cf31fbf88030: src/extension/prompt/node/chatMLFetcher.ts, the `recordTokenUsage`
 * calls before `emitInferenceDetailsEvent`; likewise src/extension/byok/vscode-node/anthropicProvider.ts and
 * geminiNativeProvider.ts), and exports both whenever its OpenTelemetry is on. The histogram names no request:
 * a point is the sum of the tokens of every request of one model and token type (`input`, which includes
 * cached tokens, or `output`) over an interval. So the rule is:
 *
 *   A point covers the interval from the series' previous point (cumulative) or its own start (delta) to
 *   its time. The `input` and `output` points of one sender, model and interval make one Interaction
 *   (source `otel`, input all uncached: the metric has no cache split), recorded only when no inference
 *   event of the same agent has a time in that interval; an event there means the events count those
 *   requests. The decision waits `holdMs` after the point arrived, as the events of the interval's last
 *   requests may be exported after it. A cumulative series first seen after it began before this receiver
 *   started is only a baseline (its sum may be stored already, from before a restart): the next point's
 *   increase is what counts.
 *
 * The interval is decided as a whole: an interval where some events arrived and others were lost counts
 * only the events.
 */
import { tokens, type Interaction } from '../interaction';
import { attributesOf, agentOfService, isoFromNanos, type OtelInteraction } from './vendors';

const TOKEN_USAGE_METRIC = 'gen_ai.client.token.usage';
export const DEFAULT_METRIC_HOLD_MS = 15_000;
/** Event times kept per agent: a day back, and at most this many (the oldest go first). */
const MAX_EVENT_TIMES = 50_000;
const DAY_MS = 86_400_000;

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

interface Pending {
  agent: string;
  instance: string;
  model: string;
  from: number;
  to: number;
  input: number;
  output: number;
  decideAt: number;
}

export interface TokenUsageMetrics {
  /** Notes the time of an inference event of `agent` (ms). */
  noteEvent(agent: string, atMs: number): void;
  /** Reads one metrics export; returns how many points of the token usage metric it held. */
  offer(msg: Obj, nowMs: number): number;
  /** The intervals due by `nowMs` (all with `all`), as Interactions, each decided by the rule above. */
  decide(nowMs: number, all?: boolean): OtelInteraction[];
  /** When the next pending interval is due, or null. */
  nextDue(): number | null;
}

export function tokenUsageMetrics(startedAtMs: number, holdMs = DEFAULT_METRIC_HOLD_MS): TokenUsageMetrics {
  const events = new Map<string, number[]>();
  /** Last cumulative sum and time per series. */
  const last = new Map<string, { sum: number; time: number }>();
  let pending: Pending[] = [];

  function intervalOf(series: string, cumulative: boolean, start: number, time: number, sum: number) {
    if (!cumulative) return { from: start, delta: sum };
    const prev = last.get(series);
    last.set(series, { sum, time });
    if (prev && sum >= prev.sum) return { from: prev.time, delta: sum - prev.sum };
    // A first point, or a reset (the sender restarted under the same start): counted when it began here.
    return start >= startedAtMs || prev ? { from: start, delta: sum } : null;
  }

  function offer(msg: Obj, nowMs: number): number {
    let points = 0;
    const byInterval = new Map<string, Pending>();
    for (const rm of list(msg.resourceMetrics)) {
      const res = attributesOf((rm.resource as Obj | undefined)?.attributes);
      const service = res.get('service.name');
      const agent = agentOfService(typeof service === 'string' ? service : null);
      const instance = String(res.get('service.instance.id') ?? '-');
      for (const sm of list(rm.scopeMetrics))
        for (const m of list(sm.metrics)) {
          if (m.name !== TOKEN_USAGE_METRIC) continue;
          const data = (m.histogram ?? m.sum) as Obj | undefined;
          const cumulative = data?.aggregationTemporality === 2;
          for (const p of list(data?.dataPoints)) {
            points++;
            const a = attributesOf(p.attributes);
            const type = a.get('gen_ai.token.type');
            const sum = Number(p.sum ?? p.asInt ?? p.asDouble ?? NaN);
            const start = Date.parse(isoFromNanos(p.startTimeUnixNano) ?? '');
            const time = Date.parse(isoFromNanos(p.timeUnixNano) ?? '');
            if ((type !== 'input' && type !== 'output') || !Number.isFinite(sum) || sum < 0 || !Number.isFinite(time)) continue;
            const model = String(a.get('gen_ai.response.model') ?? a.get('gen_ai.request.model') ?? 'unknown').slice(0, 200);
            const attrs = [...a.entries()].sort().join(',');
            const iv = intervalOf(`${agent}|${instance}|${attrs}|${String(p.startTimeUnixNano)}`, cumulative, start || time, time, sum);
            if (!iv || iv.delta === 0) continue;
            // One export collects every series at one time; their starts may differ (each began at its first request).
            const key = `${agent}|${instance}|${model}|${time}`;
            const slot = byInterval.get(key) ?? {
              agent,
              instance,
              model,
              from: iv.from,
              to: time,
              input: 0,
              output: 0,
              decideAt: nowMs + holdMs,
            };
            slot.from = Math.min(slot.from, iv.from);
            slot[type] += Math.round(iv.delta);
            byInterval.set(key, slot);
          }
        }
    }
    pending.push(...byInterval.values());
    return points;
  }

  function decide(nowMs: number, all = false): OtelInteraction[] {
    const due = pending.filter((p) => all || p.decideAt <= nowMs);
    pending = pending.filter((p) => !due.includes(p));
    return due
      .filter((p) => !(events.get(p.agent) ?? []).some((t) => t >= p.from && t <= p.to))
      .map((p) => ({ interaction: metricInteraction(p), mayBeElsewhere: false }));
  }

  return {
    noteEvent(agent, atMs) {
      let times = events.get(agent);
      if (!times) events.set(agent, (times = []));
      times.push(atMs);
      if (times.length > MAX_EVENT_TIMES || times[0]! < atMs - DAY_MS) {
        const keep = times.filter((t) => t > atMs - DAY_MS).slice(-MAX_EVENT_TIMES / 2);
        events.set(agent, keep);
      }
    },
    offer,
    decide,
    nextDue: () => (pending.length ? Math.min(...pending.map((p) => p.decideAt)) : null),
  };
}

function metricInteraction(p: Pending): Interaction {
  return {
    id: `${p.agent}:otel-metric:${p.instance}:${p.model}:${p.from}:${p.to}`,
    at: new Date(p.to).toISOString(),
    agent: p.agent,
    source: 'otel',
    project: null,
    model: p.model,
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: p.input, output: p.output }),
    costNanos: null,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
  };
}
