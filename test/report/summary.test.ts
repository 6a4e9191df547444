import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Interaction } from '../../src/core/interaction';
import { validate, type Schema } from '../../src/core/report/summary/jsonschema';
import { renderCsv } from '../../src/core/report/render/csv';
import { renderHtml } from '../../src/core/report/render/html';
import { renderJson } from '../../src/core/report/render/json';
import { renderMarkdown } from '../../src/core/report/render/markdown';
import { loadOrCreateSalt, pseudonym, pseudonymiser, SALT_FILE } from '../../src/core/report/summary/pseudonym';
import { buildWeeklySummary, type WeeklyOptions } from '../../src/core/report/summary/summary';
import { addTally, emptyTally, tallyFromTotals, toTotals, type Totals } from '../../src/core/report/totals';
import schema from '../../src/core/report/summary/weekly-2.schema.json';
import { AWKWARD_PROJECT, BUDGET_NANOS, fixedLedger, NOW, PRICE_TABLE, rec, TZ } from './ledger';

const base: WeeklyOptions = {
  week: '2026-W47',
  timeZone: TZ,
  budgetNanos: BUDGET_NANOS,
  now: NOW,
  developer: 'ada',
  priceTableVersion: PRICE_TABLE,
};
const sum = (rows: Totals[]) => toTotals(rows.reduce((a, r) => addTally(a, tallyFromTotals(r)), emptyTally()));

test("the week's totals equal the sum of its days, agents, models, projects, routes and rows", () => {
  const s = buildWeeklySummary(fixedLedger(), base);
  assert.equal(s.totals.interactions, 39);
  for (const [name, rows] of Object.entries({
    days: s.days,
    agents: s.agents,
    models: s.models,
    rows: s.rows,
    routes: [s.routes.cloud, s.routes.local],
    projects: [...s.projects, s.otherProjects],
  })) {
    assert.deepEqual(sum(rows), s.totals, name);
  }
  assert.deepEqual(
    s.days.map((d) => d.date),
    ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'],
  );
  assert.deepEqual(
    s.agents.map((a) => a.agent),
    ['claude-code', 'codex', 'gemini-cli', 'editor-chat', 'gateway'],
  );
  assert.equal(s.agents.find((a) => a.agent === 'gateway')!.costUSD, null, 'an agent whose only model is unknown is unpriced, not $0');
  assert.equal(s.routes.local.interactions, 3);
  assert.equal(s.routes.local.costUSD, 0);
  assert.equal(s.totals.estimatedInteractions, 2);
  assert.deepEqual(s.unpricedModels, [{ model: 'acme-coder-2', interactions: 3 }]);
  assert.equal(s.priceTableVersion, PRICE_TABLE);
  assert.equal(s.week.complete, true);
});

test('local midnights bound the week: 00:30 Monday is in, 00:30 the next Monday is out', () => {
  const s = buildWeeklySummary(fixedLedger(), base);
  const monday = s.rows.filter((r) => r.date === '2026-11-16' && r.agent === 'codex');
  assert.equal(monday[0].interactions, 2, 'the 00:30 codex call (Sunday 23:30 UTC) belongs to Monday in Berlin');
  const inUTC = buildWeeklySummary(fixedLedger(), { ...base, timeZone: 'UTC' });
  assert.equal(inUTC.totals.interactions, 39, 'in UTC one edge record leaves and the other enters');
  assert.equal(inUTC.rows.filter((r) => r.date === '2026-11-22' && r.agent === 'codex')[0].interactions, 1);
});

