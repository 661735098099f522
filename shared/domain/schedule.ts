import type { Schedule } from './campaign.ts';
import { addDays, dayOfMonth, toEpochDay, weekdayOf } from './dates.ts';

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/**
 * The most recent scheduled date on or before `today` ('YYYY-MM-DD', UTC). Monthly: day D of this
 * month when today is on or after it, else day D of last month. Weekly: the latest such weekday
 * (today itself when it is that weekday).
 */
export function scheduledDateOnOrBefore(schedule: Schedule, today: string): string {
  if (schedule.every === 'month') {
    const thisMonth = dayOfMonth(today, schedule.day);
    return thisMonth <= today ? thisMonth : dayOfMonth(today, schedule.day, -1);
  }
  const wanted = WEEKDAYS.indexOf(schedule.weekday);
  const back = (weekdayOf(today) - wanted + 7) % 7;
  return addDays(today, -back);
}

/**
 * The run date due now: the most recent scheduled date on or before `today`, unless a run already
 * exists for it (`lastRunDate` on or after it); then undefined.
 *
 * Missed older periods are not back-filled: Moz keeps no history, so a late run for an old period
 * would be labelled with that period's date but hold today's data. After an outage the campaign
 * simply resumes with the current period.
 */
export function dueRunDate(
  schedule: Schedule,
  today: string,
  lastRunDate: string | undefined,
): string | undefined {
  const scheduled = scheduledDateOnOrBefore(schedule, today);
  return lastRunDate === undefined || lastRunDate < scheduled ? scheduled : undefined;
}

/**
 * `count` monthly run dates on `day` (1–28), starting with the first such date on or after `from`:
 * `monthlyRunDates('2025-01-15', 3)` → 2025-02-01, 2025-03-01, 2025-04-01. Used by the demo to replay months.
 */
export function monthlyRunDates(from: string, count: number, day = 1): string[] {
  if (!Number.isInteger(day) || day < 1 || day > 28)
    throw new RangeError(`day must be an integer 1-28, got ${day}`);
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  toEpochDay(from);
  const offset = dayOfMonth(from, day) >= from ? 0 : 1;
  return Array.from({ length: count }, (_, index) => dayOfMonth(from, day, offset + index));
}
