/**
 * The meter (meter/meter.ts's computeMeter) from aggregate entries instead of records.
 * test/aggregate checks it agrees with computeMeter on the same ledger.
 */
import {
  describeProjection,
  PLAN_BILLED_AGENT,
  RATE_WINDOW_DAYS,
  WARNING_RATIO,
  type Breakdown,
  type BudgetState,
  type Meter,
  type MeterOptions,
} from '../meter/meter';
import { addDays, daysBetween, daysInMonth, localDay, startOfDay } from '../time';
import type { Entry } from './entries';

function bump(map: Map<string, Breakdown>, key: string, e: Entry, today: boolean): void {
  let b = map.get(key);
  if (!b) map.set(key, (b = { key, todayNanos: 0, monthNanos: 0, avoidedMonthNanos: 0, interactions: 0, unpriced: 0 }));
  const s = e.sums;
  b.interactions += s.interactions;
  b.unpriced += s.unpriced;
  b.monthNanos += s.costNanos;
  if (today) b.todayNanos += s.costNanos;
  b.avoidedMonthNanos += s.avoidedAllNanos;
}

const byCost = (a: Breakdown, b: Breakdown) => b.monthNanos - a.monthNanos || b.interactions - a.interactions || a.key.localeCompare(b.key);

interface Sums {
  today: number;
  avoidedToday: number;
  interactionsToday: number;
  month: number;
  avoidedMonth: number;
  window: number;
  /** The first local day seen up to today, and whether anything came before the month and the window. */
  earliestDay: string | null;
  before: boolean;
}

/**
 * computeMeter over entries of the meter's zone. Its cuts are that zone's midnights, so comparing
 * an instant with them is comparing its local day with theirs; a loose record passes computeMeter's
 * text pre-filter on its `at` first, as there.
 */
export function meterOf(entries: readonly Entry[], opts: MeterOptions): Meter {
  const { now, timeZone, budgetNanos } = opts;
  const day = localDay(now, timeZone);
  const monthStartDay = `${day.slice(0, 8)}01`;
  const windowStartDay = addDays(day, -RATE_WINDOW_DAYS);
  const firstDay = monthStartDay < windowStartDay ? monthStartDay : windowStartDay;
  const cutoff = new Date(Math.min(startOfDay(monthStartDay, timeZone), startOfDay(windowStartDay, timeZone)) - 86_400_000).toISOString();
  const s: Sums = {
    today: 0,
    avoidedToday: 0,
    interactionsToday: 0,
    month: 0,
    avoidedMonth: 0,
    window: 0,
    earliestDay: null,
    before: false,
  };
  const agents = new Map<string, Breakdown>();
  const models = new Map<string, Breakdown>();
  const planEquivalent = { todayNanos: 0, monthNanos: 0, interactions: 0, unpriced: 0 };
  for (const e of entries) {
    if (e.record && e.record.at < cutoff) {
      s.before = true;
      continue;
    }
    const d = e.record ? localDay(Date.parse(e.record.at), timeZone) : e.day;
    if (d > day) continue;
    if (d < firstDay) {
      s.before = true;
      continue;
    }
    if (s.earliestDay === null || d < s.earliestDay) s.earliestDay = d;
    const c = e.sums;
    if (e.agent === PLAN_BILLED_AGENT && !opts.copilotBilledPerToken) {
      if (d < monthStartDay) continue;
      planEquivalent.interactions += c.interactions;
      planEquivalent.unpriced += c.unpriced;
      planEquivalent.monthNanos += c.costNanos;
      if (d === day) planEquivalent.todayNanos += c.costNanos;
      continue;
    }
    if (d >= windowStartDay && d < day) s.window += c.costNanos;
    if (d < monthStartDay) continue;
    const isToday = d === day;
    s.month += c.costNanos;
    s.avoidedMonth += c.avoidedAllNanos;
    if (isToday) {
      s.today += c.costNanos;
      s.avoidedToday += c.avoidedAllNanos;
      s.interactionsToday += c.interactions;
    }
    bump(agents, e.agent, e, isToday);
    bump(models, e.model, e, isToday);
  }
  return finish(s, { day, windowStartDay, budgetNanos, agents, models, planEquivalent });
}

function finish(
  s: Sums,
  o: {
    day: string;
    windowStartDay: string;
    budgetNanos: number | null;
    agents: Map<string, Breakdown>;
    models: Map<string, Breakdown>;
    planEquivalent: Meter['planEquivalent'];
  },
): Meter {
  const { day, windowStartDay, budgetNanos } = o;
  // As computeMeter: no history → today; history before the window → the whole window; else its first day.
  const firstHistoryDay =
    s.earliestDay === null && !s.before ? day : s.before || s.earliestDay! < windowStartDay ? windowStartDay : s.earliestDay!;
  const rateDays = daysBetween(firstHistoryDay > windowStartDay ? firstHistoryDay : windowStartDay, day);
  const dailyRateNanos = rateDays > 0 ? Math.round(s.window / rateDays) : s.today;
  const daysLeft = daysInMonth(day) - Number(day.slice(8, 10));
  const projectedMonthNanos = s.month - s.today + Math.max(s.today, dailyRateNanos) + dailyRateNanos * daysLeft;
  let budgetState: BudgetState = 'none';
  let budgetRatio: number | null = null;
  if (budgetNanos !== null && budgetNanos > 0) {
    budgetRatio = projectedMonthNanos / budgetNanos;
    budgetState = budgetRatio >= 1 ? 'over' : budgetRatio >= WARNING_RATIO ? 'warning' : 'ok';
  }
  const unpriced = [...o.models.values()]
    .filter((b) => b.unpriced > 0)
    .map((b) => ({ model: b.key, interactions: b.unpriced }))
    .sort((a, b) => b.interactions - a.interactions || a.model.localeCompare(b.model));
  return {
    day,
    todayNanos: s.today,
    avoidedTodayNanos: s.avoidedToday,
    interactionsToday: s.interactionsToday,
    monthToDateNanos: s.month,
    avoidedMonthNanos: s.avoidedMonth,
    projectedMonthNanos,
    dailyRateNanos,
    rateDays,
    daysLeft,
    budgetNanos,
    budgetState,
    budgetRatio,
    byAgent: [...o.agents.values()].sort(byCost),
    byModel: [...o.models.values()].sort(byCost),
    unpriced,
    planEquivalent: o.planEquivalent,
    projectionMethod: describeProjection(rateDays, daysLeft),
  };
}
