/**
 * The weekly summary as JSON. Key order is fixed by how summaries are built (and kept by
 * JSON.parse when a team merge re-reads them), arrays are sorted, numbers carry at most 9 decimals:
 * the same ledger and clock always give the same bytes.
 */
import type { WeeklySummary } from '../summary/summary';

export function renderJson(s: WeeklySummary): string {
  return JSON.stringify(s, null, 2) + '\n';
}
