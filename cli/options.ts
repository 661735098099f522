/** Option parsers more than one command uses; each turns bad input into a one-line UsageError. */
import { UsageError } from './errors.ts';

/** Today's date in UTC, YYYY-MM-DD: the default run date. */
export const todayUtc = (now: Date = new Date()) => now.toISOString().slice(0, 10);

/**
 * A YYYY-MM-DD option that is a real calendar day (2026-02-30 is not), and with `notAfter` not
 * later than that day. Every refusal names the option.
 */
export function parseDateOption(value: string, name: string, options: { notAfter?: string } = {}): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new UsageError(`${name} must be a date like 2026-11-01, got ${JSON.stringify(value.slice(0, 40))}`);
  const parsed = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value)
    throw new UsageError(`${name} ${value} is not a calendar date`);
  if (options.notAfter !== undefined && value > options.notAfter)
    throw new UsageError(`${name} ${value} is in the future (today is ${options.notAfter}, UTC)`);
  return value;
}
