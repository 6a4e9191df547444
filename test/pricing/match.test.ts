import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPriceTable, normaliseModelName, SNAPSHOT } from '../../src/core/pricing';
import { ModelIndex } from '../../src/core/pricing/match';

const table = loadPriceTable();

// name as it arrives → [key that prices it, inferred]; null = unpriced
const CASES: [string, [string, boolean] | null][] = [
  // exact keys
  ['claude-sonnet-4-5-20250929', ['claude-sonnet-4-5-20250929', false]],
  ['gpt-5-codex', ['gpt-5-codex', false]],
  ['gemini/gemini-2.5-pro', ['gemini/gemini-2.5-pro', false]],
  ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', false]], // regional Bedrock price, +10 %
  // provider prefixes, dots and @ as dashes, case
  ['anthropic/claude-sonnet-4.5', ['claude-sonnet-4-5', false]],
  ['Claude-Sonnet-4.5', ['claude-sonnet-4-5', false]],
  ['openai/gpt-5', ['gpt-5', false]],
  ['openai/gpt-5.1-codex', ['gpt-5.1-codex', false]],
  ['gpt-5-1-codex', ['gpt-5.1-codex', false]],
  ['claude-sonnet-4-5@20250929', ['claude-sonnet-4-5-20250929', false]],
  ['openrouter/anthropic/claude-opus-4.1', ['claude-opus-4-1', false]],
  ['models/gemini-2.5-flash', ['gemini-2.5-flash', false]],
  ['claude-sonnet-4-5-20250929[1m]', ['claude-sonnet-4-5-20250929', false]],
  ['anthropic.claude-3-5-sonnet-20241022-v2:0', ['anthropic.claude-3-5-sonnet-20241022-v2:0', false]],
  ['claude-3-5-sonnet-20241022', ['anthropic.claude-3-5-sonnet-20241022-v2:0', false]],
  // Anthropic's moving aliases
  ['claude-sonnet-4-0', ['claude-sonnet-4-20250514', false]],
  ['claude-3-7-sonnet-latest', ['claude-3-7-sonnet-20250219', false]],
  // dates: a trailing 8-digit or YYYY-MM-DD date on the name or on the key
  ['claude-sonnet-4-6-20260301', ['claude-sonnet-4-6', false]],
  ['claude-sonnet-4', ['claude-sonnet-4-20250514', false]],
  ['gpt-4.1-2025-04-14', ['gpt-4.1-2025-04-14', false]],
  ['o3-2025-04-16', ['o3-2025-04-16', false]],
  // containment: inferred; the longest key found in the name wins
  ['claude-sonnet-4-5-20250929-thinking', ['claude-sonnet-4-5', true]],
  ['gpt-5-codex-high', ['gpt-5-codex', true]],
  ['gpt-5.1-codex-max-xhigh', ['gpt-5.1-codex-max', true]],
  ['o3-pro-deep', ['o3-pro', true]],
  ['sonnet-4-5', ['claude-sonnet-4-5', true]],
  // boundaries: another version number is another model
  ['claude-sonnet-4-7', null],
  ['claude-haiku-4-6', null],
  ['gpt-5.9', null],
  ['gemini-2.7-pro', null],
  // not cloud models at all
  ['qwen3-coder:30b', null],
  ['gpt-oss:20b', null],
  ['llama3.1:8b', null],
  ['<synthetic>', null],
  ['', null],
  ['   ', null],
];

test('model names match price keys: exact, normalised, without a date, then the longest key on word boundaries', () => {
  for (const [name, expected] of CASES) {
    const m = table.lookup(name);
    assert.deepEqual(m && [m.key, m.inferred], expected, JSON.stringify(name));
  }
});

test('a match carries its source, the table version', () => {
  assert.equal(table.lookup('gpt-5')!.source, 'litellm@00035b69');
  assert.equal(table.lookup('gpt-5-codex-high')!.source, 'litellm@00035b69');
});

test('claude-sonnet-4-5 and claude-sonnet-4 never stand in for each other, whichever the table holds', () => {
  const onlyFour = new ModelIndex(['claude-sonnet-4']);
  assert.equal(onlyFour.named('claude-sonnet-4-5'), null);
  assert.equal(onlyFour.contained('claude-sonnet-4-5'), null);
  assert.equal(onlyFour.contained('claude-sonnet-4-5-20250929'), null);
  assert.deepEqual(onlyFour.named('claude-sonnet-4-20250514'), { key: 'claude-sonnet-4', inferred: false });
  assert.deepEqual(onlyFour.contained('claude-sonnet-4-thinking'), { key: 'claude-sonnet-4', inferred: true });
  const onlyFive = new ModelIndex(['claude-sonnet-4-5']);
  assert.equal(onlyFive.named('claude-sonnet-4'), null);
  assert.equal(onlyFive.contained('claude-sonnet-4'), null);
});

test('the longest key contained in the name wins, whatever the order of the keys', () => {
  for (const keys of [
    ['gpt-5', 'gpt-5-codex', 'gpt-5-codex-mini'],
    ['gpt-5-codex-mini', 'gpt-5-codex', 'gpt-5'],
  ]) {
    const idx = new ModelIndex(keys);
    assert.deepEqual(idx.contained('gpt-5-codex-mini-high'), { key: 'gpt-5-codex-mini', inferred: true });
    assert.deepEqual(idx.contained('gpt-5-codex-high'), { key: 'gpt-5-codex', inferred: true });
    assert.deepEqual(idx.contained('gpt-5-turbo'), { key: 'gpt-5', inferred: true });
  }
});

test('a first-party key wins over a cloud-platform key for the same model', () => {
  const m = table.lookup('claude-opus-4-1-20250805');
  assert.equal(m!.key, 'claude-opus-4-1-20250805');
  // a name only Vertex AI lists is still found
  assert.equal(table.lookup('vertex_ai/claude-opus-4-6@default')!.key, 'vertex_ai/claude-opus-4-6@default');
});

test('normalisation: provider paths, Bedrock region/vendor/version, Vertex pins, dots and @', () => {
  assert.equal(normaliseModelName('bedrock/us-west-2/us.anthropic.claude-sonnet-4-5-20250929-v1:0'), 'claude-sonnet-4-5-20250929');
  assert.equal(normaliseModelName('global.anthropic.claude-opus-4-6-v1'), 'claude-opus-4-6');
  assert.equal(normaliseModelName('vertex_ai/claude-opus-4-6@default'), 'claude-opus-4-6');
  assert.equal(normaliseModelName('anthropic/claude-sonnet-4.5'), 'claude-sonnet-4-5');
  assert.equal(normaliseModelName('  GPT-5.1-Codex '), 'gpt-5-1-codex');
  assert.equal(normaliseModelName('qwen3-coder:30b'), 'qwen3-coder:30b');
});

test('every key of the snapshot is priced as the full index prices it, with or without overrides beside it', () => {
  // A fresh table answers a snapshot key without building the index over every key; an override (of an
  // unrelated model) sends every lookup through the index. Both must give each key the same match.
  const shortcut = loadPriceTable();
  const indexed = loadPriceTable({ overrides: { 'zz-unrelated-model': { input: 1, output: 1 } } });
  const keys = Object.keys(SNAPSHOT.models);
  assert.ok(keys.length > 100, `${keys.length} keys`);
  for (const key of keys) {
    const m = shortcut.lookup(key);
    assert.deepEqual(m, indexed.lookup(key), key);
    assert.equal(m?.key, key, key);
    assert.equal(m?.inferred, false, key);
  }
});
