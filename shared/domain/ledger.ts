import * as z from 'zod';
import { isIsoDate } from './dates.ts';
import { builtSchema, lazySchema } from './lazy-schema.ts';

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

/** Counts are held as 32-bit unsigned integers (LedgerColumns). */
const MAX_COUNT = 0xffffffff;

const IsoDate = lazySchema(() => z.string().refine(isIsoDate, 'must be a YYYY-MM-DD date'));

/** The statuses in code order: a stored ledger's status column holds indexes into this list. */
export const LEDGER_STATUSES = [
  'open',
  'closed',
  'lost',
  'unverified',
] as const satisfies readonly LedgerStatus[];

export const LedgerStatusSchema = lazySchema(() => z.enum(LEDGER_STATUSES));

export const LedgerEntrySchema = lazySchema(
  () =>
    z.object({
      source: z.string().min(1),
      sourceRootDomain: z.string(),
      status: builtSchema(LedgerStatusSchema),
      firstSeenDate: builtSchema(IsoDate),
      lastSeenDate: builtSchema(IsoDate),
      runsSeen: z.number().int().min(1).max(MAX_COUNT),
      closedDate: builtSchema(IsoDate).nullable(),
      domainAuthority: z.number(),
      matchedCount: z.number().int().min(0).max(MAX_COUNT),
    }) satisfies z.ZodType<LedgerEntry>,
);

/** Validates a stored ledger: known statuses, real dates, one entry per source. */
export const LedgerSchema: z.ZodType<Ledger> = lazySchema(() =>
  z
    .object({
      configHash: z.string().min(1),
      runId: z.string().min(1),
      runDate: builtSchema(IsoDate),
      entries: z.array(builtSchema(LedgerEntrySchema)),
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
    }),
);

