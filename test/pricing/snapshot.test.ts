import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadPriceTable, SNAPSHOT, type Rates } from '../../src/core/pricing';
import { buildSnapshot, KEPT_FIELDS, serializeSnapshot, trimLiteLLM } from '../../src/core/pricing/litellm';

const SNAPSHOT_FILE = path.join(__dirname, '..', '..', 'src', 'core', 'pricing', 'snapshot.json');

// List prices from LiteLLM's model_prices_and_context_window.json (BerriAI/litellm at commit 00035b69), read by hand,
// in pico-dollars per token (= µ$ per million).
// OpenAI lists no cache-write price: those columns hold our documented defaults, 1.25 × input (5m) and 2 × input (1h).
const M = 1_000_000;
const REFERENCE: [name: string, rates: Rates, long?: Rates][] = [
  ['claude-opus-4-5-20251101', { input: 5 * M, output: 25 * M, cacheWrite5m: 6.25 * M, cacheWrite1h: 10 * M, cacheRead: 0.5 * M }],
  ['claude-opus-4-5', { input: 5 * M, output: 25 * M, cacheWrite5m: 6.25 * M, cacheWrite1h: 10 * M, cacheRead: 0.5 * M }],
  ['claude-opus-4-1-20250805', { input: 15 * M, output: 75 * M, cacheWrite5m: 18.75 * M, cacheWrite1h: 30 * M, cacheRead: 1.5 * M }],
  ['claude-opus-4-1', { input: 15 * M, output: 75 * M, cacheWrite5m: 18.75 * M, cacheWrite1h: 30 * M, cacheRead: 1.5 * M }],
  ['claude-opus-4-20250514', { input: 15 * M, output: 75 * M, cacheWrite5m: 18.75 * M, cacheWrite1h: 30 * M, cacheRead: 1.5 * M }],
  [
    'claude-sonnet-4-5-20250929',
    { input: 3 * M, output: 15 * M, cacheWrite5m: 3.75 * M, cacheWrite1h: 6 * M, cacheRead: 300_000 },
    { input: 6 * M, output: 22.5 * M, cacheWrite5m: 7.5 * M, cacheWrite1h: 12 * M, cacheRead: 600_000 },
  ],
  [
    'claude-sonnet-4-5',
    { input: 3 * M, output: 15 * M, cacheWrite5m: 3.75 * M, cacheWrite1h: 6 * M, cacheRead: 300_000 },
    { input: 6 * M, output: 22.5 * M, cacheWrite5m: 7.5 * M, cacheWrite1h: 12 * M, cacheRead: 600_000 },
  ],
  [
    // LiteLLM lists no long-context 1-hour write for Sonnet 4: it scales with input like the rest (6 × 2).
    'claude-sonnet-4-20250514',
    { input: 3 * M, output: 15 * M, cacheWrite5m: 3.75 * M, cacheWrite1h: 6 * M, cacheRead: 300_000 },
    { input: 6 * M, output: 22.5 * M, cacheWrite5m: 7.5 * M, cacheWrite1h: 12 * M, cacheRead: 600_000 },
  ],
  ['claude-haiku-4-5-20251001', { input: 1 * M, output: 5 * M, cacheWrite5m: 1.25 * M, cacheWrite1h: 2 * M, cacheRead: 100_000 }],
  ['claude-haiku-4-5', { input: 1 * M, output: 5 * M, cacheWrite5m: 1.25 * M, cacheWrite1h: 2 * M, cacheRead: 100_000 }],
  ['gpt-5', { input: 1.25 * M, output: 10 * M, cacheWrite5m: 1_562_500, cacheWrite1h: 2 * (1.25 * M), cacheRead: 125_000 }],
  ['gpt-5-codex', { input: 1.25 * M, output: 10 * M, cacheWrite5m: 1_562_500, cacheWrite1h: 2 * (1.25 * M), cacheRead: 125_000 }],
  ['gpt-5-mini', { input: 250_000, output: 2 * M, cacheWrite5m: 312_500, cacheWrite1h: 2 * 250_000, cacheRead: 25_000 }],
  ['gpt-4.1', { input: 2 * M, output: 8 * M, cacheWrite5m: 2.5 * M, cacheWrite1h: 4 * M, cacheRead: 500_000 }],
  ['o3', { input: 2 * M, output: 8 * M, cacheWrite5m: 2.5 * M, cacheWrite1h: 4 * M, cacheRead: 500_000 }],
  ['o4-mini', { input: 1.1 * M, output: 4.4 * M, cacheWrite5m: 1_375_000, cacheWrite1h: 2 * (1.1 * M), cacheRead: 275_000 }],
  ['gpt-4o', { input: 2.5 * M, output: 10 * M, cacheWrite5m: 3_125_000, cacheWrite1h: 2 * (2.5 * M), cacheRead: 1.25 * M }],
];

