/** Commands answered from the ledger's rollup (src/core/ledger/rollup.ts) rather than its records. */
import { entriesOf, type Entry } from '../core/aggregate/entries';
import { aggregateViewOf, type AggregateView } from '../core/aggregate/views';
import { answersAlone, RollupIndex, type Rollup } from '../core/ledger/rollup';
import type { Logger } from '../core/ports';
import { currentlyPriced, type PriceTable } from '../core/pricing';
import type { ViewJson, ViewOptions } from '../core/report/views';

/**
 * Lines others appended (the editor's import, which saves the rollup itself) that a command folds before it writes
 * the rollup (ReadRollupOptions.saveAfterLines); what the command's own import stores is written at once.
 */
export const SAVE_AFTER_LINES = 1000;

/** The rollup of `timeZone` for one command: saved after a rebuild or a store, or once SAVE_AFTER_LINES behind. */
export function commandRollup(dataDir: string, timeZone: string): RollupIndex {
  return new RollupIndex({ dir: dataDir, timeZone, saveAfterLines: SAVE_AFTER_LINES });
}

/**
 * The rollup `index` holds, brought up to date; null when it cannot be read, cannot answer alone
 * (answersAlone) or counted malformed ledger lines, and the caller reads the records instead: that read
 * names each damaged line (file and line number), which the rollup only counts.
 */
export async function answeringRollup(index: RollupIndex, logger: Logger): Promise<Rollup | null> {
  try {
    const stats = await index.refresh();
    const rollup = index.rollup();
    return answersAlone(rollup) && stats.malformedLines === 0 ? rollup : null;
  } catch (e) {
    logger.warn(`the ledger's rollup could not be read (${(e as Error).message}); reading every record instead`);
    return null;
  }
}

/**
 * The rollup of `timeZone` as aggregate entries (`held`, when the caller has it open in that zone); null as
 * answeringRollup.
 */
export async function entriesFromRollup(
  dataDir: string,
  prices: PriceTable,
  timeZone: string,
  logger: Logger,
  held?: RollupIndex,
): Promise<Entry[] | null> {
  const rollup = await answeringRollup(held?.timeZone === timeZone ? held : commandRollup(dataDir, timeZone), logger);
  // Loose records are those whose price follows the settings: priced now, as every command shows them.
  return rollup && entriesOf(rollup, currentlyPriced(rollup.loose, prices), timeZone);
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
