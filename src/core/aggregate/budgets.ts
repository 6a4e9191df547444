/**
 * What budgets read (core/budgets/evaluate.ts: an instant, a cost, a project) from aggregate entries
 * instead of records. A cell stands in as one spend at its first instant: evaluateBudgets only asks
 * which local day of its zone a spend falls on, and every member of a cell falls on the cell's day when
 * the entries are of the budgets' zone. A loose record is itself. test/aggregate checks the two agree.
 */
import type { Spend } from '../budgets/evaluate';
import { sumOf } from '../ledger/rollup';
import type { Entry } from './entries';

export function spendsOf(entries: readonly Entry[]): Spend[] {
  return entries.map((e) => e.record ?? { at: e.firstAt, costNanos: sumOf(e, 'costNanos'), project: e.project });
}
