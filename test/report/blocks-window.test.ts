/**
 * `blocks --active` and `--recent` build their blocks from the records of a window (recordsForBlocksFrom),
 * not the whole history: over random histories from fixed seeds (a person's days with nights between them,
 * agents that run for days without a pause, single records, same-instant copies), every block starting at or
 * after the window's start is the one buildBlocks gives from every record, or the window says it cannot tell
 * (null) and the command reads every record.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK_MS, buildBlocks, recordsForBlocksFrom, type Block } from '../../src/core/report/blocks';
import type { Interaction } from '../../src/core/interaction';
import { mulberry32, type Rng } from '../helpers/fuzz';
import { interaction } from '../helpers/records';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

/** A history: working stretches (a burst of records minutes apart) separated by pauses of minutes to days. */
function history(rng: Rng, n: number): Interaction[] {
  const out: Interaction[] = [];
  let t = T0 + Math.floor(rng() * DAY);
  const nonstop = rng() < 0.25; // an agent that never pauses for 5 hours
  for (let i = 0; i < n; i++) {
    const r = rng();
    const step = nonstop
      ? Math.floor(rng() * 4 * HOUR)
      : r < 0.6
        ? Math.floor(rng() * 20 * 60_000)
        : r < 0.75
          ? Math.floor(3.5 * HOUR + rng() * 2 * HOUR) // around the 5 hours that decide a block
          : r < 0.9
            ? Math.floor(rng() * 6 * HOUR)
            : Math.floor(rng() * 3 * DAY);
    t += step;
    const at = new Date(t).toISOString();
    out.push(
      interaction(`id-${i}`, at, 1_000_000 + Math.floor(rng() * 9_000_000), {
        model: rng() < 0.5 ? 'claude-sonnet-4-5' : 'claude-opus-4-1',
      }),
    );
    if (rng() < 0.05) out.push(interaction(`id-${i}-twin`, at, 2_000_000)); // another record at the same instant
  }
  return out;
}

const startsFrom = (blocks: Block[], from: number) => blocks.filter((b) => Date.parse(b.start) >= from || b.active);

describe('blocks from a window of records', { timeout: 60_000 }, () => {
  it('give every block from the window on as the whole history does, or say they cannot', async () => {
    let windowed = 0;
    let declined = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rng = mulberry32(seed);
      const all = history(rng, 20 + Math.floor(rng() * 300));
      const times = all.map((r) => Date.parse(r.at));
      const first = Math.min(...times);
      const last = Math.max(...times);
      const now = last + Math.floor(rng() * 8 * HOUR);
      const from = rng() < 0.5 ? now - BLOCK_MS : now - 3 * DAY; // --active, --recent
      const asked: number[] = [];
      const got = await recordsForBlocksFrom(from, first, async (ms) => {
        asked.push(ms);
        return all.filter((r) => Date.parse(r.at) >= ms);
      });
      assert.ok(asked.length === 1 && asked[0] >= first, `seed ${seed}: one read, never before the history's start`);
      if (got === null) {
        declined++;
        // Only when the two days before `from` show no gap of over 5 hours: none between two records in them,
        // none between their start and the first record in them.
        const sorted = [...times].sort((a, b) => a - b);
        const firstIn = sorted.find((x) => x >= from - 2 * DAY);
        assert.ok(
          firstIn === undefined || firstIn - (from - 2 * DAY) <= BLOCK_MS,
          `seed ${seed}: declined though nothing came for 5 hours`,
        );
        for (let i = 1; i < sorted.length; i++)
          if (sorted[i - 1] >= from - 2 * DAY && sorted[i] <= from)
            assert.ok(
              sorted[i] - sorted[i - 1] <= BLOCK_MS,
              `seed ${seed}: declined though a gap at ${new Date(sorted[i]).toISOString()} was in reach`,
            );
        continue;
      }
      windowed++;
      assert.ok(got.length <= all.length);
      assert.deepEqual(startsFrom(buildBlocks(got, now), from), startsFrom(buildBlocks(all, now), from), `seed ${seed}`);
    }
    // Both outcomes occur in these histories, so neither branch above went untested.
    assert.ok(windowed > 100 && declined > 10, `windowed ${windowed}, declined ${declined}`);
  });

  it('a history that starts inside the window is taken whole', async () => {
    const all = [interaction('a', '2026-03-01T10:00:00.000Z', 1), interaction('b', '2026-03-01T10:30:00.000Z', 2)];
    const from = Date.parse('2026-03-01T09:00:00.000Z');
    const got = await recordsForBlocksFrom(from, Date.parse(all[0].at), async (ms) => all.filter((r) => Date.parse(r.at) >= ms));
    assert.deepEqual(
      got?.map((r) => r.id),
      ['a', 'b'],
    );
  });
});