test('a week across the end of summer time has a 25-hour Sunday and assigns hours to the right days', () => {
  // Europe/Berlin falls back on Sunday 2026-10-25 (CEST +2 → CET +1).
  const r = (at: string) => rec({ at, costNanos: 1_000_000 });
  const records = [
    r('2026-10-18T22:30:00.000Z'),
    r('2026-10-24T22:30:00.000Z'),
    r('2026-10-25T22:30:00.000Z'),
    r('2026-10-25T23:30:00.000Z'),
    r('2026-10-18T21:59:59.999Z'),
  ];
  const s = buildWeeklySummary(records, { ...base, week: '2026-W43', now: Date.parse('2026-11-01T12:00:00Z') });
  assert.deepEqual(
    s.days.map((d) => [d.date, d.interactions]),
    [
      ['2026-10-19', 1],
      ['2026-10-20', 0],
      ['2026-10-21', 0],
      ['2026-10-22', 0],
      ['2026-10-23', 0],
      ['2026-10-24', 0],
      ['2026-10-25', 2],
    ],
  );
  assert.equal(s.previousWeek.interactions, 1);
  // and the spring change in New York (23-hour Sunday 2026-03-08), with Sunday weeks
  const ny = buildWeeklySummary(
    [r('2026-03-08T04:59:00.000Z'), r('2026-03-08T05:00:00.000Z'), r('2026-03-09T03:59:00.000Z'), r('2026-03-09T04:00:00.000Z')],
    {
      ...base,
      week: '2026-W11',
      weekStart: 'sunday',
      timeZone: 'America/New_York',
      now: Date.parse('2026-03-20T12:00:00Z'),
    },
  );
  assert.equal(ny.week.start, '2026-03-08');
  assert.deepEqual(
    ny.days.slice(0, 2).map((d) => d.interactions),
    [2, 1],
  );
  assert.equal(ny.previousWeek.interactions, 1);
});

test("budget, month to date and projection come from the meter as of the week's end, or now for the current week", () => {
  const s = buildWeeklySummary(fixedLedger(), base);
  assert.equal(s.budget.asOf, '2026-11-22');
  assert.equal(s.budget.monthlyBudgetUSD, 45);
  assert.equal(s.budget.state, 'warning');
  assert.equal(s.budget.monthToDateUSD, 23.326002);
  assert.match(s.budget.projectionMethod, /8 days left/);
  const current = buildWeeklySummary(fixedLedger(), { ...base, week: '2026-W48' });
  assert.equal(current.week.complete, false);
  assert.equal(current.budget.asOf, '2026-11-23');
  assert.equal(current.totals.interactions, 1);
  const none = buildWeeklySummary(fixedLedger(), { ...base, budgetNanos: null });
  assert.equal(none.budget.monthlyBudgetUSD, null);
  assert.equal(none.budget.state, 'none');
});

test('the JSON output matches the committed schema, which rejects extra fields and wrong types', () => {
  const s = JSON.parse(renderJson(buildWeeklySummary(fixedLedger(), base)));
  assert.deepEqual(validate(schema as Schema, s), []);
  const empty = JSON.parse(renderJson(buildWeeklySummary([], { ...base, budgetNanos: null, priceTableVersion: null })));
  assert.deepEqual(validate(schema as Schema, empty), []);
  // One change at a time: the check stops at the first problem, and each message names the path,
  // what the schema expects and what arrived.
  const refused = (change: (doc: typeof s) => void) => {
    const bad = structuredClone(s);
    change(bad);
    return validate(schema, bad);
  };
  const cases: [(doc: typeof s) => void, string][] = [
    [(d) => (d.week.id = '2026-W60'), '/week/id: expected a string matching ^\\d{4}-W(0[1-9]|[1-4]\\d|5[0-3])$, got "2026-W60"'],
    [(d) => (d.totals.costUSD = '12.7'), '/totals/costUSD: expected number or null, got "12.7"'],
    [(d) => d.days.pop(), '/days: expected at least 7 items, got an array of 6 items'],
    [(d) => d.days.push(d.days[0]), '/days: expected at most 7 items, got an array of 8 items'],
    [(d) => delete d.budget.state, '/budget/state: expected a value (required), got nothing'],
    [(d) => (d.rows[0].prompt = 'hello'), '/rows/0/prompt: expected no such field, got "hello"'],
    [(d) => (d.week.weekStart = 'friday'), '/week/weekStart: expected one of "monday", "sunday", "saturday", got "friday"'],
    [(d) => (d.schema = 'unmetered.weekly/1'), '/schema: expected "unmetered.weekly/2", got "unmetered.weekly/1"'],
    [(d) => (d.developer = ''), '/developer: expected at least 1 characters, got ""'],
    [(d) => (d.priceTableVersion = 'v'.repeat(201)), `/priceTableVersion: expected at most 200 characters, got "${'v'.repeat(56)}"…`],
    [(d) => (d.totals.interactions = 1.5), '/totals/interactions: expected integer, got 1.5'],
    [(d) => (d.totals.interactions = -1), '/totals/interactions: expected a number ≥ 0, got -1'],
    [(d) => (d.week = [1, 2]), '/week: expected object, got an array of 2 items'],
  ];
  for (const [change, message] of cases) assert.deepEqual(refused(change), [message]);
});

