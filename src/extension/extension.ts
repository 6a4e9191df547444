/**
 * The composition root: the only place that wires core to VS Code. Activation paints the status
 * bar item at once and does everything else (opening the ledger, prices, log import) after it.
 */
import * as vscode from 'vscode';
import os from 'node:os';
import type { Interaction } from '../core/interaction';
import { openLedger, watchLedger, type Ledger } from '../core/ledger';
import { computeMeter, type StatusExtras } from '../core/meter';
import { dataDir as resolveDataDir } from '../core/paths';
import { currentlyPriced, loadPriceTable, type PriceTable } from '../core/pricing';
import { parseBudgetInput } from '../core/settings';
import { systemTimeZone } from '../core/time';
import { Recorder } from '../core/record/recorder';
import type { Logger } from '../core/ports';
import { readMeterSettings, readPlans, mirrorSettingsForCli } from './config';
import { agentLabel, latestLimits, limitsStatusText, limitsTooltipSection } from '../core/plans';
import { COMMANDS, MeterStatusBar } from './statusBar';
import type { MenuItem, Services } from './services';
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
  const changed = new vscode.EventEmitter<void>();
  context.subscriptions.push(log, bar, changed);

  const dataDir = resolveDataDir(process.env, process.platform, os.homedir());
  let settings = readMeterSettings(logger);
  let plans = readPlans(logger);
  let priceTable: PriceTable | undefined;
  let ledgerOpen: Promise<Ledger> | undefined;
  let extras: StatusExtras = {};
  let budgetNote: StatusExtras['budgetNote'];
  const sections = new Map<string, string>();
  const menuSections: { title: string; order: number; items: () => Promise<MenuItem[]> | MenuItem[] }[] = [];

  const prices = () => (priceTable ??= loadPriceTable({ overrides: vscode.workspace.getConfiguration('unmetered').get('prices'), logger }));
  const ledger = () => (ledgerOpen ??= openLedger({ dir: dataDir, logger }));
  const timeZone = () => settings.timeZone ?? systemTimeZone();

  let renderQueued = false;
  const render = () => {
    if (renderQueued || !ledgerOpen) return;
    renderQueued = true;
    setTimeout(() => void paint(), 50);
  };
  const paint = async () => {
    renderQueued = false;
    try {
      const records = await services.records();
      const now = Date.now();
      const meter = computeMeter(records, {
        now,
        timeZone: timeZone(),
        budgetNanos: settings.budgetNanos,
        copilotBilledPerToken: vscode.workspace.getConfiguration('unmetered').get<boolean>('copilot.billedPerToken') === true,
      });
      // Plan limits come from the latest records that carried them (core/plans): shown only while recent.
      const limits = latestLimits(records, now);
      const limitRows = limitsTooltipSection(limits, plans, now, timeZone());
      bar.show(
        meter,
        timeZone(),
        { ...extras, budgetNote, limits: limitsStatusText(limits, now, timeZone()) ?? undefined },
        limitRows ? [...sections.values(), limitRows] : [...sections.values()],
        (agent) => agentLabel(agent, plans),
      );
    } catch (err) {
      logger.error(`could not compute the meter: ${(err as Error).message}`);
      bar.showError(`could not read the ledger in ${dataDir}: ${(err as Error).message}`);
    }
  };

  // The one way into the ledger, for the log import, the gateway, the chat and telemetry alike.
  const recorder = new Recorder({
    ledger,
    prices,
    onWritten: () => {
      changed.fire();
      render();
    },
  });

  const services: Services = {
    context,
    log,
    logger,
    dataDir,
    ledger,
    prices,
    records: async () => currentlyPriced((await ledger()).records(), prices()),
    recorder,
    record: (i: Interaction) => recorder.record(i),
    onDidChangeLedger: changed.event,
    timeZone,
    budgetNanos: () => settings.budgetNanos,
    addMenuSection(title, order, items) {
      const entry = { title, order, items };
      menuSections.push(entry);
      menuSections.sort((a, b) => a.order - b.order);
      return new vscode.Disposable(() => menuSections.splice(menuSections.indexOf(entry), 1));
    },
    setStatusExtras(next) {
      extras = next;
      render();
    },
    setTooltipSection(key, markdown) {
      if (markdown === undefined) sections.delete(key);
      else sections.set(key, markdown);
      render();
    },
    setBudgetNote(note) {
      budgetNote = note;
      render();
    },
  };

  // Before routing: the gateway it starts asks the budget gate.
  const budgets = registerBudgets(services);
  services.budgetGate = budgets.gate;
  context.subscriptions.push(budgets.disposable);
  const sources = registerSources(services);
  context.subscriptions.push(sources);
  registerChatModels(context, { record: (i) => services.record(i), logger });
  const telemetry = registerTelemetry(services, () => vscode.workspace.getConfiguration('unmetered').get<number>('gateway.port') ?? 8719);
  context.subscriptions.push(telemetry, registerRouting(services, telemetry));
  context.subscriptions.push(registerReports(services));
  context.subscriptions.push(tickBudgetStepWhenSet(() => settings.budgetNanos !== null));

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.setBudget, () => setBudget()),
    vscode.commands.registerCommand(COMMANDS.menu, () => showMenu(menuSections, log)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('unmetered')) return;
      if (e.affectsConfiguration('unmetered.prices')) priceTable = undefined;
      settings = readMeterSettings(logger);
      plans = readPlans(logger);
      void mirrorSettingsForCli(dataDir, logger);
      render();
    }),
  );

  // "Today" rolls over at local midnight, and the projection moves with the clock.
  const tick = setInterval(render, 60_000);
  context.subscriptions.push({ dispose: () => clearInterval(tick) });

  // After activation returns: open the ledger, paint, then watch for other writers.
  const start = async () => {
    try {
      const l = await ledger();
      render();
      const watcher = watchLedger(l, () => {
        changed.fire();
        render();
      });
      context.subscriptions.push(watcher);
      // Only after the first paint: importing the agents' logs can take seconds on a first run.
      sources.begin();
      await mirrorSettingsForCli(dataDir, logger);
    } catch (err) {
      logger.error(`could not open the ledger in ${dataDir}: ${(err as Error).message}`);
      bar.showError(`could not open the ledger in ${dataDir}: ${(err as Error).message}`);
    }
  };
  setImmediate(() => void start());

  return services;
}

