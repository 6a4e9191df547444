/**
 * The weekly summary: what one developer spent in one week, built from the ledger. It is the
 * versioned JSON document itself (schema "unmetered.weekly/2", see weekly-2.schema.json); the
 * Markdown, CSV and HTML renderers and the team merge all read this one shape.
 *
 * Only names leave the ledger (agent, model, project — the latter pseudonymised on request) and
 * counts; never an interaction id, prompt or response text.
 */
import type { Interaction, Route } from '../../interaction';
import { computeMeter, type BudgetState, type Meter, type MeterOptions } from '../../meter';
import { nanosToUSD } from '../../money';
import { addDays, startOfDay } from '../../time';
import { weeklyAttribution, type WeeklyAttribution } from './attribution';
import { addRecord, addTally, byCostDesc, compareKeys, emptyTally, type Tally, toTotals, type Totals } from '../totals';
import { shiftWeek, weekById, weekDays, type Week, type WeekStart } from '../week';
import { budgetActionsOf, type BudgetActions } from './budgetActions';

const WEEKLY_SCHEMA = 'unmetered.weekly/2';
const DEFAULT_TOP_PROJECTS = 10;

export interface WeekInfo {
  id: string;
  start: string;
  end: string;
  weekStart: WeekStart;
  timeZone: string;
  /** False when the summary was made before the week ended. */
  complete: boolean;
}

export type DayRow = { date: string } & Totals;
export type AgentRow = { agent: string } & Totals;
export type ModelRow = { model: string } & Totals;
export type ProjectRow = { project: string | null } & Totals;
export type BreakdownRow = { date: string; agent: string; model: string; route: Route } & Totals;

export interface BudgetInfo {
  /** The day the month figures are taken at: the week's last day, or today for the current week. */
  asOf: string;
  /** 'YYYY-MM' of asOf. */
  month: string;
  monthlyBudgetUSD: number | null;
  monthToDateUSD: number;
  avoidedMonthToDateUSD: number;
  projectedMonthUSD: number;
  state: BudgetState;
  projectionMethod: string;
}

export interface WeeklySummary {
  schema: typeof WEEKLY_SCHEMA;
  developer: string;
  week: WeekInfo;
  generatedAt: string;
  priceTableVersion: string | null;
  projectsPseudonymised: boolean;
  totals: Totals;
  /** Cloud (metered) and local (Ollama) interactions apart; avoided spend sits on the local side. */
  routes: { cloud: Totals; local: Totals };
  /** The same developer's previous week, for the trend. */
  previousWeek: { id: string } & Totals;
  /** All seven days, in order. */
  days: DayRow[];
  agents: AgentRow[];
  models: ModelRow[];
  /** The most expensive projects (at most DEFAULT_TOP_PROJECTS); the rest are summed in otherProjects. */
  projects: ProjectRow[];
  otherProjects: { projects: number } & Totals;
  budget: BudgetInfo;
  /** What budgets made the gateway do this week; absent when nothing (see budgetActions.ts). */
  budgetActions?: BudgetActions;
  /** Models without a known price (for local interactions: the cloud model they replaced), with how many interactions each. */
  unpricedModels: { model: string; interactions: number }[];
  /** One row per day × agent × model × route, for spreadsheets. */
  rows: BreakdownRow[];
  /** Per repository and per (repository, branch): what each feature cost (version 2; attribution.ts). */
  attribution: WeeklyAttribution;
}

export interface WeeklyOptions {
  /** A Week or an ISO week id. */
  week: Week | string;
  timeZone: string;
  weekStart?: WeekStart;
  budgetNanos: number | null;
  now: number;
  developer: string;
  priceTableVersion: string | null;
  /** Maps a project name to its pseudonym (see pseudonymiser()); absent = names as they are. */
  pseudonymise?: ((project: string) => string) | null;
  topProjects?: number;
  /**
   * The meter (the budget line) at an instant, when the caller has it without every record (the CLI's rollup
   * answers it: core/aggregate/meter.ts). Absent: computed from `records`, which must then be all of them; when
   * given, `records` need only hold those of this week and the one before.
   */
  meter?: (opts: MeterOptions) => Meter;
}

type Midnights = [number, number, number, number, number, number, number, number];

/** Instants of the eight midnights around a week (DST days are 23 or 25 hours long). */
function boundaries(w: Week, timeZone: string): Midnights {
  return [...weekDays(w), addDays(w.end, 1)].map((d) => startOfDay(d, timeZone)) as Midnights;
}

/** Which day (0–6) of the week an instant falls on, or -1 outside it. */
function dayIndex(t: number, b: Midnights): number {
  if (t < b[0] || t >= b[7]) return -1;
  let i = 0;
  while (t >= b[i + 1]!) i++; // stops at i = 6 at the latest, as t < b[7]
  return i;
}

/**
 * The records from `from` to `to` (instants), in one pass over the ledger. The ISO text pre-filter
 * (UTC ISO-8601 sorts as text) spares Date.parse for the rest of the year.
 */
function between(records: readonly Interaction[], from: number, to: number): Interaction[] {
  const lo = new Date(from - 86_400_000).toISOString();
  const hi = new Date(to + 86_400_000).toISOString();
  const out: Interaction[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.at >= lo && r.at <= hi) out.push(r);
  }
  return out;
}

function bump<K>(m: Map<K, Tally>, k: K, r: Interaction): void {
  let t = m.get(k);
  if (!t) m.set(k, (t = emptyTally()));
  addRecord(t, r);
}

function sorted<K extends string | null>(m: Map<K, Tally>): [K, Tally][] {
  return [...m.entries()].sort(byCostDesc);
}

