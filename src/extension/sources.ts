/**
 * The agents' logs, live: after the first paint, import what they gained since the last run, then
 * tail them. Everything with substance is in core/import and core/agents; this file reads settings and shows paths.
 */
import * as vscode from 'vscode';
import os from 'node:os';
import path from 'node:path';
import { describeSource, importSession, summariseSources, type ImportProgress, type Importer, type SourceId } from '../core/import';
import type { Services } from './services';
import { errorMessage } from '../core/errors';

const STATUS_REFRESH_MS = 30_000;
const SHOW_SOURCES_COMMAND = 'unmetered.showSources';

/**
 * Registers "Show Agent Logs" at once (the walkthrough and the tooltip link to it); `begin()` starts the
 * import, which the composition root calls only after the first paint.
 */
export function registerSources(services: Services): vscode.Disposable & { begin(): void } {
  return new AgentLogs(services);
}

const esc = (s: string) => s.replace(/[\\`*_[\]|<>]/g, (c) => `\\${c}`);

/** The import session of this window, restarted when its settings change. */
class AgentLogs implements vscode.Disposable {
  private importer: Importer | undefined;
  private watcher: { dispose(): Promise<void> } | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private onConfig: vscode.Disposable | undefined;
  /** Bumped by every start and by dispose: a scan that finishes after a newer start (or after dispose) is dropped. */
  private generation = 0;
  private readonly command: vscode.Disposable;

  constructor(private readonly services: Services) {
    this.command = vscode.commands.registerCommand(SHOW_SOURCES_COMMAND, () => this.showSources());
  }

  begin(): void {
    // The ledger watcher repaints the status bar when the import writes; the counts in the tooltip
    // only need an occasional refresh.
    this.statusTimer = setInterval(() => void this.showPaths().catch(() => {}), STATUS_REFRESH_MS);
    this.onConfig = vscode.Disposable.from(
      this.services.settings.onDidChange((e) => {
        if (e.affectsConfiguration('unmetered.sources') || e.affectsConfiguration('unmetered.prices')) void this.restart();
      }),
      // Roo Code's and Kilo Code's own settings: not ours, so not in the settings module.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (CUSTOM_STORAGE.some(([, section]) => e.affectsConfiguration(`${section}.customStoragePath`))) void this.restart();
      }),
    );
    void this.restart();
  }

  dispose(): void {
    this.generation++;
    void this.watcher?.dispose();
    clearInterval(this.statusTimer);
    this.onConfig?.dispose();
    this.command.dispose();
  }

  private async showPaths(): Promise<void> {
    if (!this.importer) return;
    const line = summariseSources(await this.importer.status());
    this.services.setTooltipSection('sources', `*Agent logs:* ${esc(line)} · [details](command:${SHOW_SOURCES_COMMAND})`);
  }

  private async showSources(): Promise<void> {
    if (!this.importer)
      return void vscode.window.showInformationMessage("Unmetered is still reading the agents' logs; try again in a moment.");
    const items = (await this.importer.status()).map(sourceItem);
    const pick = await vscode.window.showQuickPick(
      [...items, { label: '$(gear) Turn agents on or off, or add folders…', description: 'unmetered.sources', detail: '' }],
      {
        title: 'Unmetered: agent logs read on this machine',
        matchOnDetail: true,
      },
    );
    if (pick?.description === 'unmetered.sources')
      await vscode.commands.executeCommand('workbench.action.openSettings', 'unmetered.sources');
  }

  private async start(): Promise<void> {
    const mine = ++this.generation;
    const { services } = this;
    void this.watcher?.dispose();
    const importer = (this.importer = importSession({
      dataDir: services.dataDir,
      env: process.env,
      home: os.homedir(),
      platform: process.platform,
      // Cline, Roo Code and Kilo Code keep their task history in this editor's globalStorage, beside ours.
      globalStorageDirs: [path.dirname(services.context.globalStorageUri.fsPath)],
      customStoragePaths: customStoragePaths(),
      recorder: services.recorder,
      // Counted from the rollup: the status must not load every record into this window.
      logCounts: () => services.logCounts(),
      logger: services.logger,
      settings: services.settings.current.sources,
    }));
    const summary = await scanWithProgress(importer);
    if (mine !== this.generation) return;
    if (summary.written > 0)
      services.logger.info(
        `imported ${summary.written} interaction(s) from ${summary.filesRead} agent log file(s) in ${summary.durationMs} ms`,
      );
    this.watcher = importer.watch({});
    await this.showPaths();
  }

  private restart(): Promise<void> {
    return this.start().catch((err) => {
      this.services.logger.error(`reading the agents' logs failed: ${errorMessage(err)}`);
      this.services.setTooltipSection(
        'sources',
        `*Agent logs:* could not be read (${errorMessage(err)}); see the Unmetered output channel.`,
      );
    });
  }
}

/** One row of "Show Agent Logs". */
function sourceItem(s: Awaited<ReturnType<Importer['status']>>[number]): vscode.QuickPickItem {
  const found = s.enabled && s.roots.some((r) => r.exists);
  return {
    label: `${found ? '$(check)' : s.enabled ? '$(circle-slash)' : '$(debug-pause)'} ${s.label}`,
    description: !s.enabled ? 'turned off' : found ? `${s.interactions.toLocaleString('en-US')} interactions` : 'no logs found',
    detail: describeSource(s, os.homedir()),
  };
}

/** A first import of a long history takes seconds: once it has run for one, a notification shows how far it is. */
async function scanWithProgress(importer: Importer): ReturnType<Importer['scan']> {
  let report: ((p: ImportProgress) => void) | undefined;
  let finish = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const timer = setTimeout(() => {
    const title = "Unmetered: importing the agents' logs";
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (progress) => {
      let shown = 0;
      report = (p) => {
        const pct = p.files > 0 ? Math.floor((100 * p.filesDone) / p.files) : 0;
        if (pct <= shown) return;
        progress.report({
          increment: pct - shown,
          message: `${p.filesDone.toLocaleString('en-US')} of ${p.files.toLocaleString('en-US')} files`,
        });
        shown = pct;
      };
      return finished;
    });
  }, 1000);
  try {
    return await importer.scan({ onProgress: (p) => report?.(p) });
  } finally {
    clearTimeout(timer);
    finish();
  }
}

/** Roo Code and Kilo Code can keep their tasks outside globalStorage: `<section>.customStoragePath`. */
const CUSTOM_STORAGE: [SourceId, string][] = [
  ['roo-code', 'roo-cline'],
  ['kilo-code', 'kilo-code'],
];

function customStoragePaths(): Partial<Record<SourceId, string[]>> {
  const out: Partial<Record<SourceId, string[]>> = {};
  for (const [id, section] of CUSTOM_STORAGE) {
    const v = vscode.workspace.getConfiguration(section).get<unknown>('customStoragePath');
    if (typeof v === 'string' && v.trim() && path.isAbsolute(v.trim())) out[id] = [v.trim()];
  }
  return out;
}
