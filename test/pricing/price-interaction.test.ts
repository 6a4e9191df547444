import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPriceTable, priceInteraction, SNAPSHOT, type LiteLLMEntry } from '../../src/core/pricing';
import { tokens, validateInteraction, type Interaction, type Tokens } from '../../src/core/interaction';
import { memoryLogger } from '../../src/core/ports';

const table = loadPriceTable();

function interaction(over: Partial<Interaction>): Interaction {
  return {
    id: 'anthropic:msg_1',
    at: '2026-11-23T12:00:00.000Z',
    agent: 'claude-code',
    source: 'log',
    project: 'acme',
    model: 'claude-sonnet-4-5-20250929',
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 4, cacheWrite5m: 1532, cacheRead: 48211, output: 312 }),
    costNanos: null,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
    ...over,
  };
}

test('a cloud interaction is priced at its model, with the table as source, on a copy', () => {
  const before = interaction({});
  const priced = priceInteraction(before, table);
  assert.equal(priced.costNanos, 24_900_300);
  assert.equal(priced.avoidedNanos, null);
  assert.equal(priced.priceSource, 'litellm@00035b69');
  assert.equal(priced.priceInferred, false);
  assert.equal(before.costNanos, null, 'the input is left as it was');
  validateInteraction(priced);
});

test('the priced copy keeps every other field as it was: fast mode, and fields a newer build added', () => {
  const before = { ...interaction({ fast: true }), sessionTag: 'x' } as Interaction;
  const priced = priceInteraction(before, table);
  assert.deepEqual({ ...priced, costNanos: null, priceSource: null, priceInferred: undefined }, { ...before, priceInferred: undefined });
  assert.equal(priced.fast, true);
  assert.equal((priced as Interaction & { sessionTag?: string }).sessionTag, 'x');
  assert.equal(priced.priceSource, 'litellm@00035b69');
});

test('an inferred match is flagged on the interaction', () => {
  const priced = priceInteraction(interaction({ model: 'claude-sonnet-4-5-20250929-thinking' }), table);
  assert.equal(priced.costNanos, 24_900_300);
  assert.equal(priced.priceInferred, true);
});

test('an unknown model stays unpriced: null, never $0', () => {
  const priced = priceInteraction(
    interaction({ model: 'qwen3-coder:30b', costNanos: 5, priceSource: 'stale', priceInferred: true }),
    table,
  );
  assert.equal(priced.costNanos, null);
  assert.equal(priced.priceSource, null);
  assert.equal(priced.avoidedNanos, null);
  assert.equal(priced.priceInferred, undefined);
});

test('a local interaction costs 0 and avoids what the cloud model it replaced would have cost', () => {
  const t = tokens({ input: 1308, cacheRead: 8192, output: 490, reasoning: 256 });
  const priced = priceInteraction(interaction({ route: 'local', model: 'qwen3-coder:30b', replaces: 'gpt-5-codex', tokens: t }), table);
  assert.equal(priced.costNanos, 0);
  assert.equal(priced.priceSource, 'local');
  assert.equal(priced.avoidedNanos, 7_559_000);
  assert.equal(priced.priceInferred, false);
  validateInteraction(priced);
});

test('a local interaction with no replaced model, or an unpriced one, avoids an unknown amount (null)', () => {
  for (const replaces of [null, 'some-unknown-model']) {
    const priced = priceInteraction(interaction({ route: 'local', model: 'qwen3-coder:30b', replaces }), table);
    assert.equal(priced.costNanos, 0);
    assert.equal(priced.priceSource, 'local');
    assert.equal(priced.avoidedNanos, null, String(replaces));
  }
});

test('fast mode is billed at the listed multiple, and a model without one is priced as standard with a note, once', () => {
  const logger = memoryLogger();
  const t = loadPriceTable({ logger });
  const opus = interaction({ model: 'claude-opus-4-6', fast: true });
  assert.equal(priceInteraction(opus, t).costNanos, 6 * priceInteraction({ ...opus, fast: false }, t).costNanos!);
  const sonnet = interaction({ fast: true });
  assert.equal(priceInteraction(sonnet, t).costNanos, 24_900_300);
  priceInteraction(sonnet, t);
  assert.deepEqual(logger.lines, [
    'info: fast mode: the price table lists no fast-mode multiplier for claude-sonnet-4-5-20250929; such requests are priced at the standard rate',
  ]);
});

