/**
 * What `linkgap campaign update` changes, worked out before anything is written: the stored
 * `enabled` is kept unless the file sets it, every changed field is listed, and a change to the
 * fields that define the gap list (the config hash) is called out, because the next run then starts
 * a new baseline.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Campaign, configHash } from '#domain/campaign.ts';

/** The fields people see, in the README's order. */
const FIELDS = [
  'name',
  'site',
  'competitors',
  'minMatchingTargets',
  'sourceScope',
  'sort',
  'maxRowsPerRun',
  'verifyDepartures',
  'schedule',
  'ignore',
  'enabled',
] as const satisfies readonly (keyof Campaign)[];

export const scheduleText = (schedule: Campaign['schedule']) =>
  schedule.every === 'month' ? `monthly, day ${schedule.day}` : `weekly, ${schedule.weekday}`;

function valueText(field: (typeof FIELDS)[number], value: unknown): string {
  if (value === undefined) return '(none)';
  if (field === 'site' || field === 'competitors') {
    return (value as Campaign['site']).map((target) => `${target.target} (${target.scope})`).join(', ');
  }
  if (field === 'schedule') return scheduleText(value as Campaign['schedule']);
  return JSON.stringify(value);
}

/** One line per changed field: `maxRowsPerRun: 5000 -> 900`. */
export function campaignChanges(before: Campaign, after: Campaign): string[] {
  return FIELDS.filter((field) => !isDeepStrictEqual(before[field], after[field])).map(
    (field) => `${field}: ${valueText(field, before[field])} -> ${valueText(field, after[field])}`,
  );
}

/**
 * The campaign to store: the file's, except that a file without `enabled` keeps the stored value
 * (a disabled campaign must not start spending quota again because its file was edited).
 */
export function mergeForUpdate(fromFile: Campaign, fileInput: unknown, storedRaw: unknown): Campaign {
  const fileSetsEnabled = typeof fileInput === 'object' && fileInput !== null && 'enabled' in fileInput;
  if (fileSetsEnabled) return fromFile;
  const storedEnabled =
    typeof storedRaw === 'object' && storedRaw !== null && 'enabled' in storedRaw
      ? (storedRaw as { enabled: unknown }).enabled
      : undefined;
  return typeof storedEnabled === 'boolean' ? { ...fromFile, enabled: storedEnabled } : fromFile;
}

/**
 * Whether the next run starts a new baseline: runs are diffed only against the latest committed run
 * with the same config hash, so it does when that run's hash differs from the updated campaign's.
 * A campaign without committed runs starts with a baseline anyway.
 */
export function startsNewBaseline(updated: Campaign, latestRunConfigHash: string | undefined): boolean {
  return latestRunConfigHash !== undefined && latestRunConfigHash !== configHash(updated);
}
