import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedSystemTimeZone, utcWithoutIntl } from '../../src/core/systemZone';
import { localDay, noteDateLocalZone, systemTimeZone } from '../../src/core/time';

function withTz<T>(tz: string | undefined, fn: () => T): T {
  const tz0 = process.env.TZ;
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
  try {
    return fn();
  } finally {
    noteDateLocalZone(null);
    if (tz0 === undefined) delete process.env.TZ;
    else process.env.TZ = tz0;
  }
}

function tmp(c: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-zone-'));
  c.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const fileOf = (dir: string) => path.join(dir, 'zone.json');
const t = Date.parse('2026-11-23T23:30:00Z');

test("the machine's zone is found with Intl once, kept in the cache folder, and read back while TZ is unchanged", (c) => {
  const dir = path.join(tmp(c), 'cache');
  withTz('Asia/Tokyo', () => {
    assert.equal(cachedSystemTimeZone(dir, 'linux'), 'Asia/Tokyo');
    const kept = JSON.parse(readFileSync(fileOf(dir), 'utf8')) as { zone: string; dateLocal: boolean };
    assert.equal(kept.zone, 'Asia/Tokyo');
    assert.equal(kept.dateLocal, true);
    assert.equal(statSync(fileOf(dir)).mode & 0o777, 0o600);
    // Read back, not found again: the name in the file is what comes back.
    writeFileSync(fileOf(dir), JSON.stringify({ ...kept, zone: 'Japan' }));
    assert.equal(cachedSystemTimeZone(dir, 'linux'), 'Japan');
    assert.equal(localDay(t, 'Japan'), '2026-11-24');
  });
  // Another TZ: the kept name is stale, found again and rewritten.
  withTz('America/Los_Angeles', () => {
    assert.equal(cachedSystemTimeZone(dir, 'linux'), 'America/Los_Angeles');
    assert.equal(localDay(t, 'America/Los_Angeles'), '2026-11-23');
    assert.equal((JSON.parse(readFileSync(fileOf(dir), 'utf8')) as { zone: string }).zone, 'America/Los_Angeles');
  });
});

test('a damaged, oversized, foreign or unwritable zone file is never believed: the zone is found again and the file rewritten', (c) => {
  const dir = tmp(c);
  withTz('Europe/Berlin', () => {
    const real = systemTimeZone();
    assert.equal(real, 'Europe/Berlin');
    cachedSystemTimeZone(dir, 'linux');
    const good = JSON.parse(readFileSync(fileOf(dir), 'utf8')) as Record<string, unknown>;
    const bad = [
      '{"version":1,',
      'null',
      JSON.stringify({ ...good, version: 2, zone: 'Mars/Olympus' }),
      JSON.stringify({ ...good, zone: '../../etc/passwd' }),
      JSON.stringify({ ...good, zone: 7 }),
      JSON.stringify({ ...good, dateLocal: 'yes', zone: 'Mars/Olympus' }),
      JSON.stringify({ ...good, zone: 'Mars/Olympus', pad: 'x'.repeat(5000) }),
    ];
    for (const text of bad) {
      writeFileSync(fileOf(dir), text);
      assert.equal(cachedSystemTimeZone(dir, 'linux'), 'Europe/Berlin', text.slice(0, 60));
      assert.deepEqual(JSON.parse(readFileSync(fileOf(dir), 'utf8')), good, text.slice(0, 60));
    }
    // A folder where the file should be, and a cache folder that cannot be written: Intl's answer, no error.
    rmSync(fileOf(dir));
    mkdirSync(fileOf(dir));
    assert.equal(cachedSystemTimeZone(dir, 'linux'), 'Europe/Berlin');
    rmSync(fileOf(dir), { recursive: true });
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      assert.equal(cachedSystemTimeZone(dir, 'linux'), 'Europe/Berlin');
      chmodSync(dir, 0o700);
    }
    assert.equal(localDay(t, 'Europe/Berlin'), '2026-11-24');
  });
});

test('POSIX rules in TZ are kept by name but their calendar stays with Intl', (c) => {
  const dir = tmp(c);
  withTz('EST5EDT,M3.2.0,M11.1.0', () => {
    const zone = cachedSystemTimeZone(dir, 'linux');
    assert.equal(zone, systemTimeZone());
    assert.equal((JSON.parse(readFileSync(fileOf(dir), 'utf8')) as { dateLocal: boolean }).dateLocal, false);
  });
});

test('TZ set but empty (ICU names it "Etc/Unknown", which Intl refuses) is UTC, as the C library reads it', (c) => {
  const dir = tmp(c);
  withTz('', () => {
    assert.equal(systemTimeZone(), 'UTC');
    assert.equal(cachedSystemTimeZone(dir, 'linux'), 'UTC');
    assert.equal(localDay(t, 'UTC'), '2026-11-23');
  });
});

