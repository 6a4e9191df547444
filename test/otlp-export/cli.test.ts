/** `unmetered telemetry` (the shipped bundle): argument errors exit 2 with a message; --json reports the pass. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLedger } from '../../src/core/ledger';
import { memoryLogger } from '../../src/core/ports';
import { builtFile } from '../helpers/dist';
import { Collector } from './collector';
import { appendAll, cleanup, rec, tempDir } from './fixtures';

const run = promisify(execFile);

describe('unmetered telemetry', { timeout: 60_000 }, () => {
  test('bad arguments exit 2 and name the argument', async () => {
    const home = await tempDir();
    try {
      for (const [args, said] of [
        [['--no-otlp'], /--no-otlp: only with --prometheus/],
        [['--prometheus', '80'], /--prometheus: expected a port from 1024 to 65535/],
      ] as const) {
        const r = (await run(process.execPath, [builtFile('cli.js'), 'telemetry', ...args], {
          env: { ...process.env, UNMETERED_HOME: home, HOME: home },
        }).catch((e: unknown) => e)) as { code: number; stderr: string };
        assert.equal(r.code, 2);
        assert.match(r.stderr, said);
      }
    } finally {
      await cleanup(home);
    }
  });

  test('--json reports what the collector accepted; a second run sends nothing new', async () => {
    const c = new Collector();
    await c.start();
    const home = await tempDir();
    try {
      await appendAll(home, [rec('anthropic:msg_1'), rec('anthropic:msg_2'), rec('anthropic:msg_3')]);
      const once = async () => {
        const { stdout } = await run(process.execPath, [builtFile('cli.js'), 'telemetry', '--no-scan', '--json', '--endpoint', c.url], {
          env: { ...process.env, UNMETERED_HOME: home, HOME: home },
        });
        return JSON.parse(stdout) as { sent: number; batches: number; error: string | null; endpoint: string };
      };
      assert.deepEqual(await once(), { endpoint: `${c.url}/v1/logs`, sent: 3, batches: 1, skipped: 0, error: null, busy: false });
      assert.equal((await once()).sent, 0);
      assert.equal(c.events.length, 3);
    } finally {
      await c.stop();
      await cleanup(home);
    }
  });

  // The budgets a run reports come from the rollup, as `status` takes them: no stored record is read. A read of
  // every record leaves a snapshot of each segment of 2,000 lines or more (cache/ledger/<month>.bin), which is
  // how the test sees it. A telemetry copy (source otel) may have a twin in a log, so with one the rollup cannot
  // answer alone and every record is read.
  test('the budget gauges come from the rollup without reading the records; with a telemetry copy, from every record', async () => {
    const c = new Collector();
    await c.start();
    const homes: string[] = [];
    try {
      const october = Array.from({ length: 2100 }, (_, i) =>
        rec(`anthropic:oct_${i}`, { at: new Date(Date.parse('2026-10-01T00:00:00Z') + i * 600_000).toISOString() }),
      );
      // November: 3 × 10,500,000 n$ = $0.0315 of a $100 budget.
      const november = [rec('anthropic:nov_1'), rec('anthropic:nov_2'), rec('anthropic:nov_3')];
      const otel = rec('otel:claude-code:req_1', { source: 'otel', at: '2026-11-21T10:00:00.000Z', costNanos: 4_500_000 });
      const remaining = async (records: typeof november) => {
        const home = await tempDir();
        homes.push(home);
        const ledger = await openLedger({ dir: home, logger: memoryLogger() });
        await ledger.append(records);
        await ledger.close();
        writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ monthlyBudget: 100, timezone: 'UTC' }));
        c.points = [];
        const { stdout } = await run(process.execPath, [builtFile('cli.js'), 'telemetry', '--no-scan', '--json', '--endpoint', c.url], {
          env: { ...process.env, UNMETERED_HOME: home, HOME: home, UNMETERED_NOW: '2026-11-25T12:00:00Z' },
        });
        assert.equal((JSON.parse(stdout) as { error: string | null }).error, null);
        const gauge = c.points.find((p) => p.metric === 'unmetered.budget.remaining' && p.attributes['unmetered.budget.id'] === 'monthly');
        return { remaining: gauge?.value, octoberRead: existsSync(path.join(home, 'cache', 'ledger', '2026-10.bin')) };
      };
      assert.deepEqual(await remaining([...october, ...november]), { remaining: 99.9685, octoberRead: false });
      // $0.0315 + $0.0045 = $0.036
      assert.deepEqual(await remaining([...october, ...november, otel]), { remaining: 99.964, octoberRead: true });
    } finally {
      await c.stop();
      for (const h of homes) await cleanup(h);
    }
  });
});
