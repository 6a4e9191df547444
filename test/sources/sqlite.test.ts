import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Interaction } from '../../src/core/interaction';
import { describeSource } from '../../src/core/import';
import { byId, onlySources, world, type World } from './helpers';
import {
  assistantData,
  COPILOT_INSERT,
  COPILOT_SCHEMA,
  OPENCODE_SCHEMA,
  OPENCODE_UPSERT,
  OPENCODE_UPSERT_DATA_ONLY,
  writeLive,
  writeNow,
  type Step,
} from './sqliteAgents';

const only = onlySources;
const mine = (w: World, agent: string) => w.ledger.records().filter((r) => r.agent === agent);
const reported = (r: Interaction) => (r as Interaction & { agentCostNanos?: number }).agentCostNanos;

const T0 = Date.parse('2025-12-01T12:00:00.000Z');
const CWD = '/home/dev/acme-api';
const A1 = assistantData({
  model: 'claude-sonnet-4-5',
  provider: 'anthropic',
  cwd: CWD,
  created: T0,
  completed: T0 + 4000,
  cost: 0.0126,
  tokens: { input: 1200, output: 300, reasoning: 0, cache: { read: 5000, write: 800 } },
});
const zero = { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } };

describe('OpenCode and Kilo CLI databases, as their writers write them', { timeout: 60_000 }, () => {
  let w: World;
  let oc: string;
  let kilo: string;
  before(async () => {
    w = await world();
    oc = path.join(w.dir, 'opencode');
    kilo = path.join(w.dir, 'kilo');
    mkdirSync(oc);
    mkdirSync(kilo);
    const a2 = (tokens: typeof zero, cost: number, completed?: number) =>
      assistantData({ model: 'gpt-5', provider: 'openai', cwd: CWD, created: T0 + 60_000, completed, cost, tokens });
    const steps: Step[] = [
      [OPENCODE_UPSERT, ['msg_u1', 'ses_1', T0 - 1000, T0 - 1000, JSON.stringify({ role: 'user', time: { created: T0 - 1000 } })]],
      // processor.ts: the assistant row is written when the response starts, with zero tokens…
      [
        OPENCODE_UPSERT,
        [
          'msg_a1',
          'ses_1',
          T0,
          T0,
          assistantData({ model: 'claude-sonnet-4-5', provider: 'anthropic', cwd: CWD, created: T0, cost: 0, tokens: zero }),
        ],
      ],
      // …and again at the step's end with its counts and cost.
      [OPENCODE_UPSERT, ['msg_a1', 'ses_1', T0, T0 + 4000, A1]],
      [OPENCODE_UPSERT, ['msg_a2', 'ses_1', T0 + 60_000, T0 + 60_000, a2(zero, 0)]],
      [
        OPENCODE_UPSERT_DATA_ONLY,
        [
          'msg_a2',
          'ses_1',
          T0 + 60_000,
          T0 + 60_000,
          a2({ input: 2000, output: 1000, reasoning: 400, cache: { read: 8000, write: 0 } }, 0.05, T0 + 70_000),
        ],
      ],
      [OPENCODE_UPSERT, ['msg_a3', 'ses_1', T0 + 90_000, T0 + 90_000, a2(zero, 0)]],
      [OPENCODE_UPSERT, ['msg_bad', 'ses_1', T0 + 95_000, T0 + 95_000, '{"role":"assistant","tokens":']],
    ];
    // Killed mid-session: everything is still in opencode.db-wal, nothing checkpointed into the database.
    writeNow({ db: path.join(oc, 'opencode.db'), schema: OPENCODE_SCHEMA, steps, exit: 'abrupt' });
    writeNow({
      db: path.join(kilo, 'kilo.db'),
      schema: OPENCODE_SCHEMA,
      steps: [
        [OPENCODE_UPSERT, ['msg_a1', 'ses_1', T0, T0 + 4000, A1]], // the same message, copied
        [
          OPENCODE_UPSERT,
          [
            'msg_k1',
            'ses_k',
            T0 + 120_000,
            T0 + 121_000,
            assistantData({
              model: 'claude-sonnet-4-5',
              provider: 'kilo',
              cwd: '/home/dev/shop',
              created: T0 + 120_000,
              completed: T0 + 121_000,
              cost: 0.00105,
              tokens: { input: 100, output: 50, reasoning: 0, cache: { read: 0, write: 0 } },
            }),
          ],
        ],
      ],
      exit: 'close',
    });
    // OpenCode first, then Kilo CLI beside it (as when Kilo is installed later and copies a session).
    await w.importer({ settings: only({ opencode: [oc] }) }).scan();
    await w.importer({ settings: only({ opencode: [oc], kiloCli: [kilo] }) }).scan();
  });
  after(() => w.cleanup());

  it('reads a finished assistant message from the WAL: disjoint counts, priced, its own cost kept beside ours', () => {
    const r = byId(w).get('opencode:msg_a1')!;
    assert.equal(r.agent, 'opencode');
    assert.deepEqual(r.tokens, { input: 1200, output: 300, reasoning: 0, cacheRead: 5000, cacheWrite5m: 800, cacheWrite1h: 0 });
    assert.equal(r.model, 'claude-sonnet-4-5');
    assert.equal(r.project, 'acme-api');
    assert.equal(r.at, '2025-12-01T12:00:00.000Z');
    // claude-sonnet-4-5 (n$ per token): 1,200 × 3,000 + 300 × 15,000 + 5,000 × 300 + 800 × 3,750
    //   = 3,600,000 + 4,500,000 + 1,500,000 + 3,000,000 = 12,600,000; OpenCode said $0.0126
    assert.equal(r.costNanos, 12_600_000);
    assert.equal(reported(r), 12_600_000);
  });

  it("sees an update that left time_updated as it was, and keeps OpenCode's differing price beside ours", () => {
    const r = byId(w).get('opencode:msg_a2')!;
    assert.deepEqual(r.tokens, { input: 2000, output: 1000, reasoning: 400, cacheRead: 8000, cacheWrite5m: 0, cacheWrite1h: 0 });
    // gpt-5: 2,000 × 1,250 + 1,000 × 10,000 + 8,000 × 125 = 2,500,000 + 10,000,000 + 1,000,000
    assert.equal(r.costNanos, 13_500_000);
    assert.equal(reported(r), 50_000_000);
  });

  it('skips user messages and responses still at zero, reports the torn row, and stores a copied message once', async () => {
    assert.deepEqual(
      mine(w, 'opencode')
        .map((r) => r.id)
        .sort(),
      ['opencode:msg_a1', 'opencode:msg_a2'],
    );
    assert.deepEqual(
      mine(w, 'kilo-cli').map((r) => r.id),
      ['opencode:msg_k1'],
    );
    // claude-sonnet-4-5: 100 × 3,000 + 50 × 15,000 = 300,000 + 750,000
    assert.equal(byId(w).get('opencode:msg_k1')!.costNanos, 1_050_000);
    assert.ok(
      w.logger.lines.some((l) => l.includes('opencode.db: message msg_bad: skipped a malformed row: not JSON')),
      w.logger.lines.join('\n'),
    );
    const status = await w.importer({ settings: only({ opencode: [oc], kiloCli: [kilo] }) }).scan();
    const line = describeSource(
      status.sources.find((s) => s.id === 'opencode')!,
      w.home,
    );
    // Over both records: OpenCode 12,600,000 + 50,000,000 = $0.0626; ours 12,600,000 + 13,500,000 = $0.0261
    assert.equal(line, `OpenCode: 1 file, 2 interactions, 1 malformed line skipped, OpenCode says $0.06, priced here $0.03 (${oc})`);
    assert.equal(status.written, 0, 'a second scan of unchanged databases stores nothing');
  });
});

