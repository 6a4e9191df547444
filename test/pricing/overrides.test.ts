import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPriceTable, normalisePriceOverrides } from '../../src/core/pricing';
import { memoryLogger } from '../../src/core/ports';

test('a valid setting becomes prices in pico-dollars per token, cache prices defaulted', () => {
  const { overrides, warnings } = normalisePriceOverrides({
    'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 },
    'my-model': { input: 0.6, output: 2.4 },
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(overrides['claude-sonnet-4-5'], {
    input: 3_000_000,
    output: 15_000_000,
    cacheRead: 300_000,
    cacheWrite5m: 3_750_000,
    cacheWrite1h: 6_000_000,
  });
  assert.deepEqual(overrides['my-model'], {
    input: 600_000,
    output: 2_400_000,
    cacheRead: 60_000,
    cacheWrite5m: 750_000,
    cacheWrite1h: 1_200_000,
  });
});

test('each bad entry is skipped with a warning naming the model, the field, what was expected and what arrived', () => {
  const { overrides, warnings } = normalisePriceOverrides({
    good: { input: 1, output: 2 },
    'no-output': { input: 1 },
    'string-price': { input: '3', output: 15 },
    negative: { input: -1, output: 15 },
    'per-token-typo': { input: 3, output: 15, cacheRead: 300_000 },
    'not-an-object': 3,
    'an-array': [3, 15],
    'null-entry': null,
    'extra-field': { input: 1, output: 2, cachewrite: 3 },
    '': { input: 1, output: 2 },
  });
  assert.deepEqual(Object.keys(overrides).sort(), ['extra-field', 'good']);
  assert.deepEqual(warnings, [
    'unmetered.prices["no-output"].output: expected a number of USD per million tokens from 0 to 10000 (required), got nothing; entry skipped',
    'unmetered.prices["string-price"].input: expected a number of USD per million tokens from 0 to 10000 (required), got string "3"; entry skipped',
    'unmetered.prices["negative"].input: expected a number of USD per million tokens from 0 to 10000 (required), got number -1; entry skipped',
    'unmetered.prices["per-token-typo"].cacheRead: expected a number of USD per million tokens from 0 to 10000, got number 300000; entry skipped',
    'unmetered.prices["not-an-object"]: expected an object like {"input": 3, "output": 15} (USD per million tokens), got number 3; entry skipped',
    'unmetered.prices["an-array"]: expected an object like {"input": 3, "output": 15} (USD per million tokens), got an array; entry skipped',
    'unmetered.prices["null-entry"]: expected an object like {"input": 3, "output": 15} (USD per million tokens), got null; entry skipped',
    'unmetered.prices["extra-field"].cachewrite: unknown field ignored (expected one of input, output, cacheRead, cacheWrite5m, cacheWrite1h)',
    'unmetered.prices: expected a model name as key, got an empty string; entry skipped',
  ]);
});

test('a setting that is not an object warns once and yields no overrides', () => {
  for (const [value, got] of [
    ['claude: 3', 'string "claude: 3"'],
    [[{ input: 1, output: 2 }], 'an array'],
    [42, 'number 42'],
  ] as const) {
    const r = normalisePriceOverrides(value);
    assert.deepEqual(r.overrides, {});
    assert.deepEqual(r.warnings, [
      `unmetered.prices: expected an object of model names to prices in USD per million tokens, got ${got}; no price overrides applied`,
    ]);
  }
  assert.deepEqual(normalisePriceOverrides(undefined), { overrides: {}, warnings: [] });
  assert.deepEqual(normalisePriceOverrides({}), { overrides: {}, warnings: [] });
});

test("overrides come first, match like snapshot keys, and are marked as the user's", () => {
  const logger = memoryLogger();
  const table = loadPriceTable({
    overrides: { 'claude-sonnet-4-5': { input: 2, output: 10 }, 'qwen3-coder:30b': { input: 0.1, output: 0.2 }, broken: { output: 1 } },
    logger,
  });
  assert.equal(table.version, 'litellm@00035b69');
  assert.deepEqual(logger.lines, [
    'warn: unmetered.prices["broken"].input: expected a number of USD per million tokens from 0 to 10000 (required), got nothing; entry skipped',
  ]);
  // the snapshot has this exact key, but the user's price for the model wins
  for (const name of ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4.5']) {
    const m = table.lookup(name)!;
    assert.deepEqual([m.key, m.source, m.inferred, m.price.input], ['claude-sonnet-4-5', 'user', false, 2_000_000], name);
  }
  const fuzzy = table.lookup('claude-sonnet-4-5-thinking')!;
  assert.deepEqual([fuzzy.key, fuzzy.source, fuzzy.inferred], ['claude-sonnet-4-5', 'user', true]);
  // a local model the snapshot lacks
  assert.deepEqual(table.lookup('qwen3-coder:30b')!.price.output, 200_000);
  // everything else still comes from the snapshot
  const other = table.lookup('claude-opus-4-1')!;
  assert.deepEqual([other.source, other.price.input], ['litellm@00035b69', 15_000_000]);
});

test('a longer snapshot key still beats a shorter user key on containment', () => {
  const table = loadPriceTable({ overrides: { 'gpt-5': { input: 9, output: 9 } } });
  assert.equal(table.lookup('gpt-5')!.source, 'user');
  const m = table.lookup('gpt-5-codex-high')!;
  assert.deepEqual([m.key, m.source, m.inferred], ['gpt-5-codex', 'litellm@00035b69', true]);
  // but a name only the user key covers is the user's
  assert.deepEqual(table.lookup('gpt-5-experimental')!.source, 'user');
});
