/**
 * The meter: today's metered spend, spend avoided today by running locally, month to date, the
 * projected month and the budget state, with breakdowns. Pure: the caller passes the records,
 * the instant, the time zone and the budget.
 */
import type { Interaction } from '../interaction';
import { addDays, daysBetween, daysInMonth, localDay, startOfDay } from '../time';

export type BudgetState = 'none' | 'ok' | 'warning' | 'over';

/** Projection reaches this share of the budget → warning; 100 % → over. */
export const WARNING_RATIO = 0.8;
/** How many complete days the recent daily rate looks back over. */
export const RATE_WINDOW_DAYS = 7;

export interface MeterOptions {
  now: number;
  timeZone: string;
  /** Monthly budget in nano-dollars; null when none is set. */
  budgetNanos: number | null;
  /**
   * Copilot Chat is billed by plan (requests), not per token: its interactions are kept out of spend and shown
   * apart at their API-equivalent price, unless the user says their Copilot use is billed per token.
   */
  copilotBilledPerToken?: boolean;
}

/** The agent whose interactions are billed by plan unless `copilotBilledPerToken` (src/core/otlp/vendors.ts names it). */
export const PLAN_BILLED_AGENT = 'copilot-chat';

export interface Breakdown {
  key: string;
  todayNanos: number;
  monthNanos: number;
  avoidedMonthNanos: number;
  interactions: number;
  /** Interactions this month whose model has no known price. */
  unpriced: number;
}

export interface Meter {
  day: string;
  todayNanos: number;
  avoidedTodayNanos: number;
  interactionsToday: number;
  monthToDateNanos: number;
  avoidedMonthNanos: number;
  projectedMonthNanos: number;
  /** Average metered spend per complete recent day, as used by the projection. */
  dailyRateNanos: number;
  /** How many complete days the daily rate averaged (0: today stood in for the rate). */
  rateDays: number;
  daysLeft: number;
  budgetNanos: number | null;
  budgetState: BudgetState;
  /** Projection as a share of the budget (0.68 = 68 %); null without a budget. */
  budgetRatio: number | null;
  /** Month to date, most expensive first. */
  byAgent: Breakdown[];
  byModel: Breakdown[];
  /** Models seen this month that have no known price, with how many interactions each. */
  unpriced: { model: string; interactions: number }[];
  /** This month's plan-billed interactions (Copilot Chat), at what the API would have charged: in no total above. */
  planEquivalent: { todayNanos: number; monthNanos: number; interactions: number; unpriced: number };
  projectionMethod: string;
}

function bump(map: Map<string, Breakdown>, key: string, r: Interaction, today: boolean): void {
  let b = map.get(key);
  if (!b) map.set(key, (b = { key, todayNanos: 0, monthNanos: 0, avoidedMonthNanos: 0, interactions: 0, unpriced: 0 }));
  b.interactions++;
  if (r.costNanos === null) b.unpriced++;
  else {
    b.monthNanos += r.costNanos;
    if (today) b.todayNanos += r.costNanos;
  }
  b.avoidedMonthNanos += r.avoidedNanos ?? 0;
}

const byCost = (a: Breakdown, b: Breakdown) => b.monthNanos - a.monthNanos || b.interactions - a.interactions || a.key.localeCompare(b.key);

/** The day's instants in the developer's time zone that split records into today, the month and the rate window. */
function meterBounds(now: MeterOptions['now'], timeZone: string) {
  const day = localDay(now, timeZone);
  const monthStartDay = `${day.slice(0, 8)}01`;
  const windowStartDay = addDays(day, -RATE_WINDOW_DAYS);
  const tToday = startOfDay(day, timeZone);
  const tMonth = startOfDay(monthStartDay, timeZone);
  const tWindow = startOfDay(windowStartDay, timeZone);
  const tFirst = Math.min(tMonth, tWindow);
  const tTomorrow = startOfDay(addDays(day, 1), timeZone);
  // A cheap string pre-filter (ISO-8601 UTC sorts as text) with a day of slack, so only recent
  // records pay for Date.parse.
  const cutoff = new Date(tFirst - 86_400_000).toISOString();
  return { day, windowStartDay, tToday, tMonth, tWindow, tFirst, tTomorrow, cutoff };
}

