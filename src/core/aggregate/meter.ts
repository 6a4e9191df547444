/**
 * The meter (meter/meter.ts's computeMeter) from aggregate entries instead of records. Its cuts
 * (today, the month, the rate window) are local midnights; when one is off the quarter-hour grid a
 * cell could straddle it, and meterOf returns null (the caller then reads the records).
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
import { QUARTER_HOUR_MS } from '../ledger/rollup';
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
  earliest: number;
}

export function meterOf(entries: readonly Entry[], opts: MeterOptions): Meter | null {
  const { now, timeZone, budgetNanos } = opts;
  const day = localDay(now, timeZone);
  const windowStartDay = addDays(day, -RATE_WINDOW_DAYS);
  const tToday = startOfDay(day, timeZone);
  const tMonth = startOfDay(`${day.slice(0, 8)}01`, timeZone);
  const tWindow = startOfDay(windowStartDay, timeZone);
  const tFirst = Math.min(tMonth, tWindow);
  const tTomorrow = startOfDay(addDays(day, 1), timeZone);
  if ([tToday, tMonth, tWindow, tTomorrow].some((t) => t % QUARTER_HOUR_MS !== 0)) return null;
  const cutoffT = tFirst - 86_400_000;
  const cutoff = new Date(cutoffT).toISOString();
  const s: Sums = { today: 0, avoidedToday: 0, interactionsToday: 0, month: 0, avoidedMonth: 0, window: 0, earliest: Infinity };
  const agents = new Map<string, Breakdown>();
  const models = new Map<string, Breakdown>();
  const planEquivalent = { todayNanos: 0, monthNanos: 0, interactions: 0, unpriced: 0 };
  for (const e of entries) {
    // As computeMeter's text pre-filter: a loose record by its `at` text, a cell (canonical `at`s) by time.
    if (e.record ? e.record.at < cutoff : e.t < cutoffT) {
      s.earliest = -Infinity;
      continue;
    }
    const t = e.t;
    if (t >= tTomorrow) continue;
    if (t < s.earliest) s.earliest = t;
    if (t < tFirst) continue;
    const c = e.sums;
    if (e.agent === PLAN_BILLED_AGENT && !opts.copilotBilledPerToken) {
      if (t < tMonth) continue;
      planEquivalent.interactions += c.interactions;
      planEquivalent.unpriced += c.unpriced;
      planEquivalent.monthNanos += c.costNanos;
      if (t >= tToday) planEquivalent.todayNanos += c.costNanos;
      continue;
    }
    if (t >= tWindow && t < tToday) s.window += c.costNanos;
    if (t < tMonth) continue;
    const isToday = t >= tToday;
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
  // The history's first day is read off a cell's start: it must lie in the same local day as its records.
  if (Number.isFinite(s.earliest) && localDay(s.earliest, timeZone) !== localDay(s.earliest + QUARTER_HOUR_MS - 1, timeZone)) return null;
  return finish(s, { day, windowStartDay, tWindow, timeZone, budgetNanos, agents, models, planEquivalent });
}

function finish(
  s: Sums,
  o: {
    day: string;
    windowStartDay: string;
    tWindow: number;
    timeZone: string;
    budgetNanos: number | null;
    agents: Map<string, Breakdown>;
    models: Map<string, Breakdown>;
    planEquivalent: Meter['planEquivalent'];
  },
): Meter {
  const { day, windowStartDay, budgetNanos } = o;
  const firstHistoryDay =
    s.earliest === Infinity ? day : s.earliest === -Infinity || s.earliest < o.tWindow ? windowStartDay : localDay(s.earliest, o.timeZone);
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
