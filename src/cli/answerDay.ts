import { addDays, localDay, startOfDay } from '../core/time';
import type { CliContext } from './context';

/** The zone's local day holding `now`, as [first instant, next day's first instant); null where days do not follow in order. */
function dayAround(now: number, timeZone: string): [number, number] | null {
  const today = localDay(now, timeZone);
  const [from, until] = [startOfDay(today, timeZone), startOfDay(addDays(today, 1), timeZone)];
  // Checked, for a zone whose clock a change turns back across midnight (its days then do not follow in order).
  const day = (ms: number) => localDay(ms, timeZone);
  return day(from) === today && day(until - 1) === today && day(until) !== today ? [from, until] : null;
}

/**
 * Tells the run's kept answer (answers.ts), if it may keep one, that what the command printed changes with "now" only
 * at the zone's midnight: it holds from the local day's first instant to the next day's.
 */
export function holdsForTheDay(ctx: CliContext, now: number, timeZone: string): void {
  const day = ctx.answer && dayAround(now, timeZone);
  if (day) ctx.answer!.holdsBetween(day[0], day[1]);
}

/**
 * As holdsForTheDay, for what may also change with the clock at `changes` (the first instant after now at which it
 * can; Infinity: never) and may have been otherwise earlier in the day: the answer holds from now until the first of
 * `changes` and midnight.
 */
export function holdsFromNowUntil(ctx: CliContext, now: number, timeZone: string, changes: number): void {
  const day = ctx.answer && dayAround(now, timeZone);
  if (day && changes > now) ctx.answer!.holdsBetween(now, Math.min(day[1], changes));
}
