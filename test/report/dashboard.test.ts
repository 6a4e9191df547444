import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import type { Interaction } from '../../src/core/interaction';
import { computeMeter } from '../../src/core/meter';
import { buildDashboard, RECENT_COUNT } from '../../src/core/report/dashboard';
import { normaliseExportSettings } from '../../src/core/report/summary/exportSettings';
import { buildWeeklySummary } from '../../src/core/report/summary/summary';
import { BUDGET_NANOS, fixedLedger, PRICE_TABLE, rec, TZ } from './ledger';

const THURSDAY = Date.parse('2026-11-19T15:00:00.000Z');

test('today, this week and this month agree with the weekly summary and the meter', () => {
  // The ledger as it stood on Thursday afternoon.
  const records = fixedLedger().filter((r) => Date.parse(r.at) <= THURSDAY);
  const d = buildDashboard(records, { now: THURSDAY, timeZone: TZ, budgetNanos: BUDGET_NANOS });
  const week = buildWeeklySummary(records, {
    week: '2026-W47',
    timeZone: TZ,
    budgetNanos: BUDGET_NANOS,
    now: THURSDAY,
    developer: 'x',
    priceTableVersion: PRICE_TABLE,
  });
  assert.equal(d.today, '2026-11-19');
  const { date: _d, ...thursday } = week.days[3];
  assert.deepEqual(d.periods.today.totals, thursday);
  assert.deepEqual(d.periods.week.totals, week.totals);
  assert.equal(d.periods.week.start, '2026-11-16');
  const meter = computeMeter(records, { now: THURSDAY, timeZone: TZ, budgetNanos: BUDGET_NANOS });
  assert.equal(d.month.monthToDateUSD, meter.monthToDateNanos / 1e9);
  assert.equal(d.month.projectedMonthUSD, meter.projectedMonthNanos / 1e9);
  assert.equal(d.month.budgetState, meter.budgetState);
  assert.equal(d.month.days.length, 30);
  assert.equal(d.month.days[19].costUSD, null, 'days after today have no spend yet');
  const sumNanos = d.month.days.reduce((s, x) => s + Math.round((x.costUSD ?? 0) * 1e9), 0);
  assert.equal(sumNanos, Math.round(d.periods.month.totals.costUSD! * 1e9));
  assert.deepEqual(d.unpricedModels, meter.unpriced);
});

test('the week setting moves "this week"; weeks may start in the previous month', () => {
  const d = buildDashboard(fixedLedger(), {
    now: Date.parse('2026-12-01T10:00:00Z'),
    timeZone: TZ,
    budgetNanos: null,
    weekStart: 'sunday',
  });
  assert.equal(d.periods.week.start, '2026-11-29');
  assert.equal(d.periods.month.start, '2026-12-01');
  assert.equal(d.month.budgetUSD, null);
  assert.equal(d.periods.month.totals.interactions, 0);
});

test('the most expensive recent interactions: cost order, last 7 days, names and counts only', () => {
  const d = buildDashboard(fixedLedger(), { now: THURSDAY, timeZone: TZ, budgetNanos: BUDGET_NANOS });
  assert.equal(d.recent.length, RECENT_COUNT);
  const costs = d.recent.map((r) => r.costUSD!);
  assert.deepEqual(
    costs,
    [...costs].sort((a, b) => b - a),
  );
  assert.equal(d.recent[0].model, 'claude-opus-4-5');
  assert.equal(d.recent[0].local, '2026-11-18 11:30');
  assert.ok(d.recent.every((r) => r.at >= '2026-11-12T23:00:00.000Z'));
  assert.deepEqual(
    Object.keys(d.recent[0]).sort(),
    [
      'agent',
      'at',
      'avoidedUSD',
      'cacheReadTokens',
      'cacheWriteTokens',
      'costUSD',
      'estimated',
      'inputTokens',
      'local',
      'model',
      'outputTokens',
      'project',
      'route',
    ].sort(),
  );
  assert.ok(!JSON.stringify(d).includes('fixture:'), 'no interaction id is posted to the page');
});

test('a model seen both locally and in the cloud is shown as two rows', () => {
  const records: Interaction[] = [
    rec({ at: '2026-11-19T10:00:00.000Z', model: 'gpt-oss:20b', costNanos: 5_000_000 }),
    rec({ at: '2026-11-19T11:00:00.000Z', model: 'gpt-oss:20b', route: 'local', costNanos: 0, avoidedNanos: 7_000_000, replaces: 'gpt-5' }),
  ];
  const d = buildDashboard(records, { now: THURSDAY, timeZone: TZ, budgetNanos: null });
  assert.deepEqual(
    d.periods.today.models.map((m) => [m.model, m.route, m.costUSD, m.avoidedUSD]),
    [
      ['gpt-oss:20b', 'cloud', 0.005, 0],
      ['gpt-oss:20b', 'local', 0, 0.007],
    ],
  );
});

test('the dashboard page script fetches nothing: no fetch, XHR, WebSocket or URL in the bundle', async () => {
  const out = await esbuild.build({
    entryPoints: ['media/dashboard.ts'],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
  });
  const js = out.outputFiles[0].text;
  for (const api of ['fetch(', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'importScripts', 'sendBeacon'])
    assert.ok(!js.includes(api), `${api} is not used`);
  const urls = [...js.matchAll(/https?:\/\/[^"'\s)]+/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg'], 'only the SVG namespace, which is a name, not a request');
});

test('export settings: defaults, valid values, and bad values fall back with a warning naming the setting', () => {
  assert.deepEqual(normaliseExportSettings({}).value, {
    weekStart: 'monday',
    pseudonymiseProjects: false,
    developer: null,
    folder: null,
    formats: ['json'],
  });
  const ok = normaliseExportSettings({
    weekStart: 'saturday',
    pseudonymiseProjects: true,
    developer: ' Ada L. ',
    folder: '~/team',
    formats: ['md', 'json', 'md'],
  });
  assert.deepEqual(ok, {
    value: { weekStart: 'saturday', pseudonymiseProjects: true, developer: 'Ada L.', folder: '~/team', formats: ['md', 'json'] },
    warnings: [],
  });
  const bad = normaliseExportSettings({ weekStart: 'friday', pseudonymiseProjects: 'yes', developer: 'a\nb', formats: ['pdf'] });
  assert.deepEqual(bad.value, { weekStart: 'monday', pseudonymiseProjects: false, developer: null, folder: null, formats: ['json'] });
  assert.deepEqual(bad.warnings, [
    'unmetered.export.weekStart: expected "monday", "sunday" or "saturday", got "friday"; using "monday"',
    'unmetered.export.pseudonymiseProjects: expected true or false, got "yes"; using false',
    'unmetered.export.developer: expected a name of 1 to 200 characters on one line, got "a\\nb"; using the login name',
    'unmetered.export.formats: expected a non-empty list of "json", "md", "csv", "html", got ["pdf"]; using ["json"]',
  ]);
});
