import type { Campaign } from './campaign.ts';
import { compareSources } from './ledger.ts';
import { type CurrentProspect, ignoreMatcher, type MozRowLike } from './prospects.ts';
import { rootDomainOf } from './targets.ts';

/**
 * The run's gap list in columns, one index per source: what toCurrentProspects gives, without an
 * object per prospect. Built page by page (GapFold), so a run never holds the Moz pages themselves.
 * Only the sources stay JS strings (the diff sorts and merges them); titles are UTF-8 bytes and
 * numbers typed arrays, ≈ 60 MB less at 1M prospects than an array slot and a string header each
 * (bench/README.md, 3d). `matchedTargets` lists are shared between prospects with the same targets (a
 * campaign has few combinations): treat them as read-only.
 */
export interface GapColumns {
  source: string[];
  sourceRootDomain: string[];
  title: Utf8Column;
  domainAuthority: NumberColumn;
  /** null kept as NaN (Moz never sends NaN: the boundary's zod schema refuses it). */
  pageAuthority: NumberColumn;
  spamScore: NumberColumn;
  matchedTargets: TargetsColumn;
  matchedCount: NumberColumn;
}

export const emptyGapColumns = (): GapColumns => ({
  source: [],
  sourceRootDomain: [],
  title: new Utf8Column(),
  domainAuthority: new NumberColumn(),
  pageAuthority: new NumberColumn(),
  spamScore: new NumberColumn(),
  matchedTargets: new TargetsColumn(),
  matchedCount: new NumberColumn(),
});

const grown = <T extends Float64Array | Uint32Array | Uint8Array>(array: T, atLeast: number): T => {
  const bigger = new (array.constructor as new (length: number) => T)(Math.max(atLeast, array.length * 2));
  bigger.set(array);
  return bigger;
};

/** Numbers appended one at a time into a Float64Array; `null` is stored as NaN. */
export class NumberColumn {
  private values = new Float64Array(1024);
  length = 0;

  push(value: number | null): void {
    if (this.length === this.values.length) this.values = grown(this.values, this.length + 1);
    this.values[this.length++] = value ?? Number.NaN;
  }

  at(index: number): number {
    return this.values[index] as number;
  }

  nullableAt(index: number): number | null {
    const value = this.values[index] as number;
    return Number.isNaN(value) ? null : value;
  }