/** One pass over the records; the sums stay in locals so the loop does no per-record work beyond bump(). */
function tally(records: Iterable<Interaction>, w: ReturnType<typeof meterBounds>, copilotBilledPerToken: boolean | undefined) {
  const { tToday, tMonth, tWindow, tFirst, tTomorrow, cutoff } = w;
  let todayNanos = 0,
    avoidedTodayNanos = 0,
    interactionsToday = 0;
  let monthNanos = 0,
    avoidedMonthNanos = 0;
  let windowNanos = 0;
  // The earliest instant seen in or before the rate window: the history starts there.
  let earliest = Infinity;
  const agents = new Map<string, Breakdown>();
  const models = new Map<string, Breakdown>();
  const planEquivalent = { todayNanos: 0, monthNanos: 0, interactions: 0, unpriced: 0 };

  for (const r of records) {
    if (r.at < cutoff) {
      earliest = -Infinity;
      continue;
    }
    const t = Date.parse(r.at);
    if (t >= tTomorrow) continue;
    if (t < earliest) earliest = t;
    if (t < tFirst) continue;
    if (r.agent === PLAN_BILLED_AGENT && !copilotBilledPerToken) {
      if (t < tMonth) continue;
      planEquivalent.interactions++;
      if (r.costNanos === null) planEquivalent.unpriced++;
      planEquivalent.monthNanos += r.costNanos ?? 0;
      if (t >= tToday) planEquivalent.todayNanos += r.costNanos ?? 0;
      continue;
    }
    const cost = r.costNanos ?? 0;
    if (t >= tWindow && t < tToday) windowNanos += cost;
    if (t < tMonth) continue;
    const isToday = t >= tToday;
    monthNanos += cost;
    avoidedMonthNanos += r.avoidedNanos ?? 0;
    if (isToday) {
      todayNanos += cost;
      avoidedTodayNanos += r.avoidedNanos ?? 0;
      interactionsToday++;
    }
    bump(agents, r.agent, r, isToday);
    bump(models, r.model, r, isToday);
  }
  return {
    todayNanos,
    avoidedTodayNanos,
    interactionsToday,
    monthNanos,
    avoidedMonthNanos,
    windowNanos,
    earliest,
    agents,
    models,
    planEquivalent,
  };
}

function budgetOf(projectedMonthNanos: number, budgetNanos: number | null): { budgetState: BudgetState; budgetRatio: number | null } {
  if (budgetNanos === null || budgetNanos <= 0) return { budgetState: 'none', budgetRatio: null };
  const budgetRatio = projectedMonthNanos / budgetNanos;
  return { budgetState: budgetRatio >= 1 ? 'over' : budgetRatio >= WARNING_RATIO ? 'warning' : 'ok', budgetRatio };
}

export function computeMeter(records: Iterable<Interaction>, opts: MeterOptions): Meter {
  const { now, timeZone, budgetNanos } = opts;
  const w = meterBounds(now, timeZone);
  const { day, windowStartDay } = w;
  const {
    todayNanos,
    avoidedTodayNanos,
    interactionsToday,
    monthNanos,
    avoidedMonthNanos,
    windowNanos,
    earliest,
    agents,
    models,
    planEquivalent,
  } = tally(records, w, opts.copilotBilledPerToken);

  // The daily rate averages the complete days of the window that the history covers, so a
  // developer who started yesterday is not averaged over six empty days.
  const firstHistoryDay =
    earliest === Infinity ? day : earliest === -Infinity || earliest < w.tWindow ? windowStartDay : localDay(earliest, timeZone);
  const rateDays = daysBetween(firstHistoryDay > windowStartDay ? firstHistoryDay : windowStartDay, day);
  const dailyRateNanos = rateDays > 0 ? Math.round(windowNanos / rateDays) : todayNanos;

  const dim = daysInMonth(day);
  const dayOfMonth = Number(day.slice(8, 10));
  const daysLeft = dim - dayOfMonth;
  // Today counts at the greater of what it has cost so far and the usual day.
  const projectedMonthNanos = monthNanos - todayNanos + Math.max(todayNanos, dailyRateNanos) + dailyRateNanos * daysLeft;
  const { budgetState, budgetRatio } = budgetOf(projectedMonthNanos, budgetNanos);

  const unpriced = [...models.values()]
    .filter((b) => b.unpriced > 0)
    .map((b) => ({ model: b.key, interactions: b.unpriced }))
    .sort((a, b) => b.interactions - a.interactions || a.model.localeCompare(b.model));

  return {
    day,
    todayNanos,
    avoidedTodayNanos,
    interactionsToday,
    monthToDateNanos: monthNanos,
    avoidedMonthNanos,
    projectedMonthNanos,
    dailyRateNanos,
    rateDays,
    daysLeft,
    budgetNanos,
    budgetState,
    budgetRatio,
    byAgent: [...agents.values()].sort(byCost),
    byModel: [...models.values()].sort(byCost),
    unpriced,
    planEquivalent,
    projectionMethod: describeProjection(rateDays, daysLeft),
  };
}

export function describeProjection(rateDays: number, daysLeft: number): string {
  const rate =
    rateDays > 0
      ? `the average metered spend of the last ${rateDays} complete day${rateDays === 1 ? '' : 's'}`
      : `today's spend so far (no complete day of history yet)`;
  return `Month to date, with today counted at no less than the daily rate, plus ${daysLeft} day${daysLeft === 1 ? '' : 's'} left × ${rate}.`;
}
