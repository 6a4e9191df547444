/** The recorder: the one way into the ledger, over a real ledger in a temp data directory. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { loadPriceTable } from '../../src/core/pricing';
import { Recorder } from '../../src/core/record/recorder';

const prices = loadPriceTable();

/** An unpriced gpt-4.1 request (2e-6 $ per input token, 8e-6 $ per output token in the pinned snapshot). */
function ix(id: string, input: number, output: number, model = 'gpt-4.1'): Interaction {
  return {
    id,
    at: '2026-11-30T10:00:00.000Z',
    agent: 'codex',
    source: 'log',
    project: 'p',
    model,
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input, output }),
    costNanos: null,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
  };
}

/** A real ledger whose appends the test can watch, hold back or fail. */
async function watchedLedger(t: { after(fn: () => Promise<void> | void): void }, onAppend: (n: number) => Promise<void> | void) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-recorder-'));
  const real = await openLedger({ dir });
  t.after(async () => {
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ledger = new Proxy(real, {
    get(target, key) {
      if (key === 'append')
        return async (records: Interaction[]) => {
          await onAppend(records.length);
          return target.append(records);
        };
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { ledger, real };
}

describe('recorder: store', { timeout: 30_000 }, () => {
  test('prices once, keeps the most complete copy of an id, and writes nothing already held as complete', async (t) => {
    const { ledger, real } = await watchedLedger(t, () => {});
    const r = new Recorder({ ledger, prices: () => prices });
    const first = await r.store([{ interaction: ix('a', 1000, 10) }, { interaction: ix('a', 1000, 100) }]);
    assert.equal(first.length, 1);
    // 1000 × 2e-6 $ + 100 × 8e-6 $ = 0.002 $ + 0.0008 $ = 0.0028 $ = 2,800,000 nanos
    assert.equal(real.get('a')!.costNanos, 2_800_000);
    assert.equal(real.get('a')!.tokens.output, 100);
    assert.deepEqual(await r.store([{ interaction: ix('a', 1000, 100) }]), [], 'an equal copy is not written again');
    assert.deepEqual(await r.store([{ interaction: ix('a', 1000, 50) }]), [], 'a smaller copy is not written');
    assert.equal((await r.store([{ interaction: ix('a', 1000, 200) }])).length, 1, 'a more complete copy replaces it');
  });

  test('a sidechain copy never replaces a stored one, and loses to a main copy in the same batch', async (t) => {
    const { ledger, real } = await watchedLedger(t, () => {});
    const r = new Recorder({ ledger, prices: () => prices });
    await r.store([{ interaction: ix('s', 10, 1) }]);
    assert.deepEqual(await r.store([{ interaction: ix('s', 5000, 500), sidechain: true }]), []);
    assert.equal(real.get('s')!.tokens.input, 10);
    await r.store([{ interaction: ix('m', 9000, 9), sidechain: true }, { interaction: ix('m', 10, 1) }]);
    assert.equal(real.get('m')!.tokens.input, 10);
  });

  test("an agent's own cost prices an unknown model, and is kept beside ours for a known one", async (t) => {
    const { ledger, real } = await watchedLedger(t, () => {});
    const r = new Recorder({ ledger, prices: () => prices });
    await r.store([
      { interaction: ix('u', 10, 1, 'no-such-model-anywhere'), reportedCostNanos: 1234 },
      { interaction: ix('k', 1000, 0), reportedCostNanos: 999 },
    ]);
    assert.equal(real.get('u')!.costNanos, 1234);
    assert.equal(real.get('u')!.priceSource, 'reported:codex');
    // 1000 × 2e-6 $ = 0.002 $ = 2,000,000 nanos
    assert.equal(real.get('k')!.costNanos, 2_000_000);
    assert.equal((real.get('k') as Interaction & { agentCostNanos?: number }).agentCostNanos, 999);
  });
});

describe('recorder: group commit', { timeout: 30_000 }, () => {
  test('what arrives while a batch is written goes out in the next one: 1,000 records, 2 writes', async (t) => {
    const writes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const { ledger } = await watchedLedger(t, async (n) => {
      writes.push(n);
      if (writes.length === 1) await gate;
    });
    const r = new Recorder({ ledger, prices: () => prices });
    const done = Array.from({ length: 1000 }, (_, i) => r.record(ix(`x:${i}`, 1, 1)));
    // Give the first batch time to reach the ledger before letting it finish.
    await new Promise((ok) => setImmediate(ok));
    release();
    await Promise.all(done);
    // The first record starts a write at once; the 999 that arrive meanwhile make the second.
    assert.deepEqual(writes, [1, 999]);
  });

  test('a failed write rejects its own records only; the next batch is written', async (t) => {
    let calls = 0;
    const { ledger, real } = await watchedLedger(t, () => {
      if (++calls === 1) throw new Error('disk full');
    });
    const r = new Recorder({ ledger, prices: () => prices });
    const first = r.record(ix('f1', 1, 1));
    const second = r.record(ix('f2', 1, 1));
    await assert.rejects(first, /disk full/);
    await second;
    assert.equal(calls, 2);
    assert.equal(real.has('f1'), false);
    assert.equal(real.has('f2'), true);
  });

  test('batches are capped: 5 records with a cap of 2 go out as 1, 2, 2', async (t) => {
    const writes: number[] = [];
    const { ledger } = await watchedLedger(t, (n) => void writes.push(n));
    const r = new Recorder({ ledger, prices: () => prices, maxBatch: 2 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => r.record(ix(`c:${i}`, 1, 1))));
    assert.deepEqual(writes, [1, 2, 2]);
  });
});
