/**
 * Meter settings: types and normalisers (the schema lives in package.json, reading happens in the
 * extension or the CLI). A bad value falls back to the default with a warning that says what was
 * expected and what arrived.
 */
import { usdToNanos } from '../money';
import { isValidTimeZone } from '../time';
import type { Normalised } from '../normalise';

export interface MeterSettings {
  /** Monthly budget in nano-dollars; null = no budget. */
  budgetNanos: number | null;
  /** IANA zone; null = the machine's zone. */
  timeZone: string | null;
}

export function normaliseBudget(v: unknown): Normalised<number | null> {
  if (v === undefined || v === null || v === 0 || v === '') return { value: null, warnings: [] };
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1_000_000) {
    return {
      value: null,
      warnings: [
        `unmetered.monthlyBudget: expected a number of US dollars between 0 and 1,000,000, got ${JSON.stringify(v)}; no budget is applied`,
      ],
    };
  }
  return { value: usdToNanos(n), warnings: [] };
}

function normaliseTimeZone(v: unknown): Normalised<string | null> {
  if (v === undefined || v === null || v === '') return { value: null, warnings: [] };
  if (typeof v !== 'string' || !isValidTimeZone(v)) {
    return {
      value: null,
      warnings: [
        `unmetered.timezone: expected an IANA time zone such as "Europe/Berlin", got ${JSON.stringify(v)}; using this machine's time zone`,
      ],
    };
  }
  return { value: v, warnings: [] };
}

export function normaliseMeterSettings(raw: { monthlyBudget?: unknown; timezone?: unknown }): Normalised<MeterSettings> {
  const b = normaliseBudget(raw.monthlyBudget);
  const z = normaliseTimeZone(raw.timezone);
  return { value: { budgetNanos: b.value, timeZone: z.value }, warnings: [...b.warnings, ...z.warnings] };
}

/**
 * Parses what a person types into the "Set monthly budget" box: "100", "$100", "1,250.50", or
 * empty for no budget. Returns an error message instead of a value when it is not a budget.
 */
export function parseBudgetInput(text: string): { usd: number | null } | { error: string } {
  const t = text.trim().replace(/^\$/, '').replace(/,/g, '').trim();
  if (t === '') return { usd: null };
  const n = Number(t);
  if (!Number.isFinite(n) || n < 0 || n > 1_000_000)
    return { error: 'Enter a monthly budget in US dollars, e.g. 100 (or leave empty for none).' };
  return { usd: Math.round(n * 100) / 100 };
}
