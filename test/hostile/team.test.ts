/**
 * Hostile inputs to `unmetered team` (issue 11, items 3 to 6): a teammate's share can hold links,
 * FIFOs, device links, huge or odd files and names full of escape sequences. Each case runs the
 * shipped CLI bundle as a child process with a time limit, and asserts that the process ends by
 * itself, that the report still holds exactly the valid team (VALID_TOTAL_USD) and that nothing of
 * the hostile entry leaks into the output. The 150,000-file case is a CI-level suite:
 * test/ci/hostile-team-many.test.ts.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderJson } from '../../src/core/report/render/json';
import { entryOf, mergeTeam } from '../../src/core/report/team/team';
import { MAX_SUMMARY_BYTES } from '../../src/core/report/team/teamFiles';
import { cli, nanosOf, NOW, RAW_CONTROLS, tmpRoot, VALID_INTERACTIONS, VALID_TOTAL_USD, validShare, validSummaries } from './helpers';

let root: string;
before(() => {
  root = tmpRoot('team');
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh share with the three valid summaries; returns its name relative to root. */
let shares = 0;
function share(): { name: string; dir: string } {
  const name = `share${++shares}`;
  return { name, dir: validShare(root, name) };
}

/** Runs `team <share> --format json` and checks the process ended by itself and the valid team is intact. */
function teamJson(name: string, extra: string[] = []) {
  const r = cli(['team', name, '--format', 'json', ...extra], { cwd: root });
  assert.equal(r.error, undefined, `the CLI did not finish: ${r.error?.message}`);
  assert.equal(r.signal, null, 'the CLI was killed (it hung past the time limit)');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.week.id, '2026-W47');
  assert.equal(j.developers, 3);
  assert.equal(j.totals.costUSD, VALID_TOTAL_USD);
  assert.equal(j.totals.interactions, VALID_INTERACTIONS);
  return { r, j, problems: new Map<string, string>(j.rejected.map((p: { file: string; problem: string }) => [p.file, p.problem])) };
}

