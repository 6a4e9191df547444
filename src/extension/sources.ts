/**
 * The agents' logs, live: after the first paint, import what they gained since the last run, then
 * tail them. Everything with substance is in core/sources; this file reads settings and shows paths.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createImporter, describeSource, normaliseSourceSettings, type Importer, type SourceId } from '../core/sources';
import type { Services } from './services';

const STATUS_REFRESH_MS = 30_000;
/** The import's worker thread, bundled beside the extension (dist/): a first import of a long history is parsed off this thread. */
const WORKER_SCRIPT = path.join(__dirname, 'sources-worker.js');

export function registerSources(services: Services): vscode.Disposable {
  const { context, logger } = services;
  let importer: Importer | undefined;
  let watcher: { dispose(): void } | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let generation = 0;

  const showPaths = async () => {
    if (!importer) return;
    const lines = (await importer.status()).map((s) => `- ${describeSource(s, os.homedir()).replace(/[\\`*_[\]|<>]/g, (c) => `\\${c}`)}`);
    services.setTooltipSection('sources', `*Agent logs read:*\n\n${lines.join('\n')}`);
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
    if (summary.written > 0) logger.info(`imported ${summary.written} interaction(s) from ${summary.filesRead} agent log file(s) in ${summary.durationMs} ms`);
    watcher = importer.watch({});
    await showPaths();
  };

  const restart = () =>
    start().catch((err) => {
      logger.error(`reading the agents' logs failed: ${(err as Error).message}`);
      services.setTooltipSection('sources', `*Agent logs:* could not be read (${(err as Error).message}); see the Unmetered output channel.`);
    });

  // The ledger watcher repaints the status bar when the import writes; the paths and counts in the
  // tooltip only need an occasional refresh.
  statusTimer = setInterval(() => void showPaths().catch(() => {}), STATUS_REFRESH_MS);
  const onConfig = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('unmetered.sources') || e.affectsConfiguration('unmetered.prices') || CUSTOM_STORAGE.some(([, section]) => e.affectsConfiguration(`${section}.customStoragePath`))) void restart();
  });
  void restart();

  return new vscode.Disposable(() => {
    generation++;
    watcher?.dispose();
    clearInterval(statusTimer);
    onConfig.dispose();
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
