import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateAgreesWithIntl } from '../../src/core/systemZone';
import {
  addDays,
  dayOfIso,
  dayParts,
  daysBetween,
  daysInMonth,
  intlParts,
  isDay,
  isValidTimeZone,
  localDateTime,
  localDay,
  noteDateLocalZone,
  startOfDay,
  weekday,
} from '../../src/core/time';
import { mulberry32 } from '../helpers/fuzz';

test('an instant falls on different calendar days in different zones', () => {
  const t = Date.parse('2026-11-23T23:30:00Z');
  assert.equal(localDay(t, 'UTC'), '2026-11-23');
  assert.equal(localDay(t, 'Europe/Berlin'), '2026-11-24');
  assert.equal(localDay(t, 'America/Los_Angeles'), '2026-11-23');
  assert.equal(localDay(Date.parse('2026-11-23T05:00:00Z'), 'America/Los_Angeles'), '2026-11-22');
});

test('a day starts at local midnight, also on DST change days (23 and 25 hour days)', () => {
  assert.equal(new Date(startOfDay('2026-11-23', 'Europe/Berlin')).toISOString(), '2026-11-22T23:00:00.000Z');
  // Europe/Berlin springs forward on 2026-03-29 and falls back on 2026-10-25
  assert.equal(startOfDay('2026-03-30', 'Europe/Berlin') - startOfDay('2026-03-29', 'Europe/Berlin'), 23 * 3600_000);
  assert.equal(startOfDay('2026-10-26', 'Europe/Berlin') - startOfDay('2026-10-25', 'Europe/Berlin'), 25 * 3600_000);
  assert.equal(new Date(startOfDay('2026-03-08', 'America/New_York')).toISOString(), '2026-03-08T05:00:00.000Z');
  assert.equal(new Date(startOfDay('2026-03-09', 'America/New_York')).toISOString(), '2026-03-09T04:00:00.000Z');
});

// Expected instants from tzdb's rules (github.com/eggert/tz 2025b, files southamerica, northamerica, australasia;
// each transition also confirmed with `zdump -v` on Debian's tzdata), not from our code:
//   Chile   "Rule Chile 2023 max - Sep Sun>=2 4:00u 1:00 -"  summer time from 04:00 UTC on Sunday 6 September 2026;
//   Brazil  "Rule Brazil 2018 only - Nov Sun>=1 0:00 1:00 -"  (-03 to -02 at local midnight, 4 November 2018);
//   Cuba    "Rule Cuba 2012 max - Mar Sun>=8 0:00s 1:00 D"    (-05 to -04 at local midnight, 8 March 2026);
//   Apia    "-11:00 WS -11/-10 2011 Dec 29 24:00", then "13:00 WS +13/+14": the 30th of December 2011 was skipped.
test('a day whose midnight a clock change skips starts at the change; a day a zone skipped starts with the next', () => {
  const iso = (day: string, tz: string) => new Date(startOfDay(day, tz)).toISOString();
  assert.equal(iso('2026-09-05', 'America/Santiago'), '2026-09-05T04:00:00.000Z');
  assert.equal(iso('2026-09-06', 'America/Santiago'), '2026-09-06T04:00:00.000Z'); // 01:00 -03, the first instant of the 6th
  assert.equal(iso('2026-09-07', 'America/Santiago'), '2026-09-07T03:00:00.000Z');
  assert.equal(localDay(Date.parse('2026-09-06T03:59:59.999Z'), 'America/Santiago'), '2026-09-05');
  assert.equal(iso('2018-11-04', 'America/Sao_Paulo'), '2018-11-04T03:00:00.000Z');
  assert.equal(iso('2026-03-08', 'America/Havana'), '2026-03-08T05:00:00.000Z');
  assert.equal(iso('2011-12-29', 'Pacific/Apia'), '2011-12-29T10:00:00.000Z');
  assert.equal(iso('2011-12-30', 'Pacific/Apia'), '2011-12-30T10:00:00.000Z');
  assert.equal(iso('2011-12-31', 'Pacific/Apia'), '2011-12-30T10:00:00.000Z');
});