test('the snapshot records its source, commit, fetch date and kept fields', () => {
  assert.equal(SNAPSHOT.source.repo, 'BerriAI/litellm');
  assert.equal(SNAPSHOT.source.path, 'model_prices_and_context_window.json');
  assert.equal(SNAPSHOT.source.commit, '00035b69f416be24e2e323c13198d9b7d2d1bdf9');
  assert.match(SNAPSHOT.source.fetchedAt, /^\d{4}-\d{2}-\d{2}$/);
  assert.deepEqual(SNAPSHOT.source.fieldsKept, [...KEPT_FIELDS]);
  assert.equal(loadPriceTable().version, 'litellm@00035b69');
});

test('every snapshot entry holds only the kept LiteLLM fields', () => {
  const allowed = new Set<string>(KEPT_FIELDS.map((f) => f.split('.')[0]));
  for (const [key, entry] of Object.entries(SNAPSHOT.models)) {
    for (const field of Object.keys(entry)) assert.ok(allowed.has(field), `${key}.${field} is not a kept field`);
    assert.equal(typeof entry.input_cost_per_token, 'number', key);
    assert.equal(typeof entry.output_cost_per_token, 'number', key);
  }
});

test('the snapshot covers the Claude 3.x and 4.x, GPT-5, 4.1, 4o, o-series, Codex and Gemini 2.5 / 3 families', () => {
  const table = loadPriceTable();
  for (const name of [
    'claude-3-haiku-20240307',
    'claude-3-opus-20240229',
    'claude-3-5-haiku-20241022',
    'claude-3-5-sonnet-20241022',
    'claude-3-7-sonnet-20250219',
    'claude-opus-4-6',
    'claude-opus-4-7',
    'claude-opus-4-8',
    'claude-sonnet-4-6',
    'gpt-5.1-codex-max',
    'gpt-5.2',
    'gpt-5.3-codex',
    'gpt-5.4',
    'gpt-5.5',
    'gpt-4.1-mini',
    'gpt-4o-mini',
    'o1',
    'o3-mini',
    'codex-mini-latest',
    'gemini-2.5-pro',
    'gemini-2.5-flash',
    'gemini-2.0-flash',
    'gemini-3-pro-preview',
    'gemini/gemini-2.5-pro',
  ]) {
    const m = table.lookup(name);
    assert.ok(m, `${name} has a price`);
    assert.equal(m.inferred, false, `${name} is named, not inferred`);
  }
});

test('the hand-read LiteLLM list prices above hold for every model in them', () => {
  const table = loadPriceTable();
  for (const [name, rates, long] of REFERENCE) {
    const m = table.lookup(name);
    assert.ok(m, name);
    const { longContext, fastMultiplier: _f, ...base } = m.price;
    assert.deepEqual(base, rates, name);
    if (long) assert.deepEqual(longContext, { thresholdTokens: 200_000, ...long }, `${name} long context`);
    else assert.equal(longContext, undefined, `${name} has no long-context tier`);
  }
});

test("the vendors' list prices of Opus 4.6-4.8, Sonnet 4.6, gpt-5.2, gpt-5.3-codex and gpt-5.5", () => {
  const table = loadPriceTable();
  const io = (n: string) => {
    const p = table.lookup(n)!.price;
    return [p.input, p.output];
  };
  for (const n of ['claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8']) assert.deepEqual(io(n), [5 * M, 25 * M], n);
  assert.deepEqual(io('claude-sonnet-4-6'), [3 * M, 15 * M]);
  assert.deepEqual(io('gpt-5.2'), [1.75 * M, 14 * M]);
  assert.deepEqual(io('gpt-5.3-codex'), [1.75 * M, 14 * M]);
  assert.deepEqual(io('gpt-5.5'), [5 * M, 30 * M]);
  // OpenAI's long-context tier starts above 272k tokens.
  assert.deepEqual(table.lookup('gpt-5.5')!.price.longContext, {
    thresholdTokens: 272_000,
    input: 10 * M,
    output: 45 * M,
    cacheRead: 1 * M,
    cacheWrite5m: 12.5 * M,
    cacheWrite1h: 20 * M,
  });
});

