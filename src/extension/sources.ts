/**
 * The agents' logs, live: after the first paint, import what they gained since the last run, then
 * tail them. Everything with substance is in core/sources; this file reads settings and shows paths.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createImporter, describeSource, normaliseSourceSettings, summariseSources, type Importer, type SourceId } from '../core/sources';
import type { Services } from './services';

const STATUS_REFRESH_MS = 30_000;
const SHOW_SOURCES_COMMAND = 'unmetered.showSources';
/** The import's worker thread, bundled beside the extension (dist/): a first import of a long history is parsed off this thread. */
const WORKER_SCRIPT = path.join(__dirname, 'sources-worker.js');

/**
 * Registers "Show Agent Logs" at once (the walkthrough and the tooltip link to it); `begin()` starts the
 * import, which the composition root calls only after the first paint.
 */
export function registerSources(services: Services): vscode.Disposable & { begin(): void } {
  const { context, logger } = services;
  let importer: Importer | undefined;
  let watcher: { dispose(): void } | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let onConfig: vscode.Disposable | undefined;
  let generation = 0;

  const esc = (s: string) => s.replace(/[\\`*_[\]|<>]/g, (c) => `\\${c}`);
  const showPaths = async () => {
    if (!importer) return;
    const line = summariseSources(await importer.status());
    services.setTooltipSection('sources', `*Agent logs:* ${esc(line)} · [details](command:${SHOW_SOURCES_COMMAND})`);
  };

  const showSources = async () => {
    if (!importer) return void vscode.window.showInformationMessage("Unmetered is still reading the agents' logs; try again in a moment.");
    const list = await importer.status();
    const items = list.map((s) => {
      const found = s.enabled && s.roots.some((r) => r.exists);
      return {
        label: `${found ? '$(check)' : s.enabled ? '$(circle-slash)' : '$(debug-pause)'} ${s.label}`,
        description: !s.enabled ? 'turned off' : found ? `${s.interactions.toLocaleString('en-US')} interactions` : 'no logs found',
        detail: describeSource(s, os.homedir()),
      };
    });
    const pick = await vscode.window.showQuickPick(
      [...items, { label: '$(gear) Turn agents on or off, or add folders…', description: 'unmetered.sources', detail: '' }],
      {
        title: 'Unmetered: agent logs read on this machine',
        matchOnDetail: true,
      },
    );
    if (pick?.description === 'unmetered.sources')
      await vscode.commands.executeCommand('workbench.action.openSettings', 'unmetered.sources');
  };

  const start = async () => {
    const mine = ++generation;
    watcher?.dispose();
    const { settings, warnings } = normaliseSourceSettings(vscode.workspace.getConfiguration('unmetered').get('sources'));
    for (const w of warnings) logger.warn(w);
    const ledger = await services.ledger();
    importer = createImporter({
      dataDir: services.dataDir,
      env: process.env,
      home: os.homedir(),
      platform: process.platform,
      // Cline, Roo Code and Kilo Code keep their task history in this editor's globalStorage, beside ours.
      globalStorageDirs: [path.dirname(context.globalStorageUri.fsPath)],
      customStoragePaths: customStoragePaths(),
      ledger,
      priceTable: services.prices(),
      logger,
      settings,
      workerScript: existsSync(WORKER_SCRIPT) ? WORKER_SCRIPT : undefined,
    });
    const summary = await importer.scan();
    if (mine !== generation) return;
    if (summary.written > 0)
      logger.info(`imported ${summary.written} interaction(s) from ${summary.filesRead} agent log file(s) in ${summary.durationMs} ms`);
    watcher = importer.watch({});
    await showPaths();
  };

  const restart = () =>
    start().catch((err) => {
      logger.error(`reading the agents' logs failed: ${(err as Error).message}`);
      services.setTooltipSection(
        'sources',
        `*Agent logs:* could not be read (${(err as Error).message}); see the Unmetered output channel.`,
      );
    });

  const command = vscode.commands.registerCommand(SHOW_SOURCES_COMMAND, () => showSources());
  const disposable = new vscode.Disposable(() => {
    generation++;
    watcher?.dispose();
    clearInterval(statusTimer);
    onConfig?.dispose();
    command.dispose();
  });
  return Object.assign(disposable, {
    begin() {
      // The ledger watcher repaints the status bar when the import writes; the counts in the tooltip
      // only need an occasional refresh.
      statusTimer = setInterval(() => void showPaths().catch(() => {}), STATUS_REFRESH_MS);
      onConfig = vscode.workspace.onDidChangeConfiguration((e) => {
        const moved = CUSTOM_STORAGE.some(([, section]) => e.affectsConfiguration(`${section}.customStoragePath`));
        if (e.affectsConfiguration('unmetered.sources') || e.affectsConfiguration('unmetered.prices') || moved) void restart();
      });
      void restart();
    },
  });
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
