/** Option parsers more than one command uses; each turns bad input into a one-line UsageError. */
import { UsageError } from './errors.ts';

/** Today's date in UTC, YYYY-MM-DD: the default run date. */
export const todayUtc = (now: Date = new Date()) => now.toISOString().slice(0, 10);

/** A YYYY-MM-DD calendar date, or a UsageError naming the option. */
export function parseDateOption(value: string, name: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new UsageError(`${name} must be a date like 2026-11-01, got "${value}"`);
  }
  return value;
}
