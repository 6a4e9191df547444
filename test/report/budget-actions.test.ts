/**
 * Budget state in the weekly summary and the team merge: how often a cap sent requests to the local
 * model or refused them, and who hit one. Week 2026-W48 runs Monday 23 to Sunday 29 November (UTC).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tokens, type BudgetAction, type Interaction } from '../../src/core/interaction';
import { buildWeeklySummary, mergeTeam, parseWeeklySummary, renderJson, renderMarkdown, renderTeamMarkdown } from '../../src/core/report';
import { entryOf } from '../../src/core/report/team/team';
import { validate, type Schema } from '../../src/core/report/summary/jsonschema';
import weeklySchema from '../../src/core/report/summary/weekly-2.schema.json';
import teamSchema from '../../src/core/report/team/team-1.schema.json';

const NOW = Date.parse('2026-11-30T09:00:00Z');
let n = 0;
const rec = (at: string, budgetAction?: BudgetAction, route: 'cloud' | 'local' = 'cloud'): Interaction => ({
  id: `r${n++}`,
  at,
  agent: 'claude-code',
  source: 'gateway',
  project: null,
  model: route === 'local' ? 'qwen3-coder:30b' : 'claude-sonnet-4-5',
  route,
  replaces: route === 'local' ? 'claude-sonnet-4-5' : null,
  tokens: tokens({ input: 10 }),
  costNanos: route === 'local' ? 0 : 30_000,
  avoidedNanos: route === 'local' ? 30_000 : null,
  priceSource: 'test',
  estimated: false,
  ...(budgetAction ? { budgetAction } : {}),
});
const week = (developer: string, records: Interaction[]) =>
  buildWeeklySummary(records, { week: '2026-W48', timeZone: 'UTC', budgetNanos: null, now: NOW, developer, priceTableVersion: 'test' });

const adaRecords = [
  rec('2026-11-24T10:00:00Z'),
  rec('2026-11-24T11:00:00Z', { action: 'fallback', budget: 'daily' }, 'local'),
  rec('2026-11-24T12:00:00Z', { action: 'fallback', budget: 'daily' }, 'local'),
  rec('2026-11-26T09:00:00Z', { action: 'refused', budget: 'monthly' }),
  rec('2026-11-27T09:00:00Z', { action: 'failed-open', budget: null }),
  rec('2026-11-20T09:00:00Z', { action: 'refused', budget: 'daily' }), // the week before: not counted
];

describe('budget actions in the weekly summary and the team merge', { timeout: 10_000 }, () => {
  test('the week counts each kind of decision and names the budgets; the schema accepts it', () => {
    const s = week('ada', adaRecords);
    assert.deepEqual(s.budgetActions, { fallbacks: 2, refusals: 1, failedOpen: 1, budgets: ['daily', 'monthly'] });
    const json = JSON.parse(renderJson(s));
    assert.deepEqual(validate(weeklySchema as Schema, json), []);
    const keys = Object.keys(json);
    assert.equal(keys[keys.indexOf('budget') + 1], 'budgetActions', 'right after budget, as the schema lists it');
    assert.match(
      renderMarkdown(s),
      /\nBudget caps \(daily, monthly\): sent to the local model 2 times, refused 1 time, unchecked 1 time \(the ledger could not be read\)\.\n/,
    );
  });

  // The CLI reads a week's records from the rollup, in another order than a read of every record gives.
  test('over 20 budget names: the first 20 in code-point order, whatever order the records came in', () => {
    const names = Array.from({ length: 25 }, (_, i) => `project:p${String(i).padStart(2, '0')}`);
    const records = names.map((budget, i) => rec(`2026-11-24T${String(i % 24).padStart(2, '0')}:00:00Z`, { action: 'refused', budget }));
    const expected = names.slice(0, 20);
    assert.deepEqual(week('ada', records).budgetActions?.budgets, expected);
    assert.deepEqual(week('ada', [...records].reverse()).budgetActions?.budgets, expected);
    assert.equal(week('ada', [...records].reverse()).budgetActions?.refusals, 25);
  });

  test('a week without any budget action has no such field, so older readers and goldens see no change', () => {
    const s = week('bob', [rec('2026-11-24T10:00:00Z')]);
    assert.equal('budgetActions' in s, false);
    assert.doesNotMatch(renderMarkdown(s), /Budget caps/);
  });

  test('the team merge says who hit a cap and how often the fallback ran; summaries without the field count as none', () => {
    const ada = week('ada', adaRecords);
    const cy = week('cy', [rec('2026-11-25T10:00:00Z', { action: 'fallback', budget: 'daily' }, 'local')]);
    const bob = week('bob', [rec('2026-11-24T10:00:00Z')]);
    // Through the same reader `unmetered team` uses, so the files are checked against the schema.
    const entries = [ada, bob, cy].map((s) => entryOf(parseWeeklySummary(renderJson(s), `${s.developer}.json`), `${s.developer}.json`));
    const r = mergeTeam(entries, [], { now: NOW })!;
    assert.deepEqual(r.budgetCaps, [
      // ada: 2 + 1 = 3 actions, cy: 1
      { developer: 'ada', fallbacks: 2, refusals: 1, failedOpen: 1, budgets: ['daily', 'monthly'] },
      { developer: 'cy', fallbacks: 1, refusals: 0, failedOpen: 0, budgets: ['daily'] },
    ]);
    assert.deepEqual(validate(teamSchema as Schema, JSON.parse(JSON.stringify(r))), []);
    const md = renderTeamMarkdown(r);
    assert.match(md, /\nada: Budget caps \(daily, monthly\): sent to the local model 2 times, refused 1 time, unchecked 1 time/);
    assert.match(md, /\ncy: Budget caps \(daily\): sent to the local model 1 time\.\n/);

    const quiet = mergeTeam([entryOf(bob, 'bob.json')], [], { now: NOW })!;
    assert.equal('budgetCaps' in quiet, false);
  });

  test('a teammate file with a malformed budgetActions is rejected by the schema, by name', () => {
    const s = JSON.parse(renderJson(week('eve', adaRecords)));
    s.budgetActions.fallbacks = -1;
    assert.throws(
      () => parseWeeklySummary(JSON.stringify(s), 'eve.json'),
      /eve\.json: does not match unmetered\.weekly\/2: \/budgetActions\/fallbacks: expected a number ≥ 0, got -1/,
    );
  });
});
