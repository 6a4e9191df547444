/**
 * `unmetered report` (report/report.ts's buildReport) from aggregate entries instead of records: a cell
 * lies within one local day, model and agent, so each row is a sum of whole cells. test/aggregate checks
 * the two agree on the same ledger.
 */
import { reportOfGroups, type Report, type ReportRange } from '../report/report';
import { emptyTally, type Tally } from '../report/totals';
import { addCellTo } from '../ledger/rollup';
import type { Entry } from './entries';
import { bump } from './views';

export function reportOf(entries: readonly Entry[], opts: ReportRange): Report {
  const totals = emptyTally();
  const days = new Map<string, Tally>();
  const models = new Map<string, Tally>();
  const agents = new Map<string, Tally>();
  for (const e of entries) {
    if ((opts.since && e.day < opts.since) || (opts.until && e.day > opts.until)) continue;
    addCellTo(totals, e);
    bump(days, e.day, e);
    bump(models, e.model, e);
    bump(agents, e.agent, e);
  }
  return reportOfGroups(opts, { totals, days, models, agents });
}