describe('OpenCode: a message updated after newer rows were read', { timeout: 60_000 }, () => {
  it('is read again by id until it finishes, even when the update left time_updated as it was', async () => {
    const w = await world();
    try {
      const dir = path.join(w.dir, 'opencode');
      mkdirSync(dir);
      const db = path.join(dir, 'opencode.db');
      const info = (created: number, tokens: typeof zero, completed?: number) =>
        assistantData({ model: 'gpt-5', provider: 'openai', cwd: CWD, created, completed, cost: 0, tokens });
      const importer = w.importer({ settings: only({ opencode: [dir] }) });
      // A parent's response starts; the reader sees it at zero tokens.
      writeNow({ db, schema: OPENCODE_SCHEMA, steps: [[OPENCODE_UPSERT, ['msg_p', 'ses_1', T0, T0, info(T0, zero)]]], exit: 'close' });
      await importer.scan();
      // A subagent's message is written and finished meanwhile, with later times; the reader moves past it.
      const sub = { input: 10, output: 5, reasoning: 0, cache: { read: 0, write: 0 } };
      writeNow({
        db,
        schema: [],
        steps: [[OPENCODE_UPSERT, ['msg_s', 'ses_2', T0 + 5000, T0 + 6000, info(T0 + 5000, sub, T0 + 6000)]]],
        exit: 'close',
      });
      await importer.scan();
      // Then the parent's response ends, its row's time_updated untouched.
      const done = { input: 700, output: 70, reasoning: 0, cache: { read: 0, write: 0 } };
      writeNow({
        db,
        schema: [],
        steps: [[OPENCODE_UPSERT_DATA_ONLY, ['msg_p', 'ses_1', T0, T0, info(T0, done, T0 + 9000)]]],
        exit: 'close',
      });
      await importer.scan();
      assert.deepEqual(byId(w).get('opencode:msg_p')?.tokens, {
        input: 700,
        output: 70,
        reasoning: 0,
        cacheRead: 0,
        cacheWrite5m: 0,
        cacheWrite1h: 0,
      });
      assert.equal(mine(w, 'opencode').length, 2);
    } finally {
      await w.cleanup();
    }
  });
});

