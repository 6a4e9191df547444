import { addDays, localDay, startOfDay } from '../core/time';
import type { CliContext } from './context';

/**
 * Tells the run's kept answer (answers.ts), if it may keep one, that what the command printed changes with "now" only
 * at the zone's midnight: it holds from the local day's first instant to the next day's.
 */
export function holdsForTheDay(ctx: CliContext, now: number, timeZone: string): void {
  if (!ctx.answer) return;
  const today = localDay(now, timeZone);
  const [from, until] = [startOfDay(today, timeZone), startOfDay(addDays(today, 1), timeZone)];
  // Checked, for a zone whose clock a change turns back across midnight (its days then do not follow in order).
  const day = (ms: number) => localDay(ms, timeZone);
  if (day(from) === today && day(until - 1) === today && day(until) !== today) ctx.answer.holdsBetween(from, until);
}
