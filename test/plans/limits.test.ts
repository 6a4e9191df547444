import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fromAnthropicHeaders, fromCodexRateLimits, readRateLimits, shouldAttach } from '../../src/core/plans/limits';
import { latestLimits, limitsStatusText, resetTime } from '../../src/core/plans/view';
import { codex } from '../../src/core/agents/codex';

const FIX = path.join(__dirname, 'fixtures');
const recorded = JSON.parse(readFileSync(path.join(FIX, 'anthropic-unified-headers.json'), 'utf8')) as { headers: Record<string, string> };
const seenAt = Date.parse('2026-12-01T12:03:00Z');
const get = (h: Record<string, string>) => (n: string) => h[n];

describe('plan limits from the vendors', { timeout: 30_000 }, () => {
  test("Anthropic's unified headers: 5-hour and weekly use in percent, their resets, the status", () => {
    const s = fromAnthropicHeaders(get(recorded.headers), seenAt)!;
    assert.equal(s.at, '2026-12-01T12:03:00.000Z');
    assert.equal(s.status, 'allowed');
    // 0.42 → 42 %; 0.185 → 18.5 %; 1796139600 s = 2026-12-01T15:40:00Z; 1796374800 s = 2026-12-04T09:00:00Z
    assert.deepEqual(s.windows, [
      { key: '5h', usedPercent: 42, windowMinutes: 300, resetsAt: '2026-12-01T15:40:00.000Z', status: 'allowed' },
      { key: '7d', usedPercent: 18.5, windowMinutes: 10080, resetsAt: '2026-12-04T09:00:00.000Z', status: 'allowed' },
    ]);
    assert.equal(s.resetsAt, '2026-12-01T15:40:00.000Z');
  });

  test('a response without unified headers (an API key) has no state', () => {
    assert.equal(fromAnthropicHeaders(get({ 'request-id': 'req_1', 'anthropic-ratelimit-requests-limit': '50' }), seenAt), null);
  });

  test('hostile header values are dropped one by one, never trusted', () => {
    const h = {
      'anthropic-ratelimit-unified-status': 'allowed; <script>',
      'anthropic-ratelimit-unified-5h-utilization': 'NaN',
      'anthropic-ratelimit-unified-7d-utilization': '0.5',
      'anthropic-ratelimit-unified-7d-reset': '99999999999', // the year 5138: not believed
      'anthropic-ratelimit-unified-reset': '-5',
    };
    const s = fromAnthropicHeaders(get(h), seenAt)!;
    assert.equal(s.status, null);
    assert.equal(s.resetsAt, null);
    assert.deepEqual(s.windows, [{ key: '7d', usedPercent: 50, windowMinutes: 10080, resetsAt: null, status: null }]);
    assert.equal(fromAnthropicHeaders(get({ 'anthropic-ratelimit-unified-5h-utilization': '-0.1' }), seenAt), null);
    assert.equal(fromAnthropicHeaders(get({ 'anthropic-ratelimit-unified-5h-utilization': '1e400' }), seenAt), null);
  });

  test("Codex's rate_limits: primary and secondary windows, resets_at or (older builds) resets_in_seconds", () => {
    const lines = readFileSync(path.join(FIX, 'codex-rate-limits.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const a = fromCodexRateLimits(lines[2].payload.rate_limits, Date.parse(lines[2].timestamp))!;
    assert.equal(a.plan, 'plus');
    assert.deepEqual(a.windows, [
      { key: '5h', usedPercent: 42, windowMinutes: 300, resetsAt: '2026-12-01T15:40:00.000Z', status: null },
      { key: '7d', usedPercent: 18.5, windowMinutes: 10080, resetsAt: '2026-12-04T09:00:00.000Z', status: null },
    ]);
    // 12:20:00 + 1800 s = 12:50:00
    const b = fromCodexRateLimits(lines[5].payload.rate_limits, Date.parse(lines[5].timestamp))!;
    assert.deepEqual(b.windows, [{ key: '5h', usedPercent: 43.5, windowMinutes: 300, resetsAt: '2026-12-01T12:50:00.000Z', status: null }]);
    assert.equal(fromCodexRateLimits({ primary: { used_percent: 'lots' }, secondary: null }, seenAt), null);
    assert.equal(fromCodexRateLimits('garbage', seenAt), null);
  });

  test('the Codex adapter carries the state on the next record, once per change', () => {
    const file = path.join(FIX, 'codex-rate-limits.jsonl');
    const p = codex.createParser(file);
    const out = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .flatMap((l, n) => [...p.line(l, n + 1)]);
    assert.equal(out.length, 3, 'three responses');
    const limits = out.map((r) => (r.interaction as { rateLimits?: unknown }).rateLimits);
    assert.equal(readRateLimits(limits[0])?.windows[0].usedPercent, 42, 'the first response carries the state seen with it');
    assert.equal(readRateLimits(limits[0])?.at, '2026-12-01T12:03:00.000Z');
    assert.equal(limits[1], undefined, 'unchanged two minutes later: not repeated');
    assert.equal(readRateLimits(limits[2])?.windows[0].usedPercent, 43.5, 'a change is carried');
  });

  test('an unchanged state is written again only after ten minutes', () => {
    const s = fromAnthropicHeaders(get(recorded.headers), seenAt)!;
    assert.equal(shouldAttach(s, fromAnthropicHeaders(get(recorded.headers), seenAt + 9 * 60_000)!), false);
    assert.equal(shouldAttach(s, fromAnthropicHeaders(get(recorded.headers), seenAt + 10 * 60_000)!), true);
  });

  test('the latest recent state per agent; a window past its reset and a stale state are not shown', () => {
    const s = fromAnthropicHeaders(get(recorded.headers), seenAt)!;
    const older = { ...s, at: '2026-12-01T11:00:00.000Z', windows: [{ ...s.windows[0], usedPercent: 10 }] };
    const recs = [
      { agent: 'claude-code', at: '2026-12-01T11:00:00Z', rateLimits: older },
      { agent: 'claude-code', at: '2026-12-01T12:03:00Z', rateLimits: s },
      { agent: 'codex', at: '2026-12-01T12:03:00Z', rateLimits: { bogus: true } },
      { agent: 'gemini-cli', at: '2026-12-01T12:03:00Z' },
    ];
    const now = Date.parse('2026-12-01T12:10:00Z');
    const l = latestLimits(recs, now);
    assert.deepEqual(
      l.map((a) => [a.agent, a.windows.map((w) => w.usedPercent)]),
      [['claude-code', [42, 18.5]]],
    );
    assert.equal(limitsStatusText(l, now, 'Europe/Berlin'), '5 h: 42 % · resets 16:40');
    // After 15:40Z the 5-hour window has reset: only the week is known.
    const later = Date.parse('2026-12-01T15:41:00Z');
    assert.equal(limitsStatusText(latestLimits(recs, later), later, 'Europe/Berlin'), 'week: 18.5 % · resets Fri 10:00');
    // Five hours after it was seen, nothing is shown.
    assert.deepEqual(latestLimits(recs, seenAt + 5 * 3_600_000 + 1), []);
  });

  test('a rejected account says the limit is reached and when it resets', () => {
    const s = fromAnthropicHeaders(
      get({ 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-reset': '1796139600' }),
      seenAt,
    )!;
    const l = latestLimits([{ agent: 'claude-code', at: s.at, rateLimits: s }], seenAt);
    assert.equal(limitsStatusText(l, seenAt, 'UTC'), 'limit reached · resets 15:40');
    assert.equal(resetTime('2026-12-02T08:00:00Z', seenAt, 'UTC'), 'Wed 08:00');
  });
});
