import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDays, daysBetween, daysInMonth, isDay, isValidTimeZone, localDay, startOfDay, weekday } from '../../src/core/time';

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
  assert.ok(isValidTimeZone('Asia/Kolkata'));
  assert.ok(!isValidTimeZone('Mars/Olympus'));
});

test('dayOfIso agrees with localDay, including zones whose midnight falls mid-hour', async () => {
  const { dayOfIso } = await import('../../src/core/time');
  for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham']) {
    const dayOf = dayOfIso(tz);
    for (let t = Date.parse('2026-03-07T00:00:00Z'); t < Date.parse('2026-03-10T00:00:00Z'); t += 7 * 60_000) {
      const iso = new Date(t).toISOString();
      assert.equal(dayOf(iso), localDay(t, tz), `${tz} ${iso}`);
    }
  }
});
