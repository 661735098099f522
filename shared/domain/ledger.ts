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

/**
 * A ledger in columns (index i is one entry), sorted by source with one entry per source: how a run
 * holds its previous ledger, so that a million entries are a few arrays rather than a million objects,
 * and the diff is a merge of two sorted lists.
 */
export interface LedgerColumns {
  configHash: string;
  runId: string;
  runDate: string;
  source: string[];
  sourceRootDomain: string[];
  status: LedgerStatus[];
  firstSeenDate: string[];
  lastSeenDate: string[];
  runsSeen: number[];
  closedDate: (string | null)[];
  domainAuthority: number[];
  matchedCount: number[];
}

export function emptyLedgerColumns(header: Pick<Ledger, 'configHash' | 'runId' | 'runDate'>): LedgerColumns {
  return {
    configHash: header.configHash,
    runId: header.runId,
    runDate: header.runDate,
    source: [],
    sourceRootDomain: [],
    status: [],
    firstSeenDate: [],
    lastSeenDate: [],
    runsSeen: [],
    closedDate: [],
    domainAuthority: [],
    matchedCount: [],
  };
}

/** Appends one entry; the caller keeps the source order (see checkLedgerEntry). */
export function pushLedgerEntry(columns: LedgerColumns, entry: LedgerEntry): void {
  columns.source.push(entry.source);
  columns.sourceRootDomain.push(entry.sourceRootDomain);
  columns.status.push(entry.status);
  columns.firstSeenDate.push(entry.firstSeenDate);
  columns.lastSeenDate.push(entry.lastSeenDate);
  columns.runsSeen.push(entry.runsSeen);
  columns.closedDate.push(entry.closedDate);
  columns.domainAuthority.push(entry.domainAuthority);
  columns.matchedCount.push(entry.matchedCount);
}

/** The columns of a ledger whose entries may come in any order (they are sorted by source). */
export function ledgerColumnsOf(ledger: Ledger): LedgerColumns {
  const columns = emptyLedgerColumns(ledger);
  const sorted = [...ledger.entries].sort((a, b) => compareSources(a.source, b.source));
  for (const entry of sorted) pushLedgerEntry(columns, entry);
  return columns;
}

export function ledgerEntryAt(columns: LedgerColumns, index: number): LedgerEntry {
  return {
    source: columns.source[index] as string,
    sourceRootDomain: columns.sourceRootDomain[index] as string,
    status: columns.status[index] as LedgerStatus,
    firstSeenDate: columns.firstSeenDate[index] as string,
    lastSeenDate: columns.lastSeenDate[index] as string,
    runsSeen: columns.runsSeen[index] as number,
    closedDate: columns.closedDate[index] as string | null,
    domainAuthority: columns.domainAuthority[index] as number,
    matchedCount: columns.matchedCount[index] as number,
  };
}

const STATUSES: ReadonlySet<string> = new Set(LedgerStatusSchema.options);

/**
 * What is wrong with a stored ledger entry that follows `previousSource`, or undefined when it is sound:
 * the rules of LedgerSchema (known status, real dates, firstSeenDate ≤ lastSeenDate, runsSeen ≥ 1, a
 * whole matchedCount ≥ 0) in plain code, plus the order that makes one source appear once: strictly
 * after the previous entry's source.
 */
export function ledgerEntryProblem(
  entry: LedgerEntry,
  previousSource: string | undefined,
  isDate: (value: string) => boolean = isIsoDate,
): string | undefined {
  if (typeof entry.source !== 'string' || entry.source.length === 0)
    return 'source must be a non-empty string';
  if (previousSource !== undefined && !(previousSource < entry.source))
    return `${entry.source} is not after ${previousSource} (entries must be sorted by source, each once)`;
  if (typeof entry.sourceRootDomain !== 'string') return 'sourceRootDomain must be a string';
  if (!STATUSES.has(entry.status)) return `unknown status ${String(entry.status)}`;
  if (!isDate(entry.firstSeenDate) || !isDate(entry.lastSeenDate))
    return 'seen dates must be YYYY-MM-DD dates';
  if (entry.firstSeenDate > entry.lastSeenDate) return 'firstSeenDate must not be after lastSeenDate';
  if (!Number.isInteger(entry.runsSeen) || entry.runsSeen < 1) return 'runsSeen must be a whole number ≥ 1';
  if (entry.closedDate !== null && !isDate(entry.closedDate)) return 'closedDate must be a date or null';
  if (typeof entry.domainAuthority !== 'number' || !Number.isFinite(entry.domainAuthority))
    return 'domainAuthority must be a number';
  if (!Number.isInteger(entry.matchedCount) || entry.matchedCount < 0)
    return 'matchedCount must be a whole number ≥ 0';
  return undefined;
}
