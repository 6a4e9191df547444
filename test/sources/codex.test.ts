import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { codex, STATE_FILE, type ImportSummary } from '../../src/core/import';
import { FIXTURES, world, type World } from './helpers';

const P = '019a2d7a-41c4-78b1-b7cc-a45d62a89cd5';

describe('Codex rollouts', { timeout: 30_000 }, () => {
  let w: World;
  let summary: ImportSummary;
  before(async () => {
    w = await world({ CODEX_HOME: path.join(FIXTURES, 'codex') });
    summary = await w.importer().scan();
  });
  after(() => w.cleanup());

  // The fork's own turn (03:00:06) continues the parent's series, so it shares the parent's lineage id prefix.
  const mainSession = () =>
    w.ledger
      .records()
      .filter((r) => r.id.startsWith(`codex:${P}:`) && r.at < '2025-10-29T02')
      .sort((a, b) => a.at.localeCompare(b.at));

  it('counts cumulative-total deltas: the first total, skips repeated totals and rate-limit-only updates', () => {
    const [first, second] = mainSession();
    // first event: its total; 8,000 input of which 6,144 cached → 1,856 uncached
    assert.deepEqual(first.tokens, { input: 1856, cacheRead: 6144, output: 420, reasoning: 256, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(first.costNanos, 7_288_000);
    // the repeated total at 00:59:41.950 and the info:null update add nothing; next delta: 9,500 input (8,192 cached), 490 output
    assert.equal(second.at, '2025-10-29T01:00:12.400Z');
    assert.deepEqual(second.tokens, { input: 1308, cacheRead: 8192, output: 490, reasoning: 256, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(second.costNanos, 7_559_000, 'the reference example: $0.007559 at gpt-5-codex prices');
  });

  it('takes the model from the latest turn_context and handles a total that went down (compaction)', () => {
    const s = mainSession();
    assert.equal(s.length, 5);
    assert.deepEqual(
      s.map((r) => r.model),
      ['gpt-5-codex', 'gpt-5-codex', 'gpt-5', 'gpt-5', 'gpt-5'],
    );
    assert.deepEqual(s[2].tokens, { input: 12500 - 5664, cacheRead: 5664, output: 590, reasoning: 88, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.deepEqual(
      s[3].tokens,
      { input: 2000, cacheRead: 0, output: 100, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0 },
      'after a reset: last_token_usage',
    );
    assert.deepEqual(
      s[4].tokens,
      { input: 976, cacheRead: 1024, output: 80, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0 },
      'then deltas from the new baseline',
    );
    assert.ok(s.every((r) => r.project === 'acme' && r.agent === 'codex'));
  });

  it("counts a forked rollout's copied parent history once: only the child's own turn", () => {
    // the copied events (8,000 and 17,500 cumulative) get the parent's ids; only 03:00:06 is new
    const child = w.ledger.records().filter((r) => r.at.startsWith('2025-10-29T03:'));
    assert.equal(child.length, 1);
    assert.ok(child[0].id.startsWith(`codex:${P}:`), child[0].id);
    assert.deepEqual(child[0].tokens, { input: 488, cacheRead: 512, output: 100, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(child[0].costNanos, 1_674_000);
  });

  it('counts a spawned subagent (thread_spawn source, no copied history) from zero, from archived_sessions', () => {
    const sub = w.ledger.records().filter((r) => r.id.startsWith('codex:019a2e20-0000-7000-8000-0000000051de:'));
    assert.equal(sub.length, 1);
    assert.deepEqual(sub[0].tokens, { input: 300, cacheRead: 0, output: 30, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0 });
  });

  it('reads .jsonl.zst rollouts, and a plain .jsonl wins over its compressed twin', () => {
    const z = w.ledger.records().filter((r) => r.id.startsWith('codex:019a1000-0000-7000-8000-000000000255:'));
    assert.equal(z.length, 1);
    assert.deepEqual(z[0].tokens, { input: 1000, cacheRead: 0, output: 100, reasoning: 40, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(z[0].project, 'web');
    // the twin's extra event (00:59:50) would be a sixth record in the main session
    assert.ok(!w.ledger.records().some((r) => r.at === '2025-10-29T00:59:50.000Z'));
    const cx = summary.sources.find((s) => s.id === 'codex')!;
    assert.equal(cx.files, 4);
    assert.equal(w.ledger.records().length, 8);
  });

  it('counts the torn last event as malformed, with file and line', () => {
    assert.equal(summary.malformedLines, 1);
    assert.ok(
      w.logger.lines.some((l) => l.includes(`rollout-2025-10-29T01-59-38-${P}.jsonl:12: skipped a malformed line`)),
      w.logger.lines.join('\n'),
    );
  });

  it('gives the same ids on a full re-read: nothing is stored twice', async () => {
    rmSync(path.join(w.dataDir, STATE_FILE));
    await w.restart();
    const again = await w.importer().scan();
    // 5 main + 3 in the fork (2 copies of the parent's, stored once) + 1 subagent + 1 zst
    assert.equal(again.recordsParsed, 10);
    assert.equal(again.written, 0);
    assert.equal(w.ledger.records().length, 8);
  });

  it('looks in $CODEX_HOME (default ~/.codex): sessions and archived_sessions', () => {
    assert.deepEqual(codex.defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' }), [
      '/home/dev/.codex/sessions',
      '/home/dev/.codex/archived_sessions',
    ]);
    assert.deepEqual(codex.defaultRoots({ env: { CODEX_HOME: '/opt/codex' }, home: '/home/dev', platform: 'linux' }), [
      '/opt/codex/sessions',
      '/opt/codex/archived_sessions',
    ]);
  });
});
