import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { localDay } from '../../src/core/time';
import { claudeCode, type ImportSummary } from '../../src/core/import';
import { byId, FIXTURES, world, type World } from './helpers';

const NO_SPEND = { reasoning: 0 };

describe('Claude Code transcripts', { timeout: 30_000 }, () => {
  let w: World;
  let summary: ImportSummary;
  before(async () => {
    w = await world({ CLAUDE_CONFIG_DIR: path.join(FIXTURES, 'claude') });
    summary = await w.importer().scan();
  });
  after(() => w.cleanup());

  it('keeps one record per response: content-block copies, resumed-session copies and sidechain replays collapse', () => {
    const ids = w.ledger
      .records()
      .map((r) => r.id)
      .sort();
    assert.deepEqual(ids, [
      'anthropic:msg_01A1',
      'anthropic:msg_01A2',
      'anthropic:msg_01A3',
      'anthropic:msg_01A4',
      'anthropic:msg_01A5',
      'anthropic:msg_01B1',
      'anthropic:msg_01S1',
    ]);
  });

  it('keeps the most complete copy of a response written as several lines (partial output counts 1, 5, then 312)', () => {
    const r = byId(w).get('anthropic:msg_01A1')!;
    assert.deepEqual(r.tokens, { input: 4, output: 312, cacheRead: 48211, cacheWrite5m: 1532, cacheWrite1h: 0, ...NO_SPEND });
    assert.equal(r.at, '2025-10-30T14:02:11.512Z');
    // 4 × $3/M + 1,532 × $3.75/M + 48,211 × $0.30/M + 312 × $15/M = $0.0249003
    assert.equal(r.costNanos, 24_900_300);
    assert.equal(r.project, 'acme-api');
    assert.equal(r.agent, 'claude-code');
    assert.equal(r.source, 'log');
    assert.equal(r.model, 'claude-sonnet-4-5-20250929');
  });

  it('splits 1-hour cache writes from usage.cache_creation and prices them at the 1-hour rate', () => {
    const r = byId(w).get('anthropic:msg_01A2')!;
    assert.deepEqual(r.tokens, { input: 10, output: 200, cacheRead: 50000, cacheWrite5m: 0, cacheWrite1h: 2048, ...NO_SPEND });
    // 10 × 3 + 2,048 × 6 + 50,000 × 0.30 + 200 × 15 (µ$) — the /btw sidechain replay (999 output tokens) did not replace it
    assert.equal(r.costNanos, 30_318_000);
  });

  it('marks fast mode and prices it at the table multiple', () => {
    const r = byId(w).get('anthropic:msg_01A3')!;
    assert.equal(r.fast, true);
    // (6 × 5 + 1,000 × 6.25 + 20,000 × 0.50 + 400 × 25) µ$ × 6
    assert.equal(r.costNanos, 157_680_000);
  });

  it("counts a subagent once, from its own transcript, never from the parent's progress copy", () => {
    const r = byId(w).get('anthropic:msg_01S1')!;
    assert.equal(r.model, 'claude-haiku-4-5-20251001');
    assert.deepEqual(r.tokens, { input: 100, output: 80, cacheRead: 3000, cacheWrite5m: 500, cacheWrite1h: 0, ...NO_SPEND });
    assert.equal(r.at, '2025-10-31T00:01:00.000Z', 'the subagent line, not the progress wrapper (00:01:00.100)');
  });

  it('ignores <synthetic> placeholders and tool results that merely quote usage', () => {
    assert.ok(!w.ledger.records().some((r) => r.model === '<synthetic>'));
    assert.ok(!w.ledger.records().some((r) => r.tokens.input === 999999));
  });

  it('reads lines with unknown fields', () => {
    assert.deepEqual(byId(w).get('anthropic:msg_01A4')!.tokens, {
      input: 20,
      output: 150,
      cacheRead: 60000,
      cacheWrite5m: 300,
      cacheWrite1h: 0,
      ...NO_SPEND,
    });
    assert.equal(byId(w).get('anthropic:msg_01A4')!.costNanos, 21_435_000);
  });

  it('leaves an unknown model unpriced (null), never $0', () => {
    const r = byId(w).get('anthropic:msg_01A5')!;
    assert.equal(r.costNanos, null);
    assert.equal(r.priceSource, null);
    assert.equal(r.tokens.output, 60);
  });

  it('counts malformed lines and names file and line in the diagnostic', () => {
    assert.equal(summary.malformedLines, 2);
    const file = path.join(FIXTURES, 'claude/projects/-home-dev-acme-api/3f9c2a1e-5b7d-4c1a-9e2f-1a2b3c4d5e6f.jsonl');
    const warns = w.logger.lines.filter((l) => l.startsWith('warn:'));
    assert.ok(
      warns.some((l) => l.includes(`${file}:12: skipped a malformed line: not JSON`)),
      warns.join('\n'),
    );
    assert.ok(
      warns.some((l) =>
        l.includes(`${file}:13: skipped a malformed line: message.usage.input_tokens: expected a non-negative integer, got "12"`),
      ),
      warns.join('\n'),
    );
    const cc = summary.sources.find((s) => s.id === 'claude-code')!;
    assert.equal(cc.malformedLines, 2);
    assert.equal(cc.files, 3);
    assert.equal(cc.interactions, 7);
  });

  it('keeps UTC instants: days split at midnight in the zone asked for', () => {
    const a2 = byId(w).get('anthropic:msg_01A2')!;
    const a3 = byId(w).get('anthropic:msg_01A3')!;
    assert.equal(localDay(Date.parse(a2.at), 'UTC'), '2025-10-30');
    assert.equal(localDay(Date.parse(a3.at), 'UTC'), '2025-10-31');
    assert.equal(localDay(Date.parse(a3.at), 'America/New_York'), '2025-10-30');
    assert.equal(localDay(Date.parse(a2.at), 'Asia/Tokyo'), '2025-10-31');
  });

  it('reads both default locations, and CLAUDE_CONFIG_DIR (comma-separated) replaces them', () => {
    const ctx = { env: {}, home: '/home/dev', platform: 'linux' as const };
    assert.deepEqual(claudeCode.defaultRoots(ctx), ['/home/dev/.claude/projects', '/home/dev/.config/claude/projects']);
    assert.deepEqual(claudeCode.defaultRoots({ ...ctx, env: { XDG_CONFIG_HOME: '/x' } }), [
      '/home/dev/.claude/projects',
      '/x/claude/projects',
    ]);
    assert.deepEqual(claudeCode.defaultRoots({ ...ctx, env: { CLAUDE_CONFIG_DIR: '/a, /b/c' } }), ['/a/projects', '/b/c/projects']);
  });
});

