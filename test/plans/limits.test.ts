import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fromAnthropicHeaders, fromCodexRateLimits, readRateLimits, shouldAttach } from '../../src/core/plans/limits';
import { latestLimits, limitsChangeAfter, limitsStatusText, resetTime } from '../../src/core/plans/view';
import { mulberry32 } from '../helpers/fuzz';
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
  test('what latestLimits shows stays as it is until the instant limitsChangeAfter names, whatever the clock does before it', () => {
    const rnd = mulberry32(5);
    const base = Date.parse('2026-12-01T12:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    const around = () => base + Math.round((rnd() - 0.5) * 12 * 3_600_000);
    let changed = 0;
    for (let k = 0; k < 300; k++) {
      // Records of two agents around noon, each stored up to a minute either side of its state: states seen before, at
      // and after "now" (a clock ahead), windows that reset.
      const recs = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => {
        const seen = around();
        const windows = [
          { key: '5h', usedPercent: Math.floor(rnd() * 100), windowMinutes: 300, resetsAt: iso(seen + rnd() * 6 * 3_600_000) },
        ];
        if (rnd() < 0.5) windows.push({ key: '7d', usedPercent: 5, windowMinutes: 10_080, resetsAt: iso(seen + 3 * 86_400_000) });
        const state = { at: iso(seen), from: 'codex-rollout', status: rnd() < 0.2 ? 'rejected' : null, windows };
        return { agent: rnd() < 0.5 ? 'codex' : 'claude-code', at: iso(seen + Math.floor((rnd() - 0.5) * 120_000)), rateLimits: state };
      });
      const now = around();
      const until = limitsChangeAfter(recs, now);
      assert.ok(until !== null && until > now, `case ${k}`);
      const shown = JSON.stringify(latestLimits(recs, now));
      const probes = [now + 1, until - 1, ...Array.from({ length: 5 }, () => now + rnd() * (Math.min(until, now + 86_400_000) - now))];
      for (const t of probes.map(Math.floor).filter((t) => t > now && t < until))
        assert.equal(
          JSON.stringify(latestLimits(recs, t)),
          shown,
          `case ${k}: at ${iso(t)}, before ${until === Infinity ? 'never' : iso(until)}`,
        );
      if (until !== Infinity && JSON.stringify(latestLimits(recs, until)) !== shown) changed++;
    }
    // Most of the instants named are ones where what is shown does change (a state coming within its minute may not).
    assert.ok(changed > 150, `${changed} of 300 changed at the instant named`);
  });

  test('the instant a limit resets, goes stale or comes within its minute; none without a limit; unknown for a time not as toISOString writes it', () => {
    const state = (at: string, resetsAt: string) => ({
      at,
      from: 'codex-rollout',
      windows: [{ key: '5h', usedPercent: 42, windowMinutes: 300, resetsAt }],
    });
    const now = Date.parse('2026-11-23T12:00:00Z');
    const rec = (at: string, resetsAt: string) => ({ agent: 'codex', at, rateLimits: state(at, resetsAt) });
    assert.equal(limitsChangeAfter([rec('2026-11-23T11:00:00.000Z', '2026-11-23T14:00:00.000Z')], now), Date.parse('2026-11-23T14:00:00Z'));
    // Reset after it goes stale: stale at 16:00 and a millisecond.
    assert.equal(
      limitsChangeAfter([rec('2026-11-23T11:00:00.000Z', '2026-11-23T20:00:00.000Z')], now),
      Date.parse('2026-11-23T16:00:00.001Z'),
    );
    // Seen by a clock ahead of this one: shown from a minute before then.
    assert.equal(limitsChangeAfter([rec('2026-11-23T12:30:00.000Z', '2026-11-23T20:00:00.000Z')], now), Date.parse('2026-11-23T12:29:00Z'));
    const plain: { at: string; rateLimits?: unknown }[] = [{ at: '2026-11-23T11:00:00.000Z' }];
    assert.equal(limitsChangeAfter(plain, now), Infinity);
    assert.equal(limitsChangeAfter([rec('2026-11-23T11:00:00Z', '2026-11-23T14:00:00.000Z')], now), null);
  });
});
