/**
 * Reports in VS Code: the dashboard command, "Export Weekly Summary…", the automatic export of
 * last week on the first start of a new week (the settings reach the CLI through settings.ts's mirror).
 * Everything with substance happens in core/report; this file asks questions and writes files.
 */
import * as vscode from 'vscode';
import os from 'node:os';
import path from 'node:path';
import type { Interaction } from '../core/interaction';
import { formatUSD } from '../core/money';
import {
  buildWeeklySummary,
  claimWeek,
  currentWeek,
  releaseWeek,
  lastCompleteWeek,
  loadOrCreateSalt,
  pseudonymiser,
  shiftWeek,
  writeWeeklyFiles,
  type ReportFormat,
  type Week,
  type WeeklySummary,
} from '../core/report';
import type { ExportSettings } from '../core/report/summary/exportSettings';
import { rangeLabel } from '../core/report/render/display';
import { usdToNanosExact } from '../core/report/totals';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from './dashboard';
import type { Services } from './services';
import { COMMANDS } from './statusBar';
import { errorMessage } from '../core/errors';

const REPORT_COMMANDS = { openDashboard: COMMANDS.openDashboard, exportWeekly: COMMANDS.exportWeekly } as const;

/** Let the agent-log import of a fresh start land in the ledger before last week is summarised. */
const AUTO_EXPORT_DELAY_MS = 20_000;

function readExportSettings(services: Services): ExportSettings {
  return services.settings.current.export;
}

/** `~` and `${workspaceFolder}` in the folder setting, as people write them. */
function resolveFolder(folder: string): string {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let f = folder.replace(/^~(?=$|[\\/])/, os.homedir());
  if (ws) f = f.replace(/\$\{workspaceFolder\}/g, ws);
  return path.resolve(ws ?? os.homedir(), f);
}

async function summarise(
  services: Services,
  settings: ExportSettings,
  week: Week,
  records?: readonly Interaction[],
): Promise<WeeklySummary> {
  return buildWeeklySummary(records ?? (await services.records()), {
    week,
    timeZone: services.timeZone(),
    weekStart: settings.weekStart,
    budgetNanos: services.budgetNanos(),
    now: Date.now(),
    developer: settings.developer ?? os.userInfo().username,
    priceTableVersion: services.prices().version,
    pseudonymise: settings.pseudonymiseProjects ? pseudonymiser(await loadOrCreateSalt(services.dataDir)) : null,
  });
}

const FORMAT_ITEMS: { format: ReportFormat; label: string; detail: string }[] = [
  { format: 'json', label: 'JSON', detail: 'for your team lead: `unmetered team` merges these' },
  { format: 'md', label: 'Markdown', detail: 'pastes into a chat or a pull request' },
  { format: 'csv', label: 'CSV', detail: 'one row per day × agent × model, for spreadsheets' },
  { format: 'html', label: 'HTML', detail: 'a page with charts, works offline and prints' },
];

async function exportWeekly(services: Services): Promise<{ week: string; folder: string; files: string[] } | undefined> {
  const settings = readExportSettings(services);
  const records = await services.records();
  const now = Date.now();
  const tz = services.timeZone();
  const last = lastCompleteWeek(now, tz, settings.weekStart);
  // Last week first (what one usually exports), then the week in progress, then older ones.
  const weeks = [last, currentWeek(now, tz, settings.weekStart), ...Array.from({ length: 11 }, (_, i) => shiftWeek(last, -(i + 1)))];
  const all = await Promise.all(
    weeks.map(async (w, i) => {
      const s = await summarise(services, { ...settings, pseudonymiseProjects: false }, w, records);
      const cost = s.totals.costUSD === null ? 'unpriced' : formatUSD(usdToNanosExact(s.totals.costUSD));
      const n = s.totals.interactions;
      return {
        week: w,
        interactions: n,
        label: w.id,
        description: `${rangeLabel(w.start, w.end)}${i === 0 ? ' · last week' : i === 1 ? ' · in progress' : ''}`,
        detail: `${cost} · ${n.toLocaleString('en-US')} interaction${n === 1 ? '' : 's'}`,
      };
    }),
  );
  // A week with nothing in it makes an empty report: not offered.
  const picks = all.filter((p) => p.interactions > 0);
  if (picks.length === 0)
    return void vscode.window.showInformationMessage(
      'Unmetered: no interactions recorded in the last 12 weeks, so there is no weekly summary to export yet.',
    );
  const pick = await vscode.window.showQuickPick(picks, { title: 'Export Weekly Summary (1/3): week', placeHolder: 'Which week?' });
  if (!pick) return undefined;
  const formats = await vscode.window.showQuickPick(
    FORMAT_ITEMS.map((f) => ({ ...f, picked: settings.formats.includes(f.format) })),
    { title: 'Export Weekly Summary (2/3): formats', canPickMany: true, placeHolder: 'One file per format' },
  );
  if (!formats || formats.length === 0) return undefined;
  const defaultFolder = settings.folder
    ? resolveFolder(settings.folder)
    : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir());
  const folder = await vscode.window.showOpenDialog({
    title: 'Export Weekly Summary (3/3): folder',
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(defaultFolder),
    openLabel: 'Export here',
  });
  if (!folder?.[0]) return undefined;
  const summary = await summarise(services, settings, pick.week, records);
  const files = await writeWeeklyFiles(
    summary,
    folder[0].fsPath,
    formats.map((f) => f.format),
  );
  services.log.info(`exported ${summary.week.id} to ${files.join(', ')}`);
  return { week: summary.week.id, folder: folder[0].fsPath, files };
}

