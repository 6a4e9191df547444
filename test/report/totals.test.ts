import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Interaction } from '../../src/core/interaction';
import {
  addTally,
  emptyTally,
  groupTallies,
  tallyFromTotals,
  tallyOf,
  toTotals,
  totalsOf,
  TOTALS_FIELDS,
} from '../../src/core/report/totals';
import { rec } from './ledger';

test('totals sum exact integer nano-dollars and token counts, and keep field order', () => {
  const records: Interaction[] = [];
  let want = 0n;
  // Odd nano amounts that would drift if summed as floating-point dollars.
  for (let i = 0; i < 100_000; i++) {
    const cost = 1_000_003 + ((i * 7919) % 100_000);
    want += BigInt(cost);
    records.push(
      rec({ id: `r${i}`, costNanos: cost, tokens: { input: 3, output: 2, cacheRead: 1, cacheWrite5m: 1, cacheWrite1h: 2, reasoning: 1 } }),
    );
  }
  const t = totalsOf(records);
  assert.equal(BigInt(tallyOf(records).costNanos), want);
  assert.equal(t.costUSD, Number(want) / 1e9);
  assert.deepEqual(Object.keys(t), [...TOTALS_FIELDS]);
  assert.equal(t.inputTokens, 300_000);
  assert.equal(t.cacheWriteTokens, 300_000);
  assert.equal(t.reasoningTokens, 100_000);
  assert.equal(t.interactions, 100_000);
});

test('an unpriced model is never shown as $0: null when nothing in the row is priced, counted when some is', () => {
  const unknown = rec({ model: 'mystery-1', costNanos: null, priceSource: null });
  assert.equal(totalsOf([unknown]).costUSD, null);
  const mixed = totalsOf([unknown, rec({ costNanos: 2_500_000_000 })]);
  assert.equal(mixed.costUSD, 2.5);
  assert.equal(mixed.unpricedInteractions, 1);
  assert.equal(totalsOf([]).costUSD, 0);
});

test('avoided spend sums local interactions; null only when no local one could be priced', () => {
  const localPriced = rec({ route: 'local', model: 'qwen3-coder', replaces: 'claude-sonnet-4-5', costNanos: 0, avoidedNanos: 123_456_789 });
  const localUnknown = rec({ route: 'local', model: 'qwen3-coder', replaces: 'mystery', costNanos: 0, avoidedNanos: null });
  assert.equal(totalsOf([localUnknown]).avoidedUSD, null);
  assert.equal(totalsOf([localUnknown, localPriced]).avoidedUSD, 0.123456789);
  assert.equal(totalsOf([rec({})]).avoidedUSD, 0);
  assert.equal(totalsOf([localPriced]).costUSD, 0);
});

test('a Totals row read back merges exactly, keeping the null rules', () => {
  const a = tallyOf([rec({ costNanos: 1_234_567_891 }), rec({ route: 'local', costNanos: 0, avoidedNanos: null })]);
  const b = tallyOf([rec({ costNanos: 987_654_321 }), rec({ route: 'local', costNanos: 0, avoidedNanos: 5 })]);
  const direct = toTotals(addTally(addTally(emptyTally(), a), b));
  const viaRows = toTotals(addTally(tallyFromTotals(toTotals(a)), tallyFromTotals(toTotals(b))));
  assert.deepEqual(viaRows, direct);
  assert.equal(viaRows.costUSD, 2.222222212);
  assert.equal(viaRows.avoidedUSD, 0.000000005);
  // null + nothing local stays null; null + priced becomes the priced sum
  const onlyNull = toTotals(addTally(tallyFromTotals(toTotals(a)), tallyFromTotals(totalsOf([rec({})]))));
  assert.equal(onlyNull.avoidedUSD, null);
  // values up to $8,388,608 survive the USD round trip to the nano-dollar
  const samples = [1, 999_999_999, 123_456_789_012_345, 8_388_607_999_999_999];
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 20_000; i++) samples.push(Math.floor(next() * 8_388_608_000_000_000));
  for (const n of samples)
    assert.equal(tallyFromTotals(toTotals({ ...emptyTally(), costNanos: n, interactions: 1 })).costNanos, n, `round trip of ${n}`);
});

test('grouping tallies per key and leaves out undefined keys', () => {
  const g = groupTallies([rec({ agent: 'codex' }), rec({ agent: 'claude-code' }), rec({ agent: 'codex' })], (r) =>
    r.agent === 'skip' ? undefined : r.agent,
  );
  assert.deepEqual([...g.keys()], ['codex', 'claude-code']);
  assert.equal(g.get('codex')!.interactions, 2);
});
