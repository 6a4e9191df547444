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
 * Per zone, per UTC hour (the hour's number since the epoch): the zone's offset from UTC when it is the same at the
 * hour's first and last millisecond (then it holds for the whole hour: no zone changes its offset twice within
 * one), else null. Intl's formatToParts once per record was most of a record-based view's time in a zone other
 * than UTC or the machine's; an hour's records now cost it twice, and each record a lookup by a number.
 */
const hourOffsets = new Map<string, Map<number, number | null>>();
const MAX_HOUR_OFFSETS = 200_000;

/** The zone's offset for the whole UTC hour holding `ms` (null: it changes within that hour), by Intl. */
function hourOffset(ms: number, timeZone: string): number | null {
  let hours = hourOffsets.get(timeZone);
  if (hours === undefined) hourOffsets.set(timeZone, (hours = new Map<number, number | null>()));
  const hour = Math.floor(ms / 3_600_000);
  let offset = hours.get(hour);
  if (offset === undefined) {
    const start = hour * 3_600_000;
    const first = intlOffset(start, timeZone);
    offset = first === intlOffset(start + 3_599_999, timeZone) ? first : null;
    if (hours.size >= MAX_HOUR_OFFSETS) hours.clear();
    hours.set(hour, offset);
  }
  return offset;
}

function parts(ms: number, timeZone: string): Parts {
  if (ms >= DATE_MIN && ms <= DATE_MAX) {
    if (isUtc(timeZone)) return utcParts(ms);
    if (isDateLocal(timeZone)) return dateParts(ms);
    const offset = hourOffset(ms, timeZone);
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
  // In parts()'s order: UTC first, so a UTC day never reads process.env.TZ (isDateLocal does) once per record.
  if (ms >= DATE_MIN && ms <= DATE_MAX && (isUtc(timeZone) || !isDateLocal(timeZone))) {
    const offset = isUtc(timeZone) ? 0 : hourOffset(ms, timeZone);
    // As utcParts(ms + offset) reads it: Date drops a fraction of a millisecond toward zero.
    if (offset !== null) return dayName(Math.floor(Math.trunc(ms + offset) / DAY_MS));
  }
  const p = parts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

const DAY_MS = 86_400_000;

/**
 * 'YYYY-MM-DD' of a day by its number since 1970-01-01 (Date's proleptic Gregorian calendar), kept: a view or a
 * rollup asks for the same few hundred days once per record.
 */
const dayNames = new Map<number, string>();
const MAX_DAY_NAMES = 100_000;

function dayName(n: number): string {
  let s = dayNames.get(n);
  if (s === undefined) {
    const t = new Date(n * DAY_MS);
    s = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
    if (dayNames.size >= MAX_DAY_NAMES) dayNames.clear();
    dayNames.set(n, s);
  }
  return s;
}

/**
 * A day's number since 1970-01-01, as Date.UTC(y, m - 1, d) / DAY_MS gives it, without a Date: a day of the month
 * past its end runs on into the next (the 31st of February is the 3rd of March, or the 2nd in a leap year), as
 * there. Outside what the arithmetic below covers (a month outside 1–12, a year before 100, which Date.UTC reads
 * as 19xx, a part that is not a whole number) it is Date.UTC's own; a part that is NaN gives NaN.
 */
function dayNumber(y: number, m: number, d: number): number {
  if (!(m >= 1 && m <= 12 && y >= 100 && y <= 275_000 && Number.isInteger(y) && Number.isInteger(d))) return Date.UTC(y, m - 1, d) / DAY_MS;
  // Days from civil (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"): years counted from March, so a
  // leap day is the last of its year; eras of 400 years.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
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
  return dayName(dayNumber(y, m, d + n));
}

export function daysInMonth(day: string): number {
  const [y, m] = dayParts(day);
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** ISO weekday, 1 = Monday … 7 = Sunday. */
export function weekday(day: string): number {
  const [y, m, d] = dayParts(day);
  // 1970-01-01 was a Thursday (4).
  return ((((dayNumber(y, m, d) + 3) % 7) + 7) % 7) + 1;
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  const [y1, m1, d1] = dayParts(a);
  const [y2, m2, d2] = dayParts(b);
  return dayNumber(y2, m2, d2) - dayNumber(y1, m1, d1);
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
  // By the hour's digits as one number (YYYYMMDDHH): no string is cut or hashed per record.
  const cache = new Map<number, string | null>();
  // Records come mostly in time order: the hour asked last is compared before its key is read and looked up.
  let lastHour = '\u0000';
  let lastDay: string | null = null;
  return (iso) => {
    if (lastDay !== null && iso.startsWith(lastHour)) return lastDay;
    const key = hourKey(iso);
    if (key < 0) return localDay(Date.parse(iso), timeZone);
    let day = cache.get(key);
    if (day === undefined) {
      const start = Date.parse(`${iso.slice(0, 13)}:00:00Z`);
      const first = localDay(start, timeZone);
      day = Number.isNaN(start) || first !== localDay(start + 3_599_999, timeZone) ? null : first;
      cache.set(key, day);
    }
    if (day === null) return localDay(Date.parse(iso), timeZone);
    lastHour = iso.slice(0, 13);
    lastDay = day;
    return day;
  };
}

/** 'YYYY-MM-DDTHH' at the start of `iso` as the number YYYYMMDDHH, or -1 when it does not start so. */
function hourKey(iso: string): number {
  if (iso.length < 13 || iso.charCodeAt(4) !== DASH || iso.charCodeAt(7) !== DASH || iso.charCodeAt(10) !== 0x54) return -1;
  const y = digits(iso, 0, 4);
  const m = digits(iso, 5, 7);
  const d = digits(iso, 8, 10);
  const h = digits(iso, 11, 13);
  return y < 0 || m < 0 || d < 0 || h < 0 ? -1 : ((y * 100 + m) * 100 + d) * 100 + h;
}

/** An instant as local 'YYYY-MM-DD HH:MM' in a zone (for block starts and ends). */
export function localDateTime(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}
