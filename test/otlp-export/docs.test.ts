/**
 * The Grafana dashboard in docs/ queries what the export really produces: every metric and label name in
 * its PromQL is one the collector stand-in received, named as the Collector's prometheusremotewrite exporter
 * names them with `add_metric_suffixes: false` and `resource_to_telemetry_conversion` (docs/opentelemetry.md):
 * dots become underscores, a histogram adds `_sum`/`_count`/`_bucket`, resource attributes become labels.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { openExportSession } from '../../src/core/otlp/export/session';
import { Collector } from './collector';
import { appendAll, cleanup, config, rec, tempDir } from './fixtures';

const prom = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

describe('docs: the Grafana dashboard', { timeout: 60_000 }, () => {
  test('imports as a dashboard and queries only metrics and labels the export produces', async () => {
    const dash = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { definition: string }[] };
    };
    assert.ok(dash.panels.length >= 8);
    const c = new Collector();
    await c.start();
    const dir = await tempDir();
    try {
      await appendAll(dir, [
        rec('anthropic:msg_D'),
        rec('gw:l', { route: 'local', model: 'qwen2.5-coder:7b', replaces: 'claude-sonnet-4-5', avoidedNanos: 5 }),
      ]);
      const s = await openExportSession({
        config: config(c.url, { team: 'payments' }),
        dataDir: dir,
        clock: fixedClock('2026-11-30T12:00:00Z'),
        logger: memoryLogger(),
        version: 't',
        priceTable: 'p',
        copilotBilledPerToken: false,
        loginName: 'ada',
        budgets: () => [
          { id: 'monthly', kind: 'monthly', project: null, period: '2026-11', limitNanos: 1, spentNanos: 0, ratio: 0, enforce: 'off' },
        ],
      });
      assert.equal((await s.pass()).error, null);
      await s.close();
      const metrics = new Set<string>();
      const labels = new Set<string>(['le']);
      for (const p of c.points) {
        const base = prom(p.metric);
        for (const n of p.kind === 'histogram' ? [`${base}_sum`, `${base}_count`, `${base}_bucket`] : [base]) metrics.add(n);
        for (const k of [...Object.keys(p.attributes), ...Object.keys(p.resource)]) labels.add(prom(k));
      }
      const exprs = [...dash.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...dash.templating.list.map((v) => v.definition)];
      let names = 0;
      for (const expr of exprs) {
        names += [...expr.matchAll(/\b(?:unmetered|gen_ai)_[a-z_]+\s*[{,)]/g)].length;
        for (const m of expr.matchAll(/\b((?:unmetered|gen_ai)_[a-z_]+)\s*[{,)]/g))
          assert.ok(metrics.has(m[1]) || labels.has(m[1]), `${m[1]} in ${expr}`);
        for (const m of expr.matchAll(/\b([a-z_]+)\s*=~?\s*"/g)) assert.ok(labels.has(m[1]), `label ${m[1]} in ${expr}`);
        for (const m of expr.matchAll(/by \(([^)]*)\)/g))
          for (const l of m[1].split(',').map((x) => x.trim())) assert.ok(labels.has(l), `label ${l} in ${expr}`);
      }
      assert.ok(names >= exprs.length, 'every query names a metric');
      assert.ok(labels.has('unmetered_team') && labels.has('user_id'), 'team and developer reach Prometheus as labels');
    } finally {
      await c.stop();
      await cleanup(dir);
    }
  });
});