describe('team: links, FIFOs and devices in a shared folder', { timeout: 120_000 }, () => {
  test('a link to a file outside the folder is not followed: none of its content reaches the report', () => {
    const { name, dir } = share();
    const secret = path.join(root, 'secret.json');
    writeFileSync(secret, '{"schema": "TOP-SECRET-1234 private key material"}');
    symlinkSync(secret, path.join(dir, 'leak.json'));
    symlinkSync(root, path.join(dir, 'outside'));
    const { r, problems } = teamJson(name);
    assert.ok(!r.stdout.includes('TOP-SECRET') && !r.stderr.includes('TOP-SECRET'));
    assert.match(problems.get(path.join(name, 'leak.json'))!, /^skipped: a symbolic link \(links inside a team folder are never followed/);
    assert.match(problems.get(path.join(name, 'outside'))!, /^skipped: a symbolic link/);
    const md = cli(['team', name], { cwd: root });
    assert.match(md.stdout, /Rejected share\d+\/leak\.json: skipped: a symbolic link/, 'the notes name what was skipped and why');
  });

  test('a link inside the folder to a file inside it is skipped too (one rule for every link)', () => {
    const { name, dir } = share();
    symlinkSync('ada-2026-W47.json', path.join(dir, 'alias.json'));
    const { j, problems } = teamJson(name);
    assert.match(problems.get(path.join(name, 'alias.json'))!, /symbolic link/);
    assert.deepEqual(j.duplicates, [], 'the link was not read, so ada is not counted twice');
  });

  test('a FIFO named like a summary is never opened: the merge finishes', () => {
    const { name, dir } = share();
    execFileSync('mkfifo', [path.join(dir, 'pipe.json')]);
    const { problems } = teamJson(name);
    assert.equal(problems.get(path.join(name, 'pipe.json')), 'skipped: a FIFO (named pipe), not a regular file (never opened)');
  });

  test('a link to /dev/zero is skipped; /dev/zero named on the command line is refused at once', () => {
    const { name, dir } = share();
    symlinkSync('/dev/zero', path.join(dir, 'zero.json'));
    const { problems } = teamJson(name);
    assert.match(problems.get(path.join(name, 'zero.json'))!, /symbolic link/);
    const named = cli(['team', '/dev/zero'], { cwd: root, timeoutMs: 15_000 });
    assert.equal(named.signal, null);
    assert.equal(named.code, 1);
    assert.match(named.stderr, /\/dev\/zero: skipped: a character device, not a regular file \(never opened\)/);
  });

  test('a link to / is not walked', () => {
    const { name, dir } = share();
    symlinkSync('/', path.join(dir, 'root'));
    const { problems } = teamJson(name);
    assert.match(problems.get(path.join(name, 'root'))!, /symbolic link/);
  });

  test('a file over the size bound is refused from its size, without being read', () => {
    const { name, dir } = share();
    const big = path.join(dir, 'big.json');
    closeSync(openSync(big, 'w'));
    truncateSync(big, MAX_SUMMARY_BYTES + 1); // sparse: no 16 MB written
    const { problems } = teamJson(name);
    assert.equal(problems.get(path.join(name, 'big.json')), 'more than 16 MB is too large for a weekly summary (at most 16 MB)');
  });
});

describe('team: names with control characters and escape sequences', { timeout: 60_000 }, () => {
  const EVIL = '\u001b]52;c;cHduZWQ=\u0007ev\u0008e\u001b[2J\u001bc\u009b31m\u009d0;XTITLEX\u009c\u007f';
  test('never reach the terminal, Markdown, CSV, HTML or JSON', () => {
    const { name, dir } = share();
    const s = validSummaries()[0];
    const evil = JSON.parse(renderJson(s));
    evil.developer = `mal${EVIL}lory`;
    evil.models[0].model = `model${EVIL}`;
    writeFileSync(path.join(dir, 'mallory.json'), JSON.stringify(evil));
    writeFileSync(path.join(dir, `\u001b]0;pwned\u0007bad.json`), 'not json \u001b[2J');
    for (const format of ['md', 'csv', 'html', 'json']) {
      const r = cli(['team', name, '--format', format], { cwd: root });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, RAW_CONTROLS, `${format}: no raw control character`);
      assert.doesNotMatch(r.stderr, RAW_CONTROLS, 'stderr: no raw control character');
      assert.ok(!r.stdout.includes('cHduZWQ') && !r.stdout.includes('XTITLEX'), `${format}: escape sequence payloads are removed whole`);
      assert.ok(r.stdout.includes('malevelory'), `${format}: the printable part of the name stays`);
    }
    const j = JSON.parse(cli(['team', name, '--format', 'json'], { cwd: root }).stdout);
    assert.deepEqual(j.members.map((m: { developer: string }) => m.developer).sort(), ['ada', 'grace', 'linus', 'malevelory']);
    assert.equal(j.totals.costUSD, 69.40959, 'mallory is a copy of ada: 56.694588 + 12.715002');
  });
});

