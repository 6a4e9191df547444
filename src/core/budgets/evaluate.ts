/**
 * Where each budget stands: what was spent in its period against its limit. Budgets are about money
 * already spent (the projection, which colours the status bar, is the meter's business): a cap acts on
 * what was spent, and a threshold says "you have used 80 %", not "you may use 80 % by the month's end".
 * Pure: the caller passes the records, the instant, the zone and the settings.
 */
import type { Interaction } from '../interaction';
import { addDays, localDay, startOfDay } from '../time';
import type { BudgetSettings, Enforcement } from './settings';

export type BudgetKind = 'monthly' | 'daily' | 'project';

export interface BudgetStatus {
  /** Stable key: "monthly", "daily" or "project:<name>". */
  id: string;
  kind: BudgetKind;
  /** The project, for a project budget. */
  project: string | null;
  /** The period it counts: "2026-03" for monthly and project budgets, "2026-03-02" for the daily one. */
  period: string;
  limitNanos: number;
  spentNanos: number;
  /** spent / limit (1.25 = 125 %). */
  ratio: number;
  enforce: Enforcement;
}

export interface EvaluateOptions {
  now: number;
  timeZone: string;
  settings: BudgetSettings;
}

/** Words for a budget in messages: "the daily budget", "the budget of project webapp". */
export function budgetName(b: Pick<BudgetStatus, 'kind' | 'project'>): string {
  return b.kind === 'project' ? `the monthly budget of project ${b.project}` : `the ${b.kind} budget`;
}

/** The setting that sets a budget, for "raise it with …". */
export function budgetSetting(b: Pick<BudgetStatus, 'kind'>): string {
  return b.kind === 'monthly' ? 'unmetered.monthlyBudget' : b.kind === 'daily' ? 'unmetered.dailyBudget' : 'unmetered.projectBudgets';
}

export function hasBudgets(s: BudgetSettings): boolean {
  return s.monthlyNanos !== null || s.dailyNanos !== null || s.projects.size > 0;
}

/** Every budget that is set, in a fixed order: daily, monthly, then projects by name. */
/** What a budget reads of a record: a cell of the rollup stands in as one (core/aggregate/budgets.ts). */
export type Spend = Pick<Interaction, 'at' | 'costNanos' | 'project'>;

export function evaluateBudgets(records: Iterable<Spend>, opts: EvaluateOptions): BudgetStatus[] {
  const { settings: s, timeZone } = opts;
  if (!hasBudgets(s)) return [];
  const day = localDay(opts.now, timeZone);
  const month = day.slice(0, 7);
  const tDay = startOfDay(day, timeZone);
  const tMonth = startOfDay(`${month}-01`, timeZone);
  const tTomorrow = startOfDay(addDays(day, 1), timeZone);
  // ISO-8601 UTC sorts as text: a cheap pre-filter with a day of slack before Date.parse.
  const cutoff = new Date(tMonth - 86_400_000).toISOString();
  let dayNanos = 0;
  let monthNanos = 0;
  const byProject = new Map<string, number>();
  for (const r of records) {
    if (r.at < cutoff || r.costNanos === null || r.costNanos === 0) continue;
    const t = Date.parse(r.at);
    if (t < tMonth || t >= tTomorrow) continue;
    monthNanos += r.costNanos;
    if (t >= tDay) dayNanos += r.costNanos;
    if (r.project !== null && s.projects.has(r.project)) byProject.set(r.project, (byProject.get(r.project) ?? 0) + r.costNanos);
  }
  const out: BudgetStatus[] = [];
  const add = (kind: BudgetKind, project: string | null, period: string, limitNanos: number, spentNanos: number, enforce: Enforcement) =>
    out.push({
      id: project === null ? kind : `project:${project}`,
      kind,
      project,
      period,
      limitNanos,
      spentNanos,
      ratio: spentNanos / limitNanos,
      enforce,
    });
  if (s.dailyNanos !== null) add('daily', null, day, s.dailyNanos, dayNanos, s.enforce.daily);
  if (s.monthlyNanos !== null) add('monthly', null, month, s.monthlyNanos, monthNanos, s.enforce.monthly);
  for (const [name, limit] of [...s.projects].sort((a, b) => a[0].localeCompare(b[0])))
    add('project', name, month, limit, byProject.get(name) ?? 0, 'off');
  return out;
}

/** The budgets at or over `percent` of their limit (100 = used up). */
export function budgetsOver(statuses: readonly BudgetStatus[], percent: number): BudgetStatus[] {
  return statuses.filter((b) => reached(b, percent));
}

/**
 * Whether `b` reached `percent` of its limit, compared exactly in integers (spent × 100 ≥ limit × percent,
 * so 80 % of $5 is $4.00, not a float a hair below it); BigInt because $1M × 1000 % passes 2^53 nano-dollars.
 */
export function reached(b: Pick<BudgetStatus, 'spentNanos' | 'limitNanos'>, percent: number): boolean {
  return BigInt(b.spentNanos) * 100n >= BigInt(b.limitNanos) * BigInt(percent);
}
