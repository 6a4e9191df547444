/** Commands answered from the ledger's rollup (src/core/ledger/rollup.ts) rather than its records. */
import { entriesOf, type Entry } from '../core/aggregate/entries';
import { aggregateViewOf, type AggregateView } from '../core/aggregate/views';
import { answersAlone, RollupIndex, SCANNED_ID_LOOKUPS, sumOf, type Cell, type Rollup } from '../core/ledger/rollup';
import type { Interaction } from '../core/interaction';
import type { Logger } from '../core/ports';
import { dayOfIso } from '../core/time';
import { currentlyPriced, type PriceTable } from '../core/pricing';
import type { ViewJson, ViewOptions } from '../core/report/views';

/**
 * Lines the saved rollup lacks, appended by others (the editor's import, which saves the rollup itself) or stored by
 * the command's own import, that a command folds before it writes the rollup (ReadRollupOptions.saveAfterLines).
 * As many as a fold looks up by a scan: past that, every run that folds them builds the table of every id first.
 * A year of history (500k ids), one run's refresh: 16–38 ms with 40–127 lines behind, 64–87 ms with 129–999; a
 * write 97 ms. At 1,000, a status line after each agent turn paid the table on nearly every run of a long session.
 */
export const SAVE_AFTER_LINES = SCANNED_ID_LOOKUPS;

/** daysFromRollup (and `blocks --since`) read records by their places up to this share of the ledger's records. */
const PLACED_SHARE = 0.25;

/**
 * Whether the cells `pick` chooses hold over `maxShare` of the ledger's records. A record read back by its place
 * costs a read and a parse of its line; a segment's snapshot decodes every record for less each, so past a share
 * of the history reading all of them is the quicker way. Counted from the cells' sum column (sumOf), building no
 * cell's sums.
 */
export function overPlacedShare(rollup: Rollup, pick: (c: Cell) => boolean, maxShare = PLACED_SHARE): boolean {
  let n = 0;
  for (const c of rollup.cells) if (pick(c)) n += sumOf(c, 'interactions');
  return n > rollup.interactions * maxShare;
}

/** The rollup of `timeZone` for one command: saved after a rebuild, or once SAVE_AFTER_LINES behind. */
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

/**
 * The records of the local days `first` to `last` in `timeZone` (those stored read back from their segments, the
 * loose ones priced as every command prices them), and the entries that answer the meter at any instant, from
 * the rollup: what a weekly summary reads, without every record of the history. Null as entriesFromRollup, and
 * when those days hold over `maxShare` of the records (then the caller reads every record).
 */
export async function daysFromRollup(
  index: RollupIndex,
  prices: PriceTable,
  timeZone: string,
  first: string,
  last: string,
  logger: Logger,
  maxShare = PLACED_SHARE,
): Promise<{ records: readonly Interaction[]; entries: Entry[] } | null> {
  if (index.timeZone !== timeZone) return null;
  const rollup = await answeringRollup(index, logger);
  if (!rollup) return null;
  const loose = currentlyPriced(rollup.loose, prices);
  const entries = entriesOf(rollup, loose, timeZone);
  if (!entries) return null;
  const wanted = (c: Cell) => c.day >= first && c.day <= last;
  if (overPlacedShare(rollup, wanted, maxShare)) return null;
  const dayOf = dayOfIso(timeZone);
  const stored = await index.recordsOfCells(wanted);
  const looseInDays = loose.filter((r) => {
    const d = dayOf(r.at);
    return d >= first && d <= last;
  });
  // Stored records are in cells, so priced by the table when stored: only loose ones follow the settings.
  return { records: [...stored, ...looseInDays], entries };
}