describe('team: schema-valid values that would distort the report', { timeout: 60_000 }, () => {
  test('costUSD 1e308 is refused by the schema maximum; $1,000,000 (the cap) is summed exactly', () => {
    const { name, dir } = share();
    const huge = JSON.parse(renderJson(validSummaries()[0]));
    huge.developer = 'huge';
    writeFileSync(path.join(dir, 'huge.json'), renderJson(huge).replace('"costUSD": 12.715002', '"costUSD": 1e308'));
    const { r, problems } = teamJson(name);
    assert.match(problems.get(path.join(name, 'huge.json'))!, /\/totals\/costUSD: expected a number ≤ 1000000, got 1e\+308/);
    assert.ok(!r.stdout.includes('∞') && !r.stdout.includes('Infinity'));
    const cap = JSON.parse(renderJson(validSummaries()[0]));
    cap.developer = 'cap';
    cap.totals.costUSD = 1_000_000;
    writeFileSync(path.join(dir, 'cap.json'), JSON.stringify(cap));
    const j = JSON.parse(cli(['team', name, '--format', 'json'], { cwd: root }).stdout);
    // 56.694588 + 1,000,000 = 1,000,056.694588, to the nano-dollar
    assert.equal(nanosOf(j.totals.costUSD), 1_000_056_694_588_000n);
    const md = cli(['team', name], { cwd: root }).stdout;
    assert.match(md, /\*\*\$1,000,057 \+ 8 unpriced\*\* metered spend across 4 developers/);
  });

  test('a team past 2^53 nano-dollars is still summed to the nano-dollar', () => {
    const ada = entryOf(validSummaries()[0], 'ada.json'); // $12.715002
    const big = { ...ada, totals: { ...ada.totals, costUSD: 1_000_000 } };
    const entries = [ada, ...Array.from({ length: 9 }, (_, i) => ({ ...big, developer: `big-${i}`, file: `big-${i}.json` }))];
    const r = mergeTeam(entries, [], { now: NOW })!;
    // 9 × 1,000,000 + 12.715002 = 9,000,012.715002 USD: past 2^52 nano-dollars, where sums are carried into a BigInt;
    // 19 × 1,000,000 + 12.715002 = 19,000,012,715,002,000 nano-dollars: past 2^53 = 9,007,199,254,740,992
    const more = entries.concat(Array.from({ length: 10 }, (_, i) => ({ ...big, developer: `more-${i}`, file: `more-${i}.json` })));
    const r2 = mergeTeam(more, [], { now: NOW })!;
    assert.equal(nanosOf(r.totals.costUSD!), 9_000_012_715_002_000n);
    assert.equal(nanosOf(r2.totals.costUSD!), 19_000_012_715_002_000n);
    assert.ok(19_000_012_715_002_000n > 2n ** 53n);
  });

  test('a week in the future (9999-W52, 2999-W01) is neither the default week nor in the history', () => {
    const { name, dir } = share();
    const w52 = JSON.parse(renderJson(validSummaries()[0]));
    w52.developer = 'time-traveller';
    Object.assign(w52.week, { id: '9999-W52', start: '9999-12-20', end: '9999-12-26' });
    writeFileSync(path.join(dir, 'w52.json'), JSON.stringify(w52));
    const w01 = JSON.parse(renderJson(validSummaries()[0]));
    w01.developer = 'time-traveller-2';
    // Python's datetime.date.fromisocalendar(2999, 1, 1) and (2999, 1, 7)
    Object.assign(w01.week, { id: '2999-W01', start: '2998-12-31', end: '2999-01-06' });
    writeFileSync(path.join(dir, 'w01.json'), JSON.stringify(w01));
    const { j, problems, r } = teamJson(name);
    assert.deepEqual(
      j.history.map((h: { week: string }) => h.week),
      ['2026-W47'],
    );
    // 9999-W52 runs from 9999-12-27 into the year 10000: no date in it fits YYYY-MM-DD
    assert.match(problems.get(path.join(name, 'w52.json'))!, /^\/week: 9999-W52 starting on monday is 9999-12-27 to 10000-01-02/);
    assert.match(
      problems.get(path.join(name, 'w01.json'))!,
      /^week 2999-W01 has not begun yet \(it is 2026-11-23 at the latest anywhere\)/,
    );
    assert.match(r.stderr, /skipped share\d+\/w01\.json: week 2999-W01 has not begun yet/);
  });

  test('a week that does not exist (2025-W53) or whose days do not match its id is refused', () => {
    const { name, dir } = share();
    const w53 = JSON.parse(renderJson(validSummaries()[0]));
    w53.developer = 'w53';
    // 1 Jan 2025 is a Wednesday, so 2025 has 52 ISO weeks; 28 Dec 2025 (Sunday) ends 2025-W52.
    Object.assign(w53.week, { id: '2025-W53', start: '2025-12-29', end: '2026-01-04' });
    writeFileSync(path.join(dir, 'w53.json'), JSON.stringify(w53));
    const shifted = JSON.parse(renderJson(validSummaries()[0]));
    shifted.developer = 'shifted';
    shifted.week.start = '2026-11-17';
    writeFileSync(path.join(dir, 'shifted.json'), JSON.stringify(shifted));
    const { problems } = teamJson(name);
    assert.match(problems.get(path.join(name, 'w53.json'))!, /\/week\/id: expected an ISO week that exists .* got "2025-W53"/);
    assert.match(
      problems.get(path.join(name, 'shifted.json'))!,
      /\/week: 2026-W47 starting on monday is 2026-11-16 to 2026-11-22, got "2026-11-17" to "2026-11-22"/,
    );
  });

  test('deeply nested JSON is a diagnosed rejection, not a stack overflow', () => {
    const { name, dir } = share();
    const depth = 200_000;
    writeFileSync(path.join(dir, 'deep.json'), `{"schema":"unmetered.weekly/1","developer":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const { problems } = teamJson(name);
    const p = problems.get(path.join(name, 'deep.json'))!;
    assert.doesNotMatch(p, /call stack/);
    assert.match(p, /^does not match unmetered\.weekly\/1: \/week: expected a value \(required\)/);
  });
});
