import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import type { Interaction } from '../../src/core/interaction';
import { buildDashboard, RECENT_COUNT } from '../../src/core/report/dashboard';
import { normaliseExportSettings } from '../../src/core/report/summary/exportSettings';
import { BUDGET_NANOS, fixedLedger, rec, TZ } from './ledger';

const THURSDAY = Date.parse('2026-11-19T15:00:00.000Z');

/*
 * The fixed ledger (test/report/ledger.ts) as it stood on Thursday 19 Nov 2026, 16:00 in Berlin (UTC+1),
 * worked out by hand. Prices in $ per million tokens (input, output, cache read, cache write):
 * claude-sonnet-4-5 3 / 15 / 0.3 / 3.75, claude-opus-4-5 5 / 25 / 0.5 / 6.25, gpt-5-codex 1.25 / 10 / 0.125;
 * acme-coder-2 has no price. Every count below is the spec's ×6.
 *
 * 1–15 Nov: three Claude Code calls a day; on day n, inputs 7,200 / 7,800 / 8,400, output 5,400 each,
 * cache read 6 × (40,000 + 1,000n), cache write 12,000: $0.0216 + 0.0234 + 0.0252 + 3 × (0.081 + 0.045)
 * + 3 × 0.0018 × (40 + n) = $0.6696 on 1 Nov, $0.0054 more each day, $0.7452 on 15 Nov;
 * the fifteen days: 15 × (0.6696 + 0.7452) / 2 = $10.611.
 * A Claude Code call i on week day d: input 9,000 + 222i ($0.027 + 0.000666i), output 6 × (1,100 + 13d),
 * cache read 360,000 + 15,000i ($0.108 + 0.0045i), cache write 18,000 ($0.0675), plus on Wednesday a
 * 1-hour write of 48,000 ($0.18). The codex call: input 6 × (8,000 + 500d), output 14,400 ($0.144),
 * cache read 180,000 ($0.0225), reasoning 9,600 (inside output).
 * Mon 16 (4 calls, output 6,600 $0.099): 4 × 0.3015 + 0.005166 × 6 = 1.236996; codex 0.06 + 0.1665 = 0.2265;
 *   Sunday's 23:30 UTC codex call is Monday 00:30 here: 6,000 × 1.25 + 1,200 × 10 per M = 0.0195 → $1.482996
 * Tue 17 (5 calls, output 6,678 $0.10017): 5 × 0.30267 + 0.005166 × 10 = 1.56501; codex 0.06375 + 0.1665
 *   = 0.23025; the local chat costs $0 and avoids 31,200 × 3 + 4,200 × 15 per M = $0.1566 → $1.79526
 * Wed 18 (6 calls, output 6,756 $0.10134, with the 1-hour write): 6 × 0.48384 + 0.005166 × 15 = 2.98053;
 *   codex 0.0675 + 0.1665 = 0.234; Opus 24,000 × 5 + 36,000 × 25 + 720,000 × 0.5 + 90,000 × 6.25 per M
 *   = 1.9425 → $5.15703
 * Thu 19 until 16:00 (4 calls, output 6,834 $0.10251): 4 × 0.30501 + 0.005166 × 6 = 1.251036; codex
 *   0.07125 + 0.1665 = 0.23775; two unpriced acme-coder-2 calls through the gateway (18,000 + 5,400
 *   input, 6,000 + 1,800 output, the second estimated) → $1.488786; the 16:40 local chat is still to come.
 */
test('today, this week and this month: figures worked out by hand from the fixed ledger', () => {
  const records = fixedLedger().filter((r) => Date.parse(r.at) <= THURSDAY);
  const d = buildDashboard(records, { now: THURSDAY, timeZone: TZ, budgetNanos: BUDGET_NANOS });
  assert.equal(d.today, '2026-11-19');
  assert.deepEqual(d.periods.today.totals, {
    costUSD: 1.488786,
    avoidedUSD: 0,
    inputTokens: 117_732, // 4 × 9,000 + 222 × 6 + 57,000 + 18,000 + 5,400
    outputTokens: 49_536, // 4 × 6,834 + 14,400 + 6,000 + 1,800
    cacheReadTokens: 1_710_000, // 4 × 360,000 + 15,000 × 6 + 180,000
    cacheWriteTokens: 72_000, // 4 × 18,000
    reasoningTokens: 9_600,
    interactions: 7, // 4 + 1 + 2
    unpricedInteractions: 2,
    estimatedInteractions: 1,
  });
  assert.equal(d.periods.week.start, '2026-11-16');
  assert.deepEqual(d.periods.week.totals, {
    costUSD: 9.924072, // 1.482996 + 1.79526 + 5.15703 + 1.488786
    avoidedUSD: 0.1566,
    inputTokens: 473_814, // Mon 37,332 + 48,000 + 6,000; Tue 47,220 + 51,000 + 31,200; Wed 57,330 + 54,000 + 24,000; Thu 117,732
    outputTokens: 234_462, // Mon 4 × 6,600 + 14,400 + 1,200; Tue 5 × 6,678 + 14,400 + 4,200; Wed 6 × 6,756 + 14,400 + 36,000; Thu 49,536
    cacheReadTokens: 8_835_000, // Mon 1,710,000; Tue 1,800,000 + 150,000 + 180,000; Wed 2,160,000 + 225,000 + 180,000 + 720,000; Thu 1,710,000
    cacheWriteTokens: 720_000, // Mon 72,000; Tue 90,000; Wed 108,000 + 6 × 48,000 + 90,000; Thu 72,000
    reasoningTokens: 38_400, // 4 codex calls × 9,600
    interactions: 28, // Mon 4 + 1 + 1, Tue 5 + 1 + 1, Wed 6 + 1 + 1, Thu 4 + 1 + 2
    unpricedInteractions: 2,
    estimatedInteractions: 1,
  });
  assert.equal(d.month.days.length, 30);
  const day = (n: number) => d.month.days[n - 1].costUSD;
  assert.deepEqual(
    [day(1), day(2), day(15), day(16), day(17), day(18), day(19), day(20)],
    [0.6696, 0.675, 0.7452, 1.482996, 1.79526, 5.15703, 1.488786, null],
  );
  // 10.611 + 9.924072
  assert.equal(d.month.monthToDateUSD, 20.535072);
  assert.equal(d.periods.month.totals.costUSD, 20.535072);
  // The rate: the 7 complete days before today, 12–18 Nov: (0.729 + 0.7344 + 0.7398 + 0.7452) + 1.482996
  // + 1.79526 + 5.15703 = $11.383686 / 7 = 1,626,240,857 nano-dollars a day (rounded). Today counts at the
  // greater of its spend and the rate, and 11 days are left: 20.535072 − 1.488786 + 1.626240857
  // + 11 × 1.626240857 = $38.561176284, 86 % of the $45 budget: warning (from 80 %).
  assert.equal(d.month.projectedMonthUSD, 38.561176284);
  assert.equal(d.month.budgetState, 'warning');
  assert.deepEqual(d.unpricedModels, [{ model: 'acme-coder-2', interactions: 2 }]);
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
