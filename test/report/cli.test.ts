import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLedger } from '../../src/core/ledger';
import { validate, type Schema } from '../../src/core/report/summary/jsonschema';
import schema from '../../src/core/report/summary/weekly-2.schema.json';
import { rec, teamLedgers } from './ledger';
import { runShipped } from '../helpers/cli';

// As shipped: the esbuild bundle (run in this process: test/helpers/cli.ts), with the clock pinned by UNMETERED_NOW.
let root: string;
const homes: Record<string, string> = {};

function run(args: string[], opts: { who?: string; env?: Record<string, string>; cwd?: string } = {}) {
  return runShipped(args, {
    cwd: opts.cwd ?? root,
    env: {
      PATH: process.env.PATH,
      HOME: path.join(root, 'nohome'),
      USER: 'tester',
      UNMETERED_HOME: homes[opts.who ?? 'ada'],
      UNMETERED_NOW: '2026-11-23T09:00:00.000Z',
      ...opts.env,
    },
  });
}

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-export-'));
  mkdirSync(path.join(root, 'nohome'));
  for (const d of teamLedgers()) {
    const dir = (homes[d.developer] = path.join(root, `data-${d.developer}`));
    const ledger = await openLedger({ dir });
    await ledger.append(d.records);
    await ledger.close();
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({ monthlyBudget: d.budgetNanos === null ? null : d.budgetNanos / 1e9, timezone: 'Europe/Berlin', prices: {} }),
    );
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

test('export with no arguments prints last complete week as JSON valid against the schema', async () => {
  const r = await run(['export', '--no-scan']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(validate(schema as Schema, j), []);
  assert.equal(j.week.id, '2026-W47');
  assert.equal(j.developer, 'tester', 'the login name when no developer is configured');
  assert.equal(j.totals.interactions, 39);
  assert.equal(j.budget.monthlyBudgetUSD, 45);
  assert.match(j.priceTableVersion, /^litellm@/);
});

test('export --format md reproduces the weekly golden apart from the price table name', async () => {
  const r = await run(['export', '--no-scan', '--format', 'md', '--developer', 'ada']);
  assert.equal(r.code, 0, r.stderr);
  const golden = readFileSync(path.join(__dirname, 'golden', 'weekly.md'), 'utf8');
  const version = /prices (\S+) ·/.exec(r.stdout)![1];
  assert.equal(r.stdout, golden.replace('prices litellm@00035b69', `prices ${version}`));
});

test('export --out: the format follows the extension, a folder gets <developer>-<week>.<format>, nothing on stdout', async () => {
  const missing = await run(['export', '--no-scan', '--week', '2026-W46', '--out', 'out/ada.html']);
  assert.equal(missing.code, 2, 'a missing folder is refused, never created');
  assert.match(missing.stderr, /--out out\/ada\.html: the folder out does not exist; create it first/);
  assert.equal(existsSync(path.join(root, 'out')), false);
  mkdirSync(path.join(root, 'out'));
  const html = await run(['export', '--no-scan', '--week', '2026-W46', '--out', 'out/ada.html']);
  assert.equal(html.code, 0, html.stderr);
  assert.equal(html.stdout, '');
  assert.match(html.stderr, /wrote 2026-W46 \(21 interactions\) to .*out\/ada\.html/);
  assert.match(readFileSync(path.join(root, 'out', 'ada.html'), 'utf8'), /^<!DOCTYPE html>[\s\S]*2026-W46/);
  mkdirSync(path.join(root, 'share'), { recursive: true });
  for (const who of ['ada', 'grace', 'linus']) {
    for (const week of ['2026-W46', '2026-W47']) {
      const r = await run(['export', '--no-scan', '--week', week, '--developer', who, '--out', 'share'], { who });
      assert.equal(r.code, 0, r.stderr);
    }
  }
  assert.ok(existsSync(path.join(root, 'share', 'grace-2026-W47.json')));
  const csv = await run(['export', '--no-scan', '--format', 'csv']);
  assert.match(csv.stdout, /^week,developer,date,agent,model,route,costUSD,/);
});

// The summary reads its week and the one before from the rollup; a full read of the ledger would leave a snapshot
// (cache/ledger/<month>.bin) of every segment of 2,000 lines or more, which is how the test sees what was read.
test('export of a week at the end of a long history: the same golden, without reading the older months', async () => {
  const dir = path.join(root, 'data-ada-long');
  const ledger = await openLedger({ dir });
  const june = Array.from({ length: 2100 }, (_, i) =>
    rec({ id: `june:${i}`, at: new Date(Date.parse('2026-06-01T08:00:00.000Z') + i * 1_200_000).toISOString() }),
  );
  await ledger.append([...june, ...teamLedgers()[0].records]);
  await ledger.close();
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ monthlyBudget: 45, timezone: 'Europe/Berlin', prices: {} }));
  const junes = path.join(dir, 'cache', 'ledger', '2026-06.bin');
  const env = { UNMETERED_HOME: dir };
  const r = await run(['export', '--no-scan', '--format', 'md', '--developer', 'ada'], { env });
  assert.equal(r.code, 0, r.stderr);
  const golden = readFileSync(path.join(__dirname, 'golden', 'weekly.md'), 'utf8');
  const version = /prices (\S+) ·/.exec(r.stdout)![1];
  assert.equal(r.stdout, golden.replace('prices litellm@00035b69', `prices ${version}`));
  assert.equal(existsSync(junes), false, 'June was not read');
  // The summary of 2026-W24 reads it and W23, which hold 45% of the history: every record is read (the quicker
  // way for so many), and June's snapshot written.
  const w24 = await run(['export', '--no-scan', '--format', 'json', '--week', '2026-W24'], { env });
  assert.equal(w24.code, 0, w24.stderr);
  const j = JSON.parse(w24.stdout);
  // One record every 20 minutes from 08:00 UTC on 1 June; Berlin's weeks start at 22:00 UTC on Sundays.
  assert.deepEqual([j.totals.interactions, j.previousWeek.interactions], [7 * 24 * 3, 158 * 3]);
  assert.equal(existsSync(junes), true, 'June was read');
});