describe('Claude Code timestamps across time zones and a DST change', { timeout: 30_000 }, () => {
  it('normalises offsets to UTC so days in Europe/Berlin and America/Los_Angeles come out right', async () => {
    const w = await world({ CLAUDE_CONFIG_DIR: path.join(FIXTURES, 'claude-tz') });
    try {
      await w.importer().scan();
      const r = byId(w);
      assert.equal(r.get('anthropic:msg_01D2')!.at, '2025-03-30T01:30:00.000Z', '03:30 CEST is 01:30 UTC');
      const days = (zone: string) => {
        const m = new Map<string, number>();
        for (const x of w.ledger.records())
          m.set(localDay(Date.parse(x.at), zone), (m.get(localDay(Date.parse(x.at), zone)) ?? 0) + x.tokens.output);
        return Object.fromEntries(m);
      };
      // Berlin: 23:30Z on the 29th is 00:30 CET on the 30th; 22:30Z on the 30th is 00:30 CEST on the 31st (a 23-hour day).
      assert.deepEqual(days('Europe/Berlin'), { '2025-03-30': 1 + 2, '2025-03-31': 3 + 4 });
      // Los Angeles (already on PDT): 06:59:59.999Z on the 31st is still the 30th.
      assert.deepEqual(days('America/Los_Angeles'), { '2025-03-29': 1 + 2, '2025-03-30': 3 + 4 });
    } finally {
      await w.cleanup();
    }
  });
});