test('user overrides price interactions with source "user"', () => {
  const t = loadPriceTable({ overrides: { 'qwen3-coder:30b': { input: 1, output: 1 } } });
  const priced = priceInteraction(interaction({ model: 'qwen3-coder:30b', tokens: tokens({ input: 1000, output: 1000 }) }), t);
  assert.equal(priced.costNanos, 2_000_000);
  assert.equal(priced.priceSource, 'user');
});

// ---- 100,000 interactions summed exactly ----------------------------------------------------------

/** Seeded PRNG (mulberry32) so the corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** USD per token as LiteLLM writes it (e.g. 3.75e-6) → exact pico-dollars, by decimal arithmetic on the text. */
function picosOf(usdPerToken: number): bigint {
  const [mantissa, exp = '0'] = usdPerToken.toString().split('e');
  const [whole, frac = ''] = mantissa.split('.');
  const shift = 12 + Number(exp) - frac.length; // value = digits × 10^(exp − frac.length); × 1e12 for picos
  const digits = BigInt(whole + frac);
  assert.ok(shift >= 0, `${usdPerToken} is not a whole number of pico-dollars`);
  return digits * 10n ** BigInt(shift);
}

interface BigRates {
  input: bigint;
  output: bigint;
  read: bigint;
  w5: bigint;
  w1h: bigint;
}

/**
 * Written from the vendors' published rules, apart from the code under test: Anthropic's input, cache writes, cache
 * reads and output are disjoint counts, each at its own price; OpenAI's cached input and reasoning output are parts
 * of input and output; LiteLLM's per-token fields (model_prices_and_context_window.json) give the prices.
 */
function expectedCost(e: LiteLLMEntry, t: Tokens, fast: boolean): bigint {
  const opt = (v: number | undefined) => (v === undefined ? undefined : picosOf(v));
  const input = picosOf(e.input_cost_per_token);
  const base: BigRates = {
    input,
    output: picosOf(e.output_cost_per_token),
    read: opt(e.cache_read_input_token_cost) ?? input / 10n,
    w5: opt(e.cache_creation_input_token_cost) ?? (input * 5n) / 4n,
    w1h: opt(e.cache_creation_input_token_cost_above_1hr) ?? input * 2n,
  };
  const prompt = BigInt(t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h);
  let r = base;
  const long200 = e.input_cost_per_token_above_200k_tokens;
  const long272 = e.input_cost_per_token_above_272k_tokens;
  if ((long200 !== undefined && prompt > 200_000n) || (long200 === undefined && long272 !== undefined && prompt > 272_000n)) {
    const li = picosOf((long200 ?? long272)!);
    const scaled = (v: bigint) => (v * li) / base.input;
    r = {
      input: li,
      output:
        opt(long200 !== undefined ? e.output_cost_per_token_above_200k_tokens : e.output_cost_per_token_above_272k_tokens) ?? base.output,
      read:
        opt(long200 !== undefined ? e.cache_read_input_token_cost_above_200k_tokens : e.cache_read_input_token_cost_above_272k_tokens) ??
        scaled(base.read),
      w5:
        opt(
          long200 !== undefined ? e.cache_creation_input_token_cost_above_200k_tokens : e.cache_creation_input_token_cost_above_272k_tokens,
        ) ?? scaled(base.w5),
      w1h: opt(long200 !== undefined ? e.cache_creation_input_token_cost_above_1hr_above_200k_tokens : undefined) ?? scaled(base.w1h),
    };
  }
  const m = BigInt(fast ? (e.provider_specific_entry?.fast ?? 1) : 1);
  const picos =
    m *
    (BigInt(t.input) * r.input +
      BigInt(t.cacheRead) * r.read +
      BigInt(t.cacheWrite5m) * r.w5 +
      BigInt(t.cacheWrite1h) * r.w1h +
      BigInt(t.output) * r.output);
  return (picos + 500n) / 1000n;
}

