/**
 * What Unmetered sends a collector, decoded with the official opentelemetry-proto definitions (the same
 * decoder the loopback receiver uses), carries the GenAI semantic-convention names and units
 * (open-telemetry/semantic-conventions docs/registry/attributes/gen-ai.md, docs/gen-ai/gen-ai-metrics.md).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { openExportSession } from '../../src/core/otlp/export/session';
import { Collector } from './collector';
import { appendAll, cleanup, config, rec, tempDir } from './fixtures';

const NOW = '2026-11-30T12:00:00.000Z';
const BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

async function exportOnce(dir: string, url: string, over: Record<string, unknown> = {}, budgets = false) {
  const session = await openExportSession({
    config: config(url, over),
    dataDir: dir,
    clock: fixedClock(NOW),
    logger: memoryLogger(),
    version: '0.1.0',
    priceTable: 'litellm@test',
    copilotBilledPerToken: false,
    loginName: 'ada',
    budgets: budgets
      ? () => [
          {
            id: 'monthly',
            kind: 'monthly',
            project: null,
            period: '2026-11',
            limitNanos: 100_000_000_000,
            spentNanos: 12_345_000_000,
            ratio: 0.12345,
            enforce: 'off',
          },
        ]
      : undefined,
  });
  try {
    return await session.pass();
  } finally {
    await session.close();
  }
}

describe('OTLP export: conformance', { timeout: 60_000 }, () => {
  const collector = new Collector();
  let dir = '';
  before(async () => {
    await collector.start();
    dir = await tempDir();
    await appendAll(dir, [
      rec('anthropic:msg_01A', {
        t: { input: 1000, output: 500, cacheRead: 20_000, cacheWrite5m: 3000, cacheWrite1h: 200 },
        costNanos: 24_900_300,
      }),
      rec('codex:sess-1:r1', {
        agent: 'codex',
        model: 'gpt-5-codex',
        project: 'webshop',
        t: { input: 300, output: 700, reasoning: 400 },
        costNanos: 7_375_000,
      }),
      rec('gateway:local-1', {
        agent: 'gateway',
        source: 'gateway',
        model: 'qwen2.5-coder:7b',
        route: 'local',
        replaces: 'claude-sonnet-4-5-20250929',
        costNanos: 0,
        avoidedNanos: 10_500_000,
        t: { input: 2, output: 3 },
      }),
      rec('cline:x:1', { agent: 'cline', model: 'mystery-model-9', costNanos: null, priceSource: null, t: { input: 70_000, output: 1 } }),
    ]);
    const r = await exportOnce(dir, collector.url, {}, true);
    assert.equal(r.error, null);
    assert.equal(r.sent, 4);
  });
  after(async () => {
    await collector.stop();
    await cleanup(dir);
  });

  test('logs: one unmetered.interaction event per Interaction, protobuf, with the GenAI attribute names', () => {
    assert.ok(collector.bodies.some((b) => b.path === '/v1/logs' && b.contentType === 'application/x-protobuf'));
    assert.equal(collector.events.length, 4);
    assert.ok(collector.events.every((e) => e.eventName === 'unmetered.interaction'));
    const a = collector.events.find((e) => e.attributes['unmetered.interaction.id'] === 'anthropic:msg_01A')!.attributes;
    // gen_ai.usage.input_tokens includes cached input (registry note 22): 1000 + 20,000 read + 3000 + 200 written = 24,200.
    assert.equal(a['gen_ai.usage.input_tokens'], 24_200);
    assert.equal(a['gen_ai.usage.output_tokens'], 500);
    assert.equal(a['gen_ai.usage.cache_read.input_tokens'], 20_000);
    assert.equal(a['gen_ai.usage.cache_creation.input_tokens'], 3200);
    assert.equal(a['gen_ai.request.model'], 'claude-sonnet-4-5-20250929');
    assert.equal(a['gen_ai.provider.name'], 'anthropic');
    assert.equal(a['gen_ai.operation.name'], 'chat');
    assert.equal(a['gen_ai.response.id'], 'msg_01A');
    assert.equal(a['unmetered.agent'], 'claude-code');
    assert.equal(a['unmetered.route'], 'cloud');
    assert.equal(a['unmetered.billing.mode'], 'per-token');
    assert.equal(a['unmetered.price_table'], 'litellm@test');
    // 24,900,300 nano-dollars = $0.0249003
    assert.equal(a['unmetered.cost.nano_usd'], 24_900_300);
    assert.equal(a['unmetered.cost.usd'], 0.0249003);
    const codex = collector.events.find((e) => e.attributes['unmetered.interaction.id'] === 'codex:sess-1:r1')!.attributes;
    assert.equal(codex['unmetered.usage.reasoning.output_tokens'], 400);
    assert.equal(codex['gen_ai.provider.name'], 'openai');
    assert.equal(codex['gen_ai.response.id'], undefined);
    const local = collector.events.find((e) => e.attributes['unmetered.interaction.id'] === 'gateway:local-1')!.attributes;
    assert.equal(local['unmetered.billing.mode'], 'local');
    assert.equal(local['unmetered.cost.avoided.usd'], 0.0105);
    const unpriced = collector.events.find((e) => e.attributes['unmetered.interaction.id'] === 'cline:x:1')!.attributes;
    assert.equal(unpriced['unmetered.priced'], false);
    assert.equal(unpriced['unmetered.cost.usd'], undefined, 'an unknown model is unpriced, never $0');
  });

  test('resource: service.instance.id per process, user as a keyed hash, projects pseudonymised', () => {
    const res = collector.events[0].resource;
    assert.equal(res['service.name'], 'unmetered');
    assert.match(String(res['service.instance.id']), /^[0-9a-f-]{36}$/);
    const expected = `user-${createHmac('sha256', 'org-key').update('ada').digest('hex').slice(0, 16)}`;
    assert.equal(res['user.id'], expected);
    const projects = collector.events.map((e) => e.attributes['unmetered.project']);
    // pseudonym.ts: project- + the first 8 hex digits of HMAC-SHA256(key, name)
    assert.ok(projects.includes(`project-${createHmac('sha256', 'org-key').update('acme-api').digest('hex').slice(0, 8)}`));
    assert.ok(!projects.includes('acme-api') && !projects.includes('webshop'));
  });

  test("metrics: gen_ai.client.token.usage is a delta histogram in {token} with the conventions' buckets, by token type and model", () => {
    const pts = collector.points.filter((p) => p.metric === 'gen_ai.client.token.usage');
    assert.ok(pts.length > 0);
    for (const p of pts) {
      assert.equal(p.kind, 'histogram');
      assert.equal(p.unit, '{token}');
      assert.equal(p.temporality, 1, 'AGGREGATION_TEMPORALITY_DELTA');
      assert.deepEqual(p.bounds, BOUNDS);
      assert.equal(p.resource['service.instance.id'], collector.events[0].resource['service.instance.id']);
    }
    const claude = { 'gen_ai.request.model': 'claude-sonnet-4-5-20250929' };
    // Two claude-sonnet records: the first (1000 input) and the unpriced cline one is another model.
    assert.equal(collector.total('gen_ai.client.token.usage', { ...claude, 'gen_ai.token.type': 'input' }), 1000);
    assert.equal(collector.total('gen_ai.client.token.usage', { ...claude, 'gen_ai.token.type': 'cache_read' }), 20_000);
    assert.equal(collector.total('gen_ai.client.token.usage', { ...claude, 'gen_ai.token.type': 'cache_creation' }), 3200);
    // All output: 500 + 700 + 3 + 1 = 1204
    assert.equal(collector.total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' }), 1204);
    const input = pts.find(
      (p) => p.attributes['gen_ai.request.model'] === 'mystery-model-9' && p.attributes['gen_ai.token.type'] === 'input',
    )!;
    // 70,000 lies in (65536, 262144]: bucket index 9
    assert.equal(input.count, 1);
    assert.equal(input.buckets![9], 1);
  });

  test('metrics: unmetered.cost.usage and .avoided are monotonic delta sums in USD; budget gauges in USD', () => {
    for (const name of ['unmetered.cost.usage', 'unmetered.cost.avoided']) {
      const pts = collector.points.filter((p) => p.metric === name);
      assert.ok(pts.length > 0, name);
      for (const p of pts) assert.deepEqual([p.kind, p.unit, p.temporality, p.monotonic], ['sum', 'USD', 1, true]);
    }
    // 24,900,300 + 7,375,000 + 0 = 32,275,300 nanos = $0.0322753 (the unpriced one adds nothing)
    assert.ok(Math.abs(collector.total('unmetered.cost.usage') - 0.0322753) < 1e-12);
    assert.equal(collector.total('unmetered.cost.avoided'), 0.0105);
    const limit = collector.points.find((p) => p.metric === 'unmetered.budget.limit')!;
    const remaining = collector.points.find((p) => p.metric === 'unmetered.budget.remaining')!;
    assert.deepEqual([limit.kind, limit.unit, limit.value, limit.attributes['unmetered.budget.id']], ['gauge', 'USD', 100, 'monthly']);
    // $100 − $12.345 = $87.655
    assert.equal(remaining.value, 87.655);
  });
});

describe('OTLP export: privacy settings', { timeout: 60_000 }, () => {
  test('a chosen user id, projects dropped, and an allow-list of attributes', async () => {
    const collector = new Collector();
    await collector.start();
    const dir = await tempDir();
    try {
      await appendAll(dir, [rec('anthropic:msg_P', { t: { input: 10, output: 20 } })]);
      const r = await exportOnce(dir, collector.url, { userId: 'dev-042', projects: 'drop', attributes: ['unmetered.agent'] });
      assert.equal(r.sent, 1);
      const e = collector.events[0];
      assert.equal(e.resource['user.id'], 'dev-042');
      assert.deepEqual(Object.keys(e.attributes).sort(), [
        'gen_ai.request.model',
        'gen_ai.usage.cache_creation.input_tokens',
        'gen_ai.usage.cache_read.input_tokens',
        'gen_ai.usage.input_tokens',
        'gen_ai.usage.output_tokens',
        'unmetered.agent',
        'unmetered.cost.nano_usd',
        'unmetered.interaction.id',
        'unmetered.usage.reasoning.output_tokens',
      ]);
    } finally {
      await collector.stop();
      await cleanup(dir);
    }
  });

  test('a more complete copy of an id is sent again with the same id and adds only the difference to the metrics', async () => {
    const collector = new Collector();
    await collector.start();
    const dir = await tempDir();
    try {
      await appendAll(dir, [rec('anthropic:msg_S', { t: { input: 100, output: 10 }, costNanos: 1000 })]);
      assert.equal((await exportOnce(dir, collector.url)).sent, 1);
      await appendAll(dir, [
        rec('anthropic:msg_S', { t: { input: 100, output: 250 }, costNanos: 5000 }),
        rec('anthropic:msg_S', { t: { input: 100, output: 5 } }),
      ]);
      const second = await exportOnce(dir, collector.url);
      // The ledger wrote the complete copy; the lesser third copy wrote nothing (ledger rule), so one event goes out.
      assert.equal(second.sent, 1);
      assert.equal(collector.events.length, 2);
      assert.equal(collector.byId().size, 1);
      assert.equal(collector.total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' }), 250);
      assert.equal(collector.total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'input' }), 100);
      const count = collector.points
        .filter((p) => p.metric === 'gen_ai.client.token.usage' && p.attributes['gen_ai.token.type'] === 'output')
        .reduce((n, p) => n + p.count!, 0);
      assert.equal(count, 1, 'one interaction, however many copies');
      // 5000 nanos = $0.000005
      assert.ok(Math.abs(collector.total('unmetered.cost.usage') - 0.000005) < 1e-15);
    } finally {
      await collector.stop();
      await cleanup(dir);
    }
  });
});
