/**
 * `unmetered plan` from the ledger's rollup (day cells wholly in the 30 days, the records of the others read
 * back) gives what the check gives from every record: over ledgers from fixed seeds with records on both
 * sides of the window's edges, the local route (counted for the model it replaced), unpriced records, prices
 * the settings set (kept whole by the rollup), instants without milliseconds, in zones whose days do not start
 * at midnight UTC.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openLedger } from '../../src/core/ledger/index';
import { RollupIndex } from '../../src/core/ledger/rollup';
import { cellTouches, cellWhollyIn, planCheck, planCheckData, planCheckOf, planWindow } from '../../src/core/plans/compare';
import type { Interaction } from '../../src/core/interaction';
import { mulberry32, pick, type Rng } from '../helpers/fuzz';
import { interaction } from '../helpers/records';
import { tempDir } from '../ledger/helpers';

const NOW = Date.parse('2026-11-20T15:30:00.000Z');
const DAY = 86_400_000;
const CLOUD = ['claude-sonnet-4-5', 'claude-opus-4-1', 'gpt-5', 'gpt-5-codex', 'gemini-2.5-pro', 'acme-coder-9'];

function record(rng: Rng, i: number): Interaction {
  // 45 days back to 2 days ahead: both edges of the 30 days, and a few records from a clock that runs ahead.
  const t = NOW - 45 * DAY + Math.floor(rng() * 47 * DAY);
  const iso = new Date(t).toISOString();
  const at = rng() < 0.1 ? iso.replace(/\.\d{3}Z$/, 'Z') : iso;
  const r = rng();
  if (r < 0.15) {
    return interaction(`local-${i}`, at, 0, {
      route: 'local',
      model: 'qwen3-coder:30b',
      replaces: pick(rng, CLOUD),
      avoidedNanos: rng() < 0.8 ? 1_000_000 + Math.floor(rng() * 9_000_000) : null,
    });
  }
  if (r < 0.25) return interaction(`unpriced-${i}`, at, null, { model: 'acme-coder-9' });
  if (r < 0.3) return interaction(`user-${i}`, at, 3_000_000, { priceSource: 'user', model: pick(rng, CLOUD) });
  return interaction(`cloud-${i}`, at, 1_000_000 + Math.floor(rng() * 9_000_000), {
    model: pick(rng, CLOUD),
    agent: pick(rng, ['claude-code', 'codex']),
  });
}

describe('the plan check from the rollup', { timeout: 60_000 }, () => {
  it('equals the check over every record, in several zones', async (t) => {
    let fromCells = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const rng = mulberry32(seed);
      const dir = tempDir(t);
      const records = Array.from({ length: 150 + Math.floor(rng() * 150) }, (_, i) => record(rng, i));
      const ledger = await openLedger({ dir });
      await ledger.append(records);
      const all = ledger.records();
      await ledger.close();
      for (const timeZone of ['UTC', 'Asia/Kolkata', 'America/New_York']) {
        const rollup = new RollupIndex({ dir, timeZone, save: false });
        await rollup.refresh();
        const whole = rollup.rollup();
        const w = planWindow(NOW);
        const cells = whole.cells.filter((c) => cellWhollyIn(c, w));
        fromCells += cells.length;
        const edges = await rollup.recordsOfCells((c) => cellTouches(c, w) && !cellWhollyIn(c, w));
        const opts = { now: NOW, plans: {} };
        assert.deepEqual(
          planCheckData(planCheckOf(cells, [...whole.loose, ...edges], opts)),
          planCheckData(planCheck(all, opts)),
          `seed ${seed}, ${timeZone}`,
        );
      }
    }
    // Cells were taken whole (not every record read back), so the cell sums were part of what was compared.
    assert.ok(fromCells > 100, `${fromCells} cells taken whole`);
  });
});
