/**
 * Calendar arithmetic on 'YYYY-MM-DD' strings in UTC. The domain never reads a clock: "today"
 * always comes in as an argument, and `Date.UTC` is used only as a calendar calculator.
 */

/** Raised for a string that is not a real 'YYYY-MM-DD' calendar date. */
export class InvalidDateError extends Error {
  override name = 'InvalidDateError';
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date; throws {@link InvalidDateError} for 2025-02-30 and the like. */
export function toEpochDay(date: string): number {
  const match = ISO_DATE.exec(date);
  if (!match) throw new InvalidDateError(`"${date.slice(0, 40)}" is not a YYYY-MM-DD date`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = utcMs(year, month - 1, day);
  if (fromEpochMs(ms) !== date) throw new InvalidDateError(`"${date}" is not a calendar date`);
  return ms / MS_PER_DAY;
}

/** The 'YYYY-MM-DD' date of a day number from {@link toEpochDay}. */
export function fromEpochDay(epochDay: number): string {
  return fromEpochMs(epochDay * MS_PER_DAY);
}

export function isIsoDate(date: string): boolean {
  try {
    toEpochDay(date);
    return true;
  } catch {
    return false;
  }
}

export function addDays(date: string, days: number): string {
  return fromEpochDay(toEpochDay(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return toEpochDay(to) - toEpochDay(from);
}

/** 0 = Sunday … 6 = Saturday, like `Date.prototype.getUTCDay`. */
export function weekdayOf(date: string): number {
  // 1970-01-01 was a Thursday (4).
  return (((toEpochDay(date) + 4) % 7) + 7) % 7;
}

/** The date on `day` of the month `monthOffset` months after the month of `date`. `day` must exist in every month (1–28). */
export function dayOfMonth(date: string, day: number, monthOffset = 0): string {
  toEpochDay(date);
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7)) - 1 + monthOffset;
  return fromEpochMs(utcMs(year, month, day));
}

// Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not. Month and day may overflow (they roll over).
function utcMs(year: number, monthIndex: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  return date.getTime();
}

function fromEpochMs(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new InvalidDateError('date is outside years 0000-9999');
  return `${String(year).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}
