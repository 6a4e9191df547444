/**
 * The per-agent counts the import's status shows (core/import/importer.ts: records read from each
 * agent's logs, and its own stated cost beside ours) from the rollup instead of the records. Records
 * from logs are never telemetry copies, so the twin rule changes none of these counts.
 */
import { addLogCount, type LogCounts } from '../import/importer';
import { agentCostOf, sumOf, type Rollup } from '../ledger/rollup';

export function logCountsOf(rollup: Pick<Rollup, 'cells' | 'loose'>): Map<string, LogCounts> {
  const out = new Map<string, LogCounts>();
  for (const c of rollup.cells) {
    if (c.source !== 'log') continue;
    // Each sum read alone: a loaded cell's sums object is not built for this (sumOf).
    const costed = sumOf(c, 'agentCosted') > 0;
    addLogCount(out, c.agent, sumOf(c, 'interactions'), costed ? sumOf(c, 'agentCostNanos') : null, sumOf(c, 'agentCostOurNanos'));
  }
  // Loose records as stored, as the status counts them (not repriced).
  for (const r of rollup.loose) if (r.source === 'log') addLogCount(out, r.agent, 1, agentCostOf(r), r.costNanos);
  return out;
}
