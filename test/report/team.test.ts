import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validate, type Schema } from '../../src/core/report/summary/jsonschema';
import { renderJson } from '../../src/core/report/render/json';
import { buildWeeklySummary, type WeeklySummary } from '../../src/core/report/summary/summary';
import { entryOf, mergeTeam } from '../../src/core/report/team/team';
import { collectFiles, readEntries } from '../../src/core/report/team/teamFiles';
import { renderTeamCsv, renderTeamHtml, renderTeamJson, renderTeamMarkdown } from '../../src/core/report/team/teamRender';
import { addTally, emptyTally, tallyFromTotals, toTotals } from '../../src/core/report/totals';
import teamSchema from '../../src/core/report/team/team-1.schema.json';
import { assertGolden } from './golden';
import { NOW, PRICE_TABLE, teamLedgers, TZ } from './ledger';

function summaries(week: string, now = NOW): WeeklySummary[] {
  return teamLedgers().map((d) =>
    buildWeeklySummary(d.records, {
      week,
      timeZone: TZ,
      budgetNanos: d.budgetNanos,
      now,
      developer: d.developer,
      priceTableVersion: PRICE_TABLE,
    }),
  );
}

const W47 = summaries('2026-W47');
const W46 = summaries('2026-W46');
const entries = [...W46, ...W47].map((s) => entryOf(s, `share/${s.developer}-${s.week.id}.json`));

test('the team week sums its developers exactly, with trend, local share and who is over budget', () => {
  const r = mergeTeam(entries, [], { now: NOW })!;
  assert.equal(r.week.id, '2026-W47', 'without --week the latest week present is merged');
  assert.equal(r.developers, 3);
  const want = toTotals(W47.reduce((a, s) => addTally(a, tallyFromTotals(s.totals)), emptyTally()));
  assert.deepEqual(r.totals, want);
  assert.deepEqual(
    r.members.map((m) => m.developer),
    ['grace', 'ada', 'linus'],
  );
  assert.deepEqual(r.overBudget, ['grace']);
  assert.deepEqual(r.nearBudget, ['ada']);
  assert.ok(r.routes.local.interactions > W47[0].routes.local.interactions);
  assert.deepEqual(
    r.history.map((h) => [h.week, h.developers]),
    [
      ['2026-W46', 3],
      ['2026-W47', 3],
    ],
  );
  assert.equal(r.previousWeek, '2026-W46');
  assert.deepEqual(r.previousTotals, toTotals(W47.reduce((a, s) => addTally(a, tallyFromTotals(s.previousWeek)), emptyTally())));
  assert.deepEqual(r.agents.map((a) => [a.agent, a.developers]).slice(0, 2), [
    ['cline', 1],
    ['claude-code', 2],
  ]);
  const older = mergeTeam(entries, [], { now: NOW, week: '2026-W46' })!;
  assert.equal(older.week.id, '2026-W46');
  assert.equal(mergeTeam(entries, [], { now: NOW, week: '2025-W01' }), null);
  assert.equal(mergeTeam([], [], { now: NOW }), null);
});

test('the same developer and week submitted twice is counted once, from the latest, and flagged', () => {
  const again = buildWeeklySummary(teamLedgers()[0].records, {
    week: '2026-W47',
    timeZone: TZ,
    budgetNanos: null,
    now: NOW + 3600_000,
    developer: 'ada',
    priceTableVersion: PRICE_TABLE,
  });
  const r = mergeTeam([...entries, entryOf(again, 'share/ada-copy.json')], [], { now: NOW })!;
  assert.equal(r.developers, 3);
  assert.deepEqual(r.duplicates, [
    { developer: 'ada', week: '2026-W47', kept: 'share/ada-copy.json', ignored: ['share/ada-2026-W47.json'] },
  ]);
  assert.equal(r.members.find((m) => m.developer === 'ada')!.budget.state, 'none', 'the later submission is the one counted');
  assert.match(renderTeamMarkdown(r), /ada submitted 2026-W47 2 times: counted once, from share\/ada-copy\.json/);
});

