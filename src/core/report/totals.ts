/**
 * The one aggregate row shape shared by every report: the weekly summary, the team merge, the
 * dashboard and `unmetered report --json`. Sums are kept as integers (nano-dollars, token counts)
 * in a `Tally` and converted to USD only when a row is emitted, so totals never drift.
 */
import type { Interaction } from '../interaction';
import { nanosToUSD } from '../money';

/** An emitted aggregate row. Field names are shared with `unmetered report --json`. */
export interface Totals {
  /**
   * USD of the priced interactions. null only when the row has interactions and not one of them
   * could be priced (an unknown model is unpriced, never $0); partial pricing shows in
   * `unpricedInteractions`.
   */
  costUSD: number | null;
  /** USD the cloud models would have charged for the local interactions; null when none of them could be priced. */
  avoidedUSD: number | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** 5-minute and 1-hour cache writes together. */
  cacheWriteTokens: number;
  /** A subset of outputTokens. */
  reasoningTokens: number;
  interactions: number;
  /** Interactions whose cost is unknown (their model has no price). */
  unpricedInteractions: number;
  /** Interactions whose tokens were counted with a tokenizer rather than reported by the provider. */
  estimatedInteractions: number;
}

/** The field names of Totals in their emitted order (JSON, CSV columns). */
export const TOTALS_FIELDS = [
  'costUSD',
  'avoidedUSD',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'interactions',
  'unpricedInteractions',
  'estimatedInteractions',
] as const satisfies readonly (keyof Totals)[];

/** Integer running sums behind a Totals row. */
export interface Tally {
  costNanos: number;
  avoidedNanos: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  interactions: number;
  unpriced: number;
  estimated: number;
  /** Local interactions, and how many of them had a known avoided cost (decides avoidedUSD null vs 0). */
  local: number;
  localPriced: number;
}

export function emptyTally(): Tally {
  return {
    costNanos: 0,
    avoidedNanos: 0,
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    reasoning: 0,
    interactions: 0,
    unpriced: 0,
    estimated: 0,
    local: 0,
    localPriced: 0,
  };
}

export function addRecord(t: Tally, r: Interaction): Tally {
  const k = r.tokens;
  t.input += k.input;
  t.output += k.output;
  t.cacheRead += k.cacheRead;
  t.cacheWrite += k.cacheWrite5m + k.cacheWrite1h;
  t.reasoning += k.reasoning;
  t.interactions++;
  if (r.costNanos === null) t.unpriced++;
  else t.costNanos += r.costNanos;
  if (r.estimated) t.estimated++;
  if (r.route === 'local') {
    t.local++;
    if (r.avoidedNanos !== null) {
      t.localPriced++;
      t.avoidedNanos += r.avoidedNanos;
    }
  }
  return t;
}

/** Adds b into a (used to merge days into weeks and developers into a team). */
export function addTally(a: Tally, b: Tally): Tally {
  a.costNanos += b.costNanos;
  a.avoidedNanos += b.avoidedNanos;
  a.input += b.input;
  a.output += b.output;
  a.cacheRead += b.cacheRead;
  a.cacheWrite += b.cacheWrite;
  a.reasoning += b.reasoning;
  a.interactions += b.interactions;
  a.unpriced += b.unpriced;
  a.estimated += b.estimated;
  a.local += b.local;
  a.localPriced += b.localPriced;
  return a;
}

export function tallyOf(records: Iterable<Interaction>): Tally {
  const t = emptyTally();
  for (const r of records) addRecord(t, r);
  return t;
}

/** The cost in nano-dollars; null only when there are interactions and not one of them could be priced. */
export function costNanosOf(t: Tally): number | null {
  return t.interactions > 0 && t.unpriced === t.interactions ? null : t.costNanos;
}

/** The spend avoided in nano-dollars; null when there are local interactions and none had a cloud price. */
export function avoidedNanosOf(t: Tally): number | null {
  return t.local > 0 && t.localPriced === 0 ? null : t.avoidedNanos;
}

