/**
 * The dashboard webview: a thin host for media/dashboard.ts. The model is computed here (core's
 * buildDashboard) and posted to the page whenever the ledger changes; the page only draws. Strict
 * CSP with a nonce; the page may load only its own script and stylesheet, nothing from the network.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { buildDashboard } from '../core/report/dashboard';
import { PAGE_COMMANDS, parsePageMessage, type HostMessage } from '../core/report/dashboardProtocol';
import type { WeekStart } from '../core/report/week';
import type { Services } from './services';
import { errorMessage } from '../core/errors';

export const DASHBOARD_VIEW_TYPE = 'unmetered.dashboard';

function dashboardHtml(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, extensionUri: vscode.Uri, nonce: string): string {
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'dashboard.css'));
  const js = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'dashboard.js'));
  const csp =
    `default-src 'none';` +
    ` style-src ${webview.cspSource}; img-src ${webview.cspSource} data:; font-src ${webview.cspSource}; script-src 'nonce-${nonce}'`;
  const tab = (p: string, label: string) => `<button role="tab" data-period="${p}">${label}</button>`;
  return (
    `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${css.toString()}">
<title>Unmetered</title>
</head>
<body>
<header>
  <h1>Unmetered <small id="title"></small></h1>
  <div class="actions"><button data-command="exportWeekly">Export weekly summary…</button><button data-command="setBudget">Set budget…</button></div>
</header>
<div class="cards" id="cards" aria-live="polite"></div>
<p id="budget" class="budget"></p>
<section><h2>This month: spend so far, projection and budget</h2><div id="chart"></div><ul id="legend"` +
    ` class="legend"></ul><p id="method" class="method"></p></section>
<section><h2><span id="period-title"></span>, by agent and model <span class="tabs" role="tablist">` +
    `${tab('today', 'Today')}${tab('week', 'This week')}${tab('month', 'This month')}</span></h2><div id="breakdown"></div></section>
<section id="plan-section"><h2>Plan check: the last 30 days against the plans' prices</h2><div id="plan" class="table-wrap"></div></section>
<section><h2 id="recent-title"></h2><div id="recent" class="table-wrap"></div></section>
<p id="notes"></p>
<script nonce="${nonce}" src="${js.toString()}"></script>
</body>
</html>
`
  );
}

export class DashboardPanel implements vscode.Disposable {
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private queued: NodeJS.Timeout | undefined;

  static show(services: Services, weekStart: () => WeekStart): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      DASHBOARD_VIEW_TYPE,
      'Unmetered',
      vscode.ViewColumn.Active,
      DashboardPanel.options(services.context.extensionUri),
    );
    return (DashboardPanel.current = new DashboardPanel(panel, services, weekStart));
  }

  /** A dashboard that was open when the window reloaded comes back (its page state holds the chosen period). */
  static restore(panel: vscode.WebviewPanel, services: Services, weekStart: () => WeekStart): void {
    panel.webview.options = DashboardPanel.options(services.context.extensionUri);
    DashboardPanel.current?.dispose();
    DashboardPanel.current = new DashboardPanel(panel, services, weekStart);
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media'), vscode.Uri.joinPath(extensionUri, 'dist')],
    };
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
    private readonly weekStart: () => WeekStart,
  ) {
    panel.webview.html = dashboardHtml(panel.webview, services.context.extensionUri, randomBytes(16).toString('base64'));
    // The clock moves too: today rolls over and the projection changes even with no new record.
    const tick = setInterval(() => this.update(), 60_000);
    this.disposables.push(
      { dispose: () => clearInterval(tick) },
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => panel.visible && this.update()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      services.onDidChangeLedger(() => this.update()),
    );
  }

  /** What the page asks for: anything that does not parse as one of its messages is dropped. */
  private receive(raw: unknown): void {
    const m = parsePageMessage(raw);
    if (!m) return;
    switch (m.type) {
      case 'ready':
        return this.update(0);
      case 'command':
        return void vscode.commands.executeCommand(PAGE_COMMANDS[m.command]);
    }
  }

  /** Recomputes and posts the model, coalescing bursts of ledger changes; skipped while hidden. */
  update(delayMs = 200): void {
    if (this.queued || !this.panel.visible) return;
    this.queued = setTimeout(() => void this.post(), delayMs);
  }

  private async post(): Promise<void> {
    this.queued = undefined;
    {
      try {
        const model = buildDashboard(await this.services.records(), {
          now: Date.now(),
          timeZone: this.services.timeZone(),
          budgetNanos: this.services.budgetNanos(),
          weekStart: this.weekStart(),
          plans: this.services.settings.current.plans,
        });
        await this.send({ type: 'model', model });
      } catch (err) {
        this.services.log.error(`dashboard: ${errorMessage(err)}`);
      }
    }
  }

  private async send(message: HostMessage): Promise<void> {
    await this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    clearTimeout(this.queued);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
