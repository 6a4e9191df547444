/**
 * Budget settings beyond the monthly one (src/core/meter/settings.ts): a daily budget, monthly budgets per
 * project, the thresholds that notify, and which budgets the gateway enforces. Types and normalisers
 * only; the schema is in package.json, reading happens in the extension or the CLI. A bad value falls
 * back to its default with a warning saying what was expected and what arrived.
 */
import { usdToNanos } from '../money';
import { normaliseBudget } from '../meter/settings';
import type { Normalised } from '../normalise';

/** What the gateway does once a budget is used up: nothing, serve with the local model, or refuse. */
export type Enforcement = 'off' | 'fallback' | 'refuse';

export interface BudgetSettings {
  /** Nano-dollars per month; null = none. */
  monthlyNanos: number | null;
  /** Nano-dollars per local day; null = none. */
  dailyNanos: number | null;
  /** Nano-dollars per month for each project (workspace folder name). */
  projects: ReadonlyMap<string, number>;
  /** Percent of a budget that notifies, ascending, distinct (e.g. [50, 80, 100]). */
  thresholds: readonly number[];
  /**
   * Per budget, what the gateway does at the cap. Project budgets are not enforced: a request through
   * the gateway does not say which project it is for.
   */
  enforce: { monthly: Enforcement; daily: Enforcement };
}

export const DEFAULT_THRESHOLDS: readonly number[] = Object.freeze([50, 80, 100]);
const MAX_USD = 1_000_000;
const MAX_PROJECTS = 200;

const show = (v: unknown) => JSON.stringify(v)?.slice(0, 100) ?? String(v);

function normaliseDailyBudget(v: unknown): Normalised<number | null> {
  const r = normaliseBudget(v);
  // The monthly normaliser words its warning for its own setting.
  return {
    value: r.value,
    warnings: r.warnings.length
      ? [`unmetered.dailyBudget: expected a number of US dollars between 0 and 1,000,000, got ${show(v)}; no daily budget is applied`]
      : [],
  };
}

function normaliseProjectBudgets(v: unknown): Normalised<ReadonlyMap<string, number>> {
  const out = new Map<string, number>();
  if (v === undefined || v === null) return { value: out, warnings: [] };
  if (typeof v !== 'object' || Array.isArray(v)) {
    return {
      value: out,
      warnings: [
        `unmetered.projectBudgets: expected an object of project name → US dollars per month, e.g. {"webapp":` +
          ` 50}, got ${show(v)}; no project budget is applied`,
      ],
    };
  }
  const warnings: string[] = [];
  for (const [name, usd] of Object.entries(v as Record<string, unknown>)) {
    if (out.size >= MAX_PROJECTS) {
      warnings.push(`unmetered.projectBudgets: more than ${MAX_PROJECTS} projects; the rest are ignored`);
      break;
    }
    if (usd === 0) continue; // 0 = no budget, as for the monthly one
    if (name.trim() === '' || typeof usd !== 'number' || !Number.isFinite(usd) || usd <= 0 || usd > MAX_USD) {
      warnings.push(
        `unmetered.projectBudgets[${show(name)}]: expected a number of US dollars above 0 and up to 1,000,000, got ${show(usd)}; this project has no budget`,
      );
      continue;
    }
    out.set(name, usdToNanos(usd));
  }
  return { value: out, warnings };
}

function normaliseThresholds(v: unknown): Normalised<readonly number[]> {
  if (v === undefined || v === null) return { value: DEFAULT_THRESHOLDS, warnings: [] };
  const ok =
    Array.isArray(v) &&
    v.length > 0 &&
    v.length <= 10 &&
    v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 1000);
  if (!ok) {
    return {
      value: DEFAULT_THRESHOLDS,
      warnings: [
        `unmetered.budgetThresholds: expected a list of 1 to 10 whole percentages from 1 to 1000, e.g. [50,` +
          ` 80, 100], got ${show(v)}; using [${DEFAULT_THRESHOLDS.join(', ')}]`,
      ],
    };
  }
  return { value: [...new Set(v as number[])].sort((a, b) => a - b), warnings: [] };
}

const ENFORCEMENTS: readonly string[] = ['off', 'fallback', 'refuse'];

function normaliseEnforcement(v: unknown): Normalised<BudgetSettings['enforce']> {
  const value: BudgetSettings['enforce'] = { monthly: 'off', daily: 'off' };
  if (v === undefined || v === null) return { value, warnings: [] };
  if (typeof v !== 'object' || Array.isArray(v)) {
    return {
      value,
      warnings: [
        `unmetered.budgetEnforcement: expected an object such as {"daily": "fallback", "monthly": "refuse"}, got ${show(v)}; no budget is enforced`,
      ],
    };
  }
  const warnings: string[] = [];
  for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
    if (k !== 'monthly' && k !== 'daily') {
      warnings.push(
        `unmetered.budgetEnforcement: ${show(k)} is not a budget the gateway enforces (expected "monthly" or "daily"); ignored`,
      );
      continue;
    }
    if (typeof e !== 'string' || !ENFORCEMENTS.includes(e)) {
      warnings.push(`unmetered.budgetEnforcement.${k}: expected "off", "fallback" or "refuse", got ${show(e)}; using "off"`);
      continue;
    }
    value[k] = e as Enforcement;
  }
  return { value, warnings };
}

export interface RawBudgetSettings {
  monthlyBudget?: unknown;
  dailyBudget?: unknown;
  projectBudgets?: unknown;
  budgetThresholds?: unknown;
  budgetEnforcement?: unknown;
}

export function normaliseBudgetSettings(raw: RawBudgetSettings): Normalised<BudgetSettings> {
  const m = normaliseBudget(raw.monthlyBudget);
  const d = normaliseDailyBudget(raw.dailyBudget);
  const p = normaliseProjectBudgets(raw.projectBudgets);
  const t = normaliseThresholds(raw.budgetThresholds);
  const e = normaliseEnforcement(raw.budgetEnforcement);
  return {
    value: { monthlyNanos: m.value, dailyNanos: d.value, projects: p.value, thresholds: t.value, enforce: e.value },
    warnings: [...m.warnings, ...d.warnings, ...p.warnings, ...t.warnings, ...e.warnings],
  };
}