test('a machine in UTC (either name) is found without comparing Date with Intl, and its days are right', (c) => {
  // The comparison formats ~2,500 instants with Intl; UTC's calendar never comes from Date's local getters.
  const proto = Intl.DateTimeFormat.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'formatToParts')!;
  const formatToParts = original.value as (this: Intl.DateTimeFormat, date?: Date | number) => Intl.DateTimeFormatPart[];
  let calls = 0;
  proto.formatToParts = function (this: Intl.DateTimeFormat, date?: Date | number) {
    calls++;
    return formatToParts.call(this, date);
  };
  c.after(() => Object.defineProperty(proto, 'formatToParts', original));
  for (const tz of ['UTC', 'Etc/UTC']) {
    const dir = tmp(c);
    withTz(tz, () => {
      calls = 0;
      const zone = cachedSystemTimeZone(dir, 'linux');
      assert.equal(zone, systemTimeZone());
      assert.match(zone, /^(Etc\/)?UTC$/);
      assert.equal(calls, 0, `${tz}: Intl formatted nothing`);
      assert.equal((JSON.parse(readFileSync(fileOf(dir), 'utf8')) as { dateLocal: boolean }).dateLocal, false);
      // 23:30 UTC on the 23rd: still the 23rd; one millisecond before midnight, and midnight itself.
      assert.equal(localDay(t, zone), '2026-11-23');
      assert.equal(localDay(Date.parse('2026-11-23T23:59:59.999Z'), zone), '2026-11-23');
      assert.equal(localDay(Date.parse('2026-11-24T00:00:00.000Z'), zone), '2026-11-24');
      assert.equal(calls, 0, `${tz}: its days come without Intl`);
    });
  }
  // A zone that is not UTC is still compared.
  const dir = tmp(c);
  withTz('Asia/Tokyo', () => {
    calls = 0;
    cachedSystemTimeZone(dir, 'linux');
    assert.ok(calls > 1000, `Asia/Tokyo: compared at ${calls} instants`);
  });
});

test('UTC named by TZ, or by /etc/localtime with TZ unset, is known without Intl; anything else asks it', () => {
  for (const tz of ['UTC', 'Etc/UTC', ':UTC', ':Etc/UTC']) {
    assert.equal(utcWithoutIntl(tz, '/usr/share/zoneinfo/Europe/Paris'), 'UTC', tz);
    // ICU's own answer for that TZ, the reference.
    assert.equal(withTz(tz, systemTimeZone), 'UTC', `Intl with TZ=${tz}`);
  }
  // TZ set to anything else is ICU's to read, whatever /etc/localtime says.
  for (const tz of ['', 'UTC0', 'GMT', 'utc', 'Europe/Paris', 'Etc/UTC/x', 'EST5EDT,M3.2.0,M11.1.0'])
    assert.equal(utcWithoutIntl(tz, '/usr/share/zoneinfo/Etc/UTC'), null, JSON.stringify(tz));
  for (const link of ['/usr/share/zoneinfo/Etc/UTC', '/usr/share/zoneinfo/UTC', '../usr/share/zoneinfo/Etc/UTC'])
    assert.equal(utcWithoutIntl(undefined, link), 'UTC', link);
  for (const link of [
    null,
    '/usr/share/zoneinfo/Europe/Paris',
    '/usr/share/zoneinfo/posix/UTC',
    '/usr/share/zoneinfo/UTCx',
    '/opt/myzoneinfo/UTC',
    'zoneinfo/UTC',
    '/a/zoneinfo/b/zoneinfo/UTC',
    '/etc/UTC',
    'UTC',
  ])
    assert.equal(utcWithoutIntl(undefined, link), null, String(link));
  // This machine: where its link says UTC, Intl (with TZ unset) says so too.
  let link: string | null = null;
  try {
    link = readlinkSync('/etc/localtime');
  } catch {
    // not a link here: nothing to compare
  }
  if (utcWithoutIntl(undefined, link) === 'UTC') assert.equal(withTz(undefined, systemTimeZone), 'UTC');
});

test('a first run in UTC makes no Intl formatter at all (loading ICU costs ~20 ms and ~8 MB)', (c) => {
  const Original = Intl.DateTimeFormat;
  let made = 0;
  Intl.DateTimeFormat = new Proxy(Original, {
    apply: (target, self, args: []) => (made++, Reflect.apply(target, self, args)),
    construct: (target, args: []) => (made++, Reflect.construct(target, args)),
  });
  c.after(() => (Intl.DateTimeFormat = Original));
  for (const tz of ['UTC', ':Etc/UTC']) {
    made = 0;
    assert.equal(
      withTz(tz, () => cachedSystemTimeZone(tmp(c), 'linux')),
      'UTC',
      tz,
    );
    assert.equal(made, 0, `TZ=${tz}: no formatter made`);
  }
  made = 0;
  assert.equal(
    withTz('Asia/Tokyo', () => cachedSystemTimeZone(tmp(c), 'linux')),
    'Asia/Tokyo',
  );
  assert.ok(made > 0, 'another zone is asked of Intl');
});
