/** The budgets as `unmetered status` prints them, and the `--check` verdict scripts and CI act on. */
import { budgetsOver, reached, type BudgetStatus } from '../core/budgets/evaluate';
import { formatUSD, nanosToUSD } from '../core/money';
import { plainText } from '../core/sanitize';

const label = (b: BudgetStatus) => (b.kind === 'project' ? `project ${plainText(b.project ?? '')}` : b.kind);
const when = (b: BudgetStatus) => (b.kind === 'daily' ? `today (${b.period})` : `in ${b.period}`);
/** Whole percent, rounded down, so 99.9 % never reads as 100 %. */
const percent = (b: BudgetStatus) => Number((BigInt(b.spentNanos) * 100n) / BigInt(b.limitNanos));

export function budgetsJson(list: readonly BudgetStatus[]) {
  return list.map((b) => ({
    budget: b.id,
    period: b.period,
    limitUSD: nanosToUSD(b.limitNanos),
    spentUSD: nanosToUSD(b.spentNanos),
    percent: percent(b),
    enforcement: b.enforce,
  }));
}

/** One line per budget: what was spent of it, and whether it passed `threshold` (when checking). */
export function budgetsText(list: readonly BudgetStatus[], threshold: number | null): string {
  if (list.length === 0) return 'No budget is set (unmetered.monthlyBudget, unmetered.dailyBudget, unmetered.projectBudgets).\n';
  const w = Math.max(...list.map((b) => label(b).length));
  const lines = list.map((b) => {
    const verdict = threshold === null ? '' : reached(b, threshold) ? `  OVER ${threshold} %` : '  ok';
    const enforced =
      b.enforce === 'off' ? '' : `  (at the cap the gateway will ${b.enforce === 'fallback' ? 'fall back to the local model' : 'refuse'})`;
    return `  ${label(b).padEnd(w)}  ${formatUSD(b.spentNanos)} of ${formatUSD(b.limitNanos)} ${when(b)}, ${percent(b)} %${verdict}${enforced}`;
  });
  return `Budgets (money spent)\n${lines.join('\n')}\n`;
}

export function checkJson(list: readonly BudgetStatus[], threshold: number) {
  return { thresholdPercent: threshold, over: budgetsOver(list, threshold).map((b) => b.id) };
}
