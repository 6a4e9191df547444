import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costOf, loadPriceTable, ratesFor, type ModelPrice } from '../../src/core/pricing';
import { tokens } from '../../src/core/interaction';

const table = loadPriceTable();
const price = (name: string): ModelPrice => {
  const m = table.lookup(name);
  assert.ok(m, `${name} is priced`);
  return m.price;
};

test('a Claude Code assistant line (Sonnet 4.5: 4 input, 1,532 cache write, 48,211 cache read, 312 output) costs $0.0249003', () => {
  // 4 × $3/M + 1,532 × $3.75/M + 48,211 × $0.30/M + 312 × $15/M
  const t = tokens({ input: 4, cacheWrite5m: 1532, cacheRead: 48211, output: 312 });
  assert.equal(costOf(t, price('claude-sonnet-4-5-20250929')), 24_900_300);
});

test('a Codex token_count event (gpt-5-codex, 9,500 input of which 8,192 cached, 490 output) costs $0.007559', () => {
  // Our tokens are disjoint: the 8,192 cached tokens are not in input; the 256 reasoning tokens are inside output.
  const t = tokens({ input: 9500 - 8192, cacheRead: 8192, output: 490, reasoning: 256 });
  assert.equal(costOf(t, price('gpt-5-codex')), 7_559_000);
});

test('reasoning tokens are never billed on top of output', () => {
  const p = price('gpt-5');
  assert.equal(costOf(tokens({ output: 1000, reasoning: 800 }), p), costOf(tokens({ output: 1000 }), p));
});

test('1-hour cache writes are billed at their own rate', () => {
  // Sonnet 4.5: 10,000 × $6/M = $0.06; at the 5-minute rate it would be $0.0375
  assert.equal(costOf(tokens({ cacheWrite1h: 10_000 }), price('claude-sonnet-4-5')), 60_000_000);
  assert.equal(costOf(tokens({ cacheWrite5m: 10_000 }), price('claude-sonnet-4-5')), 37_500_000);
});

test('long context: a prompt of 200,000 tokens is billed at base rates, 200,001 prices the WHOLE request at the long-context rates', () => {
  const p = price('claude-sonnet-4-5');
  // input + cache reads + cache writes make up the prompt
  const at = tokens({ input: 50_000, cacheRead: 100_000, cacheWrite5m: 40_000, cacheWrite1h: 10_000, output: 2_000 });
  const over = { ...at, input: 50_001 };
  // base: 50,000×3 + 100,000×0.3 + 40,000×3.75 + 10,000×6 + 2,000×15 = 420,000 µ$
  assert.equal(costOf(at, p), 420_000_000);
  // long: 50,001×6 + 100,000×0.6 + 40,000×7.5 + 10,000×12 + 2,000×22.5 = 825,006 µ$, every token at the higher rate
  assert.equal(costOf(over, p), 825_006_000);
  // output alone never tips a request over
  assert.equal(costOf({ ...at, output: 300_000 }, p), costOf(at, p) + 298_000 * 15_000);
});

test("long context on OpenAI models starts above 272k tokens and uses LiteLLM's above_272k rates", () => {
  const p = price('gpt-5.4'); // 2.50 / 15 / read 0.25; above 272k: 5 / 22.5 / read 0.5
  const at = tokens({ input: 72_000, cacheRead: 200_000, output: 1_000 });
  assert.equal(costOf(at, p), (72_000 * 2_500_000 + 200_000 * 250_000 + 1_000 * 15_000_000) / 1000);
  const over = { ...at, cacheRead: 200_001 };
  assert.equal(costOf(over, p), (72_000 * 5_000_000 + 200_001 * 500_000 + 1_000 * 22_500_000) / 1000);
});

test("fast mode multiplies every rate by the model's listed fast multiplier", () => {
  const t = tokens({ input: 1000, cacheRead: 20_000, cacheWrite5m: 500, output: 800 });
  const opus46 = price('claude-opus-4-6');
  assert.equal(opus46.fastMultiplier, 6);
  assert.equal(costOf(t, opus46, { fast: true }), 6 * costOf(t, opus46));
  const opus48 = price('claude-opus-4-8');
  assert.equal(opus48.fastMultiplier, 2);
  assert.equal(costOf(t, opus48, { fast: true }), 2 * costOf(t, opus48));
  // no multiplier listed: unchanged
  const sonnet = price('claude-sonnet-4-5');
  assert.equal(sonnet.fastMultiplier, undefined);
  assert.equal(costOf(t, sonnet, { fast: true }), costOf(t, sonnet));
  assert.deepEqual(ratesFor(t, opus46, { fast: true }).input, 30_000_000);
});

test('rounds once, half up, to whole nano-dollars', () => {
  const p = price('claude-sonnet-4-5'); // cache read 300,000 picos per token
  assert.equal(costOf(tokens({ cacheRead: 1 }), p), 300);
  const haiku = price('claude-haiku-4-5'); // cache read 100,000 picos: exact
  assert.equal(costOf(tokens({ cacheRead: 3 }), haiku), 300);
  const nano = price('gpt-5-nano'); // cache read $0.005/M = 5,000 picos per token
  assert.equal(nano.cacheRead, 5_000);
  assert.equal(costOf(tokens({ cacheRead: 1 }), nano), 5); // 5,000 picos = 5 nanos
  assert.equal(costOf(tokens({ cacheRead: 1 }), { ...nano, cacheRead: 499 }), 0);
  assert.equal(costOf(tokens({ cacheRead: 1 }), { ...nano, cacheRead: 500 }), 1);
  assert.equal(costOf(tokens({ cacheRead: 3 }), { ...nano, cacheRead: 500 }), 2); // 1,500 picos, not 3 × round(0.5)
});

test('stays exact when a request is too large for doubles to hold its pico-dollars', () => {
  const p = price('claude-opus-4-1'); // output $75/M = 75,000,000 picos
  const t = tokens({ output: 200_000_000, input: 1 }); // 1.5e16 picos > 2^53
  const expected = (200_000_000n * 75_000_000n + 15_000_000n + 500n) / 1000n;
  assert.equal(BigInt(costOf(t, p)), expected);
});

test('missing cache prices fall back to 1.25 × input for 5-minute writes, 2 × for 1-hour writes and 0.1 × for reads', () => {
  const p = price('gpt-4.1'); // lists only a cache read price
  assert.equal(p.cacheWrite5m, 2_500_000);
  assert.equal(p.cacheWrite1h, 4_000_000);
  const noCache = loadPriceTable({ overrides: { 'x-model': { input: 2, output: 8 } } }).lookup('x-model')!.price;
  assert.deepEqual(noCache, { input: 2_000_000, output: 8_000_000, cacheRead: 200_000, cacheWrite5m: 2_500_000, cacheWrite1h: 4_000_000 });
});
