/**
 * Budgets in VS Code: reads the budget settings, says each threshold once per period (remembered in the
 * global state, so a reload or a second window does not say it again), marks the status bar while a cap
 * acts or the check fails open, and hands the gateway its budget gate. The rules live in core/budgets.
 */
import * as vscode from 'vscode';
import {
  budgetName,
  budgetSetting,
  createBudgetGate,
  dueNotices,
  enforcedCap,
  evaluateBudgets,
  hasBudgets,
  type BudgetGate,
  type BudgetSettings,
  type BudgetStatus,
  type ThresholdNotice,
} from '../core/budgets';
import { formatUSD } from '../core/money';
import { systemClock } from '../core/ports';
import type { Services } from './services';
import { errorMessage } from '../core/errors';

const NOTIFIED = 'unmetered.budgets.notified';
/** A log import lands in many batches: evaluate once they settle, not per batch. */
const SETTLE_MS = 2_000;

export function registerBudgets(services: Services): { gate: BudgetGate; disposable: vscode.Disposable } {
  const { context, logger } = services;
  const current = (): BudgetSettings => services.settings.current.budgets;

  const gate = createBudgetGate({
    records: () => services.spends(),
    settings: current,
    timeZone: () => services.timeZone(),
    clock: systemClock,
    logger,
    onChange: () => void refresh(),
  });

  let running: Promise<void> = Promise.resolve();
  const report = (err: unknown) => logger.error(`budgets: ${(err as Error).stack ?? String(err)}`);
  const refresh = () => (running = running.then(check).catch(report));
  async function check(): Promise<void> {
    const settings = current();
    if (!hasBudgets(settings)) return show([], null);
    let budgets: BudgetStatus[];
    try {
      budgets = evaluateBudgets(await services.spends(), { now: Date.now(), timeZone: services.timeZone(), settings });
    } catch (err) {
      logger.warn(`budgets: could not read the ledger: ${errorMessage(err)}`);
      return show([], `the ledger could not be read (${errorMessage(err)})`);
    }
    show(budgets, gate.state().failedOpen);
    const { notices, memory } = dueNotices(budgets, settings.thresholds, context.globalState.get(NOTIFIED));
    // Remembered before it is shown: a window reloading meanwhile must not say it a second time.
    await context.globalState.update(NOTIFIED, memory);
    for (const n of notices) notify(n);
  }

  function show(budgets: BudgetStatus[], failedOpen: string | null): void {
    const cap = enforcedCap(budgets);
    services.setBudgetNote(
      failedOpen
        ? { text: '$(warning) budgets unchecked', words: `budgets not enforced: ${failedOpen}` }
        : cap
          ? {
              text: cap.action === 'fallback' ? `$(vm) ${cap.budget.kind} cap: local` : `$(circle-slash) ${cap.budget.kind} cap`,
              words:
                `${budgetName(cap.budget)} is used up:` +
                ` the gateway ${cap.action === 'fallback' ? 'serves cloud requests with the local model' : 'refuses cloud requests'}`,
            }
          : undefined,
    );
    services.setTooltipSection('budgets', budgets.length ? tooltip(budgets, failedOpen) : undefined);
  }

  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), SETTLE_MS);
  };
  const disposable = vscode.Disposable.from(
    services.onDidChangeLedger(() => {
      gate.invalidate();
      soon();
    }),
    services.settings.onDidChange(() => {
      gate.invalidate();
      soon();
    }),
    { dispose: () => clearTimeout(timer) },
  );
  soon();
  return { gate, disposable };
}

function notify(n: ThresholdNotice): void {
  const b = n.budget;
  const when = b.kind === 'daily' ? 'today' : `in ${b.period}`;
  const what = `Unmetered: ${n.percent} % of ${budgetName(b)} is spent (${formatUSD(b.spentNanos)} of ${formatUSD(b.limitNanos)} ${when}).`;
  const act =
    b.enforce === 'fallback' && n.percent >= 100
      ? ' Agents routed through the gateway now run on the local model.'
      : b.enforce === 'refuse' && n.percent >= 100
        ? ' The gateway now refuses cloud requests.'
        : '';
  // Called on vscode.window, not detached from it: the API's methods are not guaranteed to be bound.
  const shown =
    n.percent >= 100
      ? vscode.window.showWarningMessage(what + act, 'Change Budget')
      : vscode.window.showInformationMessage(what + act, 'Change Budget');
  void shown.then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', budgetSetting(b)));
}

function tooltip(budgets: BudgetStatus[], failedOpen: string | null): string {
  const rows = budgets.map((b) => {
    const name = b.kind === 'project' ? `project ${b.project ?? ''}`.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`) : b.kind;
    const pct = Math.floor((b.spentNanos * 100) / b.limitNanos);
    const cap = b.enforce === 'off' ? '' : ` · at the cap: ${b.enforce}`;
    return `| ${name} | ${formatUSD(b.spentNanos)} of ${formatUSD(b.limitNanos)} (${pct} %)${cap} |`;
  });
  const warn = failedOpen ? [`**Budgets not enforced:** ${failedOpen}; requests go to the cloud unchecked.`, ''] : [];
  return [...warn, '| Budget | Spent |', '|---|---|', ...rows].join('\n');
}
