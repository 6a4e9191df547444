// A ledger opened lazily with the rollup as its index (what the extension host and the CLI's period
// views do) appends, looks up and watches without reading its records, and what it writes is what a
// ledger holding its records would write: checked against a fresh full open after appends of new ids,
// of more and less complete copies, after a segment was truncated or replaced behind it, and for the
// recent records the meter reads plan limits from.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLedger, type Ledger } from '../../src/core/ledger/index';
import { answersAlone, RollupIndex } from '../../src/core/ledger/rollup';
import { Recorder } from '../../src/core/record/recorder';
import { loadPriceTable } from '../../src/core/pricing';
import { record } from './fixtures/records';
import { tempDir } from './helpers';

async function openLean(dir: string): Promise<{ ledger: Ledger; index: RollupIndex }> {
  const index = new RollupIndex({ dir, timeZone: 'UTC' });
  const ledger = await openLedger({ dir, lazy: true, index: () => index });
  return { ledger, index };
}

/** id → output tokens, as a fresh ledger holding its records sees them. */
async function fullView(dir: string): Promise<Map<string, number>> {
  const l = await openLedger({ dir });
  try {
    return new Map(l.records().map((r) => [r.id, r.tokens.output]));
  } finally {
    await l.close();
  }
}

function notLoaded(l: Ledger): void {
  assert.throws(() => l.records(), /opened lazily/);
}

const segFile = (dir: string, name: string) => path.join(dir, 'ledger', `${name}.jsonl`);

