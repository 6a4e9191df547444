/**
 * What the composition root hands to each feature's register function, in named parts. Features (routing,
 * reports, chat) depend on these, never on each other, and never on how the ledger or prices are built;
 * a feature that needs only some parts asks for only those (e.g. `LedgerAccess & StatusSurface`).
 */
import type * as vscode from 'vscode';
import type { Interaction } from '../core/interaction';
import type { Logger } from '../core/ports';
import type { Ledger } from '../core/ledger';
import type { StatusExtras } from '../core/meter';
import type { PriceTable } from '../core/pricing';
import type { BudgetGate } from '../core/budgets';
import type { Spend } from '../core/budgets/evaluate';
import type { LogCounts } from '../core/import/importer';
import type { Settings } from './settings';
import type { Recorder } from '../core/record/recorder';

export interface MenuItem extends vscode.QuickPickItem {
  run(): unknown;
}

/** The editor's handles and where the data lives. */
export interface Host {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  /** The output channel as core's Logger port. */
  logger: Logger;
  /** The data directory shared with the CLI (UNMETERED_HOME or the platform's user data dir). */
  dataDir: string;
}

/** The ledger, as every view reads it and every producer in this window writes it (ledgerAccess.ts). */
export interface LedgerAccess {
  /** The ledger, opened once on first use. */
  ledger(): Promise<Ledger>;
  /** The ledger's records as the current price settings price them (what every view shows). */
  records(): Promise<readonly Interaction[]>;
  /** What budgets read (an instant, a cost, a project per spend): from the rollup when it can answer, else the records. */
  spends(): Promise<Iterable<Spend>>;
  /** Per agent, the interactions read from its logs and its stated cost beside ours (from the rollup). */
  logCounts(): Promise<Map<string, LogCounts>>;
  /** The price table as configured now (snapshot + `unmetered.prices`). */
  prices(): PriceTable;
  /** The one way into the ledger: prices, keeps the most complete copy, appends. */
  recorder: Recorder;
  /** Prices an Interaction and appends it to the ledger (the recorder's group commit). */
  record(i: Interaction): Promise<void>;
  /** Fires when the ledger gained records, from this window or any other process. */
  onDidChangeLedger: vscode.Event<void>;
}

/** The status bar item: its menu, route indicator, tooltip sections and budget mark (meterView.ts). */
export interface StatusSurface {
  /** Adds items to the status bar menu, under a section title. */
  addMenuSection(title: string, order: number, items: () => Promise<MenuItem[]> | MenuItem[]): vscode.Disposable;
  /** Sets the route indicator shown in the status bar item. */
  setStatusExtras(extras: StatusExtras): void;
  /** Adds a Markdown section to the status bar tooltip (e.g. the agent log paths in use). */
  setTooltipSection(key: string, markdown: string | undefined): void;
  /** Marks the status bar while a budget cap acts or budgets go unchecked; undefined clears it. */
  setBudgetNote(note: StatusExtras['budgetNote']): void;
}

/** The settings (settings.ts) and the two values most views derive from them. */
export interface SettingsAccess {
  /** Every `unmetered.*` setting, validated, and an event when one changes. */
  settings: Settings;
  /** The time zone the meter uses (setting or this machine's). */
  timeZone(): string;
  /** The monthly budget in nano-dollars, or null. */
  budgetNanos(): number | null;
}

export interface Services extends Host, LedgerAccess, StatusSurface, SettingsAccess {
  /** Asked by the gateway before it forwards a cloud request (set once budgets are registered). */
  budgetGate?: BudgetGate;
}
