import { z } from 'zod';
import { isIsoDate } from './dates.ts';

/**
 * The campaign's memory, carried from run to run (a private JSON file written by the pipeline).
 * It remembers every source seen in the gap since the last baseline, so a diff knows what is new,
 * what came back and how long a gap stayed open.
 *
 * - `open`: in the latest run's gap list.
 * - `closed`: departed, and Link Status showed it now links to the campaign's site.
 * - `lost`: departed, and Link Status showed it does not link to the site (it stopped being a prospect).
 * - `unverified`: departed without evidence either way (not checked, check failed, or the run was truncated).
 */
export type LedgerStatus = 'open' | 'closed' | 'lost' | 'unverified';

export interface LedgerEntry {
  source: string;
  sourceRootDomain: string;
  status: LedgerStatus;
  /** The first run date that listed the source; kept across departures and reopenings. */
  firstSeenDate: string;
  /** The latest run date that listed the source. */
  lastSeenDate: string;
  /** Runs (this baseline) that listed the source. */
  runsSeen: number;
  /** The run date that found it closed; null unless `status` is `closed`. */
  closedDate: string | null;
  /** Last known values, used as the `previous_*` columns of a change. */
  domainAuthority: number;
  matchedCount: number;
}

export interface Ledger {
  configHash: string;
  /** The run that wrote this ledger. */
  runId: string;
  runDate: string;
  /** Sorted by source, one entry per source. */
  entries: LedgerEntry[];
}

const IsoDate = z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date');

export const LedgerStatusSchema = z.enum(['open', 'closed', 'lost', 'unverified']);

export const LedgerEntrySchema = z.object({
  source: z.string().min(1),
  sourceRootDomain: z.string(),
  status: LedgerStatusSchema,
  firstSeenDate: IsoDate,
  lastSeenDate: IsoDate,
  runsSeen: z.number().int().min(1),
  closedDate: IsoDate.nullable(),
  domainAuthority: z.number(),
  matchedCount: z.number().int().min(0),
}) satisfies z.ZodType<LedgerEntry>;

/** Validates a stored ledger: known statuses, real dates, one entry per source. */
export const LedgerSchema: z.ZodType<Ledger> = z
  .object({
    configHash: z.string().min(1),
    runId: z.string().min(1),
    runDate: IsoDate,
    entries: z.array(LedgerEntrySchema),
  })
  .superRefine((ledger, ctx) => {
    const seen = new Set<string>();
    ledger.entries.forEach((entry, index) => {
      if (seen.has(entry.source)) {
        ctx.addIssue({
          code: 'custom',
          path: ['entries', index, 'source'],
          message: `${entry.source} is listed twice`,
        });
      }
      seen.add(entry.source);
      if (entry.firstSeenDate > entry.lastSeenDate) {
        ctx.addIssue({
          code: 'custom',
          path: ['entries', index, 'firstSeenDate'],
          message: 'must not be after lastSeenDate',
        });
      }
    });
  });

/** Code-unit order, the same on every machine and locale. */
export function compareSources(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
