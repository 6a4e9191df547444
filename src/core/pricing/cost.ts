/**
 * Prices in integer pico-dollars per token and the cost of one request in integer nano-dollars.
 */
import type { Tokens } from '../interaction';
import { perTokenToPicos, picosToNanos } from '../money';
import type { LiteLLMEntry } from './litellm';

/** Integer pico-dollars (1e-12 USD) per token. */
export interface Rates {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

export interface ModelPrice extends Rates {
  /** Rates for the whole request once its prompt (input + cache reads + cache writes) exceeds thresholdTokens. */
  longContext?: Rates & { thresholdTokens: number };
  /** Anthropic fast mode bills a multiple of every rate. */
  fastMultiplier?: number;
}

/**
 * When a table lists no cache prices we use what the peers (ccusage, tokscale) use: a 5-minute cache
 * write costs 1.25 × input and a cache read 0.1 × input. A 1-hour write costs 2 × input, Anthropic's
 * documented premium for that duration (the peers bill it as a 5-minute write, which undercharges).
 * OpenAI and Gemini report no cache writes at all, so for them only the read default can matter.
 */
export function withCacheDefaults(
  input: number,
  output: number,
  cache: { cacheRead?: number; cacheWrite5m?: number; cacheWrite1h?: number },
): Rates {
  return {
    input,
    output,
    cacheRead: cache.cacheRead ?? Math.round(input / 10),
    cacheWrite5m: cache.cacheWrite5m ?? Math.round(input * 1.25),
    cacheWrite1h: cache.cacheWrite1h ?? input * 2,
  };
}

const picos = (usdPerToken: number | undefined): number | undefined =>
  usdPerToken === undefined ? undefined : perTokenToPicos(usdPerToken);

/** Builds our price from a (trimmed) LiteLLM entry. */
export function priceFromLiteLLM(e: LiteLLMEntry): ModelPrice {
  const base = withCacheDefaults(perTokenToPicos(e.input_cost_per_token), perTokenToPicos(e.output_cost_per_token), {
    cacheRead: picos(e.cache_read_input_token_cost),
    cacheWrite5m: picos(e.cache_creation_input_token_cost),
    cacheWrite1h: picos(e.cache_creation_input_token_cost_above_1hr),
  });
  const price: ModelPrice = { ...base };
  const long =
    e.input_cost_per_token_above_200k_tokens !== undefined
      ? {
          thresholdTokens: 200_000,
          input: e.input_cost_per_token_above_200k_tokens,
          output: e.output_cost_per_token_above_200k_tokens,
          cacheRead: e.cache_read_input_token_cost_above_200k_tokens,
          cacheWrite5m: e.cache_creation_input_token_cost_above_200k_tokens,
          cacheWrite1h: e.cache_creation_input_token_cost_above_1hr_above_200k_tokens,
        }
      : e.input_cost_per_token_above_272k_tokens !== undefined
        ? {
            thresholdTokens: 272_000,
            input: e.input_cost_per_token_above_272k_tokens,
            output: e.output_cost_per_token_above_272k_tokens,
            cacheRead: e.cache_read_input_token_cost_above_272k_tokens,
            cacheWrite5m: e.cache_creation_input_token_cost_above_272k_tokens,
            cacheWrite1h: undefined,
          }
        : undefined;
  if (long) {
    const input = perTokenToPicos(long.input);
    // A long-context rate the table leaves out scales with the input rate, as every listed one does
    // (Anthropic: 2× input, 2× cache reads and writes, 1.5× output is listed); output falls back to the base rate.
    const scale = (baseRate: number, listed: number | undefined): number =>
      listed !== undefined ? perTokenToPicos(listed) : Math.round((baseRate * input) / base.input);
    price.longContext = {
      thresholdTokens: long.thresholdTokens,
      input,
      output: long.output !== undefined ? perTokenToPicos(long.output) : base.output,
      cacheRead: scale(base.cacheRead, long.cacheRead),
      cacheWrite5m: scale(base.cacheWrite5m, long.cacheWrite5m),
      cacheWrite1h: scale(base.cacheWrite1h, long.cacheWrite1h),
    };
  }
  const fast = e.provider_specific_entry?.fast;
  if (fast !== undefined && fast !== 1) price.fastMultiplier = fast;
  return price;
}

/** Tokens that count toward the long-context threshold: the whole prompt, cached or not. */
export function promptTokens(t: Tokens): number {
  return t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
}

function scaleRates(r: Rates, m: number): Rates {
  // Rates are whole pico-dollars and LiteLLM's multipliers are small decimals (2, 6, 1.1): exact or
  // off by under half a pico-dollar per token.
  return {
    input: Math.round(r.input * m),
    output: Math.round(r.output * m),
    cacheRead: Math.round(r.cacheRead * m),
    cacheWrite5m: Math.round(r.cacheWrite5m * m),
    cacheWrite1h: Math.round(r.cacheWrite1h * m),
  };
}

/** The rates one request is billed at. */
export function ratesFor(t: Tokens, price: ModelPrice, opts: { fast?: boolean } = {}): Rates {
  // The vendors' rule (Anthropic, OpenAI, Google): once the prompt exceeds the threshold, EVERY token of
  // the request is billed at the long-context rates. ccusage instead tiers each token type separately
  // (first 200k at base, the rest higher), which costs less on long requests; we follow the vendors.
  const r = price.longContext && promptTokens(t) > price.longContext.thresholdTokens ? price.longContext : price;
  return opts.fast && price.fastMultiplier !== undefined ? scaleRates(r, price.fastMultiplier) : r;
}

/**
 * Cost of one request in integer nano-dollars. Tokens are disjoint (input excludes cache reads and
 * writes), and reasoning is inside output, so it is never billed on its own. The sum is exact in
 * pico-dollars and rounded once, half up.
 */
export function costOf(t: Tokens, price: ModelPrice, opts: { fast?: boolean } = {}): number {
  const r = ratesFor(t, price, opts);
  const total =
    t.input * r.input + t.cacheRead * r.cacheRead + t.cacheWrite5m * r.cacheWrite5m + t.cacheWrite1h * r.cacheWrite1h + t.output * r.output;
  if (Number.isSafeInteger(total)) return picosToNanos(total);
  // Beyond 2^53 pico-dollars (≈ $9,000 in one request) doubles lose units: redo it in BigInt.
  const b = BigInt;
  const exact =
    b(t.input) * b(r.input) +
    b(t.cacheRead) * b(r.cacheRead) +
    b(t.cacheWrite5m) * b(r.cacheWrite5m) +
    b(t.cacheWrite1h) * b(r.cacheWrite1h) +
    b(t.output) * b(r.output);
  return Number((exact + 500n) / 1000n);
}
