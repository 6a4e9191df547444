// The aggregate meter, report and views (period, session, project, branch, repo) answer exactly what the
// record-based ones do (computeMeter, buildReport, buildView) over the same ledger, in zones whose offsets
// are whole hours, half hours and quarter hours, across a daylight-saving change, with filters,
// breakdowns and loose records.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Interaction } from '../../src/core/interaction';
import { entriesOf } from '../../src/core/aggregate/entries';
import { meterOf } from '../../src/core/aggregate/meter';
import { spendsOf } from '../../src/core/aggregate/budgets';
import { logCountsOf } from '../../src/core/aggregate/sources';
import { evaluateBudgets } from '../../src/core/budgets/evaluate';
import type { BudgetSettings } from '../../src/core/budgets/settings';
import { aggregateViewOf, type AggregateView } from '../../src/core/aggregate/views';
import { reportOf } from '../../src/core/aggregate/report';
import { buildReport } from '../../src/core/report/report';
import { openLedger } from '../../src/core/ledger/index';
import { readRollup } from '../../src/core/ledger/rollup';
import { computeMeter } from '../../src/core/meter';
import { memoryLogger } from '../../src/core/ports';
import { buildView } from '../../src/core/report/views';
import { record } from '../ledger/fixtures/records';
import { daysFromRollup } from '../../src/cli/aggregate';
import { RollupIndex } from '../../src/core/ledger/rollup';
import { currentlyPriced, loadPriceTable } from '../../src/core/pricing';
import { buildWeeklySummary } from '../../src/core/report/summary/summary';
import { currentWeek, lastCompleteWeek, shiftWeek, type WeekStart } from '../../src/core/report/week';

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function history(n: number, seed: number): Interaction[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  // Late October to late November 2026: New York leaves daylight saving on 1 November.
  const start = Date.parse('2026-10-20T00:00:00Z');
  return Array.from({ length: n }, (_, i) => {
    const when = start + Math.floor(rnd() * 40 * 86_400_000);
    const local = rnd() < 0.1;
    const unpriced = rnd() < 0.08;
    // Ids that name a session (a Codex rollout, a Claude Code session without message ids) and ids that do not.
    const kind = rnd();
    const id = kind < 0.25 ? `codex:rollout-${i % 7}:${when}:k${i}` : kind < 0.4 ? `claude-code:sess-${i % 5}:u${i}` : `h:${i}`;
    return record(id, {
      at: rnd() < 0.05 ? new Date(when).toISOString().replace('Z', '+00:00') : new Date(when).toISOString(),
      output: 1 + Math.floor(rnd() * 3000),
      agent: pick(['claude-code', 'codex', 'copilot-chat', 'gemini-cli']),
      model: pick(['claude-sonnet-4-5-20250929', 'gpt-5-codex', 'claude-opus-4-1-20250805', 'mystery']),
      project: pick(['acme-api', 'web', null]),
      route: local ? 'local' : 'cloud',
      replaces: local ? 'claude-sonnet-4-5-20250929' : null,
      costNanos: unpriced ? null : Math.floor(rnd() * 120_000_000),
      priceSource: unpriced ? null : 'litellm@test',
      avoidedNanos: local && rnd() < 0.8 ? Math.floor(rnd() * 60_000_000) : rnd() < 0.02 ? 5 : null,
      estimated: rnd() < 0.1,
      ...(rnd() < 0.6 ? { repo: pick(['github.com/acme/api', 'github.com/acme/web']) } : {}),
      ...(rnd() < 0.5 ? { branch: pick(['main', 'feat/login', 'fix/42']) } : {}),
    });
  });
}

const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe'];
const NOWS = ['2026-11-01T12:00:00Z', '2026-11-19T03:30:00Z', '2026-11-30T23:59:00Z', '2026-10-21T08:00:00Z'];

