/**
 * What the dashboard webview shows, computed in the extension host and posted to the page as plain
 * data (the page only draws). Names and numbers only: the most expensive interactions are listed
 * with time, agent, model, tokens and cost, never an id or any text.
 */
import type { Interaction, Route } from '../interaction';
import { computeMeter, type BudgetState } from '../meter';
import { nanosToUSD } from '../money';
import { addDays, daysInMonth, localDay, startOfDay } from '../time';
import { addRecord, byCostDesc, emptyTally, type Tally, toTotals, type Totals } from './totals';
import { currentWeek, type WeekStart } from './week';
import { agentLabel, planCheck, planCheckData, type PlanCheckData, type PlanSettings } from '../plans';

export interface PeriodView {
  label: string;
  /** First and last local day of the period. */
  start: string;
  end: string;
  totals: Totals;
  routes: { cloud: Totals; local: Totals };
  agents: ({ agent: string } & Totals)[];
  models: ({ model: string; route: Route } & Totals)[];
}

export interface CostlyInteraction {
  /** UTC instant; the page shows it in the user's zone. */
  at: string;
  /** Local 'YYYY-MM-DD HH:MM' in the dashboard's zone. */
  local: string;
  agent: string;
  model: string;
  route: Route;
  project: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUSD: number | null;
  avoidedUSD: number | null;
  estimated: boolean;
}

export interface DashboardModel {
  generatedAt: string;
  timeZone: string;
  today: string;
  periods: { today: PeriodView; week: PeriodView; month: PeriodView };
  /** Every day of the current month: metered spend and saved spend per day (null after today). */
  month: {
    id: string;
    days: { date: string; costUSD: number | null; avoidedUSD: number | null; interactions: number }[];
    monthToDateUSD: number;
    projectedMonthUSD: number;
    budgetUSD: number | null;
    budgetState: BudgetState;
    budgetRatio: number | null;
    projectionMethod: string;
  };
  /** The most expensive interactions of the last RECENT_DAYS days. */
  recent: CostlyInteraction[];
  recentDays: number;
  unpricedModels: { model: string; interactions: number }[];
  /** The plan check of the last 30 days (core/plans/compare.ts); present when the caller passed the plan settings. */
  plan?: PlanCheckData;
  /** How agents on a subscription are named ("codex (ChatGPT Plus, API-equivalent)"). */
  agentLabels?: Record<string, string>;
}

const RECENT_DAYS = 7;
export const RECENT_COUNT = 12;

interface Acc {
  total: Tally;
  routes: { cloud: Tally; local: Tally };
  agents: Map<string, Tally>;
  models: Map<string, { route: Route; t: Tally }>;
}

const acc = (): Acc => ({
  total: emptyTally(),
  routes: { cloud: emptyTally(), local: emptyTally() },
  agents: new Map(),
  models: new Map(),
});

function add(a: Acc, r: Interaction): void {
  addRecord(a.total, r);
  addRecord(a.routes[r.route], r);
  let g = a.agents.get(r.agent);
  if (!g) a.agents.set(r.agent, (g = emptyTally()));
  addRecord(g, r);
  // A model keyed with its route: qwen3 run locally and a cloud model of the same name stay apart.
  const k = `${r.route}\u0000${r.model}`;
  let m = a.models.get(k);
  if (!m) a.models.set(k, (m = { route: r.route, t: emptyTally() }));
  addRecord(m.t, r);
}

function view(a: Acc, label: string, start: string, end: string): PeriodView {
  return {
    label,
    start,
    end,
    totals: toTotals(a.total),
    routes: { cloud: toTotals(a.routes.cloud), local: toTotals(a.routes.local) },
    agents: [...a.agents.entries()].sort(byCostDesc).map(([agent, t]) => ({ agent, ...toTotals(t) })),
    models: [...a.models.entries()]
      .map(([k, m]) => [k.slice(k.indexOf('\u0000') + 1), m] as const)
      .sort((x, y) => byCostDesc([x[0], x[1].t], [y[0], y[1].t]))
      .map(([model, m]) => ({ model, route: m.route, ...toTotals(m.t) })),
  };
}

