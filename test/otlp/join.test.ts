/**
 * One Claude Code request seen three ways: a line of its log (read by the real Claude Code adapter), a response
 * through the real gateway (from a fake Anthropic upstream), and its api_request telemetry event (sent by the
 * official SDK exporter to the receiver): stored once, in every arrival order. The rule is in src/core/otlp/join.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openLedger, type Ledger } from '../../src/core/ledger';
import { claudeCode } from '../../src/core/agents/claudeCode';
import { createGateway } from '../../src/core/gateway';
import { createOtlpReceiver, telemetryJoin, unmatched, type TelemetryJoin } from '../../src/core/otlp';
import { tokens, type Interaction } from '../../src/core/interaction';
import { startFakeAnthropic, type FakeServer } from '../helpers/fake-vendors';
import { sendLogs } from './helpers';

// The one request: 4 uncached input, 48211 cache reads, 1532 cache writes (5-minute), 321 output.
const USAGE = { input_tokens: 4, cache_creation_input_tokens: 1532, cache_read_input_tokens: 48211, output_tokens: 321 };
const MODEL = 'claude-sonnet-4-5-20250929';
const MSG = 'msg_01JOIN';
// The gateway stamps its copy with the time it saw the request: the log and telemetry copies are made about then too.
const AT = new Date(Date.now() - 2_000).toISOString();
const OTEL_AT = new Date(Date.parse(AT) + 2_000).toISOString();

const logLine = JSON.stringify({
  type: 'assistant',
  isSidechain: false,
  cwd: '/home/dev/acme-api',
  sessionId: 'sess-1',
  uuid: 'u1',
  timestamp: AT,
  requestId: 'req_01JOIN',
  message: { id: MSG, model: MODEL, role: 'assistant', type: 'message', content: [{ type: 'text', text: 'done' }], usage: USAGE },
});

interface Scene {
  dir: string;
  ledger: Ledger;
  join: TelemetryJoin;
  gatewayPort: number;
  upstream: FakeServer;
  /** Resolves when the gateway has handed over the interactions of every request so far. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

async function scene(holdMs = 60_000): Promise<Scene> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-otlp-join-'));
  const ledger = await openLedger({ dir });
  const join = telemetryJoin({ stored: () => ledger.records(), record: async (b) => void (await ledger.append(b)), holdMs });
  const receiver = createOtlpReceiver({ onInteractions: (items) => join.offer(items) });
  const upstream = await startFakeAnthropic({ id: MSG, model: MODEL, usage: USAGE });
  const gateway = createGateway({
    config: () => ({
      route: 'cloud',
      localModel: null,
      anthropicUpstream: upstream.url,
      openaiUpstream: upstream.url,
      ollamaHost: upstream.url,
    }),
    onInteraction: async (i) => void (await ledger.append([i])),
    otlp: receiver,
  });
  const gatewayPort = await gateway.listen(0);
  return {
    dir,
    ledger,
    join,
    gatewayPort,
    upstream,
    settled: () => gateway.settled(),
    async close() {
      join.dispose();
      await gateway.close();
      await upstream.close();
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const arrive = {
  async log(s: Scene) {
    const p = claudeCode.createParser('/home/dev/.claude/projects/-home-dev-acme-api/sess-1.jsonl');
    const recs = [...p.line(logLine, 1), ...(p.end?.() ?? [])].map((r) => r.interaction);
    await s.ledger.append(recs);
  },
  async gateway(s: Scene) {
    await new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });
      const req = http.request(
        {
          host: '127.0.0.1',
          port: s.gatewayPort,
          path: '/v1/messages',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'anthropic-version': '2023-06-01',
            'user-agent': 'claude-cli/2.1.30 (external, cli)',
          },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    await s.settled();
  },
  async otel(s: Scene) {
    await sendLogs(s.gatewayPort, 'protobuf', true, { 'service.name': 'claude-code' }, [
      {
        body: 'claude_code.api_request',
        attributes: {
          'event.name': 'api_request',
          'event.timestamp': OTEL_AT,
          'session.id': 'sess-1',
          model: MODEL,
          input_tokens: 4,
          output_tokens: 321,
          cache_read_tokens: 48211,
          cache_creation_tokens: 1532,
          request_id: 'req_01JOIN',
        },
      },
    ]);
  },
};
type Way = keyof typeof arrive;

const ORDERS: Way[][] = [
  ['log', 'gateway', 'otel'],
  ['log', 'otel', 'gateway'],
  ['gateway', 'log', 'otel'],
  ['gateway', 'otel', 'log'],
  ['otel', 'log', 'gateway'],
  ['otel', 'gateway', 'log'],
  ['otel', 'log'],
  ['log', 'otel'],
  ['otel', 'gateway'],
  ['gateway', 'otel'],
];

describe('one request by log, gateway and telemetry is stored once', { timeout: 60_000 }, () => {
  for (const order of ORDERS) {
    test(order.join(' → '), async () => {
      const s = await scene();
      try {
        for (const way of order) await arrive[way](s);
        await s.join.flush(); // the hold ends
        const stored = s.ledger.records();
        assert.equal(stored.length, 1, JSON.stringify(stored));
        assert.equal(stored[0].id, `anthropic:${MSG}`);
        assert.deepEqual(stored[0].tokens, tokens({ input: 4, cacheRead: 48211, cacheWrite5m: 1532, output: 321 }));
        assert.equal(s.join.stats().joined, 1);
      } finally {
        await s.close();
      }
    });
  }

  // The hold ends after every arrival: each copy comes after the one before had been decided, as when a
  // log is read long after the telemetry (its session paused, or imported next week).
  for (const order of ORDERS) {
    test(`${order.join(' → ')}, each long after the one before`, async () => {
      const s = await scene();
      try {
        for (const way of order) {
          await arrive[way](s);
          await s.join.flush();
        }
        const stored = s.ledger.records();
        assert.equal(stored.length, 1, JSON.stringify(stored));
        assert.equal(stored[0].id, `anthropic:${MSG}`);
        assert.notEqual(stored[0].source, 'otel', 'the log or gateway copy is the one kept');
        assert.deepEqual(stored[0].tokens, tokens({ input: 4, cacheRead: 48211, cacheWrite5m: 1532, output: 321 }));
        // Another process opening the ledger reads the same one record.
        const again = await openLedger({ dir: s.dir });
        try {
          assert.deepEqual(
            again.records().map((r) => r.id),
            [`anthropic:${MSG}`],
          );
        } finally {
          await again.close();
        }
      } finally {
        await s.close();
      }
    });
  }

  test('telemetry alone is recorded when its hold ends (the timer decides, no flush)', async () => {
    const s = await scene(50);
    try {
      await arrive.otel(s);
      assert.equal(s.ledger.records().length, 0, 'held, not yet recorded');
      const deadline = Date.now() + 5_000;
      while (s.ledger.records().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const [r] = s.ledger.records();
      assert.equal(r.source, 'otel');
      assert.equal(r.id, 'claude-code:otel:req_01JOIN');
    } finally {
      await s.close();
    }
  });
});

describe('the matching rule', { timeout: 10_000 }, () => {
  const rec = (over: Partial<Interaction>): Interaction => ({
    id: 'x',
    at: AT,
    agent: 'codex',
    source: 'log',
    project: null,
    model: 'gpt-5.1-codex',
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 4000, cacheRead: 8000, output: 900, reasoning: 300 }),
    costNanos: null,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
    ...over,
  });

  test('two identical requests in the window need two stored partners; one partner absorbs one copy', async () => {
    const copies = [rec({ id: 'a', source: 'otel' }), rec({ id: 'b', source: 'otel', at: new Date(Date.parse(AT) + 5_000).toISOString() })];
    const left = await unmatched(copies, [rec({ id: 'log1' })], 10 * 60_000);
    assert.deepEqual(
      left.map((c) => c.id),
      ['b'],
    );
  });

  test('another agent, another model, other tokens, another source of telemetry or a time outside the window is no partner', async () => {
    const copy = rec({ id: 'c', source: 'otel' });
    const others = [
      rec({ agent: 'gemini-cli' }),
      rec({ model: 'gpt-5' }),
      rec({ tokens: tokens({ input: 4000, cacheRead: 8000, output: 901 }) }),
      rec({ source: 'otel' }),
      rec({ at: new Date(Date.parse(AT) + 10 * 60_000 + 1).toISOString() }), // 10 min + 1 ms later
    ];
    assert.equal((await unmatched([copy], others, 10 * 60_000)).length, 1);
    // The same request seen 10 minutes later exactly is still within the window.
    assert.equal((await unmatched([copy], [rec({ at: new Date(Date.parse(AT) + 10 * 60_000).toISOString() })], 10 * 60_000)).length, 0);
  });

  test('cache writes compare as a sum: a log split into 5-minute and 1-hour matches telemetry that has no split', async () => {
    const copy = rec({ agent: 'claude-code', source: 'otel', model: MODEL, tokens: tokens({ input: 4, cacheWrite5m: 1000, output: 5 }) });
    const log = rec({ agent: 'claude-code', model: MODEL, tokens: tokens({ input: 4, cacheWrite5m: 400, cacheWrite1h: 600, output: 5 }) });
    assert.equal((await unmatched([copy], [log], 60_000)).length, 0);
  });
});
