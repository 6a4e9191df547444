import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMeter, WARNING_RATIO } from '../../src/core/meter';
import type { Interaction } from '../../src/core/interaction';
import { interaction } from '../helpers/records';

const USD = 1_000_000_000;
let seq = 0;
function rec(at: string, usd: number | null, extra: Partial<Interaction> = {}): Interaction {
  const costNanos = usd === null ? null : Math.round(usd * USD);
  return interaction(`t:${seq++}`, at, costNanos, { priceSource: usd === null ? null : 'test', ...extra });
}

test('today, avoided today and month to date follow the local calendar day', () => {
  const tz = 'Europe/Berlin';
  const now = Date.parse('2026-11-23T10:00:00Z'); // 11:00 in Berlin
  const records = [
    rec('2026-11-22T22:59:59Z', 1), // 23:59:59 on the 22nd in Berlin: yesterday
    rec('2026-11-22T23:00:00Z', 2), // 00:00 on the 23rd in Berlin: today
    rec('2026-11-23T09:00:00Z', 0, { route: 'local', model: 'qwen3-coder:30b', replaces: 'claude-sonnet-4-5', avoidedNanos: 1.5 * USD }),
    rec('2026-10-31T22:59:59Z', 100), // 31 Oct 23:59:59 in Berlin: last month
    rec('2026-10-31T23:00:00Z', 4), // 1 Nov 00:00 in Berlin
  ];
  const m = computeMeter(records, { now, timeZone: tz, budgetNanos: null });
  assert.equal(m.day, '2026-11-23');
  assert.equal(m.todayNanos, 2 * USD);
  assert.equal(m.avoidedTodayNanos, 1.5 * USD);
  assert.equal(m.interactionsToday, 2);
  assert.equal(m.monthToDateNanos, 7 * USD);
  assert.equal(m.avoidedMonthNanos, 1.5 * USD);
  assert.equal(m.budgetState, 'none');
  assert.equal(m.budgetRatio, null);
  // In UTC the same records fall differently: the 22:59:59Z one is on the 22nd, 23:00Z too.
  const utc = computeMeter(records, { now, timeZone: 'UTC', budgetNanos: null });
  assert.equal(utc.todayNanos, 0);
  assert.equal(utc.monthToDateNanos, 3 * USD);
});

test('projection: month to date plus the average of the last 7 complete days for the days left', () => {
  const records = [];
  // $10 on each of Nov 16..22, $3 so far today (Nov 23), $50 on Nov 2 (outside the 7-day window)
  for (let d = 16; d <= 22; d++) records.push(rec(`2026-11-${d}T12:00:00Z`, 10));
  records.push(rec('2026-11-23T08:00:00Z', 3));
  records.push(rec('2026-11-02T08:00:00Z', 50));
  const m = computeMeter(records, { now: Date.parse('2026-11-23T09:00:00Z'), timeZone: 'UTC', budgetNanos: 300 * USD });
  assert.equal(m.rateDays, 7);
  assert.equal(m.dailyRateNanos, 10 * USD);
  assert.equal(m.daysLeft, 7);
  // MTD 123; today counts at max(3, 10) = 10 → 130; + 7 days × 10 = 200
  assert.equal(m.monthToDateNanos, 123 * USD);
  assert.equal(m.projectedMonthNanos, 200 * USD);
  assert.equal(m.budgetState, 'ok');
  assert.ok(Math.abs(m.budgetRatio! - 200 / 300) < 1e-12);
  assert.match(m.projectionMethod, /last 7 complete days/);
  assert.match(m.projectionMethod, /7 days left/);
});

test('budget state: warning from 80 % of the budget, over from 100 %', () => {
  const records = [rec('2026-11-30T08:00:00Z', 80)];
  const at = (budget: number) =>
    computeMeter(records, { now: Date.parse('2026-11-30T09:00:00Z'), timeZone: 'UTC', budgetNanos: budget * USD });
  // last day of the month, first day of history: projection = today = $80
  assert.equal(at(100).projectedMonthNanos, 80 * USD);
  assert.equal(WARNING_RATIO, 0.8);
  assert.equal(at(100).budgetState, 'warning');
  assert.equal(at(100.01).budgetState, 'ok');
  assert.equal(at(80).budgetState, 'over');
  assert.equal(at(79.99).budgetState, 'over');
});

