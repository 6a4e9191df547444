/**
 * What budgets did in a week (the gateway's `budgetAction` on each record), for the weekly summary and
 * the team merge: how often a cap sent a request to the local model, refused one, or could not be
 * checked, and which budgets acted. Kept apart from the week's totals so a summary without any (the
 * common case, and every summary from an older build) has no such field at all.
 */
import type { Interaction } from '../../interaction';
import { grouped } from '../../money';
import { plainText } from '../../sanitize';
import { compareKeys } from '../totals';

export interface BudgetActions {
  /** Requests a used-up budget sent to the local model. */
  fallbacks: number;
  /** Requests a used-up budget refused. */
  refusals: number;
  /** Requests forwarded unchecked because the ledger could not be read. */
  failedOpen: number;
  /** The budgets that acted ("daily", "monthly"), sorted. */
  budgets: string[];
}

/** At most this many budget names per summary (a record's name is bounded too, see interaction.ts). */
const MAX_BUDGETS = 20;

/** The week's budget actions from its records (instants in [from, to)), or null when there were none. */
export function budgetActionsOf(records: Iterable<Interaction>, from: number, to: number): BudgetActions | null {
  const a: BudgetActions = { fallbacks: 0, refusals: 0, failedOpen: 0, budgets: [] };
  const names = new Set<string>();
  for (const r of records) {
    const act = r.budgetAction;
    if (!act) continue;
    const t = Date.parse(r.at);
    if (t < from || t >= to) continue;
    if (act.action === 'fallback') a.fallbacks++;
    else if (act.action === 'refused') a.refusals++;
    else a.failedOpen++;
    if (act.budget !== null) names.add(plainText(act.budget).slice(0, 100));
  }
  if (a.fallbacks + a.refusals + a.failedOpen === 0) return null;
  // The first MAX_BUDGETS in code-point order, whatever order the records came in.
  a.budgets = [...names].sort(compareKeys).slice(0, MAX_BUDGETS);
  return a;
}

export type MemberBudgetActions = { developer: string } & BudgetActions;

/** Who hit a cap this week and what it did, most actions first; null when nobody's budget acted. */
export function teamBudgetActions(members: { developer: string; budgetActions: BudgetActions | null }[]): MemberBudgetActions[] | null {
  const out = members
    .filter((m) => m.budgetActions !== null)
    .map((m) => ({ developer: m.developer, ...m.budgetActions! }))
    .sort((x, y) => y.fallbacks + y.refusals - (x.fallbacks + x.refusals) || compareKeys(x.developer, y.developer));
  return out.length ? out : null;
}

/** A teammate's file is untrusted: names cleaned, counts as the schema already checked them. */
export function cleanBudgetActions(a: BudgetActions | undefined): BudgetActions | null {
  if (!a) return null;
  return { fallbacks: a.fallbacks, refusals: a.refusals, failedOpen: a.failedOpen, budgets: a.budgets.map((b) => plainText(b)) };
}

const times = (n: number) => `${grouped(n)} time${n === 1 ? '' : 's'}`;

/** One line: "Budget caps (daily): sent to the local model 12 times, refused 1 time." */
export function budgetActionsLine(a: BudgetActions): string {
  const parts = [
    a.fallbacks ? `sent to the local model ${times(a.fallbacks)}` : '',
    a.refusals ? `refused ${times(a.refusals)}` : '',
    a.failedOpen ? `unchecked ${times(a.failedOpen)} (the ledger could not be read)` : '',
  ].filter(Boolean);
  return `Budget caps${a.budgets.length ? ` (${a.budgets.join(', ')})` : ''}: ${parts.join(', ')}.`;
}