/** The page a person wants to see first: the HTML report, else Markdown, else what was written. */
function preferredFile(files: readonly string[]): string | undefined {
  return files.find((f) => f.endsWith('.html')) ?? files.find((f) => f.endsWith('.md')) ?? files[0];
}

/**
 * After the files are written: say where, and offer to open them. This runs outside the export's error
 * handling, so a follow-up that fails is reported as itself, never as a failed export. "Reveal in Folder"
 * is offered only where the OS file manager is reachable (a desktop window, not a browser or remote one).
 */
async function offerToOpen(services: Services, done: { week: string; folder: string; files: string[] }): Promise<void> {
  const first = preferredFile(done.files);
  if (!first) return;
  const local = vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName;
  const names = done.files.map((f) => path.basename(f)).join(', ');
  const actions = local ? ['Open', 'Reveal in Folder'] : ['Open'];
  const action = await vscode.window.showInformationMessage(`Unmetered: exported ${done.week} to ${done.folder} (${names}).`, ...actions);
  try {
    const uri = vscode.Uri.file(first);
    // An HTML report is a page: the browser shows it; elsewhere (a browser window) the editor opens it.
    if (action === 'Open' && first.endsWith('.html') && local) await vscode.env.openExternal(uri);
    else if (action === 'Open' && first.endsWith('.md')) await vscode.commands.executeCommand('markdown.showPreview', uri);
    else if (action === 'Open') await vscode.commands.executeCommand('vscode.open', uri);
    else if (action === 'Reveal in Folder') await vscode.commands.executeCommand('revealFileInOS', uri);
  } catch (err) {
    services.log.warn(`opening ${first}: ${errorMessage(err)}`);
    void vscode.window.showWarningMessage(
      `Unmetered: the summary was exported to ${done.folder}, but it could not be opened here: ${errorMessage(err)}`,
    );
  }
}

/**
 * On the first start of a new week, writes last week's summary into `unmetered.export.folder`,
 * once across all windows and restarts (claimWeek); a failed export gives the week back so a later
 * start retries.
 */
async function autoExport(services: Services, settings: ExportSettings, now = Date.now()): Promise<string[] | undefined> {
  if (!settings.folder) return undefined;
  const week = lastCompleteWeek(now, services.timeZone(), settings.weekStart);
  if (!(await claimWeek(services.dataDir, week.id))) return undefined;
  try {
    const summary = await summarise(services, settings, week);
    const files = await writeWeeklyFiles(summary, resolveFolder(settings.folder), settings.formats);
    services.log.info(`automatic export of ${week.id}: ${files.join(', ')}`);
    return files;
  } catch (err) {
    await releaseWeek(services.dataDir, week.id);
    throw err;
  }
}

/** Registers the dashboard and export commands, the automatic export and the settings mirror. */
export function registerReports(services: Services): vscode.Disposable {
  const weekStart = () => readExportSettings(services).weekStart;
  const disposables: vscode.Disposable[] = [
    vscode.commands.registerCommand(REPORT_COMMANDS.openDashboard, () => DashboardPanel.show(services, weekStart)),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => DashboardPanel.restore(panel, services, weekStart),
    }),
    vscode.commands.registerCommand(REPORT_COMMANDS.exportWeekly, async () => {
      let done: Awaited<ReturnType<typeof exportWeekly>>;
      try {
        done = await exportWeekly(services);
      } catch (err) {
        services.log.error(`export: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(`Unmetered: the weekly summary could not be exported: ${errorMessage(err)}`);
        return;
      }
      if (done) await offerToOpen(services, done);
    }),
    services.addMenuSection('Reports', 50, () => [
      { label: '$(graph) Open dashboard', run: () => vscode.commands.executeCommand(REPORT_COMMANDS.openDashboard) },
      { label: '$(export) Export weekly summary…', run: () => vscode.commands.executeCommand(REPORT_COMMANDS.exportWeekly) },
    ]),
  ];
  const timer = setTimeout(() => {
    const settings = readExportSettings(services);
    autoExport(services, settings).then(
      (files) =>
        files && void vscode.window.showInformationMessage(`Unmetered: last week's summary was exported to ${path.dirname(files[0])}.`),
      (err) => {
        services.log.error(`automatic export: ${errorMessage(err)}`);
        void vscode.window.showWarningMessage(
          `Unmetered: last week's summary could not be exported to ${settings.folder}: ${errorMessage(err)}. It will be tried again at the next start.`,
        );
      },
    );
  }, AUTO_EXPORT_DELAY_MS);
  disposables.push({ dispose: () => clearTimeout(timer) });
  return vscode.Disposable.from(...disposables);
}