const usdOrNull = (nanos: number | null) => (nanos === null ? null : nanosToUSD(nanos));

/** Emits a Tally as a Totals row, keys in TOTALS_FIELDS order: the edge where nano-dollars become USD. */
export function toTotals(t: Tally): Totals {
  return {
    costUSD: usdOrNull(costNanosOf(t)),
    avoidedUSD: usdOrNull(avoidedNanosOf(t)),
    inputTokens: t.input,
    outputTokens: t.output,
    cacheReadTokens: t.cacheRead,
    cacheWriteTokens: t.cacheWrite,
    reasoningTokens: t.reasoning,
    interactions: t.interactions,
    unpricedInteractions: t.unpriced,
    estimatedInteractions: t.estimated,
  };
}

/**
 * Reads a Totals row (e.g. from a submitted weekly summary) back into integer sums so rows can be
 * merged exactly. USD values are written with at most 9 decimals, so reading them back through their
 * decimal digits is exact below 2^23 USD ($8,388,608, where a double's spacing reaches a nano-dollar).
 * `local`/`localPriced` are not in a Totals row; they are reconstructed only as far as the null-vs-0 rule of avoidedUSD needs.
 */
export function tallyFromTotals(x: Totals): Tally {
  return {
    costNanos: x.costUSD === null ? 0 : usdToNanosExact(x.costUSD),
    avoidedNanos: x.avoidedUSD === null ? 0 : usdToNanosExact(x.avoidedUSD),
    input: x.inputTokens,
    output: x.outputTokens,
    cacheRead: x.cacheReadTokens,
    cacheWrite: x.cacheWriteTokens,
    reasoning: x.reasoningTokens,
    interactions: x.interactions,
    unpriced: x.unpricedInteractions,
    estimated: x.estimatedInteractions,
    local: x.avoidedUSD === null || x.avoidedUSD > 0 ? 1 : 0,
    localPriced: x.avoidedUSD !== null && x.avoidedUSD > 0 ? 1 : 0,
  };
}

/** `Math.round(usd * 1e9)` can be a nano-dollar off for large sums (the product rounds); the decimal digits cannot. */
export function usdToNanosExact(usd: number): number {
  // Fast path: below 2^23 USD distinct nano-dollar decimals are distinct doubles, so a product that
  // divides back to the same double is the exact count (the digits are the slow, general way).
  if (Math.abs(usd) < 8_388_608) {
    const n = Math.round(usd * 1e9);
    if (n / 1e9 === usd) return n;
  }
  const [whole, frac = ''] = Math.abs(usd).toFixed(9).split('.');
  const n = Number(whole) * 1e9 + Number(frac);
  return usd < 0 ? -n : n;
}

/** Totals of a set of records. */
export function totalsOf(records: Iterable<Interaction>): Totals {
  return toTotals(tallyOf(records));
}

/** Tallies per key, in first-seen order. Records for which `keyOf` returns undefined are left out. */
export function groupTallies<K>(records: Iterable<Interaction>, keyOf: (r: Interaction) => K | undefined): Map<K, Tally> {
  const groups = new Map<K, Tally>();
  for (const r of records) {
    const k = keyOf(r);
    if (k === undefined) continue;
    let t = groups.get(k);
    if (!t) groups.set(k, (t = emptyTally()));
    addRecord(t, r);
  }
  return groups;
}

/**
 * Orders groups the way a reader scans them: most expensive first, then most interactions, then by
 * key, so the order is total and output is deterministic.
 */
export function byCostDesc<K extends string | null>(a: [K, Tally], b: [K, Tally]): number {
  return b[1].costNanos - a[1].costNanos || b[1].interactions - a[1].interactions || compareKeys(a[0], b[0]);
}

/** Code-point order (not locale order, which can differ between runtimes); null sorts last. */
export function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
