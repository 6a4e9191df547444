/**
 * Words and numbers as the rendered reports show them. Fixed English names instead of
 * toLocaleString, so output is byte-identical on every machine (goldens, team diffs).
 */
import { formatUSD } from '../../money';
import { dayParts, localDay, weekday } from '../../time';
import type { Totals } from '../totals';
import { usdToNanosExact } from '../totals';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "Mon 16 Nov" */
export function dayLabel(day: string): string {
  return `${WEEKDAYS[weekday(day) - 1]} ${Number(day.slice(8, 10))} ${MONTHS[Number(day.slice(5, 7)) - 1]}`;
}

/** "16–22 Nov 2026", "30 Nov – 6 Dec 2026", "29 Dec 2026 – 4 Jan 2027" */
export function rangeLabel(start: string, end: string): string {
  const [y1, m1, d1] = dayParts(start);
  const [y2, m2, d2] = dayParts(end);
  if (y1 !== y2) return `${d1} ${MONTHS[m1 - 1]} ${y1} – ${d2} ${MONTHS[m2 - 1]} ${y2}`;
  if (m1 !== m2) return `${d1} ${MONTHS[m1 - 1]} – ${d2} ${MONTHS[m2 - 1]} ${y2}`;
  return `${d1}–${d2} ${MONTHS[m2 - 1]} ${y2}`;
}

/** "November 2026" from "2026-11" */
export function monthLabel(month: string): string {
  return `${MONTHS_LONG[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`;
}

/** USD from a report (null = unpriced, never shown as $0). */
export function usd(v: number | null): string {
  return v === null ? 'unpriced' : formatUSD(usdToNanosExact(v));
}

/** A row's cost with its unpriced part made visible: "$3.10 + 2 unpriced". */
export function costLabel(t: Pick<Totals, 'costUSD' | 'unpricedInteractions' | 'interactions'>): string {
  if (t.costUSD === null) return 'unpriced';
  return t.unpricedInteractions > 0 ? `${usd(t.costUSD)} + ${t.unpricedInteractions} unpriced` : usd(t.costUSD);
}

export function avoidedLabel(t: Pick<Totals, 'avoidedUSD'>): string {
  return t.avoidedUSD === null ? 'unpriced' : usd(t.avoidedUSD);
}

/** Thousands separators, fixed to commas. */
export function int(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 950 · 12.3k · 4.5M · 1.2B */
export function compact(n: number): string {
  if (n < 1000) return String(n);
  for (const [unit, div] of [
    ['B', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (n >= div) {
      const v = n / div;
      return `${v >= 100 ? Math.round(v) : Number(v.toFixed(1))}${unit}`;
    }
  }
  return String(n);
}

export function allTokens(t: Totals): number {
  return t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheWriteTokens;
}

/** "1.2M in · 320k out · 11.7M cache read · 846k cache write" */
export function tokensLabel(t: Totals): string {
  return (
    `${compact(t.inputTokens)} in · ${compact(t.outputTokens)} out` +
    ` · ${compact(t.cacheReadTokens)} cache read · ${compact(t.cacheWriteTokens)} cache write`
  );
}

/** Percent with no false precision: "8 %", "0.4 %", "<0.1 %". */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return '—';
  const p = (part * 100) / whole;
  if (p === 0) return '0 %';
  if (p < 0.1) return '<0.1 %';
  return `${p < 1 ? p.toFixed(1) : Math.round(p)} %`;
}

/** Change against a previous figure: "+149 %", "−12 %", "new", "=". */
export function trendLabel(now: number | null, before: number | null): string {
  if (now === null || before === null) return '—';
  if (before === 0) return now === 0 ? '=' : 'new';
  const p = Math.round(((now - before) * 100) / before);
  if (p === 0) return '=';
  return p > 0 ? `+${p} %` : `−${-p} %`;
}

/** Share of interactions served locally. */
export function localShare(routes: { local: Totals }, total: Totals): string {
  return percent(routes.local.interactions, total.interactions);
}

export function budgetStateLabel(state: 'none' | 'ok' | 'warning' | 'over'): string {
  return { none: 'no budget', ok: 'within budget', warning: 'near budget', over: 'over budget' }[state];
}

/** When: "2026-11-23 09:00 UTC". */
/**
 * How a summary's week stands when it was generated: a week that has not started is in the
 * future (nothing can be recorded in it yet), not "in progress".
 */
export function weekState(
  w: { start: string; complete: boolean; timeZone: string },
  generatedAt: string,
): 'complete' | 'in progress' | 'future' {
  if (w.complete) return 'complete';
  return localDay(Date.parse(generatedAt), w.timeZone) < w.start ? 'future' : 'in progress';
}

export function utcLabel(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