describe('appending through the rollup index', { timeout: 60_000 }, () => {
  test('new ids are written, a less complete copy is not, a more complete one is; no record is loaded', async (t) => {
    const dir = tempDir(t);
    const { ledger, index } = await openLean(dir);
    const a = record('a', { output: 100 });
    const b = record('b', { output: 50, at: '2026-10-31T23:59:59.000Z' });
    assert.deepEqual(
      (await ledger.append([a, b])).map((r) => r.id),
      ['a', 'b'],
    );
    // Fewer tokens than stored (100): nothing written. Equal: nothing either. More (150): written.
    assert.deepEqual(await ledger.append([record('a', { output: 90 })]), []);
    assert.deepEqual(await ledger.append([record('a', { output: 100 })]), []);
    assert.deepEqual(
      (await ledger.append([record('a', { output: 150 })])).map((r) => r.tokens.output),
      [150],
    );
    notLoaded(ledger);
    const held = await ledger.lookup(['a', 'b', 'c']);
    assert.deepEqual(
      [...held].map(([id, r]) => [id, r.tokens.output]),
      [
        ['a', 150],
        ['b', 50],
      ],
    );
    notLoaded(ledger);
    // Lines on disk: a(100), a(150) in 2026-11, b in 2026-10; the header line of each segment besides.
    const lines = (name: string) => readFileSync(segFile(dir, name), 'utf8').trim().split('\n').length;
    assert.equal(lines('2026-11'), 1 + 2);
    assert.equal(lines('2026-10'), 1 + 1);
    await ledger.close();
    assert.deepEqual(
      await fullView(dir),
      new Map([
        ['b', 50],
        ['a', 150],
      ]),
    );
    // The rollup agrees: two interactions, 150 + 50 output tokens.
    await index.refresh();
    const r = index.rollup();
    assert.equal(r.interactions, 2);
    assert.equal(
      r.cells.reduce((s, c) => s + c.sums.output, 0),
      200,
    );
  });

  test('through the recorder: another process appends; the next batch counts exactly its new ids', async (t) => {
    const dir = tempDir(t);
    const { ledger, index } = await openLean(dir);
    const recorder = new Recorder({ ledger, prices: () => loadPriceTable({}) });
    await recorder.store([{ interaction: record('x1') }, { interaction: record('x2') }]);
    // Another writer (its own ledger, holding records) stores x3 and a more complete x1.
    const other = await openLedger({ dir });
    await other.append([record('x3'), record('x1', { output: 500 })]);
    await other.close();
    const written = await recorder.store([
      { interaction: record('x1', { output: 400 }) }, // less than the 500 stored by the other writer
      { interaction: record('x3') }, // stored, same tokens
      { interaction: record('x4') },
    ]);
    assert.deepEqual(
      written.map((r) => r.id),
      ['x4'],
    );
    notLoaded(ledger);
    await ledger.close();
    assert.deepEqual(
      await fullView(dir),
      new Map([
        ['x1', 500],
        ['x2', 100],
        ['x3', 100],
        ['x4', 100],
      ]),
    );
    await index.refresh(); // rollup() is as of the last refresh, which came before x4 was written
    assert.equal(index.rollup().interactions, 4);
  });

  test('a segment truncated, then one replaced, behind the writer: appends land in the file that is there and count once', async (t) => {
    const dir = tempDir(t);
    const { ledger, index } = await openLean(dir);
    await ledger.append([record('t1'), record('t2'), record('t3')]);
    const file = segFile(dir, '2026-11');
    // Cut the segment after its header and t1: t2 and t3 are gone from the ledger.
    const text = readFileSync(file, 'utf8');
    const keep = text.split('\n').slice(0, 2).join('\n') + '\n';
    truncateSync(file, Buffer.byteLength(keep));
    assert.deepEqual(
      (await ledger.append([record('t2'), record('t4')])).map((r) => r.id),
      ['t2', 't4'],
    );
    await index.refresh();
    assert.equal(index.rollup().interactions, 3); // t1, t2, t4
    // Replaced by another file (new inode) holding only t9: the held append handle must not be used.
    const repl = path.join(dir, 'replacement.jsonl');
    writeFileSync(repl, keep.split('\n')[0] + '\n' + JSON.stringify({ ...lineOf(text, 1), id: 't9' }) + '\n');
    renameSync(repl, file);
    assert.deepEqual(
      (await ledger.append([record('t1'), record('t5')])).map((r) => r.id),
      ['t1', 't5'],
    );
    notLoaded(ledger);
    await ledger.close();
    assert.deepEqual([...(await fullView(dir)).keys()].sort(), ['t1', 't5', 't9']);
    await index.refresh();
    assert.equal(index.rollup().interactions, 3);
  });

  test('recent records are exactly those at or after the instant, read back from their segments', async (t) => {
    const dir = tempDir(t);
    const { ledger, index } = await openLean(dir);
    const at = (h: number) => new Date(Date.parse('2026-11-23T00:00:00.000Z') + h * 3_600_000).toISOString();
    await ledger.append([
      record('r1', { at: at(-30) }),
      record('r2', { at: at(5) }),
      record('r3', { at: at(9) }),
      record('r4', { at: at(10), priceSource: 'user' }), // priced by settings: kept loose
      record('r5', { at: at(3) }), // same day as r2 and r3, earlier than the cut
    ]);
    await ledger.append([record('r2', { at: at(5), output: 700 })]);
    await index.refresh();
    const recent = await index.recentRecords(at(4));
    assert.deepEqual(recent.map((r) => [r.id, r.tokens.output]).sort(), [
      ['r2', 700],
      ['r3', 100],
      ['r4', 100],
    ]);
    await ledger.close();
  });

  test('a telemetry copy loads the records (the twin rule needs them), and the rollup then does not answer alone', async (t) => {
    const dir = tempDir(t);
    const { ledger, index } = await openLean(dir);
    await ledger.append([record('log1')]);
    notLoaded(ledger);
    await ledger.append([record('otel1', { source: 'otel', output: 7 })]);
    assert.equal(ledger.records().length, 2);
    await index.refresh();
    assert.equal(answersAlone(index.rollup()), false);
    await ledger.close();
  });
});

/** The ledger line `n` (0: the header) of `text`, decoded. */
function lineOf(text: string, n: number): Record<string, unknown> {
  return JSON.parse(text.split('\n')[n]) as Record<string, unknown>;
}