type RowTally = { date: string; agent: string; model: string; route: Route; t: Tally };

function budgetOf(meter: Meter): WeeklySummary['budget'] {
  return {
    asOf: meter.day,
    month: meter.day.slice(0, 7),
    monthlyBudgetUSD: meter.budgetNanos === null ? null : nanosToUSD(meter.budgetNanos),
    monthToDateUSD: nanosToUSD(meter.monthToDateNanos),
    avoidedMonthToDateUSD: nanosToUSD(meter.avoidedMonthNanos),
    projectedMonthUSD: nanosToUSD(meter.projectedMonthNanos),
    state: meter.budgetState,
    projectionMethod: meter.projectionMethod,
  };
}

function unpricedList(unpriced: Map<string, number>): WeeklySummary['unpricedModels'] {
  return [...unpriced.entries()]
    .sort((x, y) => y[1] - x[1] || compareKeys(x[0], y[0]))
    .map(([model, interactions]) => ({ model, interactions }));
}

/** Day, then dearest first, then agent, model and route: a stable order for the breakdown rows. */
function rowList(rows: Map<string, RowTally>): BreakdownRow[] {
  return [...rows.values()]
    .sort(
      (x, y) =>
        compareKeys(x.date, y.date) ||
        y.t.costNanos - x.t.costNanos ||
        compareKeys(x.agent, y.agent) ||
        compareKeys(x.model, y.model) ||
        compareKeys(x.route, y.route),
    )
    .map((x) => ({ date: x.date, agent: x.agent, model: x.model, route: x.route, ...toTotals(x.t) }));
}

export function buildWeeklySummary(records: readonly Interaction[] | Iterable<Interaction>, opts: WeeklyOptions): WeeklySummary {
  const { timeZone, now } = opts;
  const week = typeof opts.week === 'string' ? weekById(opts.week, opts.weekStart ?? 'monday') : opts.week;
  const list = Array.isArray(records) ? (records as readonly Interaction[]) : [...records];
  const b = boundaries(week, timeZone);
  const days = weekDays(week);
  const rename = opts.pseudonymise ?? null;

  const total = emptyTally();
  const routes = { cloud: emptyTally(), local: emptyTally() };
  const perDay = days.map(() => emptyTally());
  const agents = new Map<string, Tally>();
  const models = new Map<string, Tally>();
  const projects = new Map<string | null, Tally>();
  const rows = new Map<string, RowTally>();
  const unpriced = new Map<string, number>();

  const prev = shiftWeek(week, -1);
  const pb = boundaries(prev, timeZone);
  const near = between(list, pb[0], b[7]);
  const prevTally = emptyTally();
  const inWeek: Interaction[] = [];
  for (const r of near) {
    const t = Date.parse(r.at);
    if (t >= pb[0] && t < pb[7]) addRecord(prevTally, r);
    const i = dayIndex(t, b);
    if (i < 0) continue;
    inWeek.push(r);
    addRecord(total, r);
    addRecord(routes[r.route], r);
    addRecord(perDay[i]!, r);
    bump(agents, r.agent, r);
    bump(models, r.model, r);
    // An empty name is as unknown as none.
    bump(projects, !r.project ? null : rename ? rename(r.project) : r.project, r);
    // JSON of the key parts: names may contain any character, so no separator is safe.
    const key = JSON.stringify([i, r.agent, r.model, r.route]);
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { date: days[i]!, agent: r.agent, model: r.model, route: r.route, t: emptyTally() }));
    addRecord(row.t, r);
    const unpricedName = r.costNanos === null ? r.model : r.route === 'local' && r.avoidedNanos === null ? (r.replaces ?? r.model) : null;
    if (unpricedName !== null) unpriced.set(unpricedName, (unpriced.get(unpricedName) ?? 0) + 1);
  }

  const weekEnd = b[7];
  const asOfInstant = Math.min(now, weekEnd - 1);
  const meterOptions = { now: asOfInstant, timeZone, budgetNanos: opts.budgetNanos };
  const meter = opts.meter ? opts.meter(meterOptions) : computeMeter(list, meterOptions);

  const budgetActions = budgetActionsOf(near, b[0], b[7]);
  const top = opts.topProjects ?? DEFAULT_TOP_PROJECTS;
  const projectList = sorted(projects);
  const rest = projectList.slice(top);

  return {
    schema: WEEKLY_SCHEMA,
    developer: opts.developer,
    week: { id: week.id, start: week.start, end: week.end, weekStart: week.weekStart, timeZone, complete: now >= weekEnd },
    generatedAt: new Date(now).toISOString(),
    priceTableVersion: opts.priceTableVersion,
    projectsPseudonymised: rename !== null,
    totals: toTotals(total),
    routes: { cloud: toTotals(routes.cloud), local: toTotals(routes.local) },
    previousWeek: { id: prev.id, ...toTotals(prevTally) },
    days: days.map((date, i) => ({ date, ...toTotals(perDay[i]!) })),
    agents: sorted(agents).map(([agent, t]) => ({ agent, ...toTotals(t) })),
    models: sorted(models).map(([model, t]) => ({ model, ...toTotals(t) })),
    projects: projectList.slice(0, top).map(([project, t]) => ({ project, ...toTotals(t) })),
    otherProjects: { projects: rest.length, ...toTotals(rest.reduce((acc, [, t]) => addTally(acc, t), emptyTally())) },
    budget: budgetOf(meter),
    ...(budgetActions ? { budgetActions } : {}),
    unpricedModels: unpricedList(unpriced),
    rows: rowList(rows),
    attribution: weeklyAttribution(inWeek, rename),
  };
}