test('mirrored export settings apply: Sunday weeks, pseudonymised projects with a salt kept in the data dir', async () => {
  writeFileSync(
    path.join(homes.linus, 'settings.json'),
    JSON.stringify({ export: { weekStart: 'sunday', pseudonymiseProjects: true, developer: 'Linus T.' } }),
  );
  const r = await run(['export', '--no-scan', '--format', 'json'], { who: 'linus' });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.developer, 'Linus T.');
  assert.equal(j.week.start, '2026-11-15');
  assert.equal(j.projectsPseudonymised, true);
  assert.ok(!r.stdout.includes('webshop') && !r.stdout.includes('billing-api'));
  assert.ok(existsSync(path.join(homes.linus, 'export-salt')));
  const again = JSON.parse((await run(['export', '--no-scan', '--format', 'json'], { who: 'linus' })).stdout);
  assert.deepEqual(
    again.projects.map((p: { project: string }) => p.project),
    j.projects.map((p: { project: string }) => p.project),
  );
  const plain = JSON.parse((await run(['export', '--no-scan', '--no-pseudonymise', '--developer', 'linus'], { who: 'linus' })).stdout);
  assert.equal(plain.projects[0].project, 'webshop');
  rmSync(path.join(homes.linus, 'settings.json'));
});

test('team merges a folder: latest week by default, per developer, flags a duplicate and names bad files', async () => {
  writeFileSync(path.join(root, 'share', 'copy-of-ada.json'), readFileSync(path.join(root, 'share', 'ada-2026-W47.json')));
  writeFileSync(path.join(root, 'share', 'broken.json'), '{"schema": "unmetered.weekly/1", "developer": "x"');
  writeFileSync(path.join(root, 'share', 'package.json'), '{"name": "not-a-summary"}');
  const r = await run(['team', 'share']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^## Unmetered team summary · 2026-W47/);
  assert.match(r.stdout, /across 3 developers/);
  assert.match(r.stdout, /\| grace \| \$38\.15 \+ 2 unpriced \| \+149 % \|/);
  assert.match(r.stdout, /Over budget: grace/);
  const warnings = r.stderr.trim().split('\n');
  assert.ok(
    warnings.some((l) => /skipped share\/broken\.json: not valid JSON/.test(l)),
    r.stderr,
  );
  assert.ok(
    warnings.some((l) => /skipped share\/package\.json: not an Unmetered weekly summary: no "schema" field/.test(l)),
    r.stderr,
  );
  assert.ok(
    warnings.some((l) => /ada submitted 2026-W47 more than once/.test(l)),
    r.stderr,
  );
  const csv = await run(['team', 'share', '--week', '2026-W46', '--format', 'csv']);
  assert.equal(csv.code, 0);
  assert.equal(csv.stdout.trim().split('\r\n').length, 4, 'a header and one row per developer');
  assert.match(csv.stdout, /\r\n2026-W46,grace,/);
  const json = JSON.parse(
    (
      await run([
        'team',
        path.join(root, 'share', 'ada-2026-W47.json'),
        path.join(root, 'share', 'linus-2026-W47.json'),
        '--format',
        'json',
      ])
    ).stdout,
  );
  assert.equal(json.developers, 2);
});

test('team: empty folder, week not present, nothing usable → exit 1 with the reason', async () => {
  mkdirSync(path.join(root, 'empty'), { recursive: true });
  const empty = await run(['team', 'empty']);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /no weekly summaries \(\*\.json\) in this folder/);
  const absent = await run(['team', 'share', '--week', '2025-W01']);
  assert.equal(absent.code, 1);
  assert.match(absent.stderr, /no summaries for 2025-W01; weeks present: 2026-W46, 2026-W47/);
  mkdirSync(path.join(root, 'junk'), { recursive: true });
  writeFileSync(path.join(root, 'junk', 'a.json'), '[]');
  const junk = await run(['team', 'junk']);
  assert.equal(junk.code, 1);
  assert.match(junk.stderr, /none of the 1 file is a usable weekly summary/);
});

test('bad arguments: one line naming the argument and what was expected, exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['export', '--week', '2026-W60'], /--week: expected an ISO week such as 2026-W47, got "2026-W60"/],
    [['export', '--week', '2026-11-16'], /--week: expected an ISO week/],
    [['export', '--format', 'pdf'], /--format: expected json, md, csv, html, got "pdf"/],
    [['export', '--week-start', 'friday'], /--week-start: expected monday, sunday, saturday, got "friday"/],
    [['export', '--pseudonymise', '--no-pseudonymise'], /at most one of them/],
    [['export', '--tz', 'Mars/Base'], /--tz: expected an IANA time zone/],
    [['team'], /<folder or files…>: expected at least one folder or weekly summary file, got none/],
    [['team', 'nowhere'], /nowhere: no such file or folder; expected a folder or a weekly summary file/],
    [['team', 'share', '--format', 'xml'], /--format: expected json, md, csv, html, got "xml"/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], message);
    assert.equal(r.stdout, '');
  }
});