test('team goldens: Markdown, CSV, HTML and JSON (JSON valid against the committed team schema)', () => {
  const r = mergeTeam(entries, [{ file: 'share/broken.json', problem: 'not valid JSON (Unexpected end of JSON input)' }], { now: NOW })!;
  assertGolden('team.md', renderTeamMarkdown(r));
  assertGolden('team.csv', renderTeamCsv(r));
  assertGolden('team.html', renderTeamHtml(r));
  assertGolden('team.json', renderTeamJson(r));
  assert.deepEqual(validate(teamSchema as Schema, JSON.parse(renderTeamJson(r))), []);
});

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-team-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('bad files are rejected by name with their problem; good ones are still merged', async () => {
  const share = path.join(dir, 'share');
  await mkdir(path.join(share, 'sub'), { recursive: true });
  await mkdir(path.join(share, '.git'), { recursive: true });
  const good = renderJson(W47[0]);
  const files: Record<string, string> = {
    'ada.json': good,
    'sub/grace.json': renderJson(W47[1]),
    'truncated.json': good.slice(0, 300),
    'empty.json': '',
    'foreign.json': JSON.stringify({ name: 'left-pad', version: '1.0.0' }),
    'array.json': '[1,2]',
    'newer.json': good.replace('"unmetered.weekly/2"', '"unmetered.weekly/3"'),
    'team.json': JSON.stringify({ schema: 'unmetered.team/1' }),
    'tampered.json': good.replace('"costUSD": 12.715002', '"costUSD": "lots"'),
    'notes.md': '# not a summary, and not read: only *.json is collected from folders',
    '.git/ignored.json': '{',
  };
  for (const [f, text] of Object.entries(files)) await writeFile(path.join(share, f), text);
  const { files: found, missing, emptyFolders } = await collectFiles(['share'], dir);
  assert.deepEqual(missing, []);
  assert.deepEqual(emptyFolders, []);
  assert.equal(found.length, 9);
  assert.ok(
    found.every((f) => f.startsWith(`share${path.sep}`)),
    'files are named as the user gave the folder',
  );
  const { entries: ok, rejected } = await readEntries(found, { cwd: dir });
  assert.deepEqual(ok.map((e) => e.developer).sort(), ['ada', 'grace']);
  const problem = (f: string) => rejected.find((r) => r.file === path.join('share', f))?.problem ?? '(accepted)';
  assert.match(problem('truncated.json'), /^not valid JSON \(.+\); the file may be truncated or not a weekly summary$/);
  assert.equal(problem('empty.json'), 'empty file, expected an Unmetered weekly summary (JSON)');
  assert.equal(problem('foreign.json'), 'not an Unmetered weekly summary: no "schema" field (expected "unmetered.weekly/2")');
  assert.equal(problem('array.json'), 'expected a JSON object (an Unmetered weekly summary), got an array');
  assert.equal(
    problem('newer.json'),
    'written by a newer Unmetered (schema "unmetered.weekly/3"); this version reads "unmetered.weekly/1", "unmetered.weekly/2" — update Unmetered to read it',
  );
  assert.equal(problem('team.json'), 'not an Unmetered weekly summary: "schema" is "unmetered.team/1", expected "unmetered.weekly/2"');
  assert.equal(problem('tampered.json'), 'does not match unmetered.weekly/2: /totals/costUSD: expected number or null, got "lots"');
  assert.equal(rejected.length, 7);
  const r = mergeTeam(ok, rejected, { now: NOW })!;
  assert.equal(r.developers, 2);
  assert.equal(r.rejected.length, 7);
  assert.match(renderTeamMarkdown(r), /Rejected share\/truncated\.json: not valid JSON/);
});

test('an empty folder and a missing path are reported as such', async () => {
  await mkdir(path.join(dir, 'empty'), { recursive: true });
  const r = await collectFiles(['empty', 'nowhere'], dir);
  assert.deepEqual(r.files, []);
  assert.deepEqual(r.emptyFolders, ['empty']);
  assert.deepEqual(r.missing, [{ file: 'nowhere', problem: 'no such file or folder' }]);
});

test('mixed weeks: each week is merged on its own and the history lists them all', () => {
  const W45 = summaries('2026-W45').slice(0, 1);
  const r = mergeTeam([...entries, ...W45.map((s) => entryOf(s, 'old/ada.json'))], [], { now: NOW, week: '2026-W46' })!;
  assert.equal(r.developers, 3);
  assert.deepEqual(
    r.history.map((h) => [h.week, h.developers]),
    [
      ['2026-W45', 1],
      ['2026-W46', 3],
      ['2026-W47', 3],
    ],
  );
  assert.deepEqual(r.totals, toTotals(W46.reduce((a, s) => addTally(a, tallyFromTotals(s.totals)), emptyTally())));
});
