/** Commands answered from the ledger's rollup (src/core/ledger/rollup.ts) rather than its records. */
import { entriesOf, type Entry } from '../core/aggregate/entries';
import { aggregateViewOf, type AggregateView } from '../core/aggregate/views';
import { answersAlone, RollupIndex } from '../core/ledger/rollup';
import type { Logger } from '../core/ports';
import { currentlyPriced, type PriceTable } from '../core/pricing';
import type { ViewJson, ViewOptions } from '../core/report/views';

/**
 * The rollup of `timeZone` as aggregate entries, brought up to date (`held`, when the caller has it
 * open in that zone); null when it cannot be read, cannot answer alone (answersAlone) or counted
 * malformed ledger lines, and the caller reads the records instead: that read names each damaged line
 * (file and line number), which the rollup only counts.
 */
export async function entriesFromRollup(
  dataDir: string,
  prices: PriceTable,
  timeZone: string,
  logger: Logger,
  held?: RollupIndex,
): Promise<Entry[] | null> {
  try {
    const index = held?.timeZone === timeZone ? held : new RollupIndex({ dir: dataDir, timeZone });
    const stats = await index.refresh();
    const rollup = index.rollup();
    if (!answersAlone(rollup) || stats.malformedLines > 0) return null;
    // Loose records are those whose price follows the settings: priced now, as every command shows them.
    return entriesOf(rollup, currentlyPriced(rollup.loose, prices), timeZone);
  } catch (e) {
    logger.warn(`the ledger's rollup could not be read (${(e as Error).message}); reading every record instead`);
    return null;
  }
}

/** A daily, weekly, monthly or project view from the rollup of the view's zone; null as entriesFromRollup. */
export async function viewFromRollup(
  dataDir: string,
  prices: PriceTable,
  o: ViewOptions & { kind: AggregateView },
  logger: Logger,
  held?: RollupIndex,
): Promise<ViewJson | null> {
  const entries = await entriesFromRollup(dataDir, prices, o.timeZone, logger, held);
  return entries && aggregateViewOf(entries, o);
}
