/**
 * Golden tooltips with plan limits read from recorded vendor-shaped answers (fixtures/README.md cites the
 * writers' source). `UPDATE_GOLDEN=1 node test/run.mjs plans/tooltip` rewrites the goldens: review the diff.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { computeMeter, statusView, tooltipMarkdown } from '../../src/core/meter';
import { tokens, type Interaction } from '../../src/core/interaction';
import { fromAnthropicHeaders, fromCodexRateLimits } from '../../src/core/plans/limits';
import { latestLimits, limitsLines, limitsStatusText, limitsTooltipSection } from '../../src/core/plans/view';
import { agentLabel, normalisePlans } from '../../src/core/plans/plans';
import { assertGoldenFile } from '../helpers/golden';

const FIX = path.join(__dirname, 'fixtures');
const GOLDEN = path.join(__dirname, 'golden');

function assertGolden(name: string, actual: string): void {
  assertGoldenFile(path.join(GOLDEN, name), actual);
}

const USD = 1_000_000_000;
const headers = (JSON.parse(readFileSync(path.join(FIX, 'anthropic-unified-headers.json'), 'utf8')) as { headers: Record<string, string> })
  .headers;
const rollout = readFileSync(path.join(FIX, 'codex-rate-limits.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { timestamp: string; payload: { rate_limits?: unknown } });

function rec(id: string, agent: string, model: string, at: string, nanos: number, extra: object = {}): Interaction {
  return {
    id,
    at,
    agent,
    source: agent === 'claude-code' ? 'gateway' : 'log',
    project: 'acme',
    model,
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 1000, output: 100 }),
    costNanos: nanos,
    avoidedNanos: null,
    priceSource: 'litellm@test',
    estimated: false,
    ...extra,
  };
}

const now = Date.parse('2026-12-01T12:10:00Z');
const tz = 'Europe/Berlin';
const records = [
  rec('a1', 'claude-code', 'claude-sonnet-4-5', '2026-12-01T11:00:00Z', 4.2 * USD),
  rec('a2', 'claude-code', 'claude-sonnet-4-5', '2026-12-01T12:03:00Z', 0, {
    rateLimits: fromAnthropicHeaders((n) => headers[n], Date.parse('2026-12-01T12:03:00Z')),
  }),
  rec('c1', 'codex', 'gpt-5-codex', '2026-12-01T12:03:00Z', 0.75 * USD, {
    rateLimits: fromCodexRateLimits(rollout[3].payload.rate_limits, Date.parse(rollout[3].timestamp)),
  }),
];
const plans = normalisePlans({ 'claude-code': 'claude-max-5x', codex: 'chatgpt-plus' }).value;

describe('plan limits in the status bar and its tooltip', { timeout: 30_000 }, () => {
  const m = computeMeter(records, { now, timeZone: tz, budgetNanos: null });
  const limits = latestLimits(records, now);

  test('the status bar adds the most used window: "5 h: 42 % · resets 16:40"', () => {
    // Today $4.20 + $0.75 = $4.95; no complete day yet, so the rate is today's: 4.95 + 30 days × 4.95 = $153.45 → ~$153.
    // 5-hour reset 15:40 UTC = 16:40 in Berlin (UTC+1 in December).
    const v = statusView(m, { limits: limitsStatusText(limits, now, tz) ?? undefined });
    assert.equal(v.text, '$(pulse) $4.95 · 5 h: 42 % · resets 16:40');
    assert.match(v.ariaLabel, /, plan limit 5 h: 42 % · resets 16:40$/);
  });

  test('the tooltip names subscription agents as API-equivalent and lists each window (golden)', () => {
    const section = limitsTooltipSection(limits, plans, now, tz)!;
    assertGolden(
      'tooltip-limits.md',
      tooltipMarkdown(m, { timeZone: tz, sections: [section], agentLabel: (a) => agentLabel(a, plans) }) + '\n',
    );
  });

  test('unmetered status prints one line per agent', () => {
    assert.deepEqual(limitsLines(limits, plans, now, tz), [
      '  claude-code (Claude Max 5x): 5 h: 42 % · resets 16:40; week: 18.5 % · resets Fri 10:00  (seen 13:03)',
      '  codex (ChatGPT Plus): 5 h: 42 % · resets 16:40; week: 18.5 % · resets Fri 10:00  (seen 13:03)',
    ]);
  });

  test('nothing known: the status bar and tooltip are as before', () => {
    const plain = records.map(({ ...r }) => {
      delete (r as { rateLimits?: unknown }).rateLimits;
      return r;
    });
    const l = latestLimits(plain, now);
    assert.equal(limitsStatusText(l, now, tz), null);
    assert.equal(limitsTooltipSection(l, plans, now, tz), null);
  });
});
