/**
 * `unmetered status --check`: the exit code scripts and CI act on, and which budget it names. The CLI runs
 * as shipped (the esbuild bundle, as a child process) on a real ledger; the settings come the way the
 * extension mirrors them (<data dir>/settings.json). Costs are given on the records (priceSource "test"), so
 * every figure below is plain arithmetic on them.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { runShipped } from '../helpers/cli';

// The shipped bundle, run in this process (test/helpers/cli.ts).
let home: string;
let emptyLogs: string;

function run(args: string[], settings: object) {
  writeFileSync(path.join(home, 'settings.json'), JSON.stringify(settings));
  return runShipped(args, {
    env: {
      PATH: process.env.PATH,
      UNMETERED_HOME: home,
      HOME: emptyLogs,
      CLAUDE_CONFIG_DIR: path.join(emptyLogs, 'claude'),
      CODEX_HOME: path.join(emptyLogs, 'codex'),
      UNMETERED_TZ: 'UTC',
      UNMETERED_NOW: '2026-11-23T12:00:00Z',
    },
  });
}

const usd = (n: number) => Math.round(n * 1e9);
const rec = (id: string, at: string, project: string, costUSD: number, extra: Partial<Interaction> = {}): Interaction => ({
  id,
  at,
  agent: 'claude-code',
  source: 'log',
  project,
  model: 'claude-sonnet-4-5',
  route: 'cloud',
  replaces: null,
  tokens: tokens({ input: 1, output: 1 }),
  costNanos: usd(costUSD),
  avoidedNanos: null,
  priceSource: 'test',
  estimated: false,
  ...extra,
});

before(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-check-'));
  emptyLogs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-check-home-'));
  const ledger = await openLedger({ dir: home });
  await ledger.append([
    rec('t1', '2026-11-23T09:00:00.000Z', 'webapp', 3),
    rec('t2', '2026-11-23T10:00:00.000Z', 'api', 1),
    rec('m1', '2026-11-05T10:00:00.000Z', 'webapp', 10),
    rec('old', '2026-10-30T10:00:00.000Z', 'webapp', 50), // last month: in no budget
    // Served locally today: avoided spend, not spend.
    rec('loc', '2026-11-23T11:00:00.000Z', 'webapp', 0, {
      route: 'local',
      model: 'qwen3-coder:30b',
      replaces: 'claude-sonnet-4-5',
      avoidedNanos: usd(2),
    }),
  ]);
  await ledger.close();
});
after(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(emptyLogs, { recursive: true, force: true });
});

// Today: $3 + $1 = $4.00. November: $4 + $10 = $14.00. webapp in November: $3 + $10 = $13.00; api: $1.00.
const all = { dailyBudget: 5, monthlyBudget: 100, projectBudgets: { webapp: 12, api: 10 } };

describe('status --check', { timeout: 60_000 }, () => {
  test('exit 3 and the budget named when one is used up; the others say ok', async () => {
    const r = await run(['status', '--check', '--no-scan'], all);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(
      r.stdout,
      [
        'Budgets (money spent)',
        '  daily           $4.00 of $5.00 today (2026-11-23), 80 %  ok', // 4 / 5
        '  monthly         $14.00 of $100.00 in 2026-11, 14 %  ok', // 14 / 100
        '  project api     $1.00 of $10.00 in 2026-11, 10 %  ok',
        '  project webapp  $13.00 of $12.00 in 2026-11, 108 %  OVER 100 %', // 13 / 12 = 1.083
        '',
      ].join('\n'),
    );
    assert.equal(r.stderr, '');
  });

  test('--threshold 80 also fails on a budget at exactly 80 %; --json lists which', async () => {
    const r = await run(['status', '--check', '--threshold', '80', '--json', '--no-scan'], all);
    assert.equal(r.code, 3);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.check, { thresholdPercent: 80, over: ['daily', 'project:webapp'] });
    assert.deepEqual(j.budgets[0], { budget: 'daily', period: '2026-11-23', limitUSD: 5, spentUSD: 4, percent: 80, enforcement: 'off' });
  });

  test('exit 0 when every budget is under the threshold, or none is set', async () => {
    const some = { dailyBudget: 5, monthlyBudget: 100 };
    assert.equal((await run(['status', '--check', '--no-scan'], some)).code, 0);
    assert.equal((await run(['status', '--check', '--threshold', '81', '--no-scan'], some)).code, 0); // 80 % < 81 %
    assert.equal((await run(['status', '--check', '--threshold', '80', '--no-scan'], some)).code, 3);
    const none = await run(['status', '--check', '--no-scan'], {});
    assert.equal(none.code, 0);
    assert.match(none.stdout, /^No budget is set/);
  });

  test('bad thresholds are usage errors (exit 2); a bad budget setting warns and is not applied', async () => {
    for (const args of [
      ['--check', '--threshold', '0'],
      ['--check', '--threshold', 'most'],
      ['--threshold', '80'],
    ]) {
      const r = await run(['status', ...args, '--no-scan'], all);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
    }
    const bad = await run(['status', '--check', '--no-scan'], { dailyBudget: 'lots', projectBudgets: { webapp: -1 } });
    assert.equal(bad.code, 0);
    assert.match(bad.stderr, /unmetered\.dailyBudget: expected a number of US dollars/);
    assert.match(bad.stderr, /unmetered\.projectBudgets\["webapp"\]: expected a number of US dollars above 0/);
  });

  test('plain status lists the budgets under the meter, and its JSON carries them', async () => {
    const r = await run(['status', '--no-scan'], all);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\nBudgets \(money spent\)\n {2}daily {11}\$4\.00 of \$5\.00 today \(2026-11-23\), 80 %\n/);
    const j = JSON.parse((await run(['status', '--json', '--no-scan'], all)).stdout);
    assert.deepEqual(
      j.budgets.map((b: { budget: string; spentUSD: number }) => [b.budget, b.spentUSD]),
      [
        ['daily', 4],
        ['monthly', 14],
        ['project:api', 1],
        ['project:webapp', 13],
      ],
    );
  });
});
