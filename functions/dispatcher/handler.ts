import * as z from 'zod';
import { type DispatchDeps, type DispatchResult, dispatchDue } from '#pipeline/dispatch.ts';
import { once } from '../cold-start.ts';
import { coldStartDeps } from './deps.ts';

export { coldStartDeps } from './deps.ts';

/**
 * EventBridge Scheduler passes `{source, scheduledTime}`; `today` overrides the date (replays, tests).
 * Anything else is ignored rather than failing the whole day's dispatch.
 */
export const DispatcherEvent = z
  .looseObject({ today: z.iso.date().optional(), scheduledTime: z.iso.datetime({ offset: true }).optional() })
  .catch({});

/** The calendar date of `instant` in `timeZone`, as YYYY-MM-DD. */
export function dateIn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

export async function run(
  event: unknown,
  deps: DispatchDeps & { timeZone: string },
  now: Date = new Date(),
): Promise<DispatchResult> {
  const parsed = DispatcherEvent.parse(event ?? {});
  const today =
    parsed.today ?? dateIn(parsed.scheduledTime ? new Date(parsed.scheduledTime) : now, deps.timeZone);
  return dispatchDue({ today }, deps);
}

const deps = once(() => coldStartDeps());
export const handler = (event: unknown) => run(event, deps());
