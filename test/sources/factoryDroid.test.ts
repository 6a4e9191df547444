import assert from 'node:assert/strict';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtFile } from '../helpers/dist';
import { factoryDroid } from '../../src/core/import';
import { byId, copyFixture, onlySource, world, type World } from './helpers';

const SONNET = 'sessions/-home-dev-shop/5c1d2e3f-6a7b-4c8d-9e0f-1a2b3c4d5e6f.settings.json';
const OPUS = 'sessions/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d.settings.json';
const mine = (w: World) => w.ledger.records().filter((r) => r.agent === 'factory-droid');
const priced = (w: World) => mine(w).reduce((s, r) => s + (r.costNanos ?? 0), 0);

describe('Factory Droid session settings', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  const only = () => onlySource('factoryDroid', [dir]);
  before(async () => {
    w = await world();
    dir = copyFixture(w, 'factory-droid');
    const t = new Date('2026-11-29T08:00:00.000Z');
    utimesSync(path.join(dir, OPUS), t, t);
    await w.importer({ settings: only() }).scan();
  });
  after(() => w.cleanup());

  it("reads a session's running total as one record, thinking inside output, at base rates", () => {
    const r = byId(w).get('factory-droid:5c1d2e3f-6a7b-4c8d-9e0f-1a2b3c4d5e6f')!;
    assert.deepEqual(r.tokens, { input: 2000, output: 3500, cacheRead: 600_000, cacheWrite5m: 40_000, cacheWrite1h: 0, reasoning: 500 });
    assert.equal(r.at, '2026-11-30T11:00:00.000Z');
    assert.equal(r.model, 'claude-sonnet-4-5-20250929');
    // 642,000 prompt tokens summed over many requests: base sonnet 4.5 rates, not the >200k ones
    // 2,000 × 3,000 + 3,500 × 15,000 + 40,000 × 3,750 + 600,000 × 300
    //   = 6,000,000 + 52,500,000 + 150,000,000 + 180,000,000 = 388,500,000
    assert.equal(r.costNanos, 388_500_000);
  });

  it("names a custom model as the readers do, and dates a session without a lock time by the file's mtime", () => {
    const r = byId(w).get('factory-droid:7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d')!;
    assert.equal(r.model, 'claude-opus-4-5-thinking-0');
    assert.equal(r.at, '2026-11-29T08:00:00.000Z');
    // opus 4.5 (matched by name, inferred): 1,000 × 5,000 + 500 × 25,000 + 20,000 × 500 = 5,000,000 + 12,500,000 + 10,000,000
    assert.equal(r.costNanos, 27_500_000);
    assert.equal(r.priceInferred, true);
  });

  it('leaves an unknown custom model unpriced, skips a session with no usage and reports a bad count', () => {
    const r = byId(w).get('factory-droid:8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e')!;
    assert.equal(r.model, 'shop-local');
    assert.equal(r.costNanos, null);
    assert.equal(mine(w).length, 3);
    assert.equal(priced(w), 416_000_000); // 388,500,000 + 27,500,000
    assert.ok(
      w.logger.lines.some((l) =>
        l.includes('0d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a.settings.json:1: skipped a malformed line: tokenUsage.inputTokens'),
      ),
      w.logger.lines.join('\n'),
    );
  });

  it('a rewritten total adds only what grew; the same total rewritten adds nothing', async () => {
    const file = path.join(dir, SONNET);
    const o = JSON.parse(readFileSync(file, 'utf8'));
    o.tokenUsage.inputTokens += 1000;
    o.tokenUsage.outputTokens += 500;
    writeFileSync(file, JSON.stringify(o, null, 2));
    const before = priced(w);
    const s = await w.importer({ settings: only() }).scan();
    assert.equal(s.written, 1);
    // 1,000 × 3,000 + 500 × 15,000 = 3,000,000 + 7,500,000
    assert.equal(priced(w) - before, 10_500_000);
    assert.equal(mine(w).length, 3, 'still one record per session');

    writeFileSync(file, JSON.stringify(o)); // same numbers, written again
    const again = await w.importer({ settings: only() }).scan();
    assert.equal(again.filesRead, 1);
    assert.equal(again.written, 0);
    assert.equal(priced(w) - before, 10_500_000);
  });

  it('looks in ~/.factory/sessions', () => {
    assert.deepEqual(factoryDroid.defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' }), ['/home/dev/.factory/sessions']);
    assert.deepEqual(factoryDroid.rootsFromSetting('/home/dev/.factory'), ['/home/dev/.factory/sessions']);
    assert.ok(factoryDroid.matches('/home/dev/.factory/sessions/-home-dev-shop/5c1d.settings.json'));
    assert.ok(!factoryDroid.matches('/home/dev/.factory/sessions/-home-dev-shop/5c1d.jsonl'));
    assert.ok(!factoryDroid.matches('/home/dev/.factory/sessions/.settings.json'));
  });

  it('prices a running total at base rates when read in worker threads too', async () => {
    const script = builtFile('sources-worker.js');
    const other = await world();
    try {
      copyFixture(other, 'factory-droid');
      const s = await other
        .importer({
          settings: onlySource('factoryDroid', [path.join(other.dir, 'factory-droid')]),
          workerScript: script,
          workers: 1,
          parallelMinBytes: 0,
        })
        .scan();
      assert.equal(s.written, 3);
      // the same 388,500,000 as on this thread: not the long-context 750,750,000
      assert.equal(byId(other).get('factory-droid:5c1d2e3f-6a7b-4c8d-9e0f-1a2b3c4d5e6f')!.costNanos, 388_500_000);
    } finally {
      await other.cleanup();
    }
  });
});
