/**
 * Exports the ledger to an OpenTelemetry collector: every record line the collector has not accepted
 * yet, in order, in batches; each batch one OTLP logs request (one event per Interaction) and one OTLP
 * metrics request (delta points for the same records). The cursor (cursor.ts) moves past a batch only
 * once both requests were accepted, so nothing is lost: a collector that is down for a day gets the
 * backlog when it returns.
 *
 * The ledger may hold several copies of one id (the same response seen partially, then complete; or by a
 * log and the gateway). A copy is sent only when it is more complete than the copy sent before it (the
 * ledger's own rule, ledger/index.ts), and its metric points add only the difference, so the sums a
 * backend keeps equal the ledger's view: one, most complete, copy per id.
 */
import type { Interaction } from '../../interaction';
import type { Clock, Logger } from '../../ports';
import type { BudgetStatus } from '../../budgets/evaluate';
import { readCursor, writeCursor, cursorFile, tryLock, type Cursor, type PendingBatch } from './cursor';
import { IdFilter, idOf, linesFrom, neighbours, recordOf, segmentFile, segmentNames } from './lines';
import { completeness, DeltaMetrics, eventAttributes, type Attributes, type MapOptions } from './records';

export interface LogEvent {
  timeMs: number;
  attributes: Attributes;
}

export interface Batch {
  logs: LogEvent[];
  metrics: DeltaMetrics;
  budgets: readonly BudgetStatus[];
  startNs: string;
  endNs: string;
  /** service.instance.id to report: this process's, or the crashed sender's for a batch sent again. */
  instance: string;
}

export type SendResult = { ok: true } | { ok: false; error: string };

/** What sends a batch: the OpenTelemetry SDK's exporters in sdk.ts, loaded only when export is on. */
export interface Transport {
  send(batch: Batch): Promise<SendResult>;
  shutdown(): Promise<void>;
}

export interface ExportOptions extends MapOptions {
  dataDir: string;
  endpoint: string;
  transport: Transport;
  batchSize: number;
  /** This process's service.instance.id. */
  instance: string;
  clock: Clock;
  logger: Logger;
  /** Budgets as they stand, for the budget gauges; absent: none sent. */
  budgets?: () => readonly BudgetStatus[];
}

export interface PassResult {
  /** Log events the collector accepted in this pass. */
  sent: number;
  batches: number;
  /** Lines passed over: a less complete copy of an id already sent, or not a record. */
  skipped: number;
  /** The error that stopped the pass (the backlog stays for the next one), or null. */
  error: string | null;
  /** Another process holds the export lock for this collector. */
  busy: boolean;
}

const msToNs = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();

/** One pass: everything not yet accepted, batch by batch, stopping at the first batch the collector refuses. */
export async function exportPass(o: ExportOptions): Promise<PassResult> {
  const file = cursorFile(o.dataDir, o.endpoint);
  const unlock = await tryLock(file);
  const result: PassResult = { sent: 0, batches: 0, skipped: 0, error: null, busy: !unlock };
  if (!unlock) return result;
  try {
    const cursor = await readCursor(file, o.endpoint, (m) => o.logger.warn(m));
    await new Pass(o, file, cursor, result).run();
  } finally {
    await unlock();
  }
  return result;
}

class Pass {
  private prior = new Map<string, Interaction>();
  private batch: { records: [Interaction, Interaction | null][]; to: Record<string, number> } = { records: [], to: {} };

  constructor(
    private readonly o: ExportOptions,
    private readonly file: string,
    private readonly cursor: Cursor,
    private readonly result: PassResult,
  ) {}

  async run(): Promise<void> {
    const names = await segmentNames(this.o.dataDir);
    const pending = this.cursor.pending;
    // A batch sent before a crash goes out again exactly as it was: same lines, same metric window.
    if (pending && !(await this.collect(names, pending.to))) return;
    if (pending && !(await this.flush(pending))) return;
    if (!(await this.collect(names, null))) return;
    if (this.batch.records.length > 0 && !(await this.flush(null))) return;
    if (this.result.batches === 0 && this.o.budgets) await this.sendBudgetsOnly();
  }

  /**
   * Reads the lines after the cursor (up to `limit` when re-sending a pending batch), flushing a batch
   * whenever one is full. False when a flush failed.
   */
  private async collect(names: string[], limit: Record<string, number> | null): Promise<boolean> {
    const fresh = await this.newIds(names, limit);
    if (!fresh) return true;
    this.fresh = fresh;
    await this.loadPrior(names, fresh);
    for (const name of names) {
      const from = this.cursor.segments[name] ?? 0;
      const to = limit ? limit[name] : undefined;
      if (limit && to === undefined) continue;
      for await (const line of linesFrom(segmentFile(this.o.dataDir, name), from, to)) {
        this.take(line.text);
        this.batch.to[name] = line.end;
        if (!limit && this.batch.records.length >= this.o.batchSize && !(await this.flush(null))) return false;
      }
    }
    return true;
  }

