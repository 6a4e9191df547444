/**
 * The `unmetered.prices` setting: per-model prices in USD per MILLION tokens, e.g.
 *   { "my-model": { "input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite5m": 3.75, "cacheWrite1h": 6 } }
 * input and output are required; the cache prices default as in withCacheDefaults.
 */
import { perMillionToPicos } from '../money';
import { withCacheDefaults, type ModelPrice } from './cost';

const REQUIRED = ['input', 'output'] as const;
const OPTIONAL = ['cacheRead', 'cacheWrite5m', 'cacheWrite1h'] as const;
const KNOWN: readonly string[] = [...REQUIRED, ...OPTIONAL];
/** A price above this is almost certainly USD per token or per thousand typed as per million. */
const MAX_USD_PER_MILLION = 10_000;

export interface NormalisedOverrides {
  overrides: Record<string, ModelPrice>;
  warnings: string[];
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Validates the setting's value; each bad entry is skipped with a warning naming the model and field. */
export function normalisePriceOverrides(value: unknown): NormalisedOverrides {
  const overrides: Record<string, ModelPrice> = {};
  const warnings: string[] = [];
  if (value === undefined || value === null) return { overrides, warnings };
  if (typeof value !== 'object' || Array.isArray(value)) {
    warnings.push(
      `unmetered.prices: expected an object of model names to prices in USD per million tokens, got ${describe(value)}; no price overrides applied`,
    );
    return { overrides, warnings };
  }
  for (const [model, entry] of Object.entries(value as Record<string, unknown>)) {
    const where = `unmetered.prices[${JSON.stringify(model)}]`;
    if (model.trim() === '') {
      warnings.push(`unmetered.prices: expected a model name as key, got an empty string; entry skipped`);
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      warnings.push(
        `${where}: expected an object like {"input": 3, "output": 15} (USD per million tokens), got ${describe(entry)}; entry skipped`,
      );
      continue;
    }
    const e = entry as Record<string, unknown>;
    const usd: Partial<Record<(typeof KNOWN)[number], number>> = {};
    let ok = true;
    for (const field of KNOWN) {
      const v = e[field];
      const required = (REQUIRED as readonly string[]).includes(field);
      if (v === undefined && !required) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_USD_PER_MILLION) {
        const expected = `a number of USD per million tokens from 0 to ${MAX_USD_PER_MILLION}${required ? ' (required)' : ''}`;
        warnings.push(`${where}.${field}: expected ${expected}, got ${describe(v)}; entry skipped`);
        ok = false;
        continue;
      }
      usd[field] = v;
    }
    for (const field of Object.keys(e)) {
      if (!KNOWN.includes(field)) warnings.push(`${where}.${field}: unknown field ignored (expected one of ${KNOWN.join(', ')})`);
    }
    if (!ok) continue;
    const p = (v: number | undefined) => (v === undefined ? undefined : perMillionToPicos(v));
    overrides[model.trim()] = withCacheDefaults(perMillionToPicos(usd.input!), perMillionToPicos(usd.output!), {
      cacheRead: p(usd.cacheRead),
      cacheWrite5m: p(usd.cacheWrite5m),
      cacheWrite1h: p(usd.cacheWrite1h),
    });
  }
  return { overrides, warnings };
}