/** Code-unit order, the same on every machine and locale. */
export function compareSources(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** LEDGER_STATUSES' index of `open`, the status the merge asks about most. */
export const OPEN = LEDGER_STATUSES.indexOf('open');
/** The most distinct dates one ledger holds: a date code is 16 bits (179 years of daily runs). */
export const MAX_LEDGER_DATES = 0xffff;

/**
 * A ledger in columns (index i is one entry), sorted by source with one entry per source: how a run
 * holds its previous ledger, so that a million entries are a few arrays rather than a million objects,
 * and the diff is a merge of two sorted lists. Only sources are JS strings; the rest are typed arrays
 * (≈ 23 bytes an entry instead of 56 in array slots, bench/README.md 3e): a status is an index into
 * LEDGER_STATUSES, a date an index into `dates` (the few distinct dates the entries use), and
 * `closedDate` is 0 for null or 1 + that index. Read them through ledgerEntryAt, statusAt and dateAt.
 */
export interface LedgerColumns {
  configHash: string;
  runId: string;
  runDate: string;
  source: string[];
  sourceRootDomain: string[];
  status: Uint8Array;
  /** The distinct dates, in the order the entries first use them. */
  dates: string[];
  firstSeenDate: Uint16Array;
  lastSeenDate: Uint16Array;
  closedDate: Uint16Array;
  runsSeen: Uint32Array;
  domainAuthority: Float64Array;
  matchedCount: Uint32Array;
}

/** What a ledger says about itself, ahead of its entries (the first line of its file). */
export type LedgerHeader = Pick<Ledger, 'configHash' | 'runId' | 'runDate'>;

export class LedgerDatesError extends Error {
  override name = 'LedgerDatesError';
}

/** A growable typed array: doubles its capacity when full, trimmed by `done`. */
class Growable<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array> {
  length = 0;
  constructor(private values: T) {}

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new (this.values.constructor as new (length: number) => T)(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  done(): T {
    return this.values.slice(0, this.length) as T;
  }
}

/**
 * Builds LedgerColumns one entry at a time (the file is read as a stream): the caller keeps the source
 * order and checks each entry first (ledgerEntryProblem); the statuses and dates become codes here.
 */
export class LedgerColumnsBuilder {
  private readonly source: string[] = [];
  private readonly sourceRootDomain: string[] = [];
  private readonly status = new Growable(new Uint8Array(1024));
  private readonly firstSeenDate = new Growable(new Uint16Array(1024));
  private readonly lastSeenDate = new Growable(new Uint16Array(1024));
  private readonly closedDate = new Growable(new Uint16Array(1024));
  private readonly runsSeen = new Growable(new Uint32Array(1024));
  private readonly domainAuthority = new Growable(new Float64Array(1024));
  private readonly matchedCount = new Growable(new Uint32Array(1024));
  private readonly dates: string[] = [];
  private readonly dateCodes = new Map<string, number>();

  constructor(private readonly header: LedgerHeader) {}

  /** True when `value` is a date an entry already used (checked once, then known). */
  knowsDate(value: string): boolean {
    return this.dateCodes.has(value);
  }

  push(entry: LedgerEntry): void {
    this.source.push(entry.source);
    this.sourceRootDomain.push(entry.sourceRootDomain);
    const status = LEDGER_STATUSES.indexOf(entry.status);
    if (status < 0) throw new TypeError(`unknown ledger status ${String(entry.status)}`);
    this.status.push(status);
    this.firstSeenDate.push(this.codeOf(entry.firstSeenDate));
    this.lastSeenDate.push(this.codeOf(entry.lastSeenDate));
    this.closedDate.push(entry.closedDate === null ? 0 : 1 + this.codeOf(entry.closedDate));
    this.runsSeen.push(entry.runsSeen);
    this.domainAuthority.push(entry.domainAuthority);
    this.matchedCount.push(entry.matchedCount);
  }

  columns(): LedgerColumns {
    const { configHash, runId, runDate } = this.header;
    return {
      configHash,
      runId,
      runDate,
      source: this.source,
      sourceRootDomain: this.sourceRootDomain,
      status: this.status.done(),
      dates: this.dates,
      firstSeenDate: this.firstSeenDate.done(),
      lastSeenDate: this.lastSeenDate.done(),
      closedDate: this.closedDate.done(),
      runsSeen: this.runsSeen.done(),
      domainAuthority: this.domainAuthority.done(),
      matchedCount: this.matchedCount.done(),
    };
  }

  private codeOf(date: string): number {
    const known = this.dateCodes.get(date);
    if (known !== undefined) return known;
    // closedDate stores 1 + the code in 16 bits, so the codes stop one short of the 16-bit range.
    if (this.dates.length === MAX_LEDGER_DATES)
      throw new LedgerDatesError(`a ledger holds at most ${MAX_LEDGER_DATES} distinct dates`);
    this.dateCodes.set(date, this.dates.length);
    return this.dates.push(date) - 1;
  }
}

export function emptyLedgerColumns(header: LedgerHeader): LedgerColumns {
  return new LedgerColumnsBuilder(header).columns();
}

/** The columns of a ledger whose entries may come in any order (they are sorted by source). */
export function ledgerColumnsOf(ledger: Ledger): LedgerColumns {
  const builder = new LedgerColumnsBuilder(ledger);
  const sorted = [...ledger.entries].sort((a, b) => compareSources(a.source, b.source));
  for (const entry of sorted) builder.push(entry);
  return builder.columns();
}

/**
 * The entries at `indexes` (increasing), as columns of their own: typed slices copied, the date table
 * shared (a few strings).
 */
export function selectLedgerEntries(columns: LedgerColumns, indexes: readonly number[]): LedgerColumns {
  const pick = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(array: T): T => {
    const picked = new (array.constructor as new (length: number) => T)(indexes.length);
    indexes.forEach((index, at) => {
      picked[at] = array[index] as number;
    });
    return picked;
  };
  return {
    configHash: columns.configHash,
    runId: columns.runId,
    runDate: columns.runDate,
    source: indexes.map((index) => columns.source[index] as string),
    sourceRootDomain: indexes.map((index) => columns.sourceRootDomain[index] as string),
    status: pick(columns.status),
    dates: columns.dates,
    firstSeenDate: pick(columns.firstSeenDate),
    lastSeenDate: pick(columns.lastSeenDate),
    closedDate: pick(columns.closedDate),
    runsSeen: pick(columns.runsSeen),
    domainAuthority: pick(columns.domainAuthority),
    matchedCount: pick(columns.matchedCount),
  };
}

export const statusAt = (columns: LedgerColumns, index: number): LedgerStatus =>
  LEDGER_STATUSES[columns.status[index] as number] as LedgerStatus;

/** The date a date code stands for. */
export const dateAt = (columns: LedgerColumns, code: number): string => columns.dates[code] as string;

export function ledgerEntryAt(columns: LedgerColumns, index: number): LedgerEntry {
  const closed = columns.closedDate[index] as number;
  return {
    source: columns.source[index] as string,
    sourceRootDomain: columns.sourceRootDomain[index] as string,
    status: statusAt(columns, index),
    firstSeenDate: dateAt(columns, columns.firstSeenDate[index] as number),
    lastSeenDate: dateAt(columns, columns.lastSeenDate[index] as number),
    runsSeen: columns.runsSeen[index] as number,
    closedDate: closed === 0 ? null : dateAt(columns, closed - 1),
    domainAuthority: columns.domainAuthority[index] as number,
    matchedCount: columns.matchedCount[index] as number,
  };
}

const STATUSES: ReadonlySet<string> = new Set(LEDGER_STATUSES);

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
  if (!Number.isInteger(entry.runsSeen) || entry.runsSeen < 1 || entry.runsSeen > MAX_COUNT)
    return `runsSeen must be a whole number from 1 to ${MAX_COUNT}`;
  if (entry.closedDate !== null && !isDate(entry.closedDate)) return 'closedDate must be a date or null';
  if (typeof entry.domainAuthority !== 'number' || !Number.isFinite(entry.domainAuthority))
    return 'domainAuthority must be a number';
  if (!Number.isInteger(entry.matchedCount) || entry.matchedCount < 0 || entry.matchedCount > MAX_COUNT)
    return `matchedCount must be a whole number from 0 to ${MAX_COUNT}`;
  return undefined;
}