const hhmm = new Map<string, Intl.DateTimeFormat>();
function localTime(ms: number, timeZone: string): string {
  let f = hhmm.get(timeZone);
  if (!f) hhmm.set(timeZone, (f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  return `${localDay(ms, timeZone)} ${f.format(ms)}`;
}

/** The month's days to date; days still to come have no figures (null), not $0. */
function monthDays(perDay: Tally[], monthStart: string, today: string): DashboardModel['month']['days'] {
  return perDay.map((t, i) => {
    const date = addDays(monthStart, i);
    const future = date > today;
    const x = toTotals(t);
    return {
      date,
      costUSD: future ? null : (x.costUSD ?? 0),
      avoidedUSD: future ? null : (x.avoidedUSD ?? 0),
      interactions: t.interactions,
    };
  });
}

function recentRow(r: Interaction, timeZone: string): CostlyInteraction {
  return {
    at: r.at,
    local: localTime(Date.parse(r.at), timeZone),
    agent: r.agent,
    model: r.model,
    route: r.route,
    project: r.project,
    inputTokens: r.tokens.input,
    outputTokens: r.tokens.output,
    cacheReadTokens: r.tokens.cacheRead,
    cacheWriteTokens: r.tokens.cacheWrite5m + r.tokens.cacheWrite1h,
    costUSD: r.costNanos === null ? null : nanosToUSD(r.costNanos),
    avoidedUSD: r.avoidedNanos === null ? null : nanosToUSD(r.avoidedNanos),
    estimated: r.estimated,
  };
}

export function buildDashboard(
  records: Iterable<Interaction>,
  opts: { now: number; timeZone: string; budgetNanos: number | null; weekStart?: WeekStart; plans?: PlanSettings },
): DashboardModel {
  const { now, timeZone } = opts;
  const list = Array.isArray(records) ? (records as Interaction[]) : [...records];
  const today = localDay(now, timeZone);
  const week = currentWeek(now, timeZone, opts.weekStart ?? 'monday');
  const monthStart = `${today.slice(0, 8)}01`;
  const monthEnd = addDays(monthStart, daysInMonth(monthStart) - 1);
  const recentStart = addDays(today, -(RECENT_DAYS - 1));
  const first = [week.start, monthStart, recentStart].sort()[0]!;

  const tFirst = startOfDay(first, timeZone);
  const tToday = startOfDay(today, timeZone);
  const tWeek = startOfDay(week.start, timeZone);
  const tMonth = startOfDay(monthStart, timeZone);
  const tRecent = startOfDay(recentStart, timeZone);
  const tEnd = startOfDay(addDays(today, 1), timeZone);
  const dim = daysInMonth(monthStart);
  const dayStarts = Array.from({ length: dim + 1 }, (_, i) => startOfDay(addDays(monthStart, i), timeZone));

  const periods = { today: acc(), week: acc(), month: acc() };
  const perDay = Array.from({ length: dim }, () => emptyTally());
  const costly: Interaction[] = [];
  const lo = new Date(tFirst - 86_400_000).toISOString();
  for (const r of list) {
    if (r.at < lo) continue;
    const t = Date.parse(r.at);
    if (t < tFirst || t >= tEnd) continue;
    if (t >= tToday) add(periods.today, r);
    if (t >= tWeek) add(periods.week, r);
    if (t >= tMonth) {
      add(periods.month, r);
      let i = 0;
      while (i < dim - 1 && t >= dayStarts[i + 1]!) i++;
      addRecord(perDay[i]!, r);
    }
    if (t >= tRecent && (r.costNanos ?? 0) > 0) costly.push(r);
  }
  costly.sort((a, b) => (b.costNanos ?? 0) - (a.costNanos ?? 0) || (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));

  const meter = computeMeter(list, { now, timeZone, budgetNanos: opts.budgetNanos });
  return {
    generatedAt: new Date(now).toISOString(),
    timeZone,
    today,
    periods: {
      today: view(periods.today, 'Today', today, today),
      week: view(periods.week, 'This week', week.start, week.end),
      month: view(periods.month, 'This month', monthStart, monthEnd),
    },
    month: {
      id: today.slice(0, 7),
      days: monthDays(perDay, monthStart, today),
      monthToDateUSD: nanosToUSD(meter.monthToDateNanos),
      projectedMonthUSD: nanosToUSD(meter.projectedMonthNanos),
      budgetUSD: meter.budgetNanos === null ? null : nanosToUSD(meter.budgetNanos),
      budgetState: meter.budgetState,
      budgetRatio: meter.budgetRatio,
      projectionMethod: meter.projectionMethod,
    },
    recent: costly.slice(0, RECENT_COUNT).map((r) => recentRow(r, timeZone)),
    recentDays: RECENT_DAYS,
    unpricedModels: meter.unpriced,
    ...(opts.plans
      ? {
          plan: planCheckData(planCheck(list, { now, plans: opts.plans })),
          agentLabels: Object.fromEntries(Object.keys(opts.plans).map((a) => [a, agentLabel(a, opts.plans!)])),
        }
      : {}),
  };
}
