/**
 * The price table: a pinned, committed LiteLLM snapshot (refreshed only by `npm run prices:refresh`,
 * run by a person) with the user's `unmetered.prices` overrides in front of it.
 */
import type { Interaction } from '../interaction';
import { silentLogger, type Logger } from '../ports';
import { costOf, priceFromLiteLLM, type ModelPrice } from './cost';
import { baseModelName, type PriceSnapshot } from './litellm';
import { ModelIndex } from './match';
import { normalisePriceOverrides } from './overrides';
import snapshotJson from './snapshot.json';

export { costOf, promptTokens, ratesFor, withCacheDefaults, type ModelPrice, type Rates } from './cost';
export { normaliseModelName } from './match';
export { normalisePriceOverrides, type NormalisedOverrides } from './overrides';
export type { LiteLLMEntry, PriceSnapshot } from './litellm';

export const SNAPSHOT: PriceSnapshot = snapshotJson;

export interface PriceMatch {
  /** The table key that priced the name. */
  key: string;
  price: ModelPrice;
  /** True when the key was found by containment rather than named exactly, by alias or by date. */
  inferred: boolean;
  /** 'user' for an `unmetered.prices` override, else the table version, e.g. 'litellm@00035b69'. */
  source: string;
}

export interface PriceTable {
  /** e.g. 'litellm@00035b69' */
  readonly version: string;
  /** null when no key matches: the model is unpriced, never $0. */
  lookup(model: string): PriceMatch | null;
  /** Reports something about pricing once per table (e.g. fast mode on a model with no fast multiplier). */
  notice?(message: string): void;
}

/** Lower ranks win among keys that name the same model: first-party ids before cloud-platform ids. */
function rank(key: string): number {
  if (key === baseModelName(key)) return 0;
  return /^(?:anthropic|openai|gemini)\//.test(key) ? 1 : 2;
}

interface Compiled {
  prices: Map<string, ModelPrice>;
  index: ModelIndex;
}
const compiled = new WeakMap<PriceSnapshot, Compiled>();

function compile(snapshot: PriceSnapshot): Compiled {
  let c = compiled.get(snapshot);
  if (!c) {
    const prices = new Map(Object.entries(snapshot.models).map(([k, e]) => [k, priceFromLiteLLM(e)] as const));
    c = { prices, index: new ModelIndex(prices.keys(), rank) };
    compiled.set(snapshot, c);
  }
  return c;
}

const LOOKUP_CACHE_LIMIT = 10_000;

export function loadPriceTable(opts: { overrides?: unknown; logger?: Logger; snapshot?: PriceSnapshot } = {}): PriceTable {
  const logger = opts.logger ?? silentLogger;
  const snapshot = opts.snapshot ?? SNAPSHOT;
  const version = `litellm@${snapshot.source.commit.slice(0, 8)}`;
  const { overrides, warnings } = normalisePriceOverrides(opts.overrides);
  for (const w of warnings) logger.warn(w);
  const userKeys = Object.keys(overrides);
  // Containment runs over both sets at once, so the longest key wins wherever it comes from (a user key
  // wins a tie). User keys are tagged to keep them apart from a snapshot key of the same name.
  const USER = 'user\u0000';
  // The indexes are built on the first lookup: a command answered from aggregates prices nothing (~5 ms of a re-run).
  let built: { base: Compiled; userIndex: ModelIndex; fuzzyIndex: ModelIndex } | null = null;
  const indexes = () => {
    if (built) return built;
    const base = compile(snapshot);
    const fuzzyIndex = userKeys.length
      ? new ModelIndex(
          [...userKeys.map((k) => USER + k), ...base.prices.keys()],
          (k) => (k.startsWith(USER) ? -1 : rank(k)),
          (k) => (k.startsWith(USER) ? k.slice(USER.length) : k),
        )
      : base.index;
    return (built = { base, userIndex: new ModelIndex(userKeys), fuzzyIndex });
  };
  const fromUser = (key: string, inferred: boolean): PriceMatch => ({ key, price: overrides[key]!, inferred, source: 'user' });
  const fromSnapshot = (key: string, inferred: boolean): PriceMatch => ({
    key,
    price: built ? built.base.prices.get(key)! : priceFromLiteLLM(snapshot.models[key]!),
    inferred,
    source: version,
  });

  const find = (model: string): PriceMatch | null => {
    // A name that is a key of the snapshot, with no overrides to outrank it: the index's answer, without
    // building the index over every key (~4 ms of a re-run that stores one line).
    if (userKeys.length === 0 && Object.hasOwn(snapshot.models, model)) return fromSnapshot(model, false);
    const { base, userIndex, fuzzyIndex } = indexes();
    const user = userIndex.named(model);
    const named = user ? null : base.index.named(model);
    const fuzzy = user || named ? null : fuzzyIndex.contained(model);
    if (user) return fromUser(user.key, false);
    if (named) return fromSnapshot(named.key, false);
    if (fuzzy) return fuzzy.key.startsWith(USER) ? fromUser(fuzzy.key.slice(USER.length), true) : fromSnapshot(fuzzy.key, true);
    return null;
  };

  const cache = new Map<string, PriceMatch | null>();
  const noticed = new Set<string>();
  return {
    version,
    lookup(model: string): PriceMatch | null {
      const cached = cache.get(model);
      if (cached !== undefined || cache.has(model)) return cached ?? null;
      const match = find(model);
      if (cache.size >= LOOKUP_CACHE_LIMIT) cache.clear();
      cache.set(model, match);
      return match;
    },
    notice(message: string): void {
      if (noticed.has(message)) return;
      noticed.add(message);
      logger.info(message);
    },
  };
}

