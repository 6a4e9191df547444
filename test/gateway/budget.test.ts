/**
 * Budgets enforced by the gateway, end to end through real parts: fake vendors speaking the wire formats,
 * a real ledger in a temp dir, the real price table, the budget gate reading the ledger. The clock is pinned
 * mid-day (2026-03-02 10:00 UTC, zone UTC); prices are Anthropic's published list prices as the snapshot
 * holds them (claude-sonnet-4-5: $3 / M input, $15 / M output).
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { createGateway, type Gateway, type GatewayConfig } from '../../src/core/gateway';
import { createBudgetGate, normaliseBudgetSettings, type BudgetGate, type RawBudgetSettings } from '../../src/core/budgets';
import { openLedger, type Ledger } from '../../src/core/ledger';
import { loadPriceTable, priceInteraction } from '../../src/core/pricing';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { validateInteraction, type Interaction } from '../../src/core/interaction';
import { startFakeAnthropic, startFakeOllama, startFakeOpenAI, type FakeOllama, type FakeServer } from '../helpers/fake-vendors';
import { anthropicHeaders } from './harness';

const prices = loadPriceTable({});

interface Rig {
  url: string;
  gateway: Gateway;
  gate: BudgetGate;
  ledger: Ledger;
  dir: string;
  config: GatewayConfig;
  settings: RawBudgetSettings;
  clock: ReturnType<typeof fixedClock>;
  logger: ReturnType<typeof memoryLogger>;
  /** Set to make the gate's ledger read fail. */
  ledgerBroken: Error | null;
}

let anthropic: FakeServer, openai: FakeServer, ollama: FakeOllama;
let rig: Rig;

before(async () => {
  [anthropic, openai, ollama] = await Promise.all([
    startFakeAnthropic(),
    startFakeOpenAI(),
    startFakeOllama({
      models: [{ name: 'qwen3-coder:30b', family: 'qwen3moe', contextLength: 262_144, capabilities: ['completion', 'tools'] }],
    }),
  ]);
});
after(() => Promise.all([anthropic.close(), openai.close(), ollama.close()]));

async function startRig(settings: RawBudgetSettings): Promise<Rig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-budget-'));
  const ledger = await openLedger({ dir });
  const clock = fixedClock('2026-03-02T10:00:00Z');
  const logger = memoryLogger();
  const config: GatewayConfig = {
    route: 'cloud',
    localModel: 'qwen3-coder:30b',
    anthropicUpstream: anthropic.url,
    openaiUpstream: openai.url,
    ollamaHost: ollama.url,
  };
  const r = { settings, ledgerBroken: null } as Rig;
  const gate = createBudgetGate({
    records: () => {
      if (r.ledgerBroken) throw r.ledgerBroken;
      return ledger.records();
    },
    settings: () => normaliseBudgetSettings(r.settings).value,
    timeZone: () => 'UTC',
    clock,
    logger,
  });
  const gateway = createGateway({
    config: () => config,
    // As the extension and the CLI compose it: price, append, then let the gate read the new figures.
    onInteraction: async (i) => {
      await ledger.append([priceInteraction(i, prices)]);
      gate.invalidate();
    },
    budget: gate,
    clock,
    logger,
  });
  const port = await gateway.listen(0);
  return Object.assign(r, { url: `http://127.0.0.1:${port}`, gateway, gate, ledger, dir, config, clock, logger });
}

async function stopRig(r: Rig): Promise<void> {
  await r.gateway.close();
  await r.ledger.close();
  await rm(r.dir, { recursive: true, force: true });
}

/** A log-imported record earlier today, as the agent-log importer would append it. */
async function spentEarlier(r: Rig, nanos: number, project: string | null = null): Promise<void> {
  await r.ledger.append([
    {
      id: `claude-code:earlier:${nanos}:${r.ledger.records().length}`,
      at: '2026-03-02T08:00:00.000Z',
      agent: 'claude-code',
      source: 'log',
      project,
      model: 'claude-sonnet-4-5',
      route: 'cloud',
      replaces: null,
      tokens: { input: 1, output: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
      costNanos: nanos,
      avoidedNanos: null,
      priceSource: 'test',
      estimated: false,
    },
  ]);
  r.gate.invalidate();
}

const messages = (r: Rig, body: object) =>
  fetch(`${r.url}/v1/messages`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'refactor' }], ...body }),
  });