test('calendar arithmetic', () => {
  assert.equal(addDays('2026-02-28', 1), '2026-03-01');
  assert.equal(addDays('2026-01-01', -1), '2025-12-31');
  assert.equal(daysInMonth('2028-02-10'), 29);
  assert.equal(daysInMonth('2026-11-23'), 30);
  assert.equal(weekday('2026-11-23'), 1);
  assert.equal(weekday('2026-11-29'), 7);
  assert.equal(daysBetween('2026-11-01', '2026-11-23'), 22);
  assert.ok(isDay('2026-11-23'));
  assert.ok(!isDay('2026-02-30'));
  assert.ok(!isDay('23.11.2026'));
  assert.deepEqual(dayParts('2026-11-23'), [2026, 11, 23]);
  assert.deepEqual(dayParts('0099-01-02'), [99, 1, 2]);
  // Not a day: a part that is not a number is NaN (arithmetic on it yields NaN, never a throw).
  assert.deepEqual(dayParts('2026-1x-23'), [2026, NaN, 23]);
  assert.deepEqual(dayParts('2026-11'), [2026, 11, NaN]);
  assert.deepEqual(dayParts('2026/11/23'), [NaN, NaN, NaN]);
  assert.ok(isValidTimeZone('Asia/Kolkata'));
  assert.ok(!isValidTimeZone('Mars/Olympus'));
});

