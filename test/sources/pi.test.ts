import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeSource, pi } from '../../src/core/import';
import { byId, copyFixture, onlySource, tokensOf, world, type World } from './helpers';

const SESSION_A = 'sessions/--home-dev-shop--/2026-11-30T09-00-00-000Z_6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b.jsonl';
const T = tokensOf;

const mine = (w: World) => w.ledger.records().filter((r) => r.agent === 'pi');
const priced = (w: World) => mine(w).reduce((s, r) => s + (r.costNanos ?? 0), 0);

describe('pi sessions', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  const only = () => onlySource('pi', [dir]);
  before(async () => {
    w = await world();
    dir = copyFixture(w, 'pi');
    await w.importer({ settings: only() }).scan();
  });
  after(() => w.cleanup());

  it('reads an Anthropic response: disjoint counts, project from the session header, time of the response', () => {
    const r = byId(w).get('pi:1796029209400:claude-sonnet-4-5-20250929:12/18000/2400/480')!;
    assert.deepEqual(r.tokens, T({ input: 12, output: 480, cacheRead: 18_000, cacheWrite5m: 2_400 }));
    assert.equal(r.project, 'shop');
    assert.equal(r.at, '2026-11-30T09:00:09.400Z');
    // sonnet 4.5 n$/token: 12 × 3,000 + 480 × 15,000 + 18,000 × 300 + 2,400 × 3,750
    //   = 36,000 + 7,200,000 + 5,400,000 + 9,000,000 = 21,636,000 (pi's own cost.total: $0.021636, the same)
    assert.equal(r.costNanos, 21_636_000);
    assert.equal((r as { agentCostNanos?: number }).agentCostNanos, 21_636_000);
  });

  it("takes the cached part out of Google's prompt count, which pi writes as input", () => {
    const r = byId(w).get('pi:1796029274000:gemini-2.5-pro:10000/30000/0/1000')!;
    // input 40,000 − cacheRead 30,000 = 10,000 uncached
    assert.deepEqual(r.tokens, T({ input: 10_000, output: 1_000, cacheRead: 30_000 }));
    // gemini-2.5-pro: 10,000 × 1,250 + 30,000 × 125 + 1,000 × 10,000 = 12,500,000 + 3,750,000 + 10,000,000
    assert.equal(r.costNanos, 26_250_000);
    // pi priced the 40,000 as input: $0.05 + $0.00375 + $0.01 = $0.06375
    assert.equal((r as { agentCostNanos?: number }).agentCostNanos, 63_750_000);
  });

  it('leaves a model nobody priced unpriced: pi writes cost 0 for it, which is not a price', () => {
    const r = byId(w).get('pi:1796029325000:shop-coder-7b:900/0/0/100')!;
    assert.deepEqual(r.tokens, T({ input: 900, output: 100 }));
    assert.equal(r.costNanos, null);
    assert.equal(r.priceSource, null);
  });

  it('counts each response once across a branched session, skips aborted ones and reports the bad line', () => {
    // A: sonnet, gpt-5, gemini, the local model (aborted has no usage; the last line is malformed);
    // B: copies of sonnet and gpt-5 (same responses) + haiku
    assert.equal(mine(w).length, 5);
    const sum = (k: 'input' | 'cacheRead' | 'output') => mine(w).reduce((s, r) => s + r.tokens[k], 0);
    assert.equal(sum('input'), 13_962); // 12 + 3,000 + 10,000 + 900 + 50
    assert.equal(sum('cacheRead'), 63_000); // 18,000 + 5,000 + 30,000 + 10,000
    assert.equal(sum('output'), 2_480); // 480 + 700 + 1,000 + 100 + 200
    // gpt-5: 3,000 × 1,250 + 5,000 × 125 + 700 × 10,000 = 3,750,000 + 625,000 + 7,000,000 = 11,375,000
    // haiku 4.5: 50 × 1,000 + 10,000 × 100 + 200 × 5,000 = 50,000 + 1,000,000 + 1,000,000 = 2,050,000
    // 21,636,000 + 11,375,000 + 26,250,000 + 2,050,000
    assert.equal(priced(w), 61_311_000);
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${SESSION_A.split('/').pop()}:14: skipped a malformed line: message.usage.input`)),
      w.logger.lines.join('\n'),
    );
  });

  it("shows pi's own cost beside ours where they differ by more than a cent", async () => {
    const s = (await w.importer({ settings: only() }).scan()).sources.find((x) => x.id === 'pi')!;
    // pi: 0.021636 + 0.011375 + 0.06375 + 0.00205 = $0.098811; ours $0.061311 (the Gemini prompt counted once)
    assert.deepEqual(s.agentCost, { agentNanos: 98_811_000, ourNanos: 61_311_000 });
    assert.match(
      describeSource(s, w.home),
      /^pi: 2 files, 5 interactions, 1 malformed line skipped, pi says \$0\.10, priced here \$0\.06 \(/,
    );
  });

  it('re-reads an appended session adding exactly the new response, and a rewrite adds nothing', async () => {
    const before = priced(w);
    const entry = {
      type: 'message',
      id: 'e0f1a2b3',
      parentId: 'd6e7f809',
      timestamp: '2026-11-30T09:03:00.000Z',
      message: {
        role: 'assistant',
        content: [{ type: 'text', text: 'Done.' }],
        api: 'openai-responses',
        provider: 'openai',
        model: 'gpt-5',
        usage: {
          input: 1000,
          output: 100,
          cacheRead: 0,
          cacheWrite: 0,
          totalTokens: 1100,
          cost: { input: 0.00125, output: 0.001, cacheRead: 0, cacheWrite: 0, total: 0.00225 },
        },
        stopReason: 'stop',
        timestamp: 1796029379000,
      },
    };
    const file = path.join(dir, SESSION_A);
    appendFileSync(file, JSON.stringify(entry) + '\n');
    const s = await w.importer({ settings: only() }).scan();
    assert.equal(s.recordsParsed, 1, 'only the new bytes were read');
    assert.equal(s.written, 1);
    assert.equal(s.malformedLines, 0, 'the old malformed line was not read again');
    // gpt-5: 1,000 × 1,250 + 100 × 10,000 = 2,250,000
    assert.equal(priced(w) - before, 2_250_000);

    // A resume from an older version rewrites the file whole (migrateToCurrentVersion → _rewriteFile).
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"version":3', '"version":3 '));
    const again = await w.importer({ settings: only() }).scan();
    assert.ok(again.recordsParsed >= 5, 'the rewritten file was read again from its start');
    assert.equal(again.written, 0);
    assert.equal(priced(w) - before, 2_250_000);
  });

  it('looks in ~/.pi/agent/sessions, moved by PI_CODING_AGENT_DIR', () => {
    const ctx = (env: NodeJS.ProcessEnv) => ({ env, home: '/home/dev', platform: 'linux' as const });
    assert.deepEqual(pi.defaultRoots(ctx({})), ['/home/dev/.pi/agent/sessions']);
    assert.deepEqual(pi.defaultRoots(ctx({ PI_CODING_AGENT_DIR: '~/pi-agent' })), ['/home/dev/pi-agent/sessions']);
    assert.deepEqual(pi.defaultRoots(ctx({ PI_CODING_AGENT_DIR: '/opt/pi' })), ['/opt/pi/sessions']);
    assert.deepEqual(pi.rootsFromSetting('/home/dev/.pi/agent'), ['/home/dev/.pi/agent/sessions']);
    assert.ok(pi.matches('/home/dev/.pi/agent/sessions/--home-dev-shop--/2026-11-30T09-00-00-000Z_6b1e.jsonl'));
  });
});
