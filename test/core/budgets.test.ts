import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_THRESHOLDS,
  dueNotices,
  evaluateBudgets,
  normaliseBudgetSettings,
  type BudgetSettings,
  type NotifiedMemory,
} from '../../src/core/budgets';
import { tokens, type Interaction } from '../../src/core/interaction';

const usd = (n: number) => Math.round(n * 1e9);
const rec = (at: string, costUSD: number | null, project: string | null = 'webapp'): Interaction => ({
  id: `r:${at}:${costUSD}:${project}`,
  at,
  agent: 'claude-code',
  source: 'log',
  project,
  model: 'claude-sonnet-4-5',
  route: 'cloud',
  replaces: null,
  tokens: tokens({ input: 1 }),
  costNanos: costUSD === null ? null : usd(costUSD),
  avoidedNanos: null,
  priceSource: costUSD === null ? null : 'test',
  estimated: false,
});
const settings = (raw: Parameters<typeof normaliseBudgetSettings>[0]): BudgetSettings => normaliseBudgetSettings(raw).value;

describe('budget settings', { timeout: 10_000 }, () => {
  test('defaults: no budget, thresholds 50/80/100, nothing enforced', () => {
    const r = normaliseBudgetSettings({});
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.dailyNanos, null);
    assert.equal(r.value.projects.size, 0);
    assert.deepEqual(r.value.thresholds, [50, 80, 100]);
    assert.deepEqual(r.value.enforce, { monthly: 'off', daily: 'off' });
  });

  test('good values are read exactly, thresholds sorted and made distinct', () => {
    const r = normaliseBudgetSettings({
      monthlyBudget: 100,
      dailyBudget: '7.5',
      projectBudgets: { webapp: 40, api: 0 },
      budgetThresholds: [100, 75, 75],
      budgetEnforcement: { daily: 'fallback', monthly: 'refuse' },
    });
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.monthlyNanos, 100_000_000_000);
    assert.equal(r.value.dailyNanos, 7_500_000_000);
    assert.deepEqual([...r.value.projects], [['webapp', 40_000_000_000]], 'a 0 budget is none');
    assert.deepEqual(r.value.thresholds, [75, 100]);
    assert.deepEqual(r.value.enforce, { monthly: 'refuse', daily: 'fallback' });
  });

  test('bad values fall back with a warning naming the setting, what was expected and what came', () => {
    const r = normaliseBudgetSettings({
      dailyBudget: -3,
      projectBudgets: ['webapp'],
      budgetThresholds: [50, 'lots'],
      budgetEnforcement: { daily: 'block', projects: 'refuse' },
    });
    assert.equal(r.value.dailyNanos, null);
    assert.equal(r.value.projects.size, 0);
    assert.deepEqual(r.value.thresholds, DEFAULT_THRESHOLDS);
    assert.deepEqual(r.value.enforce, { monthly: 'off', daily: 'off' });
    assert.deepEqual(r.warnings, [
      'unmetered.dailyBudget: expected a number of US dollars between 0 and 1,000,000, got -3; no daily budget is applied',
      'unmetered.projectBudgets: expected an object of project name → US dollars per month, e.g. {"webapp": 50}' +
        ', got ["webapp"]; no project budget is applied',
      'unmetered.budgetThresholds: expected a list of 1 to 10 whole percentages from 1 to 1000, e.g. [50, 80, 100], got [50,"lots"]; using [50, 80, 100]',
      'unmetered.budgetEnforcement.daily: expected "off", "fallback" or "refuse", got "block"; using "off"',
      'unmetered.budgetEnforcement: "projects" is not a budget the gateway enforces (expected "monthly" or "daily"); ignored',
    ]);
  });
});

