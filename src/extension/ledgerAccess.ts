/**
 * The ledger as this window uses it: opened once on first use, read as the current price settings price it,
 * written through the one recorder (core/record: the log import stores batches through it; what the gateway,
 * the chat and the telemetry receiver hand over while a batch is being written goes into the next one), and
 * watched for other writers.
 *
 * This window holds aggregates, not records: the ledger is opened lazily with the rollup of the meter's zone
 * as its index (core/ledger/rollup.ts), so appending and watching read no stored record, and the meter is
 * computed from the rollup's cells (aggregate()), budgets too (spends()). A view that needs records (dashboard, exports)
 * reads them on demand from a ledger of its own, closed again before they are handed over: nothing keeps
 * them once that view is done. Telemetry copies are the exception (their twin rule needs records): storing
 * one loads the records into this window's ledger, and aggregate() then answers null.
 */
import * as vscode from 'vscode';
import type { Interaction } from '../core/interaction';
import { openLedger, watchLedger, type Ledger } from '../core/ledger';
import { answersAlone, RollupIndex } from '../core/ledger/rollup';
import { entriesOf, type Entry } from '../core/aggregate/entries';
import { spendsOf } from '../core/aggregate/budgets';
import { logCountsOf } from '../core/aggregate/sources';
import type { LogCounts } from '../core/import/importer';
import type { Spend } from '../core/budgets/evaluate';
import { currentlyPriced, loadPriceTable, type PriceTable } from '../core/pricing';
import { Recorder } from '../core/record/recorder';
import type { Logger } from '../core/ports';
import type { LedgerAccess } from './services';
import type { Settings } from './settings';

/** The rollup file is written at most this often (and on dispose); a lost write only means folding more lines next time. */
const SAVE_EVERY_MS = 60_000;

/** What the meter needs from the ledger without its records. */
export interface Aggregate {
  /** The rollup's cells and its (currently priced) loose records, in `timeZone`. */
  entries: Entry[];
  timeZone: string;
  /** The kept records at or after `since` (canonical ISO): read back from the ledger, a few at a time. */
  recent(since: string): Promise<Interaction[]>;
}

export class LedgerHub implements LedgerAccess, vscode.Disposable {
  private opening: Promise<Ledger> | undefined;
  private priceTable: PriceTable | undefined;
  private rollupIndex: RollupIndex | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly recorder = new Recorder({
    ledger: () => this.ledger(),
    prices: () => this.prices(),
    onWritten: () => this.changed.fire(),
  });
  private watcher: vscode.Disposable | undefined;
  private readonly onSettings: vscode.Disposable;
  readonly onDidChangeLedger = this.changed.event;

  constructor(private readonly env: { dataDir: string; logger: Logger; settings: Settings; timeZone: () => string }) {
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
    return (this.opening ??= openLedger({ dir: this.env.dataDir, logger: this.env.logger, lazy: true, index: () => this.index() }));
  }

  /** The rollup of the meter's zone, held between reads (a new one when the zone setting changes). */
  private index(): RollupIndex {
    const tz = this.env.timeZone();
    if (this.rollupIndex?.timeZone !== tz) {
      void this.rollupIndex?.save();
      this.rollupIndex = new RollupIndex({ dir: this.env.dataDir, timeZone: tz, save: false });
    }
    return this.rollupIndex;
  }

  prices(): PriceTable {
    return (this.priceTable ??= loadPriceTable({ overrides: this.env.settings.current.prices, logger: this.env.logger }));
  }

  /**
   * The meter's input from the rollup, brought up to date; null when the rollup cannot answer alone
   * (telemetry copies stored: their twin rule needs the records).
   */
  async aggregate(): Promise<Aggregate | null> {
    const l = await this.ledger();
    const index = this.index();
    await index.refresh();
    this.saveSoon();
    const rollup = index.rollup();
    if (!answersAlone(rollup) || this.loaded(l)) return null;
    const entries = entriesOf(rollup, currentlyPriced(rollup.loose, this.prices()), index.timeZone)!;
    return { entries, timeZone: index.timeZone, recent: (since) => index.recentRecords(since) };
  }

  /** Whether this window's ledger holds its records (it stored a telemetry copy). */
  private loaded(l: Ledger): boolean {
    try {
      l.records();
      return true;
    } catch {
      return false;
    }
  }

  /** Budgets' input from the rollup (the budgets' zone is the meter's), else from the records. */
  async spends(): Promise<Iterable<Spend>> {
    const agg = await this.aggregate();
    return agg ? spendsOf(agg.entries) : this.records();
  }

  /** The import status's per-agent counts from the rollup (log records are never telemetry twins: exact either way). */
  async logCounts(): Promise<Map<string, LogCounts>> {
    await this.ledger();
    const index = this.index();
    await index.refresh();
    this.saveSoon();
    return logCountsOf(index.rollup());
  }

  /** Read on demand and not kept: a ledger of its own, closed before they are returned. */
  async records(): Promise<readonly Interaction[]> {
    const shared = await this.ledger();
    if (this.loaded(shared)) return currentlyPriced(shared.records(), this.prices());
    const own = await openLedger({ dir: this.env.dataDir, logger: this.env.logger });
    try {
      return currentlyPriced(own.records(), this.prices());
    } finally {
      await own.close();
    }
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

  private saveSoon(): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      void this.rollupIndex?.save();
    }, SAVE_EVERY_MS);
    this.saveTimer.unref?.();
  }

  dispose(): void {
    this.onSettings.dispose();
    this.watcher?.dispose();
    this.changed.dispose();
    clearTimeout(this.saveTimer);
    void this.rollupIndex?.save();
  }
}