test('a schema this build did not compile is refused, never taken as checking nothing', () => {
  assert.throws(
    () => validate({ $id: 'urn:example:other', type: 'object' }, {}),
    /urn:example:other is not one of the compiled report schemas/,
  );
  assert.throws(() => validate({ type: 'integer' }, 1.5), /not one of the compiled report schemas/);
});

test('nothing but names and counts leaves the ledger: no ids, no stray fields', () => {
  const secretRecords = fixedLedger().map(
    (r, i) => ({ ...r, id: `anthropic:msg_SECRET${i}`, prompt: 'SECRET PROMPT', response: 'SECRET ANSWER' }) as Interaction,
  );
  const s = buildWeeklySummary(secretRecords, base);
  for (const out of [renderJson(s), renderMarkdown(s), renderCsv(s), renderHtml(s)]) {
    assert.ok(!out.includes('SECRET'), 'no id or text field reaches an export');
  }
});

test('pseudonymised projects: stable across weeks, never the name, different under another salt', async () => {
  const salt = Buffer.alloc(32, 7);
  const opts = { ...base, pseudonymise: pseudonymiser(salt) };
  const w47 = buildWeeklySummary(fixedLedger(), opts);
  const w46 = buildWeeklySummary(fixedLedger(), { ...opts, week: '2026-W46' });
  const webshop = pseudonym('webshop', salt);
  assert.match(webshop, /^project-[0-9a-f]{8}$/);
  assert.equal(w47.projects[0].project, webshop);
  assert.equal(w46.projects[0].project, webshop);
  assert.equal(w47.projectsPseudonymised, true);
  assert.equal(w47.projects.find((p) => p.project === null)?.interactions, 1, 'an unknown project stays unknown');
  for (const out of [renderJson(w47), renderMarkdown(w47), renderCsv(w47), renderHtml(w47)]) {
    for (const name of ['webshop', 'billing-api', 'infra', 'beta']) assert.ok(!out.includes(name), `${name} does not appear`);
  }
  assert.notEqual(pseudonym('webshop', Buffer.alloc(32, 8)), webshop);
  assert.notEqual(pseudonym(AWKWARD_PROJECT, salt), webshop);
});

test('the salt is created once per data directory, private, shared by concurrent callers, and a damaged one is reported', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-salt-'));
  try {
    const salts = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSalt(path.join(dir, 'data'))));
    assert.equal(new Set(salts.map((s) => s.toString('hex'))).size, 1);
    assert.equal(salts[0].length, 32);
    const file = path.join(dir, 'data', SALT_FILE);
    if (process.platform !== 'win32') assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await loadOrCreateSalt(path.join(dir, 'data')), salts[0]);
    assert.equal((await readFile(file, 'utf8')).trim(), salts[0].toString('hex'));
    await writeFile(file, 'oops');
    await assert.rejects(loadOrCreateSalt(path.join(dir, 'data')), /expected 64 hexadecimal characters.*got 4 characters; delete the file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('whatever the names in the ledger, the summary stays valid against the schema', () => {
  const long = 'x'.repeat(5000);
  const s = buildWeeklySummary(
    [rec({ project: '' }), rec({ project: long, model: long, agent: `agent-${long}` }), rec({ project: 'a\nb\u0000c' })],
    base,
  );
  assert.deepEqual(validate(schema as Schema, JSON.parse(renderJson(s))), []);
  assert.ok(
    s.projects.some((p) => p.project === null),
    'an empty project name counts as unknown',
  );
});

test('more projects than the top list are summed, not dropped', () => {
  const records = Array.from({ length: 14 }, (_, i) => rec({ project: `p${String(i).padStart(2, '0')}`, costNanos: (i + 1) * 1_000_000 }));
  const s = buildWeeklySummary(records, { ...base, topProjects: 10 });
  assert.deepEqual(
    s.projects.map((p) => p.project),
    ['p13', 'p12', 'p11', 'p10', 'p09', 'p08', 'p07', 'p06', 'p05', 'p04'],
  );
  assert.equal(s.otherProjects.projects, 4);
  assert.equal(s.otherProjects.costUSD, 0.01);
});
