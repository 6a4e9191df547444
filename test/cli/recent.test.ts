/**
 * The status line reads only the ledger's recent segments: its meter and its 5-hour block must be
 * those of the whole ledger, for any "now", including a history that starts long before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecentRecords } from '../../src/cli/recent';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { computeMeter } from '../../src/core/meter';
import { activeBlock, buildBlocks } from '../../src/core/report/blocks';

let dir: string;
let all: readonly Interaction[];

/** 200 days of records every 7 h 13 min, then a burst: old history, month edges, an active block. */
function history(): Interaction[] {
  const out: Interaction[] = [];
  const start = Date.parse('2026-03-01T00:00:00Z');
  for (let i = 0; i < 665; i++) {
    const at = new Date(start + i * (7 * 3_600_000 + 13 * 60_000)).toISOString();
    out.push({
      id: `anthropic:msg_${i}`,
      at,
      agent: i % 4 ? 'claude-code' : 'codex',
      source: 'log',
      project: 'p',
      model: 'claude-sonnet-4-5',
      route: 'cloud',
      replaces: null,
      tokens: tokens({ input: 100 + i, output: 10 }),
      costNanos: 1_000_000 + i,
      avoidedNanos: null,
      priceSource: 'litellm@test',
      estimated: false,
    });
  }
  return out;
}

describe('readRecentRecords', { timeout: 60_000 }, () => {
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-recent-'));
    const ledger = await openLedger({ dir });
    await ledger.append(history());
    // A more complete copy of one recent record: the reader must keep it, as the ledger's view does.
    await ledger.append([{ ...history()[660], tokens: tokens({ input: 9_999, output: 10 }) }]);
    all = [...ledger.records()];
    await ledger.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const now of [
    '2026-09-16T13:00:00Z',
    '2026-09-01T00:30:00Z',
    '2026-08-31T23:30:00Z',
    '2026-05-02T10:00:00Z',
    '2026-03-03T09:00:00Z',
  ]) {
    it(`the meter and the active block at ${now} are those of the whole ledger`, async () => {
      const t = Date.parse(now);
      const { records, malformedLines } = await readRecentRecords(dir, t);
      assert.equal(malformedLines, 0);
      assert.ok(records.length < all.length || now.startsWith('2026-03'), `${records.length} of ${all.length} read`);
      for (const timeZone of ['Europe/Berlin', 'Pacific/Auckland', 'America/Los_Angeles']) {
        const opts = { now: t, timeZone, budgetNanos: 50_000_000 };
        assert.deepEqual(computeMeter(records, opts), computeMeter(all, opts), timeZone);
      }
      const block = (rs: readonly Interaction[]) =>
        activeBlock(
          buildBlocks(
            rs.filter((r) => r.agent === 'claude-code' && Date.parse(r.at) >= t - 86_400_000 && r.at <= now),
            t,
          ),
        );
      assert.deepEqual(block(records), block(all));
    });
  }

  it('a history that stops 45 days before a new start: the meter still knows the history is older than its window', async () => {
    const gap = mkdtempSync(path.join(os.tmpdir(), 'unmetered-recent-gap-'));
    try {
      const ledger = await openLedger({ dir: gap });
      const rec = (i: number, at: string): Interaction => ({ ...history()[0], id: `anthropic:gap_${i}`, at });
      await ledger.append([
        rec(1, '2026-01-15T10:00:00.000Z'),
        rec(2, '2026-02-01T10:00:00.000Z'),
        rec(3, '2026-04-10T10:00:00.000Z'),
        rec(4, '2026-04-12T09:00:00.000Z'),
      ]);
      const whole = [...ledger.records()];
      await ledger.close();
      const now = Date.parse('2026-04-12T12:00:00Z');
      const { records } = await readRecentRecords(gap, now);
      const opts = { now, timeZone: 'Europe/Berlin', budgetNanos: 50_000_000 };
      // With the history from January the rate is spread over the whole 7-day window, not over 3 days.
      assert.equal(computeMeter(whole, opts).projectionMethod, computeMeter(records, opts).projectionMethod);
      assert.deepEqual(computeMeter(records, opts), computeMeter(whole, opts));
    } finally {
      rmSync(gap, { recursive: true, force: true });
    }
  });
});