const client = (r: Rig) => new OpenAI({ apiKey: 'sk-openai-secret', baseURL: `${r.url}/v1`, maxRetries: 0 });
const gatewayRecords = (r: Rig) => r.ledger.records().filter((i) => i.source === 'gateway');

describe('budget enforcement: fall back to the local model', { timeout: 30_000 }, () => {
  beforeEach(async () => (rig = await startRig({ dailyBudget: 0.05, budgetEnforcement: { daily: 'fallback' } })));
  test('a daily budget crossed mid-day sends the next request to the local model, counted as avoided spend', async () => {
    try {
      const toCloud = anthropic.requests.length;
      // 10,000 in × $3/M = $0.03, 2,000 out × $15/M = $0.03: $0.06 spent of a $0.05 daily budget.
      anthropic.next({ id: 'msg_over', usage: { input_tokens: 10_000, output_tokens: 2_000 } });
      const first = await messages(rig, { stream: true });
      assert.equal(first.status, 200);
      assert.match(await first.text(), /event: message_stop/);
      await rig.gateway.settled();
      assert.equal(anthropic.requests.length, toCloud + 1);

      const toLocal = ollama.requests.length;
      // Avoided: 1,000 in × $3/M = $0.003 + 100 out × $15/M = $0.0015 → $0.0045 = 4,500,000 nano-dollars.
      ollama.next({ id: 'msg_local', text: 'local answer', usage: { input_tokens: 1_000, output_tokens: 100 } });
      const second = await messages(rig, { stream: true });
      assert.equal(second.status, 200);
      const text = await second.text();
      assert.match(text, /"id":"msg_local"/);
      assert.match(text, /event: message_stop/);
      await rig.gateway.settled();
      assert.equal(anthropic.requests.length, toCloud + 1, 'the second request never reached the cloud');
      const sent = ollama.requests.slice(toLocal).find((q) => q.path === '/v1/messages');
      assert.equal(sent?.json.model, 'qwen3-coder:30b');

      const recs = gatewayRecords(rig).map((i) => validateInteraction(i));
      assert.deepEqual(
        recs.map((i) => [i.id, i.route, i.model, i.replaces, i.costNanos, i.avoidedNanos, i.budgetAction]),
        [
          ['anthropic:msg_over', 'cloud', 'claude-sonnet-4-5', null, 60_000_000, null, undefined],
          ['anthropic:msg_local', 'local', 'qwen3-coder:30b', 'claude-sonnet-4-5', 0, 4_500_000, { action: 'fallback', budget: 'daily' }],
        ],
      );
      assert.deepEqual(rig.gate.state().capped && [rig.gate.state().capped!.budget.id, rig.gate.state().capped!.action], [
        'daily',
        'fallback',
      ]);
    } finally {
      await stopRig(rig);
    }
  });

  test('OpenAI Chat Completions and Responses fall back too (real openai client)', async () => {
    try {
      await spentEarlier(rig, 50_000_000); // exactly the $0.05 budget: used up
      const toCloud = openai.requests.length;
      ollama.next({ id: 'chatcmpl-fb' }, { id: 'resp_fb' });
      const c = await client(rig).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(c.model, 'qwen3-coder:30b');
      const stream = await client(rig).responses.create({ model: 'gpt-5-codex', input: 'y', stream: true });
      for await (const _ of stream) void _;
      await rig.gateway.settled();
      assert.equal(openai.requests.length, toCloud, 'nothing went to the cloud');
      assert.deepEqual(
        gatewayRecords(rig).map((i) => [i.id, i.route, i.replaces, i.budgetAction]),
        [
          ['openai:chatcmpl-fb', 'local', 'gpt-4o', { action: 'fallback', budget: 'daily' }],
          ['openai:resp_fb', 'local', 'gpt-5-codex', { action: 'fallback', budget: 'daily' }],
        ],
      );
    } finally {
      await stopRig(rig);
    }
  });

  test('under the cap, and again the next day, requests go to the cloud with no budget action', async () => {
    try {
      await spentEarlier(rig, 49_999_999); // one nano-dollar under $0.05
      anthropic.next({ id: 'msg_under' });
      assert.equal((await messages(rig, {})).status, 200);
      await rig.gateway.settled();
      await spentEarlier(rig, 1);
      rig.clock.set('2026-03-03T00:00:01Z'); // a new day in UTC: the daily budget starts afresh
      anthropic.next({ id: 'msg_next_day' });
      assert.equal((await messages(rig, {})).status, 200);
      await rig.gateway.settled();
      assert.deepEqual(
        gatewayRecords(rig).map((i) => [i.id, i.route, i.budgetAction]),
        [
          ['anthropic:msg_under', 'cloud', undefined],
          ['anthropic:msg_next_day', 'cloud', undefined],
        ],
      );
    } finally {
      await stopRig(rig);
    }
  });

  test('with no local model chosen, a fallback cap refuses and says why', async () => {
    try {
      rig.config.localModel = null;
      await spentEarlier(rig, 60_000_000);
      const res = await messages(rig, {});
      assert.equal(res.status, 402);
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.error.type, 'billing_error');
      assert.match(body.error.message, /none is chosen \(unmetered\.localModel\)/);
    } finally {
      await stopRig(rig);
    }
  });
});

