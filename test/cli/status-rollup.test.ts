/**
 * `unmetered status` answers from the ledger's rollup (issue 12: a re-run reads no stored record), and
 * from the records when the rollup cannot answer alone (a telemetry copy stored: its twin rule needs
 * them). Both give the figures the records hold: literals here, summed by hand.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { runShipped } from '../helpers/cli';
import { interaction } from '../helpers/records';

const rec = interaction;

describe('status from the rollup', { timeout: 60_000 }, () => {
  let home = '';
  // The shipped bundle, run in this process (test/helpers/cli.ts).
  const run = async (args: string[]) => {
    const r = await runShipped(args, {
      env: {
        PATH: process.env.PATH,
        UNMETERED_HOME: home,
        HOME: home,
        UNMETERED_TZ: 'UTC',
        UNMETERED_NOW: '2026-12-10T12:00:00Z',
        UNMETERED_BUDGET: '10',
      },
    });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown> & { byAgent: { agent: string; monthUSD: number; interactions: number }[] };
  };
  const append = async (records: Interaction[]) => {
    const ledger = await openLedger({ dir: home });
    await ledger.append(records);
    await ledger.close();
  };
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-status-rollup-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('today, the month and each agent, from the rollup; then from the records once a telemetry copy is stored', async () => {
    await append([
      rec('t1', '2026-12-10T08:00:00Z', 1_250_000_000),
      rec('t2', '2026-12-10T09:30:00Z', 250_000_000, { agent: 'codex', model: 'gpt-5-codex' }),
      rec('m1', '2026-12-02T10:00:00Z', 3_000_000_000),
      rec('prev', '2026-11-30T23:59:59Z', 7_000_000_000), // last month
      rec('loc', '2026-12-10T10:00:00Z', 0, {
        route: 'local',
        model: 'qwen3-coder:30b',
        replaces: 'claude-sonnet-4-5',
        avoidedNanos: 500_000_000,
      }),
    ]);
    const a = await run(['status', '--json', '--no-scan']);
    assert.ok(existsSync(path.join(home, 'cache', 'ledger', 'rollup-UTC.bin')), 'status built and kept the rollup it answered from');
    assert.deepEqual([a.todayUSD, a.avoidedTodayUSD, a.interactionsToday, a.monthToDateUSD, a.budgetUSD], [1.5, 0.5, 3, 4.5, 10]);
    assert.deepEqual(
      a.byAgent.map((b) => [b.agent, b.monthUSD, b.interactions]),
      [
        ['claude-code', 4.25, 3],
        ['codex', 0.25, 1],
      ],
    );

    await append([rec('otel1', '2026-12-10T11:00:00Z', 2_000_000_000, { source: 'otel', agent: 'gemini-cli', model: 'gemini-2.5-pro' })]);
    const b = await run(['status', '--json', '--no-scan']);
    assert.deepEqual([b.todayUSD, b.interactionsToday, b.monthToDateUSD], [3.5, 4, 6.5]);
    assert.deepEqual(
      b.byAgent.map((x) => [x.agent, x.monthUSD]),
      [
        ['claude-code', 4.25],
        ['gemini-cli', 2],
        ['codex', 0.25],
      ],
    );
  });
});
