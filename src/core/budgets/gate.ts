/**
 * The gateway's budget check: before a cloud request is forwarded, is an enforced budget used up, and
 * if so, fall back to the local model or refuse? The figures are read from the ledger at most every
 * `maxAgeMs` (and at once after `invalidate`, which the composition calls when an interaction was
 * recorded), so a busy gateway does not walk the ledger per request.
 *
 * When the ledger cannot be read the check fails OPEN: the request goes to the cloud as if there were no
 * budget, the log says so once per failure, and `state()` carries the reason for the status bar. A meter
 * that stops an agent's work because its own bookkeeping broke would be worse than one that overspends.
 */
import { formatUSD } from '../money';
import type { Clock, Logger } from '../ports';
import { budgetName, budgetSetting, evaluateBudgets, reached, type BudgetStatus, type Spend } from './evaluate';
import type { BudgetSettings } from './settings';
import { errorMessage } from '../errors';

export type BudgetDecision =
  | { kind: 'forward' }
  | { kind: 'failed-open'; reason: string }
  | { kind: 'fallback'; budget: BudgetStatus }
  | { kind: 'refuse'; budget: BudgetStatus; message: string };

export interface GateState {
  /** The budgets as last read. */
  budgets: BudgetStatus[];
  /** Set while the ledger cannot be read: budgets are not enforced. */
  failedOpen: string | null;
  /** The enforced budget that is used up now, if any, and what the gateway does about it. */
  capped: { budget: BudgetStatus; action: 'fallback' | 'refuse' } | null;
}

export interface BudgetGate {
  decide(): Promise<BudgetDecision>;
  /** Re-read the figures on the next decision (a new interaction was recorded, a setting changed). */
  invalidate(): void;
  state(): GateState;
}

export interface BudgetGateOptions {
  /** The ledger's records as priced now; may throw or reject when the ledger cannot be read. */
  records: () => Iterable<Spend> | Promise<Iterable<Spend>>;
  settings: () => BudgetSettings;
  timeZone: () => string;
  clock: Clock;
  logger: Logger;
  /** How long figures are reused without an invalidate; default 5 s. */
  maxAgeMs?: number;
  /** Told when the state changed (a cap was reached or lifted, the check failed open or recovered). */
  onChange?: (s: GateState) => void;
}

export function createBudgetGate(opts: BudgetGateOptions): BudgetGate {
  const maxAge = opts.maxAgeMs ?? 5_000;
  let state: GateState = { budgets: [], failedOpen: null, capped: null };
  let readAt = -Infinity;
  let reading: Promise<void> | null = null;

  const enforced = (s: BudgetSettings) =>
    (s.dailyNanos !== null && s.enforce.daily !== 'off') || (s.monthlyNanos !== null && s.enforce.monthly !== 'off');

  async function read(): Promise<void> {
    const settings = opts.settings();
    let next: GateState;
    try {
      const budgets = evaluateBudgets(await opts.records(), { now: opts.clock.now(), timeZone: opts.timeZone(), settings });
      next = { budgets, failedOpen: null, capped: enforcedCap(budgets) };
    } catch (err) {
      const reason = `the ledger could not be read (${errorMessage(err)})`;
      if (state.failedOpen === null)
        opts.logger.warn(`budgets: not enforced: ${reason}; requests go to the cloud unchecked until it can be read`);
      next = { budgets: state.budgets, failedOpen: reason, capped: null };
    }
    if (state.failedOpen !== null && next.failedOpen === null)
      opts.logger.info('budgets: the ledger can be read again; budgets are enforced');
    readAt = opts.clock.now();
    const changed = describe(state) !== describe(next);
    state = next;
    if (changed) opts.onChange?.(state);
  }

  return {
    async decide() {
      const settings = opts.settings();
      if (!enforced(settings)) return { kind: 'forward' };
      if (opts.clock.now() - readAt >= maxAge) await (reading ??= read().finally(() => (reading = null)));
      if (state.failedOpen !== null) return { kind: 'failed-open', reason: state.failedOpen };
      const cap = state.capped;
      if (!cap) return { kind: 'forward' };
      if (cap.action === 'fallback') return { kind: 'fallback', budget: cap.budget };
      return { kind: 'refuse', budget: cap.budget, message: refusalMessage(cap.budget) };
    },
    invalidate() {
      readAt = -Infinity;
    },
    state: () => state,
  };
}

/** Of the enforced budgets used up, the one that decides: a refusal outranks a fallback, then daily before monthly. */
export function enforcedCap(budgets: readonly BudgetStatus[]): GateState['capped'] {
  let best: GateState['capped'] = null;
  for (const b of budgets) {
    if (b.enforce === 'off' || !reached(b, 100)) continue;
    if (!best || (best.action === 'fallback' && b.enforce === 'refuse')) best = { budget: b, action: b.enforce };
  }
  return best;
}

function describe(s: GateState): string {
  return `${s.failedOpen ?? ''}|${s.capped ? `${s.capped.budget.id}:${s.capped.action}` : ''}`;
}

/** What the agent shows its user: which budget, how far over, and how to go on. */
export function refusalMessage(b: BudgetStatus, extra = ''): string {
  const when = b.kind === 'daily' ? `today (${b.period})` : `in ${b.period}`;
  const wait = b.kind === 'daily' ? 'wait until tomorrow' : 'wait until next month';
  return (
    `Unmetered: ${budgetName(b)} of ${formatUSD(b.limitNanos)} is used up (${formatUSD(b.spentNanos)} spent ${when}), so the gateway refuses cloud requests. ` +
    `${extra}Raise the budget in the ${budgetSetting(b)} setting, set unmetered.budgetEnforcement.` +
    `${b.kind} to "fallback" (serve with the local model) or "off", switch to the local route, or ${wait}.`
  );
}
