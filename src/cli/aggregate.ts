/** Reports answered from the ledger's rollup (src/core/ledger/rollup.ts) rather than its records. */
import { entriesOf } from '../core/aggregate/entries';
import { periodViewOf } from '../core/aggregate/views';
import { readRollup } from '../core/ledger/rollup';
import type { Logger } from '../core/ports';
import { currentlyPriced, type PriceTable } from '../core/pricing';
import type { PeriodView, ViewJson, ViewOptions } from '../core/report/views';

/**
 * A daily, weekly or monthly view from the rollup of the view's zone; null when it cannot be read,
 * and the caller reads the records instead.
 */
export async function periodViewFromRollup(
  dataDir: string,
  prices: PriceTable,
  o: ViewOptions & { kind: PeriodView },
  logger: Logger,
): Promise<ViewJson | null> {
  try {
    const rollup = await readRollup({ dir: dataDir, timeZone: o.timeZone });
    // Loose records are those whose price follows the settings: priced now, as every command shows them.
    const entries = entriesOf(rollup, currentlyPriced(rollup.loose, prices), o.timeZone);
    return entries && periodViewOf(entries, o);
  } catch (e) {
    logger.warn(`the ledger's rollup could not be read (${(e as Error).message}); reading every record instead`);
    return null;
  }
}
