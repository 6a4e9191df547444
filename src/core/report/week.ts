/**
 * Weeks for reports. A week is seven local calendar days starting on the configured weekday
 * (Monday by default; Sunday and Saturday allowed). Its id is the ISO week id (YYYY-Www) of the
 * Monday inside it, so ids stay familiar and every week, whatever its start day, has exactly one id:
 * with a Sunday start, 2026-W47 is Sunday 15 to Saturday 21 November 2026.
 */
import { UnmeteredError } from '../errors';
import { addDays, daysBetween, localDay, weekday } from '../time';

export type WeekStart = 'monday' | 'sunday' | 'saturday';
export const WEEK_STARTS: readonly WeekStart[] = ['monday', 'sunday', 'saturday'];
const ISO_WEEKDAY: Record<WeekStart, number> = { monday: 1, sunday: 7, saturday: 6 };

export interface Week {
  /** ISO week id of the Monday inside the week, e.g. "2026-W47". */
  id: string;
  /** First and last local calendar day, 'YYYY-MM-DD'. */
  start: string;
  end: string;
  weekStart: WeekStart;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO week id of a calendar day: the week belongs to the year of its Thursday. */
export function isoWeekId(day: string): string {
  const thursday = addDays(day, 4 - weekday(day));
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor(daysBetween(`${year}-01-01`, thursday) / 7) + 1;
  return `${year}-W${pad(week)}`;
}

/** The Monday of an ISO week (4 January is always in week 1). */
function isoMonday(year: number, week: number): string {
  const jan4 = `${String(year).padStart(4, '0')}-01-04`;
  return addDays(jan4, 1 - weekday(jan4) + (week - 1) * 7);
}

export function isWeekId(s: string): boolean {
  const m = /^(\d{4})-W(\d{2})$/.exec(s);
  if (!m) return false;
  const w = Number(m[2]);
  return w >= 1 && isoWeekId(isoMonday(Number(m[1]), w)) === s;
}

export function isWeekStart(s: unknown): s is WeekStart {
  return typeof s === 'string' && (WEEK_STARTS as readonly string[]).includes(s);
}

/** Days from the week's first day to its Monday. */
const mondayOffset = (ws: WeekStart) => (1 - ISO_WEEKDAY[ws] + 7) % 7;

/** The week (of the given start day) that contains a calendar day. */
export function weekOf(day: string, weekStart: WeekStart = 'monday'): Week {
  const start = addDays(day, -((weekday(day) - ISO_WEEKDAY[weekStart] + 7) % 7));
  return { id: isoWeekId(addDays(start, mondayOffset(weekStart))), start, end: addDays(start, 6), weekStart };
}

/** The week with an id; throws an UnmeteredError for an id that is not a real ISO week. */
export function weekById(id: string, weekStart: WeekStart = 'monday'): Week {
  if (!isWeekId(id)) throw new UnmeteredError('E_WEEK', `week: expected an ISO week such as 2026-W47, got ${JSON.stringify(id)}`);
  const monday = isoMonday(Number(id.slice(0, 4)), Number(id.slice(6)));
  const start = addDays(monday, -mondayOffset(weekStart));
  return { id, start, end: addDays(start, 6), weekStart };
}

export function weekDays(w: Week): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(w.start, i));
}

export function shiftWeek(w: Week, n: number): Week {
  return weekOf(addDays(w.start, 7 * n), w.weekStart);
}

/** The week containing an instant in a time zone. */
export function currentWeek(now: number, timeZone: string, weekStart: WeekStart = 'monday'): Week {
  return weekOf(localDay(now, timeZone), weekStart);
}

/** The last week that has fully ended at an instant: what an export means by default. */
export function lastCompleteWeek(now: number, timeZone: string, weekStart: WeekStart = 'monday'): Week {
  return shiftWeek(currentWeek(now, timeZone, weekStart), -1);
}

/** Orders week ids chronologically (they sort as text). */
export const compareWeekIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
