import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCsv } from '../../src/core/report/render/csv';
import { renderHtml } from '../../src/core/report/render/html';
import { renderJson } from '../../src/core/report/render/json';
import { renderMarkdown } from '../../src/core/report/render/markdown';
import { pseudonymiser } from '../../src/core/report/summary/pseudonym';
import { buildWeeklySummary } from '../../src/core/report/summary/summary';
import { assertGolden } from './golden';
import { BUDGET_NANOS, fixedLedger, NOW, PRICE_TABLE, TZ } from './ledger';

const summary = buildWeeklySummary(fixedLedger(), {
  week: '2026-W47',
  timeZone: TZ,
  budgetNanos: BUDGET_NANOS,
  now: NOW,
  developer: 'ada',
  priceTableVersion: PRICE_TABLE,
});

test('weekly JSON matches its golden file', () => assertGolden('weekly.json', renderJson(summary)));
test('weekly Markdown matches its golden file', () => assertGolden('weekly.md', renderMarkdown(summary)));
test('weekly CSV matches its golden file', () => assertGolden('weekly.csv', renderCsv(summary)));
test('weekly HTML matches its golden file', () => assertGolden('weekly.html', renderHtml(summary)));

test('a pseudonymised week in progress with Sunday weeks and no budget matches its golden file', () => {
  const s = buildWeeklySummary(fixedLedger(), {
    week: '2026-W48',
    weekStart: 'sunday',
    timeZone: TZ,
    budgetNanos: null,
    now: NOW,
    developer: 'grace',
    priceTableVersion: PRICE_TABLE,
    pseudonymise: pseudonymiser(Buffer.alloc(32, 1)),
  });
  assertGolden('weekly-in-progress.md', renderMarkdown(s));
});

test('a week that has not started says it is in the future, not in progress (Markdown and HTML)', () => {
  // NOW is Monday 23 November 2026 in Berlin; 2026-W49 starts on Monday 30 November.
  const s = buildWeeklySummary(fixedLedger(), {
    week: '2026-W49',
    timeZone: TZ,
    budgetNanos: BUDGET_NANOS,
    now: NOW,
    developer: 'ada',
    priceTableVersion: PRICE_TABLE,
  });
  const md = renderMarkdown(s);
  assert.match(md, /_Week in the future: it starts after 2026-11-23 09:00 UTC, so nothing can be recorded in it yet\._/);
  assert.doesNotMatch(md, /in progress/i);
  const html = renderHtml(s);
  assert.match(html, / · week in the future \(nothing recorded yet\)/);
  assert.doesNotMatch(html, /in progress/i);
});