// The reference is Date's own calendar (Date.UTC and its getters) and Intl's, computed here; the functions under test
// count days without a Date.
test('calendar arithmetic agrees with Date over 800 years, months run past their end, and odd parts', () => {
  const rnd = mulberry32(20261205);
  const iso = (t: number) => {
    const d = new Date(t);
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
  };
  const key = (y: number, m: number, d: number) =>
    `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  for (let k = 0; k < 20_000; k++) {
    const [y, m, d] = [1600 + Math.floor(rnd() * 800), 1 + Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 31)];
    const day = key(y, m, d);
    const n = Math.floor(rnd() * 1601) - 800;
    assert.equal(addDays(day, n), iso(Date.UTC(y, m - 1, d + n)), `${day} + ${n}`);
    assert.equal(weekday(day), ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1, `weekday ${day}`);
    const other = key(1600 + Math.floor(rnd() * 800), 1 + Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28));
    const [y2, m2, d2] = other.split('-').map(Number);
    assert.equal(daysBetween(day, other), (Date.UTC(y2, m2 - 1, d2) - Date.UTC(y, m - 1, d)) / 86_400_000, `${day} .. ${other}`);
  }
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(addDays('2100-02-28', 1), '2100-03-01');
  assert.equal(addDays('2000-02-28', 1), '2000-02-29');
  assert.equal(addDays('2026-02-31', 0), '2026-03-03');
  assert.equal(addDays('1969-12-31', 1), '1970-01-01');
  // What Date.UTC does with them, kept: a year before 100 is 19xx, a month 00 or 13 runs into the next year.
  assert.equal(addDays('0099-01-02', 0), '1999-01-02');
  assert.equal(addDays('2026-13-01', 0), '2027-01-01');
  assert.equal(addDays('2026-00-10', 0), '2025-12-10');
  assert.equal(addDays('2026-1x-23', 1), 'NaN-NaN-NaN');
  assert.ok(Number.isNaN(weekday('2026-11')));
  assert.ok(Number.isNaN(daysBetween('2026-11-01', 'nope')));
});

test('localDay agrees with Intl in zones with half-hour, 45-minute and half-hour-DST offsets, either side of changes', () => {
  const rnd = mulberry32(7);
  for (const tz of ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham']) {
    const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    for (let k = 0; k < 3000; k++) {
      // Anywhere in 1950-2040, and every other one a millisecond either side of a quarter hour (UTC): each of these
      // zones' midnights falls on one, so about one in a hundred of those is at a change of local day.
      let t = Date.UTC(1950, 0, 1) + Math.floor(rnd() * 90 * 365.25 * 86_400_000);
      if (k % 2 === 0) t = Math.floor(t / 900_000) * 900_000 - (rnd() < 0.5 ? 1 : 0);
      // Half a millisecond before one: Date drops the fraction toward zero, so before 1970 it falls on the edge.
      if (k % 4 === 1) t = Math.floor(t / 900_000) * 900_000 - 0.5;
      assert.equal(localDay(t, tz), f.format(new Date(t)), `${tz} ${new Date(t).toISOString()}`);
    }
  }
});

test('dayOfIso agrees with localDay, including zones whose midnight falls mid-hour', async () => {
  const { dayOfIso } = await import('../../src/core/time');
  for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham']) {
    const dayOf = dayOfIso(tz);
    for (let t = Date.parse('2026-03-07T00:00:00Z'); t < Date.parse('2026-03-10T00:00:00Z'); t += 7 * 60_000) {
      const iso = new Date(t).toISOString();
      assert.equal(dayOf(iso), localDay(t, tz), `${tz} ${iso}`);
    }
    // Out of order, as records from several files interleave: each answer is still its own hour's.
    const dayOfMixed = dayOfIso(tz);
    for (let k = 0; k < 400; k++) {
      const t = Date.parse('2026-03-07T00:00:00Z') + ((k * 7919) % 72) * 3_600_000 + ((k * 104_729) % 3_600_000);
      const iso = new Date(t).toISOString();
      assert.equal(dayOfMixed(iso), localDay(t, tz), `${tz} ${iso} (mixed order)`);
    }
  }
});

/** Every offset change of `tz` between two instants, to the millisecond, found with Intl. */
function transitions(tz: string, from: number, to: number): number[] {
  const off = (t: number) => {
    const p = intlParts(t, tz);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };
  const out: number[] = [];
  const step = 2 * 86_400_000;
  for (let t = from, o = off(t); t < to; t += step) {
    const next = off(t + step);
    if (o === next) continue;
    o = next;
    let [lo, hi] = [t, t + step];
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (off(mid) === off(lo)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

/** What the calendar functions answer for a zone, at instants around its offset changes and days around them. */
function answers(tz: string, instants: number[]): string[] {
  const dayOf = dayOfIso(tz);
  const out: string[] = [];
  for (const t of instants) {
    const day = localDay(t, tz);
    out.push(`${t} ${day} ${localDateTime(t, tz)} ${dayOf(new Date(t).toISOString())}`);
    for (const d of [addDays(day, -1), day, addDays(day, 1)]) out.push(`${d} starts ${startOfDay(d, tz)}`);
  }
  return out;
}

// Zones with DST both ways, half-hour DST (Lord Howe), negative DST (Dublin), midnight changes
// (Sao Paulo's and Havana's past rules), a skipped day (Apia, 2011-12-30), Ramadan breaks (Casablanca).
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Europe/Dublin',
  'America/Sao_Paulo',
  'America/Havana',
  'Pacific/Apia',
  'Africa/Casablanca',
  'Asia/Kolkata',
  'America/St_Johns',
  'Pacific/Chatham',
];

test("in the process's own zone, Date's getters give every calendar answer Intl gives, at and around each offset change", () => {
  const tz0 = process.env.TZ;
  try {
    for (const tz of ZONES) {
      process.env.TZ = tz;
      const from = Date.UTC(2010, 0, 1);
      const changes = transitions(tz, from, Date.UTC(2027, 0, 1));
      if (tz !== 'UTC' && tz !== 'Asia/Kolkata') assert.ok(changes.length >= 2, `${tz}: offset changes found`);
      const instants = [from, Date.UTC(2026, 5, 15, 12), ...changes.flatMap((t) => [t - 3_600_001, t - 1, t, t + 1, t + 3_599_999])];
      noteDateLocalZone(null);
      const byIntl = answers(tz, instants);
      assert.ok(dateAgreesWithIntl(tz), `${tz}: Date agrees with Intl`);
      noteDateLocalZone(tz);
      assert.deepEqual(answers(tz, instants), byIntl, tz);
      assert.ok(isValidTimeZone(tz));
    }
  } finally {
    noteDateLocalZone(null);
    if (tz0 === undefined) delete process.env.TZ;
    else process.env.TZ = tz0;
  }
});

test("a zone noted as the process's is asked of Intl again once TZ changes, and POSIX rules in TZ are never taken for a zone's", () => {
  const tz0 = process.env.TZ;
  try {
    const t = Date.parse('2026-11-23T23:30:00Z');
    process.env.TZ = 'Europe/Berlin';
    // Noted, a zone's calendar is Date's, whatever its name says (what cachedSystemTimeZone checks before it notes one).
    noteDateLocalZone('America/Los_Angeles');
    assert.equal(localDay(t, 'America/Los_Angeles'), '2026-11-24');
    noteDateLocalZone('Europe/Berlin');
    assert.equal(localDay(t, 'Europe/Berlin'), '2026-11-24');
    process.env.TZ = 'America/Los_Angeles';
    assert.equal(localDay(t, 'Europe/Berlin'), '2026-11-24');
    assert.equal(localDateTime(t, 'Europe/Berlin'), '2026-11-24 00:30');
    process.env.TZ = 'CET-1CEST,M3.5.0,M10.5.0/3';
    assert.equal(dateAgreesWithIntl('Europe/Berlin'), false);
  } finally {
    noteDateLocalZone(null);
    if (tz0 === undefined) delete process.env.TZ;
    else process.env.TZ = tz0;
  }
});

test("a zone's calendar from its offset per hour is Intl's own, at random instants and every 5 minutes around offset changes", () => {
  noteDateLocalZone(null); // every zone here goes through the per-hour offsets, none through Date's getters
  const zones = [
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe', // a 30-minute DST shift
    'Asia/Kathmandu', // +05:45
    'America/St_Johns', // −03:30 / −02:30
    'Pacific/Chatham', // +12:45 / +13:45
    'Europe/Dublin', // "negative" DST in the tz database
    'Africa/Casablanca', // DST suspended each Ramadan
    'Europe/Amsterdam', // +00:19:32 local mean time until 1937
    'Pacific/Apia', // skipped 2011-12-30 whole
  ];
  const two = (n: number) => String(n).padStart(2, '0');
  const expected = (ms: number, zone: string) => {
    const p = intlParts(ms, zone); // Intl itself: the reference
    return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
  };
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const from = Date.UTC(1901, 0, 1);
  const to = Date.UTC(2099, 0, 1);
  for (const zone of zones) {
    const instants: number[] = [];
    for (let i = 0; i < 400; i++) instants.push(Math.floor(from + random() * (to - from)));
    // Every 5 minutes (and a second either side) through each day of 2026 whose offset changes.
    for (let day = Date.UTC(2026, 0, 1); day < Date.UTC(2027, 0, 1); day += 86_400_000)
      if (expected(day, zone).slice(11) !== expected(day + 86_400_000, zone).slice(11))
        for (let t = day - 86_400_000; t < day + 2 * 86_400_000; t += 300_000) instants.push(t - 1000, t, t + 1000);
    for (const ms of instants) {
      assert.equal(localDateTime(ms, zone), expected(ms, zone), `${zone} at ${new Date(ms).toISOString()}`);
      assert.equal(localDay(ms, zone), expected(ms, zone).slice(0, 10));
    }
  }
});