describe('budget enforcement: refuse in each API’s own error shape', { timeout: 30_000 }, () => {
  beforeEach(async () => {
    rig = await startRig({ monthlyBudget: 10, budgetEnforcement: { monthly: 'refuse' } });
    await spentEarlier(rig, 12_340_000_000); // $12.34 of a $10 monthly budget
  });

  test('Anthropic Messages: 402 billing_error naming the budget and the setting that raises it', async () => {
    try {
      const toCloud = anthropic.requests.length;
      const res = await messages(rig, { stream: true });
      assert.equal(res.status, 402);
      assert.match(String(res.headers.get('content-type')), /application\/json/);
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'billing_error');
      assert.equal(
        body.error.message,
        'Unmetered: the monthly budget of $10.00 is used up ($12.34 spent in 2026-03), so the gateway refuses cloud requests. ' +
          'Raise the budget in the unmetered.monthlyBudget setting, set unmetered.budgetEnforcement.monthly to' +
          ' "fallback" (serve with the local model) or "off", switch to the local route, or wait until next month.',
      );
      assert.equal(anthropic.requests.length, toCloud, 'the refused request never reached the vendor');
      await rig.gateway.settled();
      const [refused] = gatewayRecords(rig).map((i) => validateInteraction(i));
      assert.deepEqual(
        [refused.route, refused.model, refused.tokens.input + refused.tokens.output, refused.budgetAction],
        ['cloud', 'claude-sonnet-4-5', 0, { action: 'refused', budget: 'monthly' }],
      );
      // A refused request costs nothing: zero tokens of a priced model is $0, not unpriced.
      assert.equal(refused.costNanos, 0);
    } finally {
      await stopRig(rig);
    }
  });

  test('OpenAI Chat Completions and Responses: 402 insufficient_quota, as the openai client reads it', async () => {
    try {
      const toCloud = openai.requests.length;
      for (const call of [
        () => client(rig).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
        () => client(rig).responses.create({ model: 'gpt-5-codex', input: 'y', stream: true }),
      ]) {
        await assert.rejects(call(), (err: InstanceType<typeof OpenAI.APIError>) => {
          assert.equal(err.status, 402);
          assert.equal(err.code, 'insufficient_quota');
          assert.equal(err.type, 'insufficient_quota');
          assert.match(err.message, /the monthly budget of \$10\.00 is used up/);
          return true;
        });
      }
      assert.equal(openai.requests.length, toCloud);
      await rig.gateway.settled();
      assert.deepEqual(
        gatewayRecords(rig).map((i) => [i.model, i.budgetAction]),
        [
          ['gpt-4o', { action: 'refused', budget: 'monthly' }],
          ['gpt-5-codex', { action: 'refused', budget: 'monthly' }],
        ],
      );
    } finally {
      await stopRig(rig);
    }
  });

  test('count_tokens and model lists are not refused: they cost nothing', async () => {
    try {
      const toCloud = anthropic.requests.length;
      for (const [method, p, body] of [
        ['GET', '/v1/models', undefined],
        ['POST', '/v1/messages/count_tokens', JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] })],
      ] as const) {
        const res = await fetch(`${rig.url}${p}`, { method, headers: anthropicHeaders, body });
        assert.notEqual(res.status, 402, p);
        await res.arrayBuffer();
      }
      assert.equal(anthropic.requests.length, toCloud + 2, 'both went to the vendor');
    } finally {
      await stopRig(rig);
    }
  });
});

