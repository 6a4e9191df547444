import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { amp } from '../../src/core/import';
import { byId, copyFixture, onlySource, tokensOf, world, type World } from './helpers';

const LEDGER = 'T-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const MESSAGES = 'T-6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c';
const T = tokensOf;
const mine = (w: World) => w.ledger.records().filter((r) => r.agent === 'amp');
const priced = (w: World) => mine(w).reduce((s, r) => s + (r.costNanos ?? 0), 0);

describe('Amp threads', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  const only = () => onlySource('amp', [dir]);
  before(async () => {
    w = await world();
    dir = copyFixture(w, 'amp');
    await w.importer({ settings: only() }).scan();
  });
  after(() => w.cleanup());

  it('reads a usage ledger event with the cache counts of the message it produced', () => {
    const r = byId(w).get(`amp:${LEDGER}:evt-01`)!;
    assert.deepEqual(r.tokens, T({ input: 8, output: 350, cacheWrite5m: 3000, cacheRead: 15_000 }));
    assert.equal(r.at, '2026-11-30T15:00:12.300Z');
    // sonnet 4.5: 8 × 3,000 + 350 × 15,000 + 3,000 × 3,750 + 15,000 × 300 = 24,000 + 5,250,000 + 11,250,000 + 4,500,000
    assert.equal(r.costNanos, 21_024_000);
  });

  it("reads a thread without a ledger from its assistant messages' usage", () => {
    const r = byId(w).get(`amp:${MESSAGES}:m1`)!;
    assert.deepEqual(r.tokens, T({ input: 20, output: 150, cacheWrite5m: 1000, cacheRead: 12_000 }));
    assert.equal(r.model, 'claude-haiku-4-5-20251001');
    // haiku 4.5: 20 × 1,000 + 150 × 5,000 + 1,000 × 1,250 + 12,000 × 100 = 20,000 + 750,000 + 1,250,000 + 1,200,000
    assert.equal(r.costNanos, 3_220_000);
  });

  it('leaves an unknown model unpriced, skips an empty usage and reports what cannot be read', () => {
    assert.equal(byId(w).get(`amp:${MESSAGES}:m3`)!.costNanos, null);
    // ledger thread: evt-01, evt-02 (evt-03 has only a total); message thread: m1, m3 (m5 is empty, m7 malformed)
    assert.deepEqual(
      mine(w)
        .map((r) => r.id)
        .sort(),
      [`amp:${LEDGER}:evt-01`, `amp:${LEDGER}:evt-02`, `amp:${MESSAGES}:m1`, `amp:${MESSAGES}:m3`],
    );
    // evt-02: 5 × 3,000 + 120 × 15,000 + 200 × 3,750 + 18,000 × 300 = 15,000 + 1,800,000 + 750,000 + 5,400,000 = 7,965,000
    // 21,024,000 + 7,965,000 + 3,220,000
    assert.equal(priced(w), 32_209_000);
    const log = w.logger.lines.join('\n');
    assert.match(log, /T-1a2b3c4d[^:]*\.json:1: skipped a malformed line: usageLedger\.events\[2\]\.tokens: only total \(900\)/);
    assert.match(
      log,
      /T-6f7a8b9c[^:]*\.json:1: skipped a malformed line: messages\[7\]\.usage\.outputTokens: expected a non-negative integer/,
    );
  });

  it('a rewritten thread adds exactly its new request', async () => {
    const file = path.join(dir, 'threads', `${MESSAGES}.json`);
    const t = JSON.parse(readFileSync(file, 'utf8'));
    t.messages[7].usage.outputTokens = 40; // the same message, now readable
    t.messages.push({ role: 'user', messageId: 8, content: [{ type: 'text', text: 'Thanks.' }] });
    t.messages.push({
      role: 'assistant',
      messageId: 9,
      content: [{ type: 'text', text: 'Welcome.' }],
      state: { type: 'complete', stopReason: 'end_turn' },
      usage: {
        model: 'claude-haiku-4-5-20251001',
        inputTokens: 10,
        outputTokens: 10,
        cacheCreationInputTokens: 0,
        cacheReadInputTokens: 13_100,
        totalInputTokens: 13_110,
        timestamp: '2026-11-30T16:01:00.000Z',
      },
    });
    writeFileSync(file, JSON.stringify(t, null, 2));
    const before = priced(w);
    const s = await w.importer({ settings: only() }).scan();
    assert.equal(s.written, 2);
    // m7: 30 × 1,000 + 40 × 5,000 + 13,000 × 100 = 30,000 + 200,000 + 1,300,000 = 1,530,000
    // m9: 10 × 1,000 + 10 × 5,000 + 13,100 × 100 = 10,000 + 50,000 + 1,310,000 = 1,370,000
    assert.equal(priced(w) - before, 2_900_000);
    assert.equal(mine(w).length, 6);
  });

  it('looks in ~/.local/share/amp/threads for T-*.json', () => {
    assert.deepEqual(amp.defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' }), ['/home/dev/.local/share/amp/threads']);
    assert.deepEqual(amp.rootsFromSetting('/backup/amp'), ['/backup/amp/threads']);
    assert.ok(amp.matches('/home/dev/.local/share/amp/threads/T-1a2b.json'));
    assert.ok(!amp.matches('/home/dev/.local/share/amp/threads/index.json'));
  });
});