test('the committed snapshot file is in the canonical one-model-per-line form the refresh script writes', () => {
  const text = readFileSync(SNAPSHOT_FILE, 'utf8');
  assert.equal(serializeSnapshot(JSON.parse(text)), text);
});

test('trimming keeps the families and fields we use, and drops resellers, other modes and other models', () => {
  const raw = {
    sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0, mode: 'chat' },
    'claude-sonnet-4-5': {
      input_cost_per_token: 3e-6,
      output_cost_per_token: 1.5e-5,
      cache_creation_input_token_cost: 3.75e-6,
      cache_read_input_token_cost: 3e-7,
      input_cost_per_token_above_200k_tokens: 6e-6,
      provider_specific_entry: { us: 1.1, fast: 6 },
      litellm_provider: 'anthropic',
      max_input_tokens: 200000,
      mode: 'chat',
      supports_vision: true,
      input_cost_per_token_priority: 9e-6,
    },
    'gpt-5-codex': { input_cost_per_token: 1.25e-6, output_cost_per_token: 1e-5, mode: 'responses', litellm_provider: 'openai' },
    'gemini/gemini-2.5-pro': { input_cost_per_token: 1.25e-6, output_cost_per_token: 1e-5, mode: 'chat' },
    'us.anthropic.claude-haiku-4-5-20251001-v1:0': { input_cost_per_token: 1.1e-6, output_cost_per_token: 5.5e-6 },
    'openrouter/anthropic/claude-sonnet-4.5': { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5 },
    'azure/gpt-5': { input_cost_per_token: 1.25e-6, output_cost_per_token: 1e-5 },
    'gpt-4o-transcribe': { input_cost_per_token: 2.5e-6, output_cost_per_token: 1e-5, mode: 'audio_transcription' },
    'gpt-image-1': { input_cost_per_token: 5e-6, output_cost_per_token: 4e-5, mode: 'image_generation' },
    'deepseek-chat': { input_cost_per_token: 2.7e-7, output_cost_per_token: 1.1e-6, mode: 'chat' },
    'gpt-50-turbo': { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6, mode: 'chat' },
    'claude-instant-1': { input_cost_per_token: 'free', output_cost_per_token: 1e-6 },
  };
  const trimmed = trimLiteLLM(raw);
  assert.deepEqual(Object.keys(trimmed), [
    'claude-sonnet-4-5',
    'gpt-5-codex',
    'gemini/gemini-2.5-pro',
    'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  ]);
  assert.deepEqual(trimmed['claude-sonnet-4-5'], {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    cache_creation_input_token_cost: 3.75e-6,
    cache_read_input_token_cost: 3e-7,
    input_cost_per_token_above_200k_tokens: 6e-6,
    max_input_tokens: 200000,
    provider_specific_entry: { fast: 6 },
    litellm_provider: 'anthropic',
  });
  const snap = buildSnapshot(raw, { commit: 'a'.repeat(40), fetchedAt: '2026-11-23' });
  assert.equal(snap.source.commit, 'a'.repeat(40));
  assert.deepEqual(JSON.parse(serializeSnapshot(snap)), snap);
});

test('trimming refuses what is not a LiteLLM price file, saying what arrived', () => {
  assert.throws(() => trimLiteLLM([1, 2]), /expected a JSON object of models, got an array/);
  assert.throws(() => trimLiteLLM('nope'), /expected a JSON object of models, got string/);
  assert.throws(() => buildSnapshot({}, { commit: 'main', fetchedAt: '2026-11-23' }), /expected a 40-hex-digit sha, got "main"/);
  assert.throws(() => buildSnapshot({}, { commit: 'b'.repeat(40), fetchedAt: 'today' }), /expected YYYY-MM-DD, got "today"/);
});
