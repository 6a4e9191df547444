/**
 * Calendar arithmetic in a named IANA time zone, with nothing read from the machine's own zone
 * unless the caller asks for it. Days are 'YYYY-MM-DD' strings in that zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The zone whose calendar Date's local getters give (the one ICU found for this process), once
 * systemZone.ts has checked that they agree with Intl for that name: its parts then come from Date,
 * and a command never pays Intl's first use (50–140 ms of ICU start-up). `tz` is process.env.TZ as
 * it was then: a process that changes TZ later (Date follows it at once) is back on Intl.
 */
let dateLocal: { zone: string; tz: string | undefined } | null = null;

/** Says that Date's local getters give `zone`'s calendar in this process (null: forget it). */
export function noteDateLocalZone(zone: string | null): void {
  dateLocal = zone === null ? null : { zone, tz: process.env.TZ };
}

// Date's getters and Intl agree on a Gregorian calendar; far from today ICU's calendar may not be
// proleptic, so instants outside these years go to Intl.
const DATE_MIN = Date.UTC(1900, 0, 2);
const DATE_MAX = Date.UTC(9999, 11, 30);
/** UTC by either of its names: its calendar comes from Date's UTC getters, never from Intl or the local ones. */
export const isUtc = (timeZone: string) => timeZone === 'UTC' || timeZone === 'Etc/UTC';
const isDateLocal = (timeZone: string) => dateLocal !== null && dateLocal.zone === timeZone && process.env.TZ === dateLocal.tz;

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  if (isUtc(timeZone) || isDateLocal(timeZone)) return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone of this machine (what a user means by "today" unless configured). */
export function systemTimeZone(): string {
  // TZ="" makes ICU answer "Etc/Unknown", a name Intl then refuses; the C library reads it as UTC.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isValidTimeZone(zone) ? zone : 'UTC';
}

export interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function utcParts(ms: number): Parts {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * Per zone and UTC hour: the zone's offset from UTC when it is the same at the hour's first and last
 * millisecond (then it holds for the whole hour: no zone changes its offset twice within one), else
 * null. Intl's formatToParts once per record was most of a record-based view's time in a zone other
 * than UTC or the machine's; an hour's records now cost it twice.
 */
const hourOffsets = new Map<string, number | null>();
const MAX_HOUR_OFFSETS = 200_000;

function parts(ms: number, timeZone: string): Parts {
  if (ms >= DATE_MIN && ms <= DATE_MAX) {
    if (isUtc(timeZone)) return utcParts(ms);
    if (isDateLocal(timeZone)) return dateParts(ms);
    const hour = Math.floor(ms / 3_600_000);
    const key = `${timeZone}\u0000${hour}`;
    let offset = hourOffsets.get(key);
    if (offset === undefined) {
      const start = hour * 3_600_000;
      const first = intlOffset(start, timeZone);
      offset = first === intlOffset(start + 3_599_999, timeZone) ? first : null;
      if (hourOffsets.size >= MAX_HOUR_OFFSETS) hourOffsets.clear();
      hourOffsets.set(key, offset);
    }
    if (offset !== null) return utcParts(ms + offset);
  }
  return intlParts(ms, timeZone);
}

/** The offset from UTC that `p`, the local parts of the instant `ms`, show, in ms (whole seconds: parts have no finer). */
function offsetOf(p: Parts, ms: number): number {
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

const intlOffset = (ms: number, timeZone: string) => offsetOf(intlParts(ms, timeZone), ms);

/** The calendar parts of an instant by Date's local getters (the process's own zone). */
export function dateParts(ms: number): Parts {
  const d = new Date(ms);
  return {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
  };
}

/** The calendar parts of an instant in a zone by Intl (any zone; ICU's first use costs 50–140 ms). */
export function intlParts(ms: number, timeZone: string): Parts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out as unknown as Parts;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The calendar day of an instant in a zone, as 'YYYY-MM-DD'. */
export function localDay(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  return offsetOf(parts(ms, timeZone), ms);
}

/** Year, month (1–12) and day of a 'YYYY-MM-DD' key; a part it lacks is NaN, so arithmetic on it yields NaN, never a throw. */
export function dayParts(day: string): [year: number, month: number, day: number] {
  // 'YYYY-MM-DD', what nearly every caller passes (views call this per record), read digit by digit.
  if (day.length === 10 && day.charCodeAt(4) === DASH && day.charCodeAt(7) === DASH) {
    const y = digits(day, 0, 4);
    const m = digits(day, 5, 7);
    const d = digits(day, 8, 10);
    if (y >= 0 && m >= 0 && d >= 0) return [y, m, d];
  }
  const [y = NaN, m = NaN, d = NaN] = day.split('-').map(Number);
  return [y, m, d];
}

const DASH = 0x2d;

/** The decimal number of s[from, to) when every character there is a digit, else -1. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The instant a local calendar day starts in a zone: its first instant whose local day is `day` (handles DST: a
 * day can be 23 or 25 hours). A midnight that a change skips is no instant, and the day starts at the change:
 * America/Santiago on 6 September 2026 goes from 23:59:59 -04 on the 5th to 01:00 -03, so the 6th starts at
 * 04:00Z. A day a zone skipped whole (Pacific/Apia, 30 December 2011) starts where the next one does.
 */
export function startOfDay(day: string, timeZone: string): number {
  const [y, m, d] = dayParts(day);
  const guess = Date.UTC(y, m - 1, d);
  // Two passes settle the offset even when midnight sits next to a DST change.
  let t = guess - offsetAt(guess, timeZone);
  t = guess - offsetAt(t, timeZone);
  if (Number.isNaN(t) || (localDay(t, timeZone) >= day && localDay(t - 1, timeZone) < day)) return t;
  // Midnight was skipped (t is in the day before): the first instant of the day, by bisection over two days
  // either side (local days only grow with time: 'YYYY-MM-DD' strings compare in calendar order).
  let [lo, hi] = [t - 2 * 86_400_000, t + 2 * 86_400_000];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(mid, timeZone) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** 'YYYY-MM-DD' plus n days (pure calendar arithmetic, no zone involved). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = dayParts(day);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

export function daysInMonth(day: string): number {
  const [y, m] = dayParts(day);
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** ISO weekday, 1 = Monday … 7 = Sunday. */
export function weekday(day: string): number {
  const [y, m, d] = dayParts(day);
  return ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  const [y1, m1, d1] = dayParts(a);
  const [y2, m2, d2] = dayParts(b);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86_400_000);
}

export function isDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  return addDays(s, 0) === s;
}

/**
 * A fast `localDay` for ISO-8601 UTC strings, for bucketing many records: the answer is cached per
 * UTC hour, and an hour that a local midnight cuts in two (zones offset by 30 or 45 minutes) is
 * resolved per record.
 */
export function dayOfIso(timeZone: string): (iso: string) => string {
  const cache = new Map<string, string | null>();
  // Records come mostly in time order: the hour asked last is compared before a key is cut and looked up.
  let lastHour = '\u0000';
  let lastDay: string | null = null;
  return (iso) => {
    if (lastDay !== null && iso.startsWith(lastHour)) return lastDay;
    const hour = iso.slice(0, 13);
    let day = cache.get(hour);
    if (day === undefined) {
      const start = Date.parse(`${hour}:00:00Z`);
      const first = localDay(start, timeZone);
      day = Number.isNaN(start) || first !== localDay(start + 3_599_999, timeZone) ? null : first;
      cache.set(hour, day);
    }
    if (day !== null && hour.length === 13) {
      lastHour = hour;
      lastDay = day;
    }
    return day ?? localDay(Date.parse(iso), timeZone);
  };
}

/** An instant as local 'YYYY-MM-DD HH:MM' in a zone (for block starts and ends). */
export function localDateTime(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}
