import * as vscode from 'vscode';
import { statusView, tooltipMarkdown, type Meter, type StatusExtras } from '../core/meter';

export const COMMANDS = {
  menu: 'unmetered.showMenu',
  setBudget: 'unmetered.setBudget',
  openDashboard: 'unmetered.openDashboard',
  exportWeekly: 'unmetered.exportWeeklySummary',
} as const;

const LAST_PAINT = 'unmetered.statusBar.lastPaint';

/** The one status bar item: three figures at a glance, the breakdown in its tooltip. */
export class MeterStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('unmetered.meter', vscode.StatusBarAlignment.Right, 100);

  /**
   * The first paint shows the figures last shown (kept in the extension's global state) while the ledger
   * is read, instead of zeros that would be wrong for a second.
   */
  constructor(private readonly memory: vscode.Memento) {
    const last = memory.get<{ text: string; ariaLabel: string }>(LAST_PAINT);
    this.item.name = 'Unmetered';
    this.item.text = last?.text ?? '$(pulse) Unmetered';
    this.item.tooltip = 'Unmetered: reading the ledger…';
    if (last) this.item.accessibilityInformation = { label: `${last.ariaLabel} (as last shown; reading the ledger)` };
    this.item.command = COMMANDS.menu;
    this.item.show();
  }

  /** What the item shows now: a repaint that would change nothing is skipped (a repaint closes an open tooltip). */
  private shown = '';

  show(m: Meter, timeZone: string, extras: StatusExtras, sections: string[], agentLabel?: (agent: string) => string): void {
    const v = statusView(m, extras);
    const tooltip = tooltipMarkdown(m, {
      timeZone,
      routeLabel: extras.routeLabel,
      sections,
      agentLabel,
      // All four are registered during activation (extension.ts, export.ts).
      commands: {
        setBudget: COMMANDS.setBudget,
        openDashboard: COMMANDS.openDashboard,
        exportWeekly: COMMANDS.exportWeekly,
        switchRoute: COMMANDS.menu,
      },
    });
    const shown = JSON.stringify([v.text, v.ariaLabel, v.background ?? null, tooltip]);
    if (shown === this.shown) return;
    this.shown = shown;
    if (this.item.text !== v.text) void this.memory.update(LAST_PAINT, { text: v.text, ariaLabel: v.ariaLabel });
    this.item.text = v.text;
    this.item.accessibilityInformation = { label: v.ariaLabel, role: 'button' };
    this.item.backgroundColor = v.background ? new vscode.ThemeColor(`statusBarItem.${v.background}Background`) : undefined;
    const md = new vscode.MarkdownString(tooltip, true);
    md.isTrusted = { enabledCommands: Object.values(COMMANDS) };
    this.item.tooltip = md;
  }

  showError(message: string): void {
    this.shown = '';
    this.item.text = '$(warning) Unmetered';
    this.item.tooltip = message;
    this.item.accessibilityInformation = { label: `Unmetered: ${message}` };
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  dispose(): void {
    this.item.dispose();
  }
}
