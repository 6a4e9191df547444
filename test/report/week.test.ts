import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentWeek, isoWeekId, isWeekId, lastCompleteWeek, shiftWeek, weekById, weekDays, weekOf } from '../../src/core/report/week';
import { addDays } from '../../src/core/time';

test('ISO week ids follow the Thursday rule at year boundaries', () => {
  assert.equal(isoWeekId('2026-11-23'), '2026-W48');
  assert.equal(isoWeekId('2021-01-03'), '2020-W53'); // Sunday of the 53rd week of 2020
  assert.equal(isoWeekId('2024-12-30'), '2025-W01'); // Monday belonging to next year
  assert.equal(isoWeekId('2027-01-01'), '2026-W53');
  assert.ok(isWeekId('2020-W53'));
  assert.ok(isWeekId('2026-W53'));
  assert.ok(!isWeekId('2025-W53'));
  assert.ok(!isWeekId('2026-W00'));
  assert.ok(!isWeekId('2026-W7'));
  assert.ok(!isWeekId('2026-47'));
});

test('every day of a year maps to a week whose id maps back to a range containing it, for each start day', () => {
  for (const ws of ['monday', 'sunday', 'saturday'] as const) {
    let day = '2025-12-20';
    while (day < '2027-01-10') {
      const w = weekOf(day, ws);
      assert.deepEqual(weekById(w.id, ws), w, `${ws} ${day}`);
      assert.ok(w.start <= day && day <= w.end);
      assert.equal(weekDays(w).length, 7);
      assert.ok(weekDays(w).includes(addDays(w.start, (8 - { monday: 1, sunday: 7, saturday: 6 }[ws]) % 7)));
      day = addDays(day, 1);
    }
  }
});

test('a week with a Sunday or Saturday start carries the id of the Monday inside it', () => {
  assert.deepEqual(weekById('2026-W47', 'monday'), { id: '2026-W47', start: '2026-11-16', end: '2026-11-22', weekStart: 'monday' });
  assert.deepEqual(weekById('2026-W47', 'sunday'), { id: '2026-W47', start: '2026-11-15', end: '2026-11-21', weekStart: 'sunday' });
  assert.deepEqual(weekById('2026-W47', 'saturday'), { id: '2026-W47', start: '2026-11-14', end: '2026-11-20', weekStart: 'saturday' });
  assert.equal(weekOf('2026-11-22', 'sunday').id, '2026-W48'); // a Sunday starts the next week
  assert.equal(shiftWeek(weekById('2027-W01'), -1).id, '2026-W53');
  assert.throws(() => weekById('2026-W54'), /expected an ISO week such as 2026-W47, got "2026-W54"/);
});

test("the last complete week depends on the user's zone, not UTC", () => {
  // Monday 00:30 in Berlin is still Sunday in UTC and in Los Angeles.
  const t = Date.parse('2026-11-22T23:30:00Z');
  assert.equal(currentWeek(t, 'Europe/Berlin').id, '2026-W48');
  assert.equal(lastCompleteWeek(t, 'Europe/Berlin').id, '2026-W47');
  assert.equal(lastCompleteWeek(t, 'America/Los_Angeles').id, '2026-W46');
  assert.equal(lastCompleteWeek(t, 'America/Los_Angeles', 'sunday').id, '2026-W47');
});
