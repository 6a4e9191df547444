/** `unmetered telemetry` (the shipped bundle): argument errors exit 2 with a message; --json reports the pass. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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
});
