/**
 * The ledger as this window uses it: opened once on first use, read as the current price settings price it,
 * written through the one recorder (core/record: the log import stores batches through it; what the gateway,
 * the chat and the telemetry receiver hand over while a batch is being written goes into the next one), and
 * watched for other writers.
 */
import * as vscode from 'vscode';
import type { Interaction } from '../core/interaction';
import { openLedger, watchLedger, type Ledger } from '../core/ledger';
import { currentlyPriced, loadPriceTable, type PriceTable } from '../core/pricing';
import { Recorder } from '../core/record/recorder';
import type { Logger } from '../core/ports';
import type { LedgerAccess } from './services';
import type { Settings } from './settings';

export class LedgerHub implements LedgerAccess, vscode.Disposable {
  private opening: Promise<Ledger> | undefined;
  private priceTable: PriceTable | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly recorder = new Recorder({
    ledger: () => this.ledger(),
    prices: () => this.prices(),
    onWritten: () => this.changed.fire(),
  });
  private watcher: vscode.Disposable | undefined;
  private readonly onSettings: vscode.Disposable;
  readonly onDidChangeLedger = this.changed.event;

  constructor(private readonly env: { dataDir: string; logger: Logger; settings: Settings }) {
    // Subscribed before any feature is: a feature that reprices on this change finds the new table.
    this.onSettings = env.settings.onDidChange((e) => {
      if (e.affectsConfiguration('unmetered.prices')) this.priceTable = undefined;
    });
  }

  /** Whether the ledger was asked for yet (nothing is drawn from a ledger nobody opened). */
  get opened(): boolean {
    return this.opening !== undefined;
  }

  ledger(): Promise<Ledger> {
    return (this.opening ??= openLedger({ dir: this.env.dataDir, logger: this.env.logger }));
  }

  prices(): PriceTable {
    return (this.priceTable ??= loadPriceTable({ overrides: this.env.settings.current.prices, logger: this.env.logger }));
  }

  async records(): Promise<readonly Interaction[]> {
    return currentlyPriced((await this.ledger()).records(), this.prices());
  }

  record(i: Interaction): Promise<void> {
    return this.recorder.record(i);
  }

  /** Opens the ledger and fires onDidChangeLedger whenever another process appends to it. */
  async watch(): Promise<Ledger> {
    const l = await this.ledger();
    this.watcher ??= watchLedger(l, () => this.changed.fire());
    return l;
  }

  dispose(): void {
    this.onSettings.dispose();
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