describe('where each budget stands', { timeout: 10_000 }, () => {
  // Berlin is UTC+1 in November: the local day 2026-11-23 runs from 22 Nov 23:00Z to 23 Nov 23:00Z.
  const now = Date.parse('2026-11-23T12:00:00Z');
  const records = [
    rec('2026-11-22T22:30:00Z', 1), // 22 Nov 23:30 in Berlin: yesterday, this month
    rec('2026-11-22T23:30:00Z', 2), // 23 Nov 00:30 in Berlin: today
    rec('2026-11-23T11:00:00Z', 0.5, 'api'),
    rec('2026-11-23T11:30:00Z', null), // unpriced: counts nothing, never a silent $0 that hides spend
    rec('2026-10-31T22:30:00Z', 40), // 31 Oct 23:30 in Berlin: last month
    rec('2026-11-24T10:00:00Z', 99), // after now's day: not yet
  ];
  test('daily counts the local day, monthly and project the local month', () => {
    const s = settings({
      monthlyBudget: 10,
      dailyBudget: 2,
      projectBudgets: { webapp: 2.5, idle: 5 },
      budgetEnforcement: { daily: 'refuse' },
    });
    const got = evaluateBudgets(records, { now, timeZone: 'Europe/Berlin', settings: s });
    assert.deepEqual(
      got.map((b) => [b.id, b.period, b.spentNanos, b.limitNanos, b.enforce]),
      [
        ['daily', '2026-11-23', usd(2.5), usd(2), 'refuse'], // $2 + $0.50
        ['monthly', '2026-11', usd(3.5), usd(10), 'off'], // $1 + $2 + $0.50
        ['project:idle', '2026-11', 0, usd(5), 'off'],
        ['project:webapp', '2026-11', usd(3), usd(2.5), 'off'], // $1 + $2
      ],
    );
    assert.equal(got[0].ratio, 1.25);
  });
  test('no budget set: nothing to evaluate', () => {
    assert.deepEqual(evaluateBudgets(records, { now, timeZone: 'UTC', settings: settings({}) }), []);
  });
});

describe('thresholds notify once per period', { timeout: 10_000 }, () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const s = settings({ dailyBudget: 10, monthlyBudget: 100 });
  const at = (dayUSD: number, iso = now) =>
    evaluateBudgets([rec('2026-11-23T09:00:00Z', dayUSD)], { now: iso, timeZone: 'UTC', settings: s });

  test('each threshold once; a jump past several says only the highest; a reload (same memory) says nothing', () => {
    let memory: unknown = undefined;
    const said: string[] = [];
    for (const spent of [4, 5, 5.5, 7.9, 8, 12, 12]) {
      const r = dueNotices(at(spent), s.thresholds, memory);
      said.push(...r.notices.map((n) => `${spent}:${n.budget.id}@${n.percent}`));
      // Stored as the extension's global state stores it: through JSON.
      memory = JSON.parse(JSON.stringify(r.memory));
    }
    // $5 of $10 is 50 %, $8 is 80 %, $12 is 120 %: past 100 %. The monthly $100 is never at 50 %.
    assert.deepEqual(said, ['5:daily@50', '8:daily@80', '12:daily@100']);
    assert.deepEqual(memory, { daily: { period: '2026-11-23', percent: 100 } });

    const jump = dueNotices(at(9), s.thresholds, {});
    assert.deepEqual(
      jump.notices.map((n) => n.percent),
      [80],
      '40 % → 90 % at once: one notice, the highest crossed',
    );
  });

  test('a new day starts afresh; a damaged memory is ignored, not trusted', () => {
    const memory: NotifiedMemory = { daily: { period: '2026-11-23', percent: 100 } };
    const tomorrow = Date.parse('2026-11-24T09:00:00Z');
    const next = evaluateBudgets([rec('2026-11-24T08:00:00Z', 6)], { now: tomorrow, timeZone: 'UTC', settings: s });
    const r = dueNotices(next, s.thresholds, memory);
    assert.deepEqual(
      r.notices.map((n) => [n.budget.id, n.budget.period, n.percent]),
      [['daily', '2026-11-24', 50]],
    );
    for (const junk of [null, 'x', [1], { daily: { period: 7, percent: 'all' } }]) {
      assert.deepEqual(
        dueNotices(at(8), s.thresholds, junk).notices.map((n) => n.percent),
        [80],
        JSON.stringify(junk),
      );
    }
  });
});
