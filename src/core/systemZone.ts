/**
 * This machine's time zone without Intl's start-up: Intl.DateTimeFormat's first use costs 50–140 ms
 * of ICU loading, as much as the rest of a re-run. The zone's name, found once with Intl, is kept in
 * a small file of the cache folder with what ICU found it from (TZ, /etc/localtime, Node's ICU and
 * tz database); UTC, named by TZ or by /etc/localtime, is known without Intl (utcWithoutIntl). While
 * those are unchanged, the name is read back, and Date's local getters (which use the same ICU zone,
 * without the formatter) give its calendar, once they were checked to agree with Intl for that name
 * (time.ts's noteDateLocalZone). A missing, stale or damaged file is found again and rewritten;
 * Windows (whose zone comes from the registry) always asks Intl.
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { dateParts, intlParts, isUtc, noteDateLocalZone, systemTimeZone, type Parts } from './time';
import { replaceFileSync } from './atomicFile';

const FILE = 'zone.json';
const MAX_FILE_BYTES = 4096;
const VERSION = 1;
/** An IANA name as Intl gives one ("America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC"). */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,3}$/;
/** TZ naming a zone (":Europe/Berlin", "UTC"), not POSIX rules ("CET-1CEST,M3.5.0,M10.5.0/3") ICU may read its own way. */
const TZ_NAME = /^:?[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,3}$/;

interface ZoneFile {
  version: number;
  key: string;
  zone: string;
  dateLocal: boolean;
}

/** Where /etc/localtime links to, or null when it is no link. */
function localtimeLink(): string | null {
  try {
    return readlinkSync('/etc/localtime');
  } catch {
    return null;
  }
}

/** What ICU finds the default zone from: a change to any of these may change the zone. */
function zoneKey(link: string | null): string {
  let localtime = `link:${link}`;
  if (link === null) {
    const st = statSync('/etc/localtime', { throwIfNoEntry: false });
    localtime = st ? `file:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}` : 'none';
  }
  const v = process.versions;
  return [v.node, v.icu, v.tz, process.env.TZ ?? '(unset)', localtime].join('\u0000');
}

/** TZ naming UTC as ICU reads it (an optional leading colon). */
const TZ_UTC = /^:?(Etc\/)?UTC$/;
/** Where ICU takes a zone's name from a link: what follows the first "/zoneinfo/" in it. */
const ZONEINFO = '/zoneinfo/';
/** UTC's name in the tz database. */
const LINK_UTC = /^(Etc\/)?UTC$/;

/**
 * "UTC" where Intl is certain to answer that: TZ is UTC or Etc/UTC, or TZ is unset and /etc/localtime
 * links to UTC's zone file (containers, CI and most servers). Null elsewhere: then Intl is asked.
 * Loading ICU for the question costs a first run ~25 ms and ~8 MB of memory here, and nothing else
 * in a UTC run needs it.
 */
export function utcWithoutIntl(tz: string | undefined, link: string | null): 'UTC' | null {
  if (tz !== undefined) return TZ_UTC.test(tz) ? 'UTC' : null;
  if (link === null) return null;
  const at = link.indexOf(ZONEINFO);
  return at >= 0 && LINK_UTC.test(link.slice(at + ZONEINFO.length)) ? 'UTC' : null;
}

function readZoneFile(file: string): ZoneFile | null {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return null;
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<ZoneFile> | null;
    if (
      v?.version !== VERSION ||
      typeof v.key !== 'string' ||
      typeof v.zone !== 'string' ||
      v.zone.length > 64 ||
      !ZONE_NAME.test(v.zone) ||
      typeof v.dateLocal !== 'boolean'
    )
      return null;
    return v as ZoneFile;
  } catch {
    return null;
  }
}

/** Writes the file if its folder exists or can be made in one step (never a recursive mkdir: see privateFs.ts). */
function writeZoneFile(file: string, z: ZoneFile): void {
  try {
    try {
      mkdirSync(path.dirname(file), { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    replaceFileSync(file, JSON.stringify(z), { flush: false }); // a cache: worked out again if lost
  } catch {
    // A cache that cannot be written only means asking Intl next time too.
  }
}

const same = (a: Parts, b: Parts) =>
  a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;

/**
 * Whether Date's local getters give `zone`'s calendar as Intl does: at ~2,500 instants from 1900 to
 * 2100 (hours varying), and on both sides of every offset change Date shows between them.
 */
export function dateAgreesWithIntl(zone: string): boolean {
  if (process.env.TZ !== undefined && process.env.TZ !== '' && !TZ_NAME.test(process.env.TZ)) return false;
  const offset = (t: number) => new Date(t).getTimezoneOffset();
  const agrees = (t: number) => {
    try {
      return same(dateParts(t), intlParts(t, zone));
    } catch {
      return false; // a name Intl refuses
    }
  };
  const step = 29 * 86_400_000 + 13 * 3_600_000 + 7 * 60_000;
  let prev = Date.UTC(1900, 0, 2);
  if (!agrees(prev)) return false;
  for (let t = prev + step; t < Date.UTC(2100, 0, 1); prev = t, t += step) {
    if (!agrees(t)) return false;
    if (offset(t) === offset(prev)) continue;
    // Narrow to the change (to the millisecond), then compare both sides.
    let [lo, hi] = [prev, t];
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offset(mid) === offset(prev)) lo = mid;
      else hi = mid;
    }
    if (!agrees(lo) || !agrees(hi)) return false;
  }
  return true;
}

/**
 * systemTimeZone(), from `<cacheDir>/zone.json` while what it was found from is unchanged, and
 * noted for time.ts when Date's getters give its calendar.
 */
export function cachedSystemTimeZone(cacheDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return systemTimeZone();
  const file = path.join(cacheDir, FILE);
  const link = localtimeLink();
  const key = zoneKey(link);
  const kept = readZoneFile(file);
  if (kept?.key === key) {
    noteDateLocalZone(kept.dateLocal ? kept.zone : null);
    return kept.zone;
  }
  const zone = utcWithoutIntl(process.env.TZ, link) ?? systemTimeZone();
  // UTC's calendar comes from Date's UTC getters (time.ts), never from the local ones: nothing to compare. The
  // comparison is ~2,500 Intl calls, half of a first run's ~33 ms here, on every machine or container in UTC.
  const dateLocal = ZONE_NAME.test(zone) && !isUtc(zone) && dateAgreesWithIntl(zone);
  noteDateLocalZone(dateLocal ? zone : null);
  if (ZONE_NAME.test(zone) && zone.length <= 64) writeZoneFile(file, { version: VERSION, key, zone, dateLocal });
  return zone;
}