describe('aggregate queries', { timeout: 120_000 }, () => {
  test('the meter and the daily, weekly, monthly, project, branch and repo views equal the record-based ones', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-aggregate-test-'));
    try {
      const ledger = await openLedger({ dir, logger: memoryLogger() });
      await ledger.append(history(2000, 7));
      const records = ledger.records();
      await ledger.close();
      let compared = 0;
      const sessions = new Set<boolean | undefined>();
      let daySpent = 0;
      let projectSpent = 0;
      for (const timeZone of ZONES) {
        assert.equal((await readRollup({ dir, timeZone })).stats.how, 'rebuilt');
        // Read back as a re-run reads it: its cells answer from the saved file's columns (a built rollup equals it:
        // test/ledger/rollup.test.ts).
        const rollup = await readRollup({ dir, timeZone });
        assert.equal(rollup.stats.how, 'cached');
        assert.ok(rollup.loose.length > 0 && rollup.cells.length > 0, 'both cells and loose records are exercised');
        const entries = entriesOf(rollup, rollup.loose, timeZone);
        assert.ok(entries, `${timeZone}: the rollup is this zone's`);
        // `unmetered report`: per day, model and agent over a range (or all of it).
        for (const range of [{}, { since: '2026-11-01', until: '2026-11-15' }, { since: '2026-11-20' }]) {
          const o = { ...range, timeZone, priceTable: 'test' };
          assert.deepEqual(reportOf(entries, o), buildReport(records, o), `report ${timeZone} ${JSON.stringify(range)}`);
          compared++;
        }
        for (const nowIso of NOWS) {
          const now = Date.parse(nowIso);
          for (const budgetNanos of [null, 400_000_000_000]) {
            for (const copilotBilledPerToken of [false, true]) {
              const o = { now, timeZone, budgetNanos, copilotBilledPerToken };
              assert.deepEqual(meterOf(entries, o), computeMeter(records, o), `meter ${timeZone} ${nowIso}`);
              compared++;
            }
          }
          // Budgets: daily, monthly and two projects (one with no spend), as the extension host evaluates them.
          const settings: BudgetSettings = {
            monthlyNanos: 900_000_000_000,
            dailyNanos: 30_000_000_000,
            projects: new Map([
              ['web', 50_000_000_000],
              ['none-such', 1_000_000_000],
            ]),
            thresholds: [50, 100],
            enforce: { monthly: 'off', daily: 'off' },
          };
          const bo = { now, timeZone, settings };
          const budgets = evaluateBudgets(records, bo);
          if (budgets.some((b) => b.kind === 'daily' && b.spentNanos > 0)) daySpent++;
          if (budgets.some((b) => b.project === 'web' && b.spentNanos > 0)) projectSpent++;
          assert.deepEqual(evaluateBudgets(spendsOf(entries), bo), budgets, `budgets ${timeZone} ${nowIso}`);
          compared++;
          for (const kind of ['daily', 'weekly', 'monthly', 'session', 'project', 'branch', 'repo'] as AggregateView[]) {
            for (const extra of [
              {},
              { breakdown: true },
              { agent: 'codex', order: 'desc' as const },
              { project: 'web', since: '2026-11-01', until: '2026-11-15' },
              { last: 2, repo: 'github.com/acme/api', weekStart: 'sunday' as const },
              // Sessions, projects, branches, repositories: the one with the latest activity, its totals alone.
              { last: 1, order: 'desc' as const, breakdown: true },
            ]) {
              const o = { kind, timeZone, now, priceTable: 'test', ...extra };
              if (kind === 'session') for (const row of buildView(records, o).rows) sessions.add(row.sessionKnown);
              assert.deepEqual(
                aggregateViewOf(entries, o),
                buildView(records, o),
                `${kind} ${timeZone} ${nowIso} ${JSON.stringify(extra)}`,
              );
              compared++;
            }
          }
        }
      }
      assert.equal(compared, ZONES.length * NOWS.length * (4 + 1 + 42) + ZONES.length * 3);
      assert.ok(daySpent > 0 && projectSpent > 0, 'budgets with spend on the day and in a project were compared');
      assert.deepEqual([...sessions].sort(), [false, true], 'sessions named by ids and rows of records whose ids name none');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a rollup is kept per zone: another zone's days are never used", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-aggregate-test-'));
    try {
      const ledger = await openLedger({ dir, logger: memoryLogger() });
      // 23:30 UTC is the 30th in UTC and already the 1st in Kolkata (+05:30): 05:00 on 1 December.
      await ledger.append([record('late', { at: '2026-11-30T23:30:00.000Z' })]);
      await ledger.close();
      const utc = await readRollup({ dir, timeZone: 'UTC' });
      const kolkata = await readRollup({ dir, timeZone: 'Asia/Kolkata' });
      assert.deepEqual([utc.stats.how, kolkata.stats.how], ['rebuilt', 'rebuilt']);
      assert.deepEqual([utc.cells[0].day, kolkata.cells[0].day], ['2026-11-30', '2026-12-01']);
      assert.equal(entriesOf(utc, [], 'Asia/Kolkata'), null);
      // Each zone's file is kept: reading either again reads no ledger line.
      const again = await readRollup({ dir, timeZone: 'UTC' });
      assert.deepEqual([again.stats.how, again.stats.linesRead, again.cells[0].day], ['cached', 0, '2026-11-30']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('import status counts from the rollup', { timeout: 30_000 }, () => {
  test("per agent: log records only, and the agent's stated cost beside ours where it is valid and we priced it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-aggregate-test-'));
    try {
      const ledger = await openLedger({ dir, logger: memoryLogger() });
      const stated = (n: unknown) => ({ agentCostNanos: n }) as Partial<Interaction>;
      await ledger.append([
        record('c1', { costNanos: 1_000, ...stated(1_200) }),
        record('c2', { costNanos: 2_000, ...stated(2_500) }),
        record('c3', { costNanos: 4_000 }), // no stated cost
        record('c4', { costNanos: null, priceSource: null, ...stated(9_999) }), // unpriced by us (loose): not compared
        record('c5', { costNanos: 8_000, priceSource: 'user', ...stated(7_000) }), // priced by settings: loose
        record('c6', { costNanos: 16_000, ...stated(-5) }), // not a valid cost: not compared
        record('g1', { source: 'gateway', costNanos: 32_000, ...stated(1) }), // not from a log
        record('x1', { agent: 'codex', costNanos: 64_000, at: '2026-11-24T01:00:00.000Z' }),
      ]);
      await ledger.close();
      const expected = new Map([
        // c1..c6: 6 log interactions; stated: c1 1,200 + c2 2,500 + c5 7,000 = 10,700; ours for them: 1,000 + 2,000 + 8,000 = 11,000.
        ['claude-code', { interactions: 6, agentCost: { agentNanos: 10_700, ourNanos: 11_000 } }],
        ['codex', { interactions: 1, agentCost: null }],
      ]);
      const built = await readRollup({ dir, timeZone: 'UTC' });
      assert.equal(built.stats.how, 'rebuilt');
      assert.deepEqual(logCountsOf(built), expected);
      // The same from the saved file, whose cells answer from its sum columns.
      const saved = await readRollup({ dir, timeZone: 'UTC' });
      assert.equal(saved.stats.how, 'cached');
      assert.deepEqual(logCountsOf(saved), expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the weekly summary from the rollup', { timeout: 120_000 }, () => {
  test('equals the summary of every record: in every zone, both week starts, weeks across a daylight-saving change and outside the history', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-aggregate-test-'));
    try {
      const ledger = await openLedger({ dir, logger: memoryLogger() });
      // Budget actions (the summary names them) on records of the history's weeks, stored and loose (unpriced).
      const acted = [
        record('acted-1', { at: '2026-10-27T10:00:00.000Z', budgetAction: { action: 'fallback', budget: 'daily' } }),
        record('acted-2', { at: '2026-11-17T10:00:00.000Z', budgetAction: { action: 'refused', budget: 'monthly' } }),
        record('acted-3', {
          at: '2026-11-18T10:00:00.000Z',
          costNanos: null,
          priceSource: null,
          budgetAction: { action: 'failed-open', budget: null },
        }),
      ];
      await ledger.append([...history(2000, 11), ...acted]);
      const prices = loadPriceTable();
      // As the export read them before: every record, those whose price follows the settings priced now.
      const records = currentlyPriced(ledger.records(), prices);
      await ledger.close();
      let compared = 0;
      let withActions = 0;
      for (const timeZone of ZONES) {
        const index = new RollupIndex({ dir, timeZone });
        for (const weekStart of ['monday', 'sunday'] as WeekStart[]) {
          for (const nowIso of NOWS) {
            const now = Date.parse(nowIso);
            for (const week of [lastCompleteWeek(now, timeZone, weekStart), currentWeek(now, timeZone, weekStart)]) {
              const o = { week, timeZone, weekStart, budgetNanos: 400_000_000_000, now, developer: 'ada', priceTableVersion: 'test' };
              const days = await daysFromRollup(index, prices, timeZone, shiftWeek(week, -1).start, week.end, memoryLogger(), 1);
              assert.ok(days, `${timeZone} ${week.id}: the rollup answers`);
              const fromRollup = buildWeeklySummary(days.records, { ...o, meter: (m) => meterOf(days.entries, m) });
              assert.deepEqual(fromRollup, buildWeeklySummary(records, o), `${timeZone} ${weekStart} ${nowIso} ${week.id}`);
              if (fromRollup.budgetActions) withActions++;
              compared++;
            }
          }
        }
      }
      assert.equal(compared, ZONES.length * 2 * NOWS.length * 2);
      assert.ok(withActions > 0, 'weeks with budget actions were compared');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("days that hold over a quarter of the ledger's records are not read one by one: the caller reads every record", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-aggregate-test-'));
    try {
      const ledger = await openLedger({ dir, logger: memoryLogger() });
      // Ten records on each of the 1st to the 4th of November: each day holds a quarter.
      const days = ['01', '02', '03', '04'];
      await ledger.append(
        days.flatMap((d) => Array.from({ length: 10 }, (_, i) => record(`${d}-${i}`, { at: `2026-11-${d}T12:00:00.000Z` }))),
      );
      await ledger.close();
      const index = new RollupIndex({ dir, timeZone: 'UTC' });
      const prices = loadPriceTable();
      const read = (first: string, last: string) => daysFromRollup(index, prices, 'UTC', first, last, memoryLogger());
      assert.equal((await read('2026-11-01', '2026-11-01'))?.records.length, 10, 'a quarter');
      assert.equal(await read('2026-11-01', '2026-11-02'), null, 'half');
      assert.equal((await read('2026-11-05', '2026-11-30'))?.records.length, 0, 'none');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
