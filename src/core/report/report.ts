/**
 * `unmetered report`: totals per local day, per model and per agent over an inclusive range of local
 * days. Rows hold integer sums (Tally, nano-dollars); they become USD only where they are emitted,
 * as JSON (reportJson) or as text.
 */
import type { Interaction } from '../interaction';
import { dayOfIso } from '../time';
import { byCostDesc, compareKeys, groupTallies, tallyOf, toTotals, type Tally, type Totals } from './totals';

export interface Report {
  since: string | null;
  until: string | null;
  timeZone: string;
  priceTable: string;
  totals: Tally;
  days: { key: string; tally: Tally }[];
  models: { key: string; tally: Tally }[];
  agents: { key: string; tally: Tally }[];
}

/** `unmetered report --json`: the same figures, in USD. */
export interface ReportJson {
  since: string | null;
  until: string | null;
  timeZone: string;
  priceTable: string;
  totals: Totals;
  days: ({ date: string } & Totals)[];
  models: ({ model: string } & Totals)[];
  agents: ({ agent: string } & Totals)[];
}

export function buildReport(records: Iterable<Interaction>, opts: ReportRange): Report {
  const dayOf = dayOfIso(opts.timeZone);
  const inRange: Interaction[] = [];
  const dayOfRecord = new Map<Interaction, string>();
  for (const r of records) {
    const d = dayOf(r.at);
    if ((opts.since && d < opts.since) || (opts.until && d > opts.until)) continue;
    inRange.push(r);
    dayOfRecord.set(r, d);
  }
  return reportOfGroups(opts, {
    totals: tallyOf(inRange),
    days: groupTallies(inRange, (r) => dayOfRecord.get(r)),
    models: groupTallies(inRange, (r) => r.model),
    agents: groupTallies(inRange, (r) => r.agent),
  });
}

export type ReportRange = { since?: string; until?: string; timeZone: string; priceTable: string };

/** The report of tallies grouped per local day, model and agent: days in order, the others by cost. */
export function reportOfGroups(
  opts: ReportRange,
  g: { totals: Tally; days: Map<string, Tally>; models: Map<string, Tally>; agents: Map<string, Tally> },
): Report {
  const rows = (groups: Map<string, Tally>, order: (a: [string, Tally], b: [string, Tally]) => number) =>
    [...groups].sort(order).map(([key, tally]) => ({ key, tally }));
  return {
    since: opts.since ?? null,
    until: opts.until ?? null,
    timeZone: opts.timeZone,
    priceTable: opts.priceTable,
    totals: g.totals,
    days: rows(g.days, (a, b) => compareKeys(a[0], b[0])),
    models: rows(g.models, byCostDesc),
    agents: rows(g.agents, byCostDesc),
  };
}

export function reportJson(r: Report): ReportJson {
  return {
    since: r.since,
    until: r.until,
    timeZone: r.timeZone,
    priceTable: r.priceTable,
    totals: toTotals(r.totals),
    days: r.days.map((d) => ({ date: d.key, ...toTotals(d.tally) })),
    models: r.models.map((m) => ({ model: m.key, ...toTotals(m.tally) })),
    agents: r.agents.map((a) => ({ agent: a.key, ...toTotals(a.tally) })),
  };
}