test('100,000 generated interactions sum to the exact total computed independently in BigInt', () => {
  const models = [
    'claude-sonnet-4-5-20250929',
    'claude-sonnet-4-20250514',
    'claude-opus-4-6',
    'claude-opus-4-1',
    'claude-haiku-4-5',
    'gpt-5-codex',
    'gpt-5.4',
    'gpt-5-mini',
    'gpt-4o',
    'o4-mini',
    'gemini-2.5-pro',
    'gemini-2.5-flash',
    'gpt-5-nano',
  ];
  for (const m of models) {
    const entry = SNAPSHOT.models[m];
    assert.ok(entry, m);
    const fast = entry.provider_specific_entry?.fast;
    assert.ok(fast === undefined || Number.isInteger(fast), `${m}: the independent sum assumes whole fast multipliers`);
  }
  const rand = prng(20261123);
  const int = (max: number) => Math.floor(rand() * (max + 1));
  let totalCost = 0;
  let totalAvoided = 0;
  let expectedTotalCost = 0n;
  let expectedTotalAvoided = 0n;
  let unpriced = 0;
  let long = 0;
  for (let n = 0; n < 100_000; n++) {
    const big = rand() < 0.05; // a few long-context requests
    const t = tokens({
      input: int(big ? 120_000 : 6_000),
      cacheRead: int(big ? 200_000 : 60_000),
      cacheWrite5m: int(4_000),
      cacheWrite1h: rand() < 0.2 ? int(8_000) : 0,
      output: int(16_000),
    });
    t.reasoning = int(t.output);
    const kind = rand();
    const model = models[int(models.length - 1)];
    const fast = rand() < 0.1;
    const i: Interaction =
      kind < 0.8
        ? interaction({ id: `x:${n}`, model, tokens: t, fast })
        : kind < 0.95
          ? interaction({ id: `x:${n}`, route: 'local', model: 'qwen3-coder:30b', replaces: model, tokens: t })
          : interaction({ id: `x:${n}`, model: `local-model-${n % 7}:7b`, tokens: t });
    const priced = priceInteraction(i, table);
    if (i.route === 'local') {
      totalAvoided += priced.avoidedNanos!;
      expectedTotalAvoided += expectedCost(SNAPSHOT.models[model], t, false);
      assert.equal(priced.costNanos, 0);
    } else if (kind >= 0.95) {
      assert.equal(priced.costNanos, null);
      unpriced++;
    } else {
      totalCost += priced.costNanos!;
      expectedTotalCost += expectedCost(SNAPSHOT.models[model], t, fast);
    }
    if (t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h > 200_000) long++;
  }
  assert.ok(Number.isSafeInteger(totalCost) && Number.isSafeInteger(totalAvoided));
  assert.equal(BigInt(totalCost), expectedTotalCost);
  assert.equal(BigInt(totalAvoided), expectedTotalAvoided);
  assert.ok(unpriced > 4_000 && long > 1_000, `the corpus exercises unpriced (${unpriced}) and long-context (${long}) requests`);
});

test('a price added in settings applies to history stored unpriced; stored list prices stay as they were', async () => {
  const { currentlyPriced } = await import('../../src/core/pricing');
  const base = {
    at: '2026-11-23T10:00:00.000Z',
    agent: 'cline',
    source: 'log',
    project: null,
    route: 'cloud',
    replaces: null,
    estimated: false,
  } as const;
  const snapshotOnly = loadPriceTable();
  const stored = [
    priceInteraction(
      {
        ...base,
        id: 'a',
        model: 'acme-coder-9',
        tokens: tokens({ input: 1_000_000, output: 100_000 }),
        costNanos: null,
        avoidedNanos: null,
        priceSource: null,
      },
      snapshotOnly,
    ),
    priceInteraction(
      {
        ...base,
        id: 'b',
        model: 'gpt-5-codex',
        tokens: tokens({ input: 1_000_000 }),
        costNanos: null,
        avoidedNanos: null,
        priceSource: null,
      },
      snapshotOnly,
    ),
    priceInteraction(
      {
        ...base,
        id: 'c',
        model: 'qwen3-coder:30b',
        route: 'local',
        replaces: 'acme-coder-9',
        tokens: tokens({ input: 1_000_000 }),
        costNanos: null,
        avoidedNanos: null,
        priceSource: null,
      },
      snapshotOnly,
    ),
  ];
  assert.equal(stored[0].costNanos, null);
  assert.equal(stored[2].avoidedNanos, null);
  // Unchanged settings: the very same array comes back.
  assert.equal(currentlyPriced(stored, snapshotOnly), stored);
  // The user prices acme-coder-9 at $2 / $8 per million; gpt-5-codex gets a (different) user price too.
  const withUser = loadPriceTable({ overrides: { 'acme-coder-9': { input: 2, output: 8 }, 'gpt-5-codex': { input: 100, output: 100 } } });
  const now = currentlyPriced(stored, withUser);
  assert.notEqual(now, stored);
  assert.equal(now[0].costNanos, 2_000_000_000 + 800_000_000);
  assert.equal(now[0].priceSource, 'user');
  assert.equal(now[1], stored[1], 'a record stored with a list price keeps it');
  assert.equal(now[2].avoidedNanos, 2_000_000_000, 'avoided spend follows the new price of the model it replaced');
  // Removing the user's price makes the record unpriced again.
  assert.equal(currentlyPriced(now, snapshotOnly)[0].costNanos, null);
});