export function deactivate(): void {}

async function setBudget(): Promise<void> {
  const config = vscode.workspace.getConfiguration('unmetered');
  const current = config.get<number>('monthlyBudget');
  const input = await vscode.window.showInputBox({
    title: 'Unmetered: Monthly Budget',
    prompt: 'Your monthly budget for metered AI spend, in US dollars. Leave empty for none.',
    value: current ? String(current) : '',
    placeHolder: 'e.g. 100',
    validateInput: (text) => {
      const r = parseBudgetInput(text);
      return 'error' in r ? r.error : undefined;
    },
  });
  if (input === undefined) return;
  const r = parseBudgetInput(input);
  if ('error' in r) return;
  await config.update('monthlyBudget', r.usd ?? 0, vscode.ConfigurationTarget.Global);
}

async function showMenu(
  sections: { title: string; items: () => Promise<MenuItem[]> | MenuItem[] }[],
  log: vscode.LogOutputChannel,
): Promise<void> {
  const picks: (MenuItem | vscode.QuickPickItem)[] = [];
  for (const s of sections) {
    let items: MenuItem[] = [];
    try {
      items = await s.items();
    } catch (err) {
      log.warn(`menu section ${s.title}: ${(err as Error).message}`);
    }
    if (items.length === 0) continue;
    picks.push({ label: s.title, kind: vscode.QuickPickItemKind.Separator }, ...items);
  }
  picks.push(
    { label: 'Unmetered', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(credit-card) Set monthly budget…', run: () => vscode.commands.executeCommand(COMMANDS.setBudget) },
    { label: '$(output) Show log', run: () => log.show() },
  );
  const choice = await vscode.window.showQuickPick(picks, { title: 'Unmetered', placeHolder: 'Switch model, budget, reports' });
  if (!choice || !('run' in choice)) return;
  try {
    await choice.run();
  } catch (err) {
    // An action that fails must say so: a silent menu item looks like one that worked.
    log.error(`${choice.label}: ${(err as Error).stack ?? String(err)}`);
    void vscode.window
      .showErrorMessage(`Unmetered: ${choice.label.replace(/\$\([\w-]+\)\s*/g, '')} failed: ${(err as Error).message}`, 'Show Log')
      .then((a) => a && log.show());
  }
}