test('day 1 of the month with history in the previous month projects from the recent rate', () => {
  const records = [];
  for (let d = 24; d <= 31; d++) records.push(rec(`2026-10-${d}T12:00:00Z`, 2));
  const m = computeMeter(records, { now: Date.parse('2026-11-01T06:00:00Z'), timeZone: 'UTC', budgetNanos: null });
  assert.equal(m.monthToDateNanos, 0);
  assert.equal(m.dailyRateNanos, 2 * USD);
  // nothing yet today: today at the rate ($2) + 29 days × $2 = $60
  assert.equal(m.projectedMonthNanos, 60 * USD);
});

test('a sparse history is averaged over the days it covers, not over empty days before it', () => {
  // First ever record two days ago: rate = (6 + 0) / 2 complete days
  const records = [rec('2026-11-21T12:00:00Z', 6)];
  const m = computeMeter(records, { now: Date.parse('2026-11-23T12:00:00Z'), timeZone: 'UTC', budgetNanos: null });
  assert.equal(m.rateDays, 2);
  assert.equal(m.dailyRateNanos, 3 * USD);
  assert.equal(m.projectedMonthNanos, (6 + 3 + 7 * 3) * USD);
});

test('first day of use: today stands in for the rate, and an empty ledger projects $0', () => {
  const first = computeMeter([rec('2026-11-23T08:00:00Z', 4)], {
    now: Date.parse('2026-11-23T12:00:00Z'),
    timeZone: 'UTC',
    budgetNanos: 100 * USD,
  });
  assert.equal(first.rateDays, 0);
  assert.equal(first.projectedMonthNanos, (4 + 7 * 4) * USD);
  assert.match(first.projectionMethod, /no complete day of history/);
  const empty = computeMeter([], { now: Date.parse('2026-11-23T12:00:00Z'), timeZone: 'UTC', budgetNanos: 100 * USD });
  assert.equal(empty.projectedMonthNanos, 0);
  assert.equal(empty.budgetState, 'ok');
});

test('unpriced models are listed and never counted as $0 spend in disguise', () => {
  const records = [
    rec('2026-11-23T08:00:00Z', null, { model: 'sonnet-5' }),
    rec('2026-11-23T09:00:00Z', null, { model: 'sonnet-5' }),
    rec('2026-11-23T09:30:00Z', 1),
  ];
  const m = computeMeter(records, { now: Date.parse('2026-11-23T12:00:00Z'), timeZone: 'UTC', budgetNanos: null });
  assert.deepEqual(m.unpriced, [{ model: 'sonnet-5', interactions: 2 }]);
  assert.equal(m.todayNanos, 1 * USD);
  const sonnet5 = m.byModel.find((b) => b.key === 'sonnet-5')!;
  assert.equal(sonnet5.unpriced, 2);
  assert.equal(sonnet5.monthNanos, 0);
});

test('breakdowns by agent and model are sorted by month spend and add up to the month total', () => {
  const records = [
    rec('2026-11-20T08:00:00Z', 5, { agent: 'codex', model: 'gpt-5-codex' }),
    rec('2026-11-23T08:00:00Z', 1, { agent: 'codex', model: 'gpt-5-codex' }),
    rec('2026-11-23T09:00:00Z', 2.5),
    rec('2026-11-22T09:00:00Z', 0.25, { agent: 'gemini-cli', model: 'gemini-2.5-pro' }),
  ];
  const m = computeMeter(records, { now: Date.parse('2026-11-23T12:00:00Z'), timeZone: 'UTC', budgetNanos: null });
  assert.deepEqual(
    m.byAgent.map((b) => [b.key, b.monthNanos, b.todayNanos, b.interactions]),
    [
      ['codex', 6 * USD, 1 * USD, 2],
      ['claude-code', 2.5 * USD, 2.5 * USD, 1],
      ['gemini-cli', 0.25 * USD, 0, 1],
    ],
  );
  assert.equal(
    m.byModel.reduce((s, b) => s + b.monthNanos, 0),
    m.monthToDateNanos,
  );
});

test('records from the future (a clock skew) do not count as today', () => {
  const m = computeMeter([rec('2026-11-24T08:00:00Z', 9)], { now: Date.parse('2026-11-23T12:00:00Z'), timeZone: 'UTC', budgetNanos: null });
  assert.equal(m.todayNanos, 0);
  assert.equal(m.monthToDateNanos, 0);
});
