/**
 * The one way into the ledger. Every producer (the agent-log importer, the gateway in the extension and
 * in the CLI, the editor chat, the OTLP receiver) hands its interactions, unpriced, to a Recorder, which
 * keeps the most complete copy of each id, prices what is new and appends it. A record is priced here,
 * once; reading prices again only what settings can change (pricing/currentlyPriced).
 *
 * Two ways to hand records in:
 * - `store(batch)`: one append now, returning what was written (the importer, which batches itself);
 * - `record(i)`: group commit for producers that answer requests one by one (gateway, chat, telemetry).
 *   Under load the gateway answers hundreds of requests a second; writing each as its own append (one
 *   write + fdatasync each) let the queue fall seconds behind, and a kill lost everything queued. While
 *   one batch is being written, the interactions that arrive are gathered, and the next batch takes all
 *   of them in ONE append. An answered interaction therefore waits for at most the batch in progress and
 *   its own batch: the delay is bounded by two batch writes, whatever the load.
 */
import { moreComplete, type Interaction } from '../interaction';
import type { Ledger } from '../ledger';
import { silentLogger, type Logger } from '../ports';
import { priceInteraction, type PriceTable } from '../pricing';

/** An unpriced interaction and what its producer knows about pricing and keeping it. */
export interface Offer {
  /** Unpriced: costNanos, avoidedNanos and priceSource are null. */
  interaction: Interaction;
  /** A replayed copy (Claude Code's sidechain): never replaces a record already stored under the same id. */
  sidechain?: boolean;
  /** Many requests summed (Factory Droid): priced at the base rates, no long-context surcharge. */
  summed?: boolean;
  /** What the agent itself said the request cost: the price when our table has none, else kept beside ours. */
  reportedCostNanos?: number;
}

export interface RecorderOptions {
  /** The ledger, or how to open it (the extension opens it lazily). */
  ledger: Ledger | (() => Promise<Ledger>);
  /** The price table as configured now. */
  prices: () => PriceTable;
  /** Told what each append wrote (when it wrote anything). */
  onWritten?(written: Interaction[]): void;
  logger?: Logger;
  /** A group-commit batch slower than this is reported (durability lags by up to two batches). Default: never. */
  slowBatchMs?: number;
  /** Most interactions in one group-commit append. */
  maxBatch?: number;
}

interface Waiting {
  i: Interaction;
  ok: () => void;
  fail: (e: unknown) => void;
}

export class Recorder {
  private queue: Waiting[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly opts: RecorderOptions) {}

  /** The ledger this recorder feeds. */
  ledger(): Promise<Ledger> {
    const l = this.opts.ledger;
    return typeof l === 'function' ? l() : Promise.resolve(l);
  }

  /**
   * Keeps the most complete copy of each id, prices the ones the ledger lacks (or holds less complete)
   * and appends them in one durable write. Returns what was written; throws the append's error.
   */
  async store(offers: readonly Offer[]): Promise<Interaction[]> {
    const ledger = await this.ledger();
    const best = new Map<string, Offer>();
    for (const o of offers) {
      const have = best.get(o.interaction.id);
      if (!have || better(o, have)) best.set(o.interaction.id, o);
    }
    if (best.size === 0) return [];
    // A ledger opened lazily answers from its index, if it has one, else reads its records now.
    const held = await ledger.lookup(best.keys());
    const table = this.opts.prices();
    const out: Interaction[] = [];
    for (const o of best.values()) {
      const stored = held.get(o.interaction.id);
      if (stored && (o.sidechain || !moreComplete(o.interaction, stored))) continue;
      out.push(priceOffer(o, table));
    }
    if (out.length === 0) return [];
    const written = await ledger.append(out);
    if (written.length) this.opts.onWritten?.(written);
    return written;
  }

  /** Resolves once `i` is durable (its batch was written), rejects with the batch's write error. */
  record(i: Interaction): Promise<void> {
    return new Promise<void>((ok, fail) => {
      this.queue.push({ i, ok, fail });
      this.running ??= this.drain();
    });
  }

  /** Resolves when everything recorded so far has been written (or failed). */
  flush(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    const maxBatch = this.opts.maxBatch ?? 2_000;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, maxBatch);
      this.queue = this.queue.slice(batch.length);
      const started = Date.now();
      try {
        await this.store(batch.map((b) => ({ interaction: b.i })));
        for (const b of batch) b.ok();
      } catch (e) {
        for (const b of batch) b.fail(e);
      }
      const ms = Date.now() - started;
      if (this.opts.slowBatchMs !== undefined && ms >= this.opts.slowBatchMs)
        (this.opts.logger ?? silentLogger).warn(`gateway: writing ${batch.length} interactions to the ledger took ${ms} ms`);
    }
    this.running = null;
  }
}

/** Non-sidechain copies win over sidechain ones; then the most complete copy. */
function better(a: Offer, b: Offer): boolean {
  if (!!a.sidechain !== !!b.sidechain) return !a.sidechain;
  return moreComplete(a.interaction, b.interaction);
}

function priceOffer(o: Offer, table: PriceTable): Interaction {
  const priced = priceInteraction(o.interaction, o.summed ? baseRates(table) : table);
  if (o.reportedCostNanos === undefined) return priced;
  if (priced.costNanos === null) {
    priced.costNanos = o.reportedCostNanos;
    priced.priceSource = `reported:${o.interaction.agent}`;
  } else {
    // Kept beside ours (a ledger extra), so a view can show both where they disagree.
    (priced as Interaction & { agentCostNanos?: number }).agentCostNanos = o.reportedCostNanos;
  }
  return priced;
}

const base = new WeakMap<PriceTable, PriceTable>();

/** The same table without long-context rates, for records that sum many requests. */
function baseRates(table: PriceTable): PriceTable {
  let t = base.get(table);
  if (!t) {
    t = {
      version: table.version,
      notice: table.notice?.bind(table),
      lookup(model) {
        const m = table.lookup(model);
        if (!m?.price.longContext) return m;
        const { longContext: _long, ...price } = m.price;
        return { ...m, price };
      },
    };
    base.set(table, t);
  }
  return t;
}
