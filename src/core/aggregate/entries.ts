/**
 * What the aggregate queries group: the rollup's cells and its loose records as one kind of entry,
 * each with its local day in the rollup's zone.
 */
import type { Interaction } from '../interaction';
import { agentCostOf, emptySums, type Rollup, type SumField } from '../ledger/rollup';
import { dayOfIso } from '../time';
import { namedSession } from '../sessionId';

export interface Entry {
  day: string;
  firstAt: string;
  lastAt: string;
  agent: string;
  model: string;
  project: string | null;
  repo: string | null;
  branch: string | null;
  /** The session the ids name (namedSession), or null. */
  session: string | null;
  sums: Record<SumField, number>;
  /** A loose record, whose `at` the record-based code reads as text and as an instant. */
  record?: Interaction;
}

/** The sums of one record, as a cell of its own holds them. */
function sumsOf(r: Interaction): Record<SumField, number> {
  const k = r.tokens;
  const local = r.route === 'local';
  const s = emptySums();
  s.costNanos = r.costNanos ?? 0;
  s.avoidedNanos = local && r.avoidedNanos !== null ? r.avoidedNanos : 0;
  s.avoidedAllNanos = r.avoidedNanos ?? 0;
  s.input = k.input;
  s.output = k.output;
  s.cacheRead = k.cacheRead;
  s.cacheWrite = k.cacheWrite5m + k.cacheWrite1h;
  s.reasoning = k.reasoning;
  s.interactions = 1;
  s.unpriced = r.costNanos === null ? 1 : 0;
  s.estimated = r.estimated ? 1 : 0;
  s.local = local ? 1 : 0;
  s.localPriced = local && r.avoidedNanos !== null ? 1 : 0;
  const theirs = agentCostOf(r);
  if (theirs !== null) {
    s.agentCosted = 1;
    s.agentCostNanos = theirs;
    s.agentCostOurNanos = r.costNanos!;
  }
  return s;
}

/**
 * The rollup's cells and its loose records (already priced as the settings say) as entries of
 * `timeZone`; null when the rollup was kept for another zone (its days are not this zone's).
 */
export function entriesOf(rollup: Pick<Rollup, 'cells' | 'timeZone'>, loose: readonly Interaction[], timeZone: string): Entry[] | null {
  if (rollup.timeZone !== timeZone) return null;
  const out: Entry[] = rollup.cells.slice();
  const dayOf = dayOfIso(timeZone);
  for (const r of loose) {
    out.push({
      day: dayOf(r.at),
      firstAt: r.at,
      lastAt: r.at,
      agent: r.agent,
      model: r.model,
      project: r.project,
      repo: r.repo ?? null,
      branch: r.branch ?? null,
      session: namedSession(r),
      sums: sumsOf(r),
      record: r,
    });
  }
  return out;
}