describe('GitHub Copilot CLI session-store.db', { timeout: 60_000 }, () => {
  let w: World;
  let home: string;
  before(async () => {
    w = await world();
    home = path.join(w.dir, 'copilot');
    mkdirSync(home);
    writeNow({
      db: path.join(home, 'session-store.db'),
      schema: COPILOT_SCHEMA,
      steps: [
        ['INSERT INTO sessions (id, cwd, created_at) VALUES (?, ?, ?)', ['s-1', '/home/dev/shop', '2026-11-30T09:59:00.000Z']],
        [COPILOT_INSERT, ['s-1', 0, 'claude-sonnet-4.5', 15805, 120, 0, 15802, 0, 1_000_000_000, '2026-11-30T10:00:00.000Z']],
        [COPILOT_INSERT, ['s-1', 1, 'gpt-5', 10000, 500, 8000, 0, 200, 500_000_000, '2026-11-30 10:05:00']],
        [COPILOT_INSERT, ['s-1', 2, 'gpt-5', 10, -5, 0, 0, 0, 0, '2026-11-30 10:06:00']],
      ],
      exit: 'abrupt',
    });
    await w.importer({ settings: only({ copilotCli: [home] }) }).scan();
  });
  after(() => w.cleanup());

  it('takes the cache out of input_tokens, which includes it', () => {
    const [a, b] = mine(w, 'copilot-cli').sort((x, y) => (x.at < y.at ? -1 : 1));
    // 15,805 − 15,802 written − 0 read = 3 uncached
    assert.deepEqual(a.tokens, { input: 3, output: 120, reasoning: 0, cacheRead: 0, cacheWrite5m: 15802, cacheWrite1h: 0 });
    assert.equal(a.project, 'shop');
    assert.equal(a.at, '2026-11-30T10:00:00.000Z');
    // claude-sonnet-4.5: 3 × 3,000 + 15,802 × 3,750 + 120 × 15,000 = 9,000 + 59,257,500 + 1,800,000
    assert.equal(a.costNanos, 61_066_500);
    // 10,000 − 8,000 read = 2,000; SQLite datetime() text is UTC
    assert.deepEqual(b.tokens, { input: 2000, output: 500, reasoning: 200, cacheRead: 8000, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(b.at, '2026-11-30T10:05:00.000Z');
    // gpt-5: 2,000 × 1,250 + 8,000 × 125 + 500 × 10,000 = 2,500,000 + 1,000,000 + 5,000,000
    assert.equal(b.costNanos, 8_500_000);
  });

  it('reports a row with a negative count and reads the rest', () => {
    assert.equal(mine(w, 'copilot-cli').length, 2);
    assert.ok(w.logger.lines.some((l) => /session-store\.db: assistant_usage_events 3: skipped a malformed row: .*output_tokens/.test(l)));
  });
});

/**
 * A writer process appends in WAL mode, with small automatic checkpoints and explicit TRUNCATE ones
 * (which restart the WAL under the reader), while the importer watches. busy_timeout 0 makes any lock
 * the reader held fail the writer at once; a TRUNCATE checkpoint reports busy if a reader held a snapshot.
 */
function live(kind: 'opencode' | 'kiloCli' | 'copilotCli') {
  const N = 90;
  it(`${kind}: every row of a live writer counted once, the writer never blocked`, async () => {
    const w = await world();
    try {
      const dir = path.join(w.dir, kind);
      mkdirSync(dir);
      const steps: Step[] = [];
      for (let k = 0; k < N; k++) {
        const t = T0 + k * 1000;
        const tokens = { input: k + 1, output: 2, reasoning: 0, cache: { read: 0, write: 0 } };
        if (kind === 'copilotCli') steps.push([COPILOT_INSERT, ['s-live', k, 'gpt-5', k + 1, 2, 0, 0, 0, 0, new Date(t).toISOString()]]);
        else {
          const data = (tk: typeof tokens, done?: number) =>
            assistantData({ model: 'gpt-5', provider: 'openai', cwd: CWD, created: t, completed: done, cost: 0, tokens: tk });
          steps.push([OPENCODE_UPSERT, [`msg_${String(k).padStart(4, '0')}`, 'ses_live', t, t, data(zero)]]);
          steps.push({ sleep: 0.003 });
          // Half the updates leave time_updated as it was (if drizzle did not set it on conflict).
          steps.push([
            k % 2 ? OPENCODE_UPSERT_DATA_ONLY : OPENCODE_UPSERT,
            [`msg_${String(k).padStart(4, '0')}`, 'ses_live', t, t + 500, data(tokens, t + 500)],
          ]);
        }
        steps.push({ sleep: 0.01 });
        if (k % 30 === 29) steps.push({ checkpoint: 'TRUNCATE' });
      }
      const file = kind === 'opencode' ? 'opencode.db' : kind === 'kiloCli' ? 'kilo.db' : 'session-store.db';
      const schema = kind === 'copilotCli' ? COPILOT_SCHEMA : OPENCODE_SCHEMA;
      // The schema first, so the database exists when the importer starts watching.
      writeNow({ db: path.join(dir, file), schema, steps: [], exit: 'close' });
      const importer = w.importer({ settings: only({ [kind]: [dir] }) });
      await importer.scan();
      let reads = 0;
      const watching = importer.watch({ onImported: () => reads++, pollMs: 50, safetyPollMs: 100 });
      const writer = writeLive({ db: path.join(dir, file), schema, steps, exit: 'close', autocheckpoint: 4 }, 40_000);
      let midway = 0;
      const sampler = setInterval(() => {
        if (writer.committed() > 0 && writer.committed() < steps.length / 2)
          midway = Math.max(midway, mine(w, kind === 'opencode' ? 'opencode' : kind === 'kiloCli' ? 'kilo-cli' : 'copilot-cli').length);
      }, 20);
      const result = await writer.done;
      clearInterval(sampler);
      const agent = kind === 'opencode' ? 'opencode' : kind === 'kiloCli' ? 'kilo-cli' : 'copilot-cli';
      const deadline = Date.now() + 10_000;
      while (mine(w, agent).length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await watching.dispose();
      const got = mine(w, agent);
      assert.equal(got.length, N);
      // input k + 1 for k = 0 … 89: 1 + 2 + … + 90 = 90 × 91 / 2 = 4,095; output 2 each: 180
      assert.equal(
        got.reduce((s, r) => s + r.tokens.input, 0),
        4095,
      );
      assert.equal(
        got.reduce((s, r) => s + r.tokens.output, 0),
        180,
      );
      assert.equal(result.busyCheckpoints, 0, 'no checkpoint was kept from finishing by a reader');
      assert.equal(result.checkpoints, 3);
      assert.ok(midway > 0, 'rows reached the ledger while the writer was still writing');
      assert.ok(reads > 1, `read in several passes while written (${reads})`);
    } finally {
      await w.cleanup();
    }
  });
}

describe('SQLite agents read live, while their writer runs', { timeout: 120_000 }, () => {
  live('opencode');
  live('kiloCli');
  live('copilotCli');
});
