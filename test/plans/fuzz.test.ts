import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromAnthropicHeaders, fromCodexRateLimits, readRateLimits, MAX_WINDOWS } from '../../src/core/plans/limits';
import { latestLimits, limitsStatusText, limitsTooltipSection } from '../../src/core/plans/view';
import { fuzzRuns, mulberry32, pick, type Rng } from '../helpers/fuzz';

const AT = Date.parse('2026-12-01T12:00:00Z');
const odd: unknown[] = [
  null,
  undefined,
  '',
  '0.5',
  '-1',
  'NaN',
  'Infinity',
  '1e308',
  1e308,
  -0,
  0.42,
  42,
  1796139600,
  '1796139600',
  'rejected',
  'allowed_warning',
  'x'.repeat(5000),
  '\u001b[31m',
  [],
  {},
  [1, 2],
  { used_percent: 12 },
  true,
];
const value = (rng: Rng): unknown => pick(rng, odd);

function randomObject(rng: Rng, depth = 0): Record<string, unknown> {
  const keys = [
    'primary',
    'secondary',
    'used_percent',
    'window_minutes',
    'resets_at',
    'resets_in_seconds',
    'plan_type',
    'windows',
    'at',
    'from',
  ];
  const o: Record<string, unknown> = {};
  for (const k of keys) if (rng() < 0.5) o[k] = depth < 2 && rng() < 0.3 ? randomObject(rng, depth + 1) : value(rng);
  if (depth < 2 && rng() < 0.3) o.windows = Array.from({ length: Math.floor(rng() * 8) }, () => randomObject(rng, depth + 1));
  if (rng() < 0.3) o.from = pick(rng, ['anthropic-headers', 'codex-rollout', 'other']);
  if (rng() < 0.3) o.at = pick(rng, ['2026-12-01T11:00:00Z', 'yesterday', '']);
  return o;
}

describe('plan-limit parsers take anything without throwing', { timeout: 60_000 }, () => {
  test('random headers, rate_limits and ledger extras: a state in range or none', () => {
    const rng = mulberry32(16);
    for (let run = 0; run < fuzzRuns(3000); run++) {
      const h = new Map<string, unknown>();
      for (const c of ['5h', '7d', '7d_opus'])
        for (const f of ['utilization', 'reset', 'status']) if (rng() < 0.5) h.set(`anthropic-ratelimit-unified-${c}-${f}`, value(rng));
      if (rng() < 0.5) h.set('anthropic-ratelimit-unified-status', value(rng));
      const states = [
        fromAnthropicHeaders((n) => {
          const v = h.get(n);
          return typeof v === 'string' ? v : undefined;
        }, AT),
        fromCodexRateLimits(randomObject(rng), AT),
        readRateLimits(randomObject(rng)),
      ];
      for (const s of states) {
        if (!s) continue;
        assert.ok(s.windows.length <= MAX_WINDOWS);
        for (const w of s.windows) {
          assert.ok(Number.isFinite(w.usedPercent) && w.usedPercent >= 0 && w.usedPercent <= 1000, String(w.usedPercent));
          assert.ok(w.resetsAt === null || Math.abs(Date.parse(w.resetsAt) - AT) <= 61 * 86_400_000);
          assert.ok(w.status === null || /^[a-z][a-z0-9_]{0,31}$/.test(w.status));
        }
        const l = latestLimits([{ agent: 'a', at: s.at, rateLimits: s }], AT);
        const text = limitsStatusText(l, AT, 'UTC');
        assert.ok(text === null || text.length < 60, String(text));
        limitsTooltipSection(l, {}, AT, 'UTC');
      }
    }
  });
});
