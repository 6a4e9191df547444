/**
 * A Prometheus scrape endpoint over the ledger, for where no OpenTelemetry Collector runs or where
 * Prometheus is too old for OTLP (Debian 12's 2.42 has no `otlp-write-receiver`; Prometheus added it in
 * 2.47). Counters are cumulative from the ledger's view (one, most complete, copy per id), so a restart
 * or a missed scrape loses nothing: the next scrape reports the whole total again.
 *
 * Every series carries `day` (the local day of the interactions, in the report's time zone), so a PromQL
 * query can sum the same days as `unmetered report --since … --until …`. That costs a series per day and
 * model and agent: thousands a year for one developer, fine for one scrape target; a company aggregates
 * through OTLP export (delta metrics without a day label) instead.
 *
 * Loopback only, and it refuses what the gateway refuses (a web page's Origin, a non-loopback Host).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Interaction } from '../../interaction';
import type { BudgetStatus } from '../../budgets/evaluate';
import { dayOfIso } from '../../time';
import { refusal } from '../../gateway/request';
import { billingModeOf, providerOf } from './records';

export interface PromOptions {
  timeZone: string;
  copilotBilledPerToken: boolean;
  budgets: readonly BudgetStatus[];
}

interface Row {
  labels: string;
  costNanos: number;
  avoidedNanos: number;
  interactions: number;
  unpriced: number;
  tokens: [number, number, number, number, number];
}

const TOKEN_LABELS = ['input', 'output', 'cache_read', 'cache_creation', 'reasoning'] as const;

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Exact decimal dollars from integer nano-dollars (no binary rounding before Prometheus parses it). */
function nanosText(n: number): string {
  const neg = n < 0;
  const a = Math.abs(n);
  const whole = Math.floor(a / 1e9);
  const frac = String(a - whole * 1e9).padStart(9, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

export function prometheusText(records: Iterable<Interaction>, o: PromOptions): string {
  const dayOf = dayOfIso(o.timeZone);
  const rows = new Map<string, Row>();
  for (const r of records) {
    const labels =
      `day="${dayOf(r.at)}",agent="${labelValue(r.agent)}",model="${labelValue(r.model)}",provider="${providerOf(r)}",` +
      `route="${r.route}",billing_mode="${billingModeOf(r, o.copilotBilledPerToken)}"`;
    let row = rows.get(labels);
    if (!row) rows.set(labels, (row = { labels, costNanos: 0, avoidedNanos: 0, interactions: 0, unpriced: 0, tokens: [0, 0, 0, 0, 0] }));
    const t = r.tokens;
    row.costNanos += r.costNanos ?? 0;
    row.avoidedNanos += r.avoidedNanos ?? 0;
    row.interactions++;
    if (r.costNanos === null) row.unpriced++;
    row.tokens[0] += t.input;
    row.tokens[1] += t.output;
    row.tokens[2] += t.cacheRead;
    row.tokens[3] += t.cacheWrite5m + t.cacheWrite1h;
    row.tokens[4] += t.reasoning;
  }
  const out: string[] = [];
  const family = (name: string, type: string, help: string, lines: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  const all = [...rows.values()];
  family(
    'unmetered_cost_usd_total',
    'counter',
    'Spend on priced interactions in US dollars.',
    all.map((r) => `unmetered_cost_usd_total{${r.labels}} ${nanosText(r.costNanos)}`),
  );
  family(
    'unmetered_cost_avoided_usd_total',
    'counter',
    'What the cloud model would have charged for local interactions, in US dollars.',
    all.map((r) => `unmetered_cost_avoided_usd_total{${r.labels}} ${nanosText(r.avoidedNanos)}`),
  );
  family(
    'unmetered_interactions_total',
    'counter',
    'Interactions recorded (one per id).',
    all.map((r) => `unmetered_interactions_total{${r.labels}} ${r.interactions}`),
  );
  family(
    'unmetered_unpriced_interactions_total',
    'counter',
    'Interactions whose model has no known price.',
    all.map((r) => `unmetered_unpriced_interactions_total{${r.labels}} ${r.unpriced}`),
  );
  family(
    'gen_ai_client_token_usage_tokens_total',
    'counter',
    'Tokens by gen_ai.token.type (reasoning is a part of output).',
    all.flatMap((r) =>
      TOKEN_LABELS.map((type, i) => `gen_ai_client_token_usage_tokens_total{${r.labels},token_type="${type}"} ${r.tokens[i]}`),
    ),
  );
  const budget = (b: BudgetStatus) => `budget="${labelValue(b.id)}",kind="${b.kind}",period="${b.period}"`;
  family(
    'unmetered_budget_limit_usd',
    'gauge',
    'The budget set for the period.',
    o.budgets.map((b) => `unmetered_budget_limit_usd{${budget(b)}} ${nanosText(b.limitNanos)}`),
  );
  family(
    'unmetered_budget_remaining_usd',
    'gauge',
    'What is left of the budget (negative when over).',
    o.budgets.map((b) => `unmetered_budget_remaining_usd{${budget(b)}} ${nanosText(b.limitNanos - b.spentNanos)}`),
  );
  return out.join('\n') + '\n';
}

export interface PromServer {
  port: number;
  close(): Promise<void>;
}

/** Serves `render()` at /metrics on 127.0.0.1 (port 0: any free one). */
export async function servePrometheus(port: number, render: () => Promise<string>): Promise<PromServer> {
  const server = http.createServer((req, res) => {
    const refused = refusal(req.headers);
    if (refused) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(refused + '\n');
      return;
    }
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Unmetered serves Prometheus metrics at /metrics\n');
      return;
    }
    render().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