  /** Gives back the spare capacity once the column is complete. */
  trim(): void {
    this.values = this.values.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
/** A lone surrogate does not survive UTF-8: such a string is kept as it is (Moz titles: practically never). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Strings appended one at a time as UTF-8 into one buffer, with each one's end offset. */
export class Utf8Column {
  private bytes = new Uint8Array(64 * 1024);
  private ends = new Uint32Array(1024);
  private used = 0;
  private readonly unencodable = new Map<number, string>();
  length = 0;

  push(text: string): void {
    if (LONE_SURROGATE.test(text)) this.unencodable.set(this.length, text);
    else {
      // At most 3 UTF-8 bytes per UTF-16 unit.
      if (this.used + text.length * 3 > this.bytes.length)
        this.bytes = grown(this.bytes, this.used + text.length * 3);
      this.used += utf8.encodeInto(text, this.bytes.subarray(this.used)).written;
    }
    if (this.length === this.ends.length) this.ends = grown(this.ends, this.length + 1);
    this.ends[this.length++] = this.used;
  }

  at(index: number): string {
    const kept = this.unencodable.get(index);
    if (kept !== undefined) return kept;
    const start = index === 0 ? 0 : (this.ends[index - 1] as number);
    return fromUtf8.decode(this.bytes.subarray(start, this.ends[index] as number));
  }

  /**
   * The strings at order[start..end) as one UTF-8 buffer and each one's end offset (how the lake's
   * encoder takes a string column): the bytes this column keeps, copied in that order, with no JS string
   * per value. Each one is exactly what `at` decodes: a leading BOM is dropped as TextDecoder drops it.
   * Undefined when the column keeps a string it could not encode (a lone surrogate).
   */
  utf8Of(
    order: Uint32Array,
    start: number,
    end: number,
  ): { bytes: Uint8Array; ends: Uint32Array } | undefined {
    if (this.unencodable.size > 0) return undefined;
    const source = this.bytes;
    const count = Math.max(0, end - start);
    const ends = new Uint32Array(count);
    let total = 0;
    for (let at = 0; at < count; at++) {
      const index = order[start + at] as number;
      const from = this.startOf(index);
      total += (this.ends[index] as number) - from;
    }
    const bytes = new Uint8Array(total);
    let written = 0;
    for (let at = 0; at < count; at++) {
      const index = order[start + at] as number;
      const from = this.startOf(index);
      const to = this.ends[index] as number;
      for (let offset = from; offset < to; offset++) bytes[written++] = source[offset] as number;
      ends[at] = written;
    }
    return { bytes, ends };
  }

  /** Where string `index` starts, past a leading BOM (EF BB BF), which decoding drops. */
  private startOf(index: number): number {
    const start = index === 0 ? 0 : (this.ends[index - 1] as number);
    const bytes = this.bytes;
    return (this.ends[index] as number) - start >= 3 &&
      bytes[start] === 0xef &&
      bytes[start + 1] === 0xbb &&
      bytes[start + 2] === 0xbf
      ? start + 3
      : start;
  }

  trim(): void {
    this.bytes = this.bytes.slice(0, this.used);
    this.ends = this.ends.slice(0, this.length);
  }
}

/** Each prospect's matched targets as an index into the few distinct lists a campaign's rows have. */
export class TargetsColumn {
  private readonly lists: (readonly string[])[] = [];
  private readonly indexOfList = new Map<readonly string[], number>();
  private indexes = new Uint32Array(1024);
  length = 0;

  /** `targets` is the shared list for its combination: lists are told apart by identity. */
  push(targets: readonly string[]): void {
    let index = this.indexOfList.get(targets);
    if (index === undefined) {
      index = this.lists.push(targets) - 1;
      this.indexOfList.set(targets, index);
    }
    if (this.length === this.indexes.length) this.indexes = grown(this.indexes, this.length + 1);
    this.indexes[this.length++] = index;
  }

  at(index: number): readonly string[] {
    return this.lists[this.indexes[index] as number] as readonly string[];
  }

  trim(): void {
    this.indexes = this.indexes.slice(0, this.length);
  }
}

/** Gives back every column's spare capacity once the gap list is complete. */
export function trimGapColumns(columns: GapColumns): GapColumns {
  columns.title.trim();
  columns.domainAuthority.trim();
  columns.pageAuthority.trim();
  columns.spamScore.trim();
  columns.matchedTargets.trim();
  columns.matchedCount.trim();
  return { ...columns, source: columns.source.slice(), sourceRootDomain: columns.sourceRootDomain.slice() };
}

/**
 * Folds Moz rows into GapColumns as they arrive, with toCurrentProspects' rules: a source listed twice
 * keeps its first row, ignored and excluded sources are dropped, Moz's order is kept, indexes outside
 * `campaign.competitors` are dropped, a negative spam score becomes null.
 */
export class GapFold {
  readonly columns: GapColumns = emptyGapColumns();
  private readonly seen = new Set<string>();
  private readonly ignored: (source: string) => boolean;
  private readonly targetsByIndexes = new Map<string, readonly string[]>();

  constructor(
    private readonly campaign: Campaign,
    private readonly excluded: ReadonlySet<string> = new Set(),
  ) {
    this.ignored = ignoreMatcher(campaign.ignore);
  }

  add(rows: readonly MozRowLike[]): void {
    const columns = this.columns;
    for (const row of rows) {
      if (this.seen.has(row.source)) continue;
      this.seen.add(row.source);
      if (this.ignored(row.source) || this.excluded.has(row.source)) continue;
      const root = rootDomainOf(row.source);
      columns.source.push(row.source);
      columns.sourceRootDomain.push(root === row.source ? row.source : root);
      columns.title.push(row.title);
      columns.domainAuthority.push(row.domainAuthority);
      columns.pageAuthority.push(row.pageAuthority);
      columns.spamScore.push(row.spamScore !== null && row.spamScore >= 0 ? row.spamScore : null);
      const targets = this.targetsOf(row.matchingTargetIndexes);
      columns.matchedTargets.push(targets);
      columns.matchedCount.push(targets.length);
    }
  }

  private targetsOf(indexes: readonly number[]): readonly string[] {
    const key = indexes.join(',');
    let targets = this.targetsByIndexes.get(key);
    if (targets === undefined) {
      const wanted = new Set(indexes);
      targets = this.campaign.competitors
        .filter((_, index) => wanted.has(index))
        .map((competitor) => competitor.target);
      this.targetsByIndexes.set(key, targets);
    }
    return targets;
  }
}

/** Columns of prospects already in CurrentProspect form (diffRun's input). */
export function gapColumnsOf(prospects: readonly CurrentProspect[]): GapColumns {
  const columns = emptyGapColumns();
  for (const prospect of prospects) {
    columns.source.push(prospect.source);
    columns.sourceRootDomain.push(prospect.sourceRootDomain);
    columns.title.push(prospect.title);
    columns.domainAuthority.push(prospect.domainAuthority);
    columns.pageAuthority.push(prospect.pageAuthority);
    columns.spamScore.push(prospect.spamScore);
    columns.matchedTargets.push(prospect.matchedTargets);
    columns.matchedCount.push(prospect.matchedCount);
  }
  return columns;
}

/**
 * Current indexes sorted by source (planDiff's merge order; PlanInput.bySource takes it precomputed).
 * Sorted as a plain array: its sort (TimSort) merges the runs already in order that a gap list often
 * has, where a typed array's sort with a comparator is a plain merge sort (on shuffled sources the two
 * cost the same).
 */
export function sortedBySource(current: GapColumns): Uint32Array {
  const sources = current.source;
  const order: number[] = [];
  for (let index = 0; index < sources.length; index++) order.push(index);
  order.sort((a, b) => compareSources(sources[a] as string, sources[b] as string));
  return Uint32Array.from(order);
}
