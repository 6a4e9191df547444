/**
 * The composition root: the only place that wires core to VS Code. Activation paints the status
 * bar item at once and does everything else (opening the ledger, prices, log import) after it.
 */
import * as vscode from 'vscode';
import os from 'node:os';
import { dataDir as resolveDataDir } from '../core/paths';
import { parseBudgetInput } from '../core/meter/settings';
import { systemTimeZone } from '../core/time';
import type { Logger } from '../core/ports';
import { Settings } from './settings';
import { mirrorSettingsForCli } from '../core/settingsMirror';
import { registerTelemetryExport } from './telemetryExport';
import { COMMANDS, MeterStatusBar } from './statusBar';
import type { Services } from './services';
import { LedgerHub } from './ledgerAccess';
import { MeterView } from './meterView';
import { registerChatModels } from './chat';
import { registerRouting } from './routing';
import { registerTelemetry } from './telemetry';
import { registerReports } from './export';
import { registerSources } from './sources';
import { registerBudgets } from './budgets';
import { tickBudgetStepWhenSet } from './walkthrough';

export function activate(context: vscode.ExtensionContext): Services {
  const log = vscode.window.createOutputChannel('Unmetered', { log: true });
  const logger: Logger = { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) };
  const bar = new MeterStatusBar(context.globalState);
  const dataDir = resolveDataDir(process.env, process.platform, os.homedir());
  const settings = new Settings(logger);
  const timeZone = () => settings.current.meter.timeZone ?? systemTimeZone();
  const hub = new LedgerHub({ dataDir, logger, settings, timeZone });
  const view = new MeterView(bar, {
    log,
    logger,
    dataDir,
    settings: () => settings.current,
    timeZone,
    aggregate: () => hub.aggregate(),
    records: () => hub.records(),
    ready: () => hub.opened,
  });
  context.subscriptions.push(log, bar, settings, hub);

  const services = compose({ context, log, logger, dataDir }, settings, hub, view, timeZone);
  const sources = registerFeatures(services);
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.setBudget, () => setBudget(settings)),
    vscode.commands.registerCommand(COMMANDS.menu, () => view.showMenu()),
    hub.onDidChangeLedger(() => view.render()),
    settings.onDidChange(() => {
      void mirrorSettingsForCli(dataDir, settings, logger);
      view.render();
    }),
  );
  // "Today" rolls over at local midnight, and the projection moves with the clock.
  const tick = setInterval(() => view.render(), 60_000);
  context.subscriptions.push({ dispose: () => clearInterval(tick) });
  setImmediate(() => void start(services, hub, view, sources));
  return services;
}

export function deactivate(): void {}

/** Services in its named parts, each part backed by the object that owns that state. */
function compose(
  host: Pick<Services, 'context' | 'log' | 'logger' | 'dataDir'>,
  settings: Settings,
  hub: LedgerHub,
  view: MeterView,
  timeZone: () => string,
): Services {
  return {
    ...host,
    settings,
    timeZone,
    budgetNanos: () => settings.current.meter.budgetNanos,
    ledger: () => hub.ledger(),
    records: () => hub.records(),
    spends: () => hub.spends(),
    logCounts: () => hub.logCounts(),
    prices: () => hub.prices(),
    recorder: hub.recorder,
    record: (i) => hub.record(i),
    onDidChangeLedger: hub.onDidChangeLedger,
    addMenuSection: (title, order, items) => view.addMenuSection(title, order, items),
    setStatusExtras: (extras) => view.setStatusExtras(extras),
    setTooltipSection: (key, markdown) => view.setTooltipSection(key, markdown),
    setBudgetNote: (note) => view.setBudgetNote(note),
  };
}

/** Registers every feature; returns the agent-log import, which starts only after the first paint. */
function registerFeatures(services: Services): { begin(): void } {
  const { context, logger, settings } = services;
  // Before routing: the gateway it starts asks the budget gate.
  const budgets = registerBudgets(services);
  services.budgetGate = budgets.gate;
  context.subscriptions.push(budgets.disposable);
  const sources = registerSources(services);
  context.subscriptions.push(sources);
  registerChatModels(context, { record: (i) => services.record(i), logger, settings });
  const telemetry = registerTelemetry(services, () => settings.current.gateway.port);
  context.subscriptions.push(telemetry, registerRouting(services, telemetry));
  context.subscriptions.push(registerReports(services));
  context.subscriptions.push(tickBudgetStepWhenSet(() => settings.current.meter.budgetNanos !== null));
  context.subscriptions.push(registerTelemetryExport(services, String((context.extension.packageJSON as { version?: unknown }).version)));
  return sources;
}

/** After activation returns: open the ledger, paint, then watch for other writers and import the agents' logs. */
async function start(services: Services, hub: LedgerHub, view: MeterView, sources: { begin(): void }): Promise<void> {
  const { dataDir, logger, settings } = services;
  try {
    await hub.watch();
    view.render();
    // Only after the first paint: importing the agents' logs can take seconds on a first run.
    sources.begin();
    await mirrorSettingsForCli(dataDir, settings, logger);
  } catch (err) {
    logger.error(`could not open the ledger in ${dataDir}: ${(err as Error).message}`);
    view.showError(`could not open the ledger in ${dataDir}: ${(err as Error).message}`);
  }
}

async function setBudget(settings: Settings): Promise<void> {
  const current = settings.written('monthlyBudget');
  const input = await vscode.window.showInputBox({
    title: 'Unmetered: Monthly Budget',
    prompt: 'Your monthly budget for metered AI spend, in US dollars. Leave empty for none.',
    value: typeof current === 'number' || typeof current === 'string' ? String(current || '') : '',
    placeHolder: 'e.g. 100',
    validateInput: (text) => {
      const r = parseBudgetInput(text);
      return 'error' in r ? r.error : undefined;
    },
  });
  if (input === undefined) return;
  const r = parseBudgetInput(input);
  if ('error' in r) return;
  await settings.update('monthlyBudget', r.usd ?? 0);
}
