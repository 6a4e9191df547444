import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { qwenCode } from '../../src/core/import';
import { byId, copyFixture, onlySource, world, type World } from './helpers';

const CHATS = 'projects/-home-dev-shop/chats';
const SESSION_A = `${CHATS}/3f1c9a2e-5b7d-4e11-9c0a-6d2b8e4f7a10.jsonl`;

const priced = (w: World) =>
  w.ledger
    .records()
    .filter((r) => r.agent === 'qwen-code')
    .reduce((s, r) => s + (r.costNanos ?? 0), 0);

describe('Qwen Code chats', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  const only = () => onlySource('qwenCode', [dir]);
  before(async () => {
    w = await world();
    dir = copyFixture(w, 'qwen');
    await w.importer({ settings: only() }).scan();
  });
  after(() => w.cleanup());

  it('takes the branch from each record gitBranch; /home/dev/shop is no checkout here, so no repository', () => {
    const q = w.ledger.records().filter((r) => r.agent === 'qwen-code');
    assert.ok(q.length > 0);
    assert.ok(q.every((r) => r.branch === 'main' && r.repo === undefined));
  });

  it('reads the OpenAI-compatible converter: cached is inside prompt, reasoning inside candidates', () => {
    const r = byId(w).get('qwen-code:e4f6a8b0-3c5d-4e7f-9a1b-2c3d4e5f6a73')!;
    // prompt 6,000 − cached 2,000 = 4,000 input; candidates 900 = completion_tokens with its 600 reasoning
    assert.deepEqual(r.tokens, { input: 4000, cacheRead: 2000, output: 900, reasoning: 600, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(r.model, 'o4-mini');
    assert.equal(r.project, 'shop');
    assert.equal(r.at, '2026-11-30T09:01:10.000Z');
    // o4-mini: 4,000 × 1,100 + 2,000 × 275 + 900 × 4,400 (n$ per token) = 4,400,000 + 550,000 + 3,960,000
    assert.equal(r.costNanos, 8_910_000);
  });

  it("reads Gemini's own usage: thoughts are beside candidates when the total adds them", () => {
    const r = byId(w).get('qwen-code:b7c9d1e3-6f80-4b12-8d4e-5f6a7b8c9da6')!;
    // total 3,500 = 3,000 prompt + 200 candidates + 300 thoughts: output 200 + 300
    assert.deepEqual(r.tokens, { input: 2000, cacheRead: 1000, output: 500, reasoning: 300, cacheWrite5m: 0, cacheWrite1h: 0 });
    // gemini-2.5-flash: 2,000 × 300 + 1,000 × 30 + 500 × 2,500 = 600,000 + 30,000 + 1,250,000
    assert.equal(r.costNanos, 1_880_000);
  });

  it('leaves a Qwen model the price table does not list unpriced, never $0', () => {
    const r = byId(w).get('qwen-code:c2d4e6f8-1a3b-4c5d-9e7f-0a1b2c3d4e51')!;
    assert.equal(r.model, 'qwen3-coder-plus');
    assert.deepEqual(r.tokens, { input: 4000, cacheRead: 8000, output: 500, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(r.costNanos, null);
  });

  it('counts each response once across a /branch fork, and reports a usage with only a total', () => {
    const mine = w.ledger.records().filter((r) => r.agent === 'qwen-code');
    // session A: 3 priced-or-not responses (the 4th has no split); session B: the forked copy (same uuid) + 1 new
    assert.equal(mine.length, 4);
    const sum = (k: 'input' | 'cacheRead' | 'output') => mine.reduce((s, r) => s + r.tokens[k], 0);
    assert.equal(sum('input'), 20_000); // 4,000 + 4,000 + 2,000 + 10,000 (gpt-4.1 in the fork)
    assert.equal(sum('cacheRead'), 11_000); // 8,000 + 2,000 + 1,000
    assert.equal(sum('output'), 2_150); // 500 + 900 + 500 + 250
    // gpt-4.1: 10,000 × 2,000 + 250 × 8,000 = 22,000,000; + 8,910,000 + 1,880,000
    assert.equal(priced(w), 32_790_000);
    assert.ok(
      w.logger.lines.some((l) => l.includes('only totalTokenCount (700)')),
      w.logger.lines.join('\n'),
    );
  });

  it('re-reads an appended session adding exactly the new response', async () => {
    const before = priced(w);
    const rec = {
      uuid: 'f1a3b5c7-0d24-4f56-8b8c-9d0e1f2a3bea',
      parentUuid: 'c8d0e2f4-7a91-4c23-9e5f-6a7b8c9d0eb7',
      sessionId: '3f1c9a2e-5b7d-4e11-9c0a-6d2b8e4f7a10',
      timestamp: '2026-11-30T09:05:00.000Z',
      type: 'assistant',
      provenance: 'assistant_output',
      cwd: '/home/dev/shop',
      version: '0.23.3',
      gitBranch: 'main',
      model: 'gpt-4.1',
      message: { role: 'model', parts: [{ text: 'Tests pass.' }] },
      usageMetadata: {
        promptTokenCount: 1000,
        candidatesTokenCount: 100,
        thoughtsTokenCount: 0,
        totalTokenCount: 1100,
        cachedContentTokenCount: 0,
      },
      contextWindowSize: 1047576,
    };
    appendFileSync(path.join(dir, SESSION_A), JSON.stringify(rec) + '\n');
    const s = await w.importer({ settings: only() }).scan();
    assert.equal(s.recordsParsed, 1, 'only the new bytes were read');
    assert.equal(s.written, 1);
    assert.equal(s.malformedLines, 0, 'the old malformed line was not read again');
    // 1,000 × 2,000 + 100 × 8,000 = 2,800,000
    assert.equal(priced(w) - before, 2_800_000);
  });

  it('looks in ~/.qwen/projects, moved by QWEN_RUNTIME_DIR or QWEN_HOME', () => {
    const ctx = (env: NodeJS.ProcessEnv) => ({ env, home: '/home/dev', platform: 'linux' as const });
    assert.deepEqual(qwenCode.defaultRoots(ctx({})), ['/home/dev/.qwen/projects']);
    assert.deepEqual(qwenCode.defaultRoots(ctx({ QWEN_HOME: '/opt/qwen' })), ['/opt/qwen/projects']);
    assert.deepEqual(qwenCode.defaultRoots(ctx({ QWEN_HOME: '/opt/qwen', QWEN_RUNTIME_DIR: '~/rt' })), ['/home/dev/rt/projects']);
    assert.deepEqual(qwenCode.rootsFromSetting('/home/dev/.qwen'), ['/home/dev/.qwen/projects']);
    assert.ok(qwenCode.matches('/home/dev/.qwen/projects/-home-dev-shop/chats/3f1c9a2e.jsonl'));
    assert.ok(qwenCode.matches('C:\\Users\\dev\\.qwen\\projects\\C--shop\\chats\\a.jsonl'));
    assert.ok(!qwenCode.matches('/home/dev/.qwen/projects/-home-dev-shop/memory.jsonl'));
  });
});
