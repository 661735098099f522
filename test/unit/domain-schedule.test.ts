import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Schedule } from '#domain/campaign.ts';
import { addDays, daysBetween, InvalidDateError, toEpochDay, weekdayOf } from '#domain/dates.ts';
import { dueRunDate, monthlyRunDates, scheduledDateOnOrBefore } from '#domain/schedule.ts';

const monthly = (day: number): Schedule => ({ every: 'month', day });
const weekly = (weekday: Extract<Schedule, { every: 'week' }>['weekday']): Schedule => ({
  every: 'week',
  weekday,
});

describe('scheduledDateOnOrBefore', () => {
  it.each<[string, Schedule, string, string]>([
    ['monthly, on the day', monthly(1), '2025-03-01', '2025-03-01'],
    ['monthly, after the day', monthly(1), '2025-03-17', '2025-03-01'],
    ['monthly, before the day: last month', monthly(15), '2025-03-14', '2025-02-15'],
    ['monthly, across a year', monthly(10), '2025-01-09', '2024-12-10'],
    ['monthly, day 28 in February', monthly(28), '2025-02-28', '2025-02-28'],
    ['monthly, day 28 on March 1st', monthly(28), '2025-03-01', '2025-02-28'],
    ['weekly, on the weekday (a Monday)', weekly('monday'), '2025-03-03', '2025-03-03'],
    ['weekly, later in the week', weekly('monday'), '2025-03-09', '2025-03-03'],
    ['weekly, the day before the weekday', weekly('friday'), '2025-03-06', '2025-02-28'],
    ['weekly, Sunday', weekly('sunday'), '2025-01-01', '2024-12-29'],
  ])('%s', (_label, schedule, today, expected) => {
    expect(scheduledDateOnOrBefore(schedule, today)).toBe(expected);
  });

  it('is a scheduled date, on or before today, within one period', () => {
    const day = fc.integer({ min: 0, max: 365 * 30 }).map((offset) => addDays('2000-01-01', offset));
    const schedule = fc.oneof(
      fc.integer({ min: 1, max: 28 }).map(monthly),
      fc
        .constantFrom('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday' as const)
        .map(weekly),
    );
    fc.assert(
      fc.property(schedule, day, (s, today) => {
        const scheduled = scheduledDateOnOrBefore(s, today);
        expect(scheduled <= today).toBe(true);
        if (s.every === 'month') {
          expect(Number(scheduled.slice(8))).toBe(s.day);
          expect(daysBetween(scheduled, today)).toBeLessThan(31);
        } else {
          expect(weekdayOf(scheduled)).toBe(weekdayOf(scheduledDateOnOrBefore(s, '2025-03-03')));
          expect(daysBetween(scheduled, today)).toBeLessThan(7);
        }
      }),
    );
  });
});

describe('dueRunDate', () => {
  it.each<[string, Schedule, string, string | undefined, string | undefined]>([
    ['the first run ever', monthly(1), '2025-03-05', undefined, '2025-03-01'],
    ['last period done, this one not yet', monthly(1), '2025-03-05', '2025-02-01', '2025-03-01'],
    ['this period already ran', monthly(1), '2025-03-05', '2025-03-01', undefined],
    ['on the day itself', monthly(1), '2025-03-01', '2025-02-01', '2025-03-01'],
    ['before the day: nothing new', monthly(15), '2025-03-14', '2025-02-15', undefined],
    ['missed months are not back-filled', monthly(1), '2025-06-20', '2025-01-01', '2025-06-01'],
    ['a manual run later in the period counts', monthly(1), '2025-03-20', '2025-03-10', undefined],
    ['weekly, due', weekly('monday'), '2025-03-05', '2025-02-24', '2025-03-03'],
    ['weekly, done', weekly('monday'), '2025-03-05', '2025-03-03', undefined],
  ])('%s', (_label, schedule, today, lastRunDate, expected) => {
    expect(dueRunDate(schedule, today, lastRunDate)).toBe(expected);
  });

  it('is due once per period when checked daily', () => {
    let last: string | undefined;
    const runs: string[] = [];
    for (let offset = 0; offset < 90; offset += 1) {
      const due = dueRunDate(monthly(5), addDays('2025-01-01', offset), last);
      if (due) {
        runs.push(due);
        last = due;
      }
    }
    expect(runs).toEqual(['2024-12-05', '2025-01-05', '2025-02-05', '2025-03-05']);
  });
});

describe('monthlyRunDates', () => {
  it.each<[string, number, number | undefined, string[]]>([
    ['2025-01-01', 3, undefined, ['2025-01-01', '2025-02-01', '2025-03-01']],
    ['2025-01-15', 2, undefined, ['2025-02-01', '2025-03-01']],
    ['2024-11-20', 3, 28, ['2024-11-28', '2024-12-28', '2025-01-28']],
    ['2025-01-01', 0, undefined, []],
  ])('from %s, %i dates on day %s', (from, count, day, expected) => {
    expect(monthlyRunDates(from, count, day)).toEqual(expected);
  });

  it.each([
    ['day 0', () => monthlyRunDates('2025-01-01', 1, 0)],
    ['day 29', () => monthlyRunDates('2025-01-01', 1, 29)],
    ['a negative count', () => monthlyRunDates('2025-01-01', -1)],
  ])('rejects %s', (_label, call) => {
    expect(call).toThrow(RangeError);
  });
});

describe('dates', () => {
  it.each(['2025-02-29', '2025-13-01', '2025-1-01', '20250101', '', '2025-01-01T00:00:00Z'])(
    'rejects %j',
    (text) => {
      expect(() => toEpochDay(text)).toThrow(InvalidDateError);
    },
  );

  it.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['2024-12-31', 1, '2025-01-01'],
    ['0050-01-01', 0, '0050-01-01'],
    ['2025-03-01', -1, '2025-02-28'],
  ])('%s plus %i day(s) is %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('weekdayOf matches Date#getUTCDay', () => {
    fc.assert(
      fc.property(fc.integer({ min: -20_000, max: 40_000 }), (epochDay) => {
        const date = addDays('1970-01-01', epochDay);
        expect(weekdayOf(date)).toBe(new Date(`${date}T00:00:00Z`).getUTCDay());
      }),
    );
  });
});