describe('budget enforcement: streams in flight, several windows of spend, the ledger unreadable', { timeout: 30_000 }, () => {
  test('a stream in flight when the cap is crossed finishes whole; the next request is refused', async () => {
    rig = await startRig({ dailyBudget: 1, budgetEnforcement: { daily: 'refuse' } });
    try {
      const upstreamIndex = anthropic.requests.length;
      anthropic.next({ id: 'msg_inflight', text: 'one two three four five six seven eight', delayMs: 40 });
      const res = await messages(rig, { stream: true });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      assert.ok(first.value && first.value.length > 0, 'the stream has started');
      // Meanwhile an agent's log import pushes today's spend to $1.50 of the $1 budget.
      await spentEarlier(rig, 1_500_000_000);
      const decoder = new TextDecoder();
      let rest = decoder.decode(first.value, { stream: true });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += decoder.decode(value, { stream: true });
      }
      await anthropic.settled(upstreamIndex);
      assert.equal(rest, anthropic.responses[upstreamIndex].toString('utf8'), 'every byte the vendor sent reached the agent');
      assert.match(rest, /event: message_stop/);
      await rig.gateway.settled();
      const next = await messages(rig, {});
      assert.equal(next.status, 402);
      await next.arrayBuffer();
      await rig.gateway.settled();
      assert.deepEqual(
        gatewayRecords(rig).map((i) => [i.id.startsWith('anthropic:') ? i.id : 'refusal', i.budgetAction]),
        [
          ['anthropic:msg_inflight', undefined],
          ['refusal', { action: 'refused', budget: 'daily' }],
        ],
      );
    } finally {
      await stopRig(rig);
    }
  });

  test('when the ledger cannot be read the gateway fails open, says so, and marks the record', async () => {
    rig = await startRig({ dailyBudget: 0.01, budgetEnforcement: { daily: 'refuse' } });
    try {
      await spentEarlier(rig, 50_000_000); // over the cap, but the gate cannot see it
      rig.ledgerBroken = new Error('EIO: i/o error, read');
      anthropic.next({ id: 'msg_open' });
      const res = await messages(rig, {});
      assert.equal(res.status, 200, 'forwarded, not refused');
      await res.arrayBuffer();
      await rig.gateway.settled();
      const rec = gatewayRecords(rig).find((i) => i.id === 'anthropic:msg_open')!;
      assert.deepEqual(rec.budgetAction, { action: 'failed-open', budget: null });
      assert.match(rig.gate.state().failedOpen ?? '', /the ledger could not be read \(EIO: i\/o error, read\)/);
      assert.equal(rig.logger.lines.filter((l) => /^warn: budgets: not enforced/.test(l)).length, 1);
      // Once it can be read again, the cap applies.
      rig.ledgerBroken = null;
      rig.gate.invalidate();
      const next = await messages(rig, {});
      assert.equal(next.status, 402);
      await next.arrayBuffer();
      assert.equal(rig.gate.state().failedOpen, null);
      assert.ok(rig.logger.lines.some((l) => /budgets are enforced/.test(l)));
    } finally {
      await stopRig(rig);
    }
  });

  test('the decisions survive a reopen of the ledger (line format and cache)', async () => {
    rig = await startRig({ dailyBudget: 0.01, budgetEnforcement: { daily: 'fallback' } });
    const dir = rig.dir;
    try {
      await spentEarlier(rig, 20_000_000);
      ollama.next({ id: 'msg_kept' });
      await (await messages(rig, {})).arrayBuffer();
      await rig.gateway.settled();
      await rig.gateway.close();
      await rig.ledger.close();
      for (let round = 0; round < 2; round++) {
        // The first reopen reads the lines, the second the cache written on close.
        const l = await openLedger({ dir });
        const kept: Interaction | undefined = l.get('anthropic:msg_kept');
        assert.deepEqual(kept?.budgetAction, { action: 'fallback', budget: 'daily' }, `round ${round}`);
        await l.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
