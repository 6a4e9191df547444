import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { continueDev } from '../../src/core/import';
import { byId, copyFixture, onlySource, world, type World } from './helpers';

const FILE = 'dev_data/0.2.0/tokensGenerated.jsonl';
const mine = (w: World) => w.ledger.records().filter((r) => r.agent === 'continue');
const priced = (w: World) => mine(w).reduce((s, r) => s + (r.costNanos ?? 0), 0);

describe('Continue dev data', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  const only = () => onlySource('continue', [dir]);
  before(async () => {
    w = await world();
    dir = copyFixture(w, 'continue');
    await w.importer({ settings: only() }).scan();
  });
  after(() => w.cleanup());

  it("reads a call as estimated input and output (Continue's tokenizer, no cache split)", () => {
    const r = byId(w).get(`continue:${Date.parse('2026-11-30T14:00:02.118Z')}:1`)!;
    assert.deepEqual(r.tokens, { input: 5000, output: 400, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(r.model, 'claude-sonnet-4-5');
    assert.equal(r.estimated, true);
    assert.equal(r.project, null);
    // 5,000 × 3,000 + 400 × 15,000 n$ = 15,000,000 + 6,000,000
    assert.equal(r.costNanos, 21_000_000);
  });

  it('leaves a local model unpriced, never $0', () => {
    const r = byId(w).get(`continue:${Date.parse('2026-11-30T14:00:10.002Z')}:3`)!;
    assert.equal(r.model, 'qwen2.5-coder:1.5b');
    assert.equal(r.costNanos, null);
  });

  it('counts a repeated call again, skips an empty one and reports the cut line', () => {
    // lines 1, 2, 3, 6 (line 4 is cut, line 5 counts nothing)
    assert.equal(mine(w).length, 4);
    assert.equal(
      mine(w).reduce((s, r) => s + r.tokens.input, 0),
      12_800,
    ); // 5,000 + 2,000 + 800 + 5,000
    // gpt-4o: 2,000 × 2,500 + 100 × 10,000 = 6,000,000; + 21,000,000 twice
    assert.equal(priced(w), 48_000_000);
    assert.ok(
      w.logger.lines.some((l) => l.includes('tokensGenerated.jsonl:4: skipped a malformed line: not JSON')),
      w.logger.lines.join('\n'),
    );
  });

  it('re-reads the appended file adding exactly the new call', async () => {
    const before = priced(w);
    const line = {
      timestamp: '2026-11-30T14:05:00.000Z',
      userId: '',
      userAgent: 'Visual Studio Code/1.106.2 (Continue/1.2.10)',
      selectedProfileId: 'local',
      eventName: 'tokensGenerated',
      schema: '0.2.0',
      model: 'gpt-4o',
      provider: 'openai',
      promptTokens: 1000,
      generatedTokens: 50,
    };
    appendFileSync(path.join(dir, FILE), JSON.stringify(line) + '\n');
    const s = await w.importer({ settings: only() }).scan();
    assert.equal(s.recordsParsed, 1);
    assert.equal(s.written, 1);
    assert.equal(s.malformedLines, 0);
    // 1,000 × 2,500 + 50 × 10,000 = 3,000,000
    assert.equal(priced(w) - before, 3_000_000);
    assert.ok(byId(w).has(`continue:${Date.parse('2026-11-30T14:05:00.000Z')}:7`));
  });

  it('looks in ~/.continue/dev_data, moved by CONTINUE_GLOBAL_DIR', () => {
    const ctx = (env: NodeJS.ProcessEnv) => ({ env, home: '/home/dev', platform: 'linux' as const });
    assert.deepEqual(continueDev.defaultRoots(ctx({})), ['/home/dev/.continue/dev_data']);
    assert.deepEqual(continueDev.defaultRoots(ctx({ CONTINUE_GLOBAL_DIR: '/srv/continue' })), ['/srv/continue/dev_data']);
    assert.deepEqual(continueDev.rootsFromSetting('/home/dev/.continue'), ['/home/dev/.continue/dev_data']);
    assert.ok(continueDev.matches('/home/dev/.continue/dev_data/0.2.0/tokensGenerated.jsonl'));
    assert.ok(!continueDev.matches('/home/dev/.continue/dev_data/0.2.0/chatInteraction.jsonl'));
  });
});
