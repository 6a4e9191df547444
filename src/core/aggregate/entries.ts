/**
 * What the aggregate queries group: the rollup's cells and its loose records as one kind of entry,
 * each with its instant and local day. A cell stands for all its records only when its quarter-hour
 * lies inside one local day; in a zone where it does not (an offset off the quarter-hour grid, such
 * as the local mean times of the 1800s) entriesOf returns null and the caller reads the records.
 */
import type { Interaction } from '../interaction';
import { QUARTER_HOUR_MS, SUM_FIELDS, type Cell, type SumField } from '../ledger/rollup';
import { dayOfIso, localDay } from '../time';

export interface Entry {
  /** The instant: a cell's quarter-hour start (every cut at a local midnight falls on one), a record's own. */
  t: number;
  day: string;
  firstAt: string;
  lastAt: string;
  agent: string;
  model: string;
  project: string | null;
  repo: string | null;
  sums: Record<SumField, number>;
  /** A loose record, whose `at` text the record-based code compares as text. */
  record?: Interaction;
}

/** The sums of one record, as a cell of its own holds them. */
export function sumsOf(r: Interaction): Record<SumField, number> {
  const k = r.tokens;
  const local = r.route === 'local';
  const s = Object.fromEntries(SUM_FIELDS.map((f) => [f, 0])) as Record<SumField, number>;
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
  return s;
}

/** Cells and (already priced) loose records as entries in a zone; null when a cell spans two local days. */
export function entriesOf(cells: readonly Cell[], loose: readonly Interaction[], timeZone: string): Entry[] | null {
  const dayOfQ = new Map<number, string | null>();
  const out: Entry[] = [];
  for (const c of cells) {
    let day = dayOfQ.get(c.q);
    if (day === undefined) {
      const t = c.q * QUARTER_HOUR_MS;
      const first = localDay(t, timeZone);
      day = first === localDay(t + QUARTER_HOUR_MS - 1, timeZone) ? first : null;
      dayOfQ.set(c.q, day);
    }
    if (day === null) return null;
    out.push({ t: c.q * QUARTER_HOUR_MS, day, ...c });
  }
  const dayOf = dayOfIso(timeZone);
  for (const r of loose) {
    out.push({
      t: Date.parse(r.at),
      day: dayOf(r.at),
      firstAt: r.at,
      lastAt: r.at,
      agent: r.agent,
      model: r.model,
      project: r.project,
      repo: r.repo ?? null,
      sums: sumsOf(r),
      record: r,
    });
  }
  return out;
}