  private take(text: string): void {
    if (text.trim() === '' || text.startsWith('{"unmetered":')) return; // blank and header lines
    const r = recordOf(text);
    if (!r) {
      this.result.skipped++;
      return;
    }
    const before = this.prior.get(r.id) ?? null;
    if (before && completeness(r) <= completeness(before)) {
      this.result.skipped++;
      return;
    }
    this.batch.records.push([r, before]);
    if (before || this.fresh?.mayRepeat(r.id)) this.prior.set(r.id, r);
  }

  /** Ids on the lines to send (null: none). */
  private fresh: IdFilter | null = null;
  /** Segments with lines to send. */
  private touched = new Set<string>();
  private budgetsNow: readonly BudgetStatus[] | undefined;

  /** Ids on the lines to send, or null when there are none. */
  private async newIds(names: string[], limit: Record<string, number> | null): Promise<IdFilter | null> {
    const ids = new IdFilter();
    let any = false;
    for (const name of names) {
      const to = limit ? limit[name] : undefined;
      if (limit && to === undefined) continue;
      for await (const line of linesFrom(segmentFile(this.o.dataDir, name), this.cursor.segments[name] ?? 0, to)) {
        this.touched.add(name);
        const id = idOf(line.text);
        if (id === null) continue;
        ids.add(id);
        any = true;
      }
    }
    return any ? ids : null;
  }

  /** The most complete copy sent before, for ids about to be sent again: lines before the cursor, nearby months only. */
  private async loadPrior(names: string[], fresh: IdFilter): Promise<void> {
    const months = new Set<string>();
    for (const name of this.touched) for (const n of neighbours(name, names)) months.add(n);
    for (const name of names) {
      if (!months.has(name)) continue;
      const end = this.cursor.segments[name] ?? 0;
      if (end === 0) continue;
      for await (const line of linesFrom(segmentFile(this.o.dataDir, name), 0, end)) {
        const id = idOf(line.text);
        if (id === null || !fresh.mayHave(id)) continue;
        const r = recordOf(line.text);
        const had = this.prior.get(id);
        if (r && (!had || completeness(r) > completeness(had))) this.prior.set(id, r);
      }
    }
  }

  private makeBatch(window: { startNs: string; endNs: string; instance: string }): Batch {
    const metrics = new DeltaMetrics(this.o);
    const logs: LogEvent[] = [];
    for (const [r, before] of this.batch.records) {
      logs.push({ timeMs: Date.parse(r.at), attributes: eventAttributes(r, this.o) });
      metrics.add(r, before);
    }
    return { logs, metrics, budgets: this.budgets(), ...window };
  }

  /** Sends the batch collected so far; the cursor moves past it only when the collector took both requests. */
  private async flush(pending: PendingBatch | null): Promise<boolean> {
    const c = this.cursor;
    const to = { ...c.segments, ...this.batch.to };
    const window = pending ?? {
      startNs: c.lastEndNs ?? msToNs(this.o.clock.now()),
      endNs: msToNs(this.o.clock.now()),
      instance: this.o.instance,
    };
    if (BigInt(window.endNs) <= BigInt(window.startNs)) window.endNs = (BigInt(window.startNs) + 1n).toString();
    if (!pending) {
      c.pending = { to, ...window };
      await writeCursor(this.file, c);
    }
    const batch = this.makeBatch(window);
    const res = batch.logs.length === 0 ? ({ ok: true } as const) : await this.o.transport.send(batch);
    if (!res.ok) {
      this.result.error = res.error;
      return false;
    }
    c.segments = to;
    c.lastEndNs = window.endNs;
    c.pending = null;
    c.sent += batch.logs.length;
    await writeCursor(this.file, c);
    this.result.sent += batch.logs.length;
    this.result.batches++;
    this.batch = { records: [], to: {} };
    return true;
  }

  /** Once per pass: evaluating budgets reads every record of the month. */
  private budgets(): readonly BudgetStatus[] {
    return (this.budgetsNow ??= this.o.budgets?.() ?? []);
  }

  private async sendBudgetsOnly(): Promise<void> {
    const budgets = this.budgets();
    if (budgets.length === 0) return;
    const now = msToNs(this.o.clock.now());
    const res = await this.o.transport.send({
      logs: [],
      metrics: new DeltaMetrics(this.o),
      budgets,
      startNs: now,
      endNs: now,
      instance: this.o.instance,
    });
    if (!res.ok) this.result.error = res.error;
  }
}