/**
 * Fills costNanos / avoidedNanos / priceSource / priceInferred on a copy of the interaction.
 * Cloud: the cost at its model (null when unpriced). Local: costs 0 and avoids what `replaces` would have
 * cost in the cloud (null when there is no such model or it is unpriced).
 */
export function priceInteraction(i: Interaction, table: PriceTable): Interaction {
  if (i.route === 'local') {
    const m = i.replaces ? table.lookup(i.replaces) : null;
    return withPrice(i, 0, m ? costOf(i.tokens, m.price) : null, 'local', m?.inferred);
  }
  const m = table.lookup(i.model);
  if (!m) return withPrice(i, null, null, null, undefined);
  if (i.fast && m.price.fastMultiplier === undefined) {
    table.notice?.(`fast mode: the price table lists no fast-mode multiplier for ${m.key}; such requests are priced at the standard rate`);
  }
  return withPrice(i, costOf(i.tokens, m.price, { fast: i.fast }), null, m.source, m.inferred);
}

/**
 * The copy, built as one object literal: records of one shape keep every later pass over them
 * (validation, encoding, the meter) fast, where a spread copy with fields set afterwards left each
 * record in a slower layout, several times slower to read in a bulk import. Fields a newer build
 * added to the interaction are carried over.
 */
function withPrice(
  i: Interaction,
  costNanos: number | null,
  avoidedNanos: number | null,
  priceSource: string | null,
  inferred: boolean | undefined,
): Interaction {
  const out: Interaction = {
    id: i.id,
    at: i.at,
    agent: i.agent,
    source: i.source,
    project: i.project,
    model: i.model,
    route: i.route,
    replaces: i.replaces,
    tokens: i.tokens,
    costNanos,
    avoidedNanos,
    priceSource,
    estimated: i.estimated,
  };
  if ('fast' in i) out.fast = i.fast;
  if (inferred !== undefined) out.priceInferred = inferred;
  for (const k in i)
    if (!(k in out) && k !== 'priceInferred') (out as unknown as Record<string, unknown>)[k] = (i as unknown as Record<string, unknown>)[k];
  return out;
}

/** Whether a stored record's price can change with the user's settings (see currentlyPriced). */
export function pricedBySettings(r: Interaction): boolean {
  return r.priceSource === null || r.priceSource === 'user' || (r.route === 'local' && r.avoidedNanos === null && r.replaces !== null);
}

/**
 * Records as the current table prices them. A record is priced once, when it is stored; those
 * stored unpriced, or priced by the user's own `unmetered.prices`, are priced again here, so a price
 * added (or corrected) in settings applies to the history too. Every other record keeps the price it
 * was stored with. Returns the same array when nothing changes, so the common case copies nothing.
 */
export function currentlyPriced(records: readonly Interaction[], table: PriceTable): readonly Interaction[] {
  let out: Interaction[] | undefined;
  for (let k = 0; k < records.length; k++) {
    const r = records[k]!;
    if (!pricedBySettings(r)) continue;
    const again = priceInteraction(r, table);
    if (again.costNanos === r.costNanos && again.avoidedNanos === r.avoidedNanos && again.priceSource === r.priceSource) continue;
    out ??= records.slice();
    out[k] = again;
  }
  return out ?? records;
}
