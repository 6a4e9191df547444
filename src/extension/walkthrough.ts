/**
 * Ticks the walkthrough's "Set a monthly budget" step for someone whose budget is already set.
 *
 * How VS Code decides (src/vs/workbench/contrib/welcomeGettingStarted/browser/gettingStartedService.ts,
 * microsoft/vscode at 67cc69f; code-server 4.139.1 ships the same code): an `onContext:` completion event
 * ticks its step only when the context changes to match *after* the step was registered. A key that
 * already matches when the step is registered is noted as seen, and the step is then never ticked in that
 * window. The walkthrough service is created on first use (e.g. when a walkthrough is opened) and registers
 * an extension's steps after waiting up to 5 s for an experiment lookup, so a key set once at activation
 * is nearly always there first, and the step stays unticked (seen in code-server 4.139.1).
 *
 * So the key is pulsed: set and at once cleared, a moment and again some seconds after an editor that
 * VS Code's API cannot name opens (the walkthrough and the Welcome page are such editors), and after
 * activation. A pulse that comes before the step is registered changes nothing; the next one ticks it.
 */
import * as vscode from 'vscode';

/** Named in package.json's walkthrough: `onContext:unmetered.walkthrough.budgetSet`. */
const BUDGET_SET_KEY = 'unmetered.walkthrough.budgetSet';

/** After the walkthrough opens: one pulse soon, one after the service's 5 s experiment wait. */
const PULSE_DELAYS_MS = [1_500, 6_500];

export function tickBudgetStepWhenSet(hasBudget: () => boolean): vscode.Disposable {
  const timers = new Set<NodeJS.Timeout>();
  const pulse = async () => {
    if (!hasBudget()) return;
    await vscode.commands.executeCommand('setContext', BUDGET_SET_KEY, true);
    await vscode.commands.executeCommand('setContext', BUDGET_SET_KEY, false);
  };
  const schedule = () => {
    if (timers.size || !hasBudget()) return;
    for (const ms of PULSE_DELAYS_MS) {
      const t = setTimeout(() => {
        timers.delete(t);
        pulse().catch(() => {
          // setContext is VS Code's own command; if it ever fails the step simply stays unticked.
        });
      }, ms);
      timers.add(t);
    }
  };
  // An input the API cannot name: the walkthrough, the Welcome page, the settings editor, and a few more.
  const unnamed = (tab: vscode.Tab) => tab.input === undefined;
  const sub = vscode.window.tabGroups.onDidChangeTabs((e) => {
    if (e.opened.some(unnamed) || e.changed.some(unnamed)) schedule();
  });
  // A walkthrough restored with the window, or opened before this extension started.
  schedule();
  return new vscode.Disposable(() => {
    sub.dispose();
    for (const t of timers) clearTimeout(t);
    timers.clear();
  });
}
