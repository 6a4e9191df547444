/**
 * Money is integer nano-dollars (1e-9 USD) everywhere in core. A price is held as integer
 * pico-dollars per token (= micro-dollars per million tokens), so tokens × price is an exact
 * integer; each Interaction's cost is then rounded once, half up, to whole nano-dollars, and
 * totals are exact integer sums of those. Number.MAX_SAFE_INTEGER nano-dollars is about $9 million.
 */
export const NANOS_PER_USD = 1_000_000_000;

/** Converts a price in USD per million tokens (e.g. 3.75) to integer pico-dollars per token. */
export function perMillionToPicos(usdPerMillion: number): number {
  // usdPerMillion × 1e6 µ$/M; round away binary noise (3.75 is exact, 0.3 is not)
  return Math.round(usdPerMillion * 1_000_000);
}

/** Converts LiteLLM's USD-per-token float (e.g. 3e-6) to integer pico-dollars per token. */
export function perTokenToPicos(usdPerToken: number): number {
  return Math.round(usdPerToken * 1e12);
}

/** Rounds integer pico-dollars to integer nano-dollars, half up. */
export function picosToNanos(picos: number): number {
  return Math.floor((picos + 500) / 1000);
}

export function nanosToUSD(nanos: number): number {
  // A decimal with at most 9 places; exact enough for JSON output, never used for arithmetic.
  return Number((nanos / NANOS_PER_USD).toFixed(9));
}

export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

/** A number as toLocaleString('en-US') writes it; a safe integer without Intl (whose first use costs 50 ms or more). */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

/**
 * Formats for people: $0.0042 under a cent, $3.42 under $1,000, $1,234 above.
 * `null` (unpriced) is never shown as $0.
 */
export function formatUSD(nanos: number | null, opts: { compact?: boolean } = {}): string {
  if (nanos === null) return 'unpriced';
  const usd = nanos / NANOS_PER_USD;
  if (nanos === 0) return '$0.00';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (opts.compact && usd >= 100) return `$${grouped(Math.round(usd))}`;
  if (usd >= 1000) return `$${grouped(Math.round(usd))}`;
  return `$${usd.toFixed(2)}`;
}
