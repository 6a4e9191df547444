/**
 * The collector fails the ways real ones do — down, slow, 503, 400, restarted between a batch's logs and
 * its metrics, and the exporting process killed mid-export — and in every case, once it is back, what it
 * holds equals the ledger: every id, each once (deduplicated on unmetered.interaction.id, as a backend
 * does), and metric sums equal to the ledger's totals with no point counted twice.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { openExportSession } from '../../src/core/otlp/export/session';
import type { PassResult } from '../../src/core/otlp/export/exporter';
import { builtFile } from '../helpers/dist';
import { Collector } from './collector';
import { appendAll, cleanup, config, corpus, ledgerTruth, tempDir, type Truth } from './fixtures';

const N = 120;
// corpus(120): 120 ids; input Σ(100+i) = 120·100 + 119·120/2 = 12,000 + 7,140 = 19,140;
// output Σ(10 + i mod 7): 120 = 17·7 + 1, so 17 full cycles (Σ 10..16 = 91 → 1,547) + one 10 = 1,557;
// cacheRead Σ(i mod 3) = 40 cycles · 3 = 120; cost Σ 1000·(i+1) = 1000 · 7,260 = 7,260,000 nanos.
const EXPECTED: Truth = { ids: 120, input: 19_140, output: 1_557, cacheRead: 120, costNanos: 7_260_000 };

// A pass that is meant to fail gets a short timeout: the exporter's retries (1 s apart and more) stop at it,
// so the test does not wait out config()'s 3 s for a collector that is down or refusing.
const FAILING_MS = 500;

async function pass(dir: string, url: string, batchSize = 25, timeoutMs?: number): Promise<PassResult> {
  const c = config(url);
  const s = await openExportSession({
    config: { ...c, batchSize, timeoutMs: timeoutMs ?? c.timeoutMs },
    dataDir: dir,
    clock: fixedClock('2026-12-01T00:00:00Z'),
    logger: memoryLogger(),
    version: 'test',
    priceTable: 'litellm@test',
    copilotBilledPerToken: false,
    loginName: 'ada',
  });
  try {
    return await s.pass();
  } finally {
    await s.close();
  }
}

function assertMatchesLedger(c: Collector, truth: Truth): void {
  const events = [...c.byId().values()];
  assert.equal(events.length, truth.ids, 'every id arrived');
  const sum = (k: string) => events.reduce((n, e) => n + Number(e.attributes[k]), 0);
  assert.equal(sum('gen_ai.usage.output_tokens'), truth.output);
  assert.equal(sum('unmetered.cost.nano_usd'), truth.costNanos);
  assert.equal(c.total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'input' }), truth.input);
  assert.equal(c.total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' }), truth.output);
  assert.equal(c.total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'cache_read' }), truth.cacheRead);
  const counted = c
    .uniquePoints()
    .filter((p) => p.metric === 'gen_ai.client.token.usage' && p.attributes['gen_ai.token.type'] === 'input')
    .reduce((n, p) => n + p.count!, 0);
  assert.equal(counted, truth.ids, 'no id counted twice in the histogram counts');
  assert.ok(Math.abs(c.total('unmetered.cost.usage') - truth.costNanos / 1e9) < 1e-12);
}

describe('OTLP export under collector faults', { timeout: 120_000 }, () => {
  let dir = '';
  before(async () => {
    dir = await tempDir();
    await appendAll(dir, corpus(N));
    assert.deepEqual(await ledgerTruth(dir), EXPECTED, 'the fixture ledger holds what the comment works out');
  });
  after(() => cleanup(dir));

  // Each case exports the same ledger to its own collector: the cursor is kept per collector URL.
  test('down, then up: nothing sent while down, the whole backlog after', async () => {
    const c = new Collector();
    await c.start();
    const port = c.port;
    await c.stop();
    const down = await pass(dir, `http://127.0.0.1:${port}`, 25, FAILING_MS);
    assert.equal(down.sent, 0);
    assert.match(down.error ?? '', /did not take/);
    await c.start(port);
    try {
      const up = await pass(dir, c.url);
      assert.equal(up.error, null);
      assertMatchesLedger(c, EXPECTED);
      assert.equal((await pass(dir, c.url)).sent, 0, 'a pass with nothing new sends nothing');
    } finally {
      await c.stop();
    }
  });

  for (const mode of ['503', '400', 'reset'] as const) {
    test(`answering ${mode === 'reset' ? 'with a dropped connection' : mode}, then recovering`, async () => {
      const c = new Collector();
      await c.start();
      try {
        c.mode = mode;
        const bad = await pass(dir, c.url, 25, FAILING_MS);
        assert.equal(bad.sent, 0);
        assert.ok(bad.error);
        assert.equal(c.events.length, 0);
        c.mode = 'ok';
        assert.equal((await pass(dir, c.url)).error, null);
        assertMatchesLedger(c, EXPECTED);
      } finally {
        await c.stop();
      }
    });
  }

  test('slower than the timeout: the sender gives up, the collector stores it anyway, the re-send is identical', async () => {
    const c = new Collector();
    await c.start();
    try {
      c.mode = 'slow'; // holds the request until answerLate()
      const slow = await pass(dir, c.url, 1000, 1000);
      assert.ok(slow.error);
      await c.answerLate(); // the request the sender gave up on completes on the collector's side
      assert.ok(c.events.length > 0, 'the collector kept the request it answered late');
      c.mode = 'ok';
      assert.equal((await pass(dir, c.url, 1000)).error, null);
      assert.ok(c.events.length > N, 'some events arrived twice, under the same ids');
      assertMatchesLedger(c, EXPECTED);
    } finally {
      await c.stop();
    }
  });

  test("restarted between a batch's logs and its metrics", async () => {
    const c = new Collector();
    await c.start();
    const port = c.port;
    try {
      // Requests 1–2 are batch 1's logs and metrics; the collector goes away after taking batch 2's logs (request 3).
      c.hook = async (_signal, accepted) => {
        if (accepted === 3) await c.stop();
      };
      const first = await pass(dir, c.url);
      assert.equal(first.batches, 1);
      assert.ok(first.error);
      c.hook = null;
      await c.start(port);
      assert.equal((await pass(dir, c.url)).error, null);
      assertMatchesLedger(c, EXPECTED);
    } finally {
      await c.stop();
    }
  });

  test('the exporting process (the shipped CLI) killed mid-export: the next run re-sends that batch only, identically', async () => {
    const c = new Collector();
    await c.start();
    const home = await tempDir();
    try {
      await appendAll(home, corpus(N));
      await writeFile(path.join(home, 'settings.json'), JSON.stringify({ telemetry: { batchSize: 10, hashKey: 'k' } }));
      const cli = builtFile('cli.js');
      const run = (onLogs?: (child: ReturnType<typeof spawn>) => void) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, [cli, 'telemetry', '--no-scan', '--endpoint', c.url], {
            env: { ...process.env, UNMETERED_HOME: home, HOME: home, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
            stdio: 'ignore',
          });
          c.hook = (signal) => {
            // The fourth batch's logs are stored; the sender dies before it hears so (and before its metrics).
            if (signal === 'logs' && c.requests.logs === 4) onLogs?.(child);
          };
          child.on('exit', (code) => resolve(code));
        });
      await run((child) => child.kill('SIGKILL'));
      assert.equal(c.requests.logs, 4);
      assert.equal(c.requests.metrics, 3);
      c.hook = null;
      assert.equal(await run(), 0);
      // Batch 4 went out twice (its 10 log events, the second time with its metrics); nothing else did.
      assert.equal(c.requests.logs, 4 + Math.ceil(132 / 10) - 3);
      assertMatchesLedger(c, EXPECTED);
      const instances = new Set(c.events.map((e) => e.resource['service.instance.id']));
      assert.equal(instances.size, 2, 'each process reports its own service.instance.id');
    } finally {
      await c.stop();
      await cleanup(home);
    }
  });
});
