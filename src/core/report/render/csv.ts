/**
 * CSV for spreadsheets (RFC 4180: comma separated, CRLF line ends, fields with a comma, quote or
 * line break quoted with doubled quotes). Text that a spreadsheet would run as a formula (=, +, -,
 * @ first) is prefixed with an apostrophe: names in a team's files come from other people.
 */
import { plainText } from '../../sanitize';
import { TOTALS_FIELDS, type Totals } from '../totals';
import type { WeeklySummary } from '../summary/summary';

function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  const s0 = plainText(v);
  const s = /^[=+\-@\t\r]/.test(s0) ? `'${s0}` : s0;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLines(header: string[], rows: (string | number | boolean | null)[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export const totalsCells = (t: Totals) => TOTALS_FIELDS.map((k) => t[k]);

/** One row per day × agent × model (× route, as a model can in principle run both ways). */
export function renderCsv(s: WeeklySummary): string {
  return csvLines(
    ['week', 'developer', 'date', 'agent', 'model', 'route', ...TOTALS_FIELDS],
    s.rows.map((r) => [s.week.id, s.developer, r.date, r.agent, r.model, r.route, ...totalsCells(r)]),
  );
}
