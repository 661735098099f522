import { type Baseline, baselineColumns } from './baseline.ts';
import type { Campaign } from './campaign.ts';
import { daysBetween } from './dates.ts';
import { type GapColumns, gapColumnsOf, sortedBySource } from './gap-columns.ts';
import type { ChangeKind, ChangeRow, ProspectRow, ProspectStatus } from './lake-contract.ts';
import {
  compareSources,
  dateAt,
  emptyLedgerColumns,
  type Ledger,
  type LedgerColumns,
  type LedgerEntry,
  type LedgerStatus,
  ledgerEntryAt,
  OPEN,
  selectLedgerEntries,
} from './ledger.ts';
import { type CurrentProspect, ignoreMatcher, prospectScore } from './prospects.ts';
import { NO_REVIEWS, type RunReviews, UNREVIEWED, viewOf } from './review.ts';

export interface DiffInput {
  campaign: Campaign;
  runId: string;
  runDate: string;
  configHash: string;
  /** What this run is compared with (see comparableBaseline); undefined makes this run a new baseline. */
  baseline: Baseline | undefined;
  current: CurrentProspect[];
  /** The current gap list was cut by the budget: a departed source may sit beyond the cut. */
  truncated: boolean;
  /** Link Status evidence for departed sources: true = now links to the campaign's site; absent = not verified. */
  verification: ReadonlyMap<string, boolean>;
  /** The reviews the run read at its start: excluded sources appear nowhere; rows carry review_state. */
  reviews?: RunReviews;
}

export interface DiffCounts {
  gapSize: number;
  new: number;
  persisting: number;
  reopened: number;
  closed: number;
  lost: number;
  unverified: number;
  /** Open sources in the previous ledger (ignored ones left out); null for a baseline. */
  previousGapSize: number | null;
}

export interface DiffResult {
  baseline: boolean;
  /** status new | persisting | reopened; sorted by score (high first), then source. */
  prospects: ProspectRow[];
  /** new (every row of a baseline), reopened, and closed | lost | unverified for departed sources; sorted by change, then source. */
  changes: ChangeRow[];
  /** The memory for the next run. */
  ledger: Ledger;
  counts: DiffCounts;
  /** closed / previousGapSize, in [0, 1]; null for a baseline or an empty previous gap. */
  closureRate: number | null;
}

/**
 * Diffs this run's gap list against the campaign's ledger (DESIGN.md section 5).
 *
 * - `new`: in the gap list, not in the ledger (never seen since the baseline).
 * - `persisting`: open in the ledger and in the gap list.
 * - `reopened`: in the gap list, and the ledger has it as closed, lost or unverified. DESIGN.md says
 *   "was closed before"; we extend it to every departed status, because a source that is back in the
 *   gap is back whatever we concluded when it left. It keeps its first_seen_date and runs_seen count on.
 * - departed (open in the ledger, not in the gap list):
 *   `closed` only when Link Status says it now links to the site (verification true);
 *   `lost` when Link Status says it does not (false) and the run was not truncated;
 *   `unverified` otherwise: not checked, check failed, or a truncated run (it could sit beyond the cut).
 *   Nothing is closed without evidence; a truncated run never reports `lost`.
 * - Sources matched by `campaign.ignore`, and sources people rejected or marked do_not_contact
 *   (`reviews.excluded`), appear nowhere (the baseline already leaves them out).
 * - Every row carries the source's review state as the run read it (`to_review` when nobody did); a
 *   `lost` change whose review_state is `won` is an earned link that went away.
 * - `closureRate` = closed / open sources in the previous ledger.
 */
export function diffRun(input: DiffInput): DiffResult {
  const ignored = ignoreMatcher(input.campaign.ignore);
  const reviews = input.reviews ?? NO_REVIEWS;
  const current = uniqueBySource(
    input.current.filter((prospect) => !ignored(prospect.source) && !reviews.excluded.has(prospect.source)),
  );
  const previous = input.baseline && baselineColumns(input.baseline, input.configHash);
  const plan = planDiff({ ...input, reviews, previous, current: gapColumnsOf(current) });
  return {
    baseline: plan.baseline,
    prospects: prospectRows(plan, 0, plan.prospectOrder.length),
    changes: changeRows(plan, 0, plan.changeRef.length),
    ledger: {
      configHash: input.configHash,
      runId: input.runId,
      runDate: input.runDate,
      entries: [...nextLedgerEntries(plan)],
    },
    counts: plan.counts,
    closureRate: plan.closureRate,
  };
}

/** diffRun's input in columns: `current` already without ignored, excluded and repeated sources. */
export interface PlanInput {
  campaign: Campaign;
  runId: string;
  runDate: string;
  /** The comparable previous ledger (comparableLedger), sorted by source; undefined for a baseline. */
  previous: LedgerColumns | undefined;
  current: GapColumns;
  truncated: boolean;
  verification: ReadonlyMap<string, boolean>;
  reviews: RunReviews;
  /** sortedBySource(current), when the caller has it already (planDiff sorts otherwise). */
  bySource?: Uint32Array;
}

/**
 * The diff as indexes into its two inputs, from which rows, changes and the next ledger are produced
 * a slice at a time (prospectRows, changeRows, nextLedgerEntries): diffRun's result without an object
 * per row. Computed as a merge of the current sources (sorted) with the previous ledger (sorted).
 */
export interface DiffPlan {
  baseline: boolean;
  /**
   * The input, with `previous` reduced to the entries the plan still reads (remembered departures and
   * reopened sources; see keptLedger): persisting sources only carry their first-seen date and run
   * count, so the caller's whole previous ledger can be freed before the files are written.
   */
  input: PlanInput;
  /** Per current index: the index in `input.previous` (the kept entries) of the same source, or -1. */
  match: Int32Array;
  /** Per current index: the source's first-seen date (this run's date for a new source). */
  firstSeenDate: string[];
  /** Per current index: the runs that listed the source before this one (0 for a new source). */
  runsSeenBefore: Uint32Array;
  /** Per current index: an index into PROSPECT_STATUSES. */
  status: Uint8Array;
  score: Float64Array;
  /** Current indexes sorted by score (high first), then source: the prospects table's order. */
  prospectOrder: Uint32Array;
  /** Current indexes sorted by source. */
  bySource: Uint32Array;
  /** Per kept previous index: 0, or 1 + the index into CHANGE_KINDS of its departure in this run. */
  departure: Uint8Array;
  /** The changes in table order: a kind (index into CHANGE_KINDS) and a reference (current index, or −1 − kept previous index). */
  changeKind: Uint8Array;
  changeRef: Int32Array;
  counts: DiffCounts;
  closureRate: number | null;
}

const PROSPECT_STATUSES: readonly ProspectStatus[] = ['new', 'persisting', 'reopened'];
const PERSISTING = PROSPECT_STATUSES.indexOf('persisting');
const NO_EVIDENCE: ReadonlyMap<string, boolean> = new Map();
/** In compareSources order, so changes sorted by kind then source come from per-kind lists in source order. */
const CHANGE_KINDS: readonly ChangeKind[] = ['closed', 'lost', 'new', 'reopened', 'unverified'];
const KIND_INDEX = new Map(CHANGE_KINDS.map((kind, index) => [kind, index]));

export function planDiff(input: PlanInput): DiffPlan {
  const { current, previous } = input;
  const size = current.source.length;
  const score = new Float64Array(size);
  const competitorCount = input.campaign.competitors.length;
  for (let index = 0; index < size; index++) {
    score[index] = prospectScore(
      {
        domainAuthority: current.domainAuthority.at(index),
        matchedCount: current.matchedCount.at(index),
        spamScore: current.spamScore.nullableAt(index),
      },
      competitorCount,
    );
  }
  const bySource = input.bySource ?? sortedBySource(current);
  const prospectOrder = byScoreThenSource(score, bySource, current.source);
  const merged = mergeWithPrevious(input, bySource);
  const { counts } = merged;
  const { previous: kept, ...keptIndexes } = keptLedger(input, merged);
  return {
    baseline: previous === undefined,
    // What writing reads no more: the evidence is in `departure`, the sort in `bySource`.
    input: { ...input, previous: kept, bySource: undefined, verification: NO_EVIDENCE },
    score,
    prospectOrder,
    bySource,
    ...merged,
    ...keptIndexes,
    closureRate: counts.previousGapSize ? counts.closed / counts.previousGapSize : null,
  };
}

/** The most score buckets byScoreThenSource counts into (scores are tenths of 0..100: 1,001 in practice). */
const MAX_SCORE_TENTHS = 1 << 16;

/**
 * Current indexes sorted by score (high first), then source. Scores are tenths (prospectScore rounds
 * them), so `bySource` is dealt stably into one bucket per score, high to low: a linear pass instead of
 * a comparison sort that compared two sources at every tie (≈ 5 % of a 100k run's diff + write,
 * bench/README.md 4b). A score that is not a tenth in 0..MAX_SCORE_TENTHS / 10 falls back to that sort.
 */
export function byScoreThenSource(
  score: Float64Array,
  bySource: Uint32Array,
  sources: readonly string[],
): Uint32Array {
  const tenths = new Uint32Array(score.length);
  let top = 0;
  for (let index = 0; index < score.length; index++) {
    const value = score[index] as number;
    const scaled = Math.round(value * 10);
    if (!(scaled >= 0 && scaled <= MAX_SCORE_TENTHS && scaled / 10 === value))
      return Uint32Array.from(bySource).sort(
        (a, b) =>
          (score[b] as number) - (score[a] as number) ||
          compareSources(sources[a] as string, sources[b] as string),
      );
    tenths[index] = scaled;
    if (scaled > top) top = scaled;
  }
  // next[bucket]: where the next index of that bucket goes; bucket 0 holds the top score.
  const next = new Uint32Array(top + 2);
  for (let index = 0; index < tenths.length; index++) {
    const bucket = top - (tenths[index] as number) + 1;
    next[bucket] = (next[bucket] as number) + 1;
  }
  for (let bucket = 1; bucket < next.length; bucket++)
    next[bucket] = (next[bucket] as number) + (next[bucket - 1] as number);
  const order = new Uint32Array(bySource.length);
  for (let at = 0; at < bySource.length; at++) {
    const index = bySource[at] as number;
    const bucket = top - (tenths[index] as number);
    order[next[bucket] as number] = index;
    next[bucket] = (next[bucket] as number) + 1;
  }
  return order;
}

/**
 * For sources asked in increasing order (a sorted ledger as it is read): the gap list's own string of
 * the same value, or the source itself. A merge cursor over `bySource`, so a ledger read beside a 1M gap
 * list holds each shared source once instead of twice (≈ 36 MB at 1M).
 */
export function sharedSourceCursor(current: GapColumns, bySource: Uint32Array): (source: string) => string {
  let next = 0;
  return (source) => {
    while (next < bySource.length && (current.source[bySource[next] as number] as string) < source) next++;
    const own = next < bySource.length ? (current.source[bySource[next] as number] as string) : undefined;
    return own === source ? own : source;
  };
}

/**
 * The previous ledger reduced to what writing the run still reads: the entries of sources not
 * persisting (departed now or before, and reopened ones), with `match`, `departure` and the changes'
 * references renumbered to them; persisting sources keep only their first-seen date and run count,
 * per current index. At 1M prospects this frees ≈ 90 MB before the files are written (bench/README.md).
 */
function keptLedger(input: PlanInput, merged: ReturnType<typeof mergeWithPrevious>) {
  const { match, status, changeRef } = merged;
  const firstSeenDate = new Array<string>(match.length).fill(input.runDate);
  const runsSeenBefore = new Uint32Array(match.length);
  const previous = input.previous;
  if (previous === undefined)
    return { previous, match, departure: merged.departure, firstSeenDate, runsSeenBefore };
  const keptIndex = new Int32Array(previous.source.length).fill(-1);
  match.forEach((at, index) => {
    if (at < 0) return;
    firstSeenDate[index] = dateAt(previous, previous.firstSeenDate[at] as number);
    runsSeenBefore[index] = previous.runsSeen[at] as number;
    if (status[index] === PERSISTING) keptIndex[at] = -2;
  });
  const keptAt: number[] = [];
  for (let at = 0; at < keptIndex.length; at++) {
    if (keptIndex[at] === -2) continue;
    keptIndex[at] = keptAt.push(at) - 1;
  }
  const kept = selectLedgerEntries(previous, keptAt);
  const departure = Uint8Array.from(keptAt, (at) => merged.departure[at] as number);
  const keptMatch = match.map((at) => (at < 0 ? -1 : (keptIndex[at] as number)));
  for (let position = 0; position < changeRef.length; position++) {
    const ref = changeRef[position] as number;
    if (ref < 0) changeRef[position] = -1 - (keptIndex[-1 - ref] as number);
  }
  return {
    previous: kept,
    match: keptMatch,
    departure,
    firstSeenDate,
    runsSeenBefore,
  };
}

/** The merge of the sorted current sources with the sorted previous ledger: statuses, departures, counts, changes. */
function mergeWithPrevious(input: PlanInput, bySource: Uint32Array) {
  const { current, truncated, verification } = input;
  const previous = input.previous ?? emptyLedgerColumns({ configHash: '', runId: '', runDate: '' });
  const previousSize = previous.source.length;
  const match = new Int32Array(bySource.length).fill(-1);
  const status = new Uint8Array(bySource.length);
  const departure = new Uint8Array(previousSize);
  const byKind: number[][] = CHANGE_KINDS.map(() => []);
  const counts: DiffCounts = {
    gapSize: bySource.length,
    new: 0,
    persisting: 0,
    reopened: 0,
    closed: 0,
    lost: 0,
    unverified: 0,
    previousGapSize: null,
  };
  const depart = (at: number) => {
    if (previous.status[at] !== OPEN) return; // departed in an earlier run and still absent: remembered as it was
    const outcome = departureOutcome(verification.get(previous.source[at] as string), truncated);
    counts[outcome] += 1;
    const kind = KIND_INDEX.get(outcome) as number;
    departure[at] = kind + 1;
    (byKind[kind] as number[]).push(-1 - at);
  };
  let at = 0;
  for (const index of bySource) {
    const source = current.source[index] as string;
    while (at < previousSize && (previous.source[at] as string) < source) depart(at++);
    let state = 0;
    if (at < previousSize && previous.source[at] === source) {
      match[index] = at;
      shareLedgerStrings(current, index, previous, at);
      state = previous.status[at] === OPEN ? 1 : 2;
      at++;
    }
    status[index] = state;
    const name = PROSPECT_STATUSES[state] as ProspectStatus;
    counts[name] += 1;
    if (name !== 'persisting') (byKind[KIND_INDEX.get(name) as number] as number[]).push(index);
  }
  while (at < previousSize) depart(at++);
  if (input.previous !== undefined) counts.previousGapSize = previous.status.filter((s) => s === OPEN).length;
  const changeRef = Int32Array.from(byKind.flat());
  const changeKind = new Uint8Array(changeRef.length);
  let offset = 0;
  byKind.forEach((refs, kind) => {
    changeKind.fill(kind, offset, offset + refs.length);
    offset += refs.length;
  });
  return { match, status, departure, changeKind, changeRef, counts };
}

/**
 * Points a matched prospect's source (and its root domain, when equal) at the ledger's string of the
 * same value, so the run holds each of these strings once, not once from Moz and once from the ledger
 * (at 1M prospects, ≈ 50 MB of a 512 MB Lambda). Equal values: nothing that reads the columns can tell.
 */
function shareLedgerStrings(current: GapColumns, index: number, previous: LedgerColumns, at: number): void {
  const source = current.source[index] as string;
  const shared = previous.source[at] as string;
  current.source[index] = shared;
  const root = current.sourceRootDomain[index] as string;
  if (root === source) current.sourceRootDomain[index] = shared;
  else if (root === previous.sourceRootDomain[at])
    current.sourceRootDomain[index] = previous.sourceRootDomain[at] as string;
}

/** A slice of a table as one array per column, named as the contract names them (row i = each array's i). */
export type ColumnsOf<Row> = { [K in keyof Row]: Row[K][] };

/**
 * prospectColumns' columns: the titles as the gap list's own UTF-8 bytes, copied in table order (one
 * buffer and each title's end: no string decoded per prospect; the lake encoder takes a string column
 * this way), or as strings when the gap list keeps one it could not encode.
 */
export type ProspectColumns = Omit<ColumnsOf<ProspectRow>, 'title'> & {
  title: string[] | { bytes: Uint8Array; ends: Uint32Array };
};

/**
 * The prospects table from position `start` to `end` (exclusive) in table order, one array per column:
 * what the snapshot writer encodes, with no object per row (bench/README.md, section 3b).
 */
export function prospectColumns(plan: DiffPlan, start: number, end: number): ProspectColumns {
  const { input } = plan;
  const { current, runDate, reviews } = input;
  const length = Math.max(0, end - start);
  const sized = <T>(): T[] => new Array<T>(length);
  // Most runs have no reviews: no lookup per prospect then.
  const reviewed = reviews.bySource.size > 0;
  const titles = current.title.utf8Of(plan.prospectOrder, start, start + length);
  const titleStrings = titles === undefined ? sized<string>() : undefined;
  const columns: ProspectColumns = {
    campaign_id: new Array<string>(length).fill(input.campaign.id),
    run_id: new Array<string>(length).fill(input.runId),
    run_date: new Array<string>(length).fill(runDate),
    source: sized(),
    source_root_domain: sized(),
    title: titles ?? (titleStrings as string[]),
    domain_authority: sized(),
    page_authority: sized(),
    spam_score: sized(),
    matched_targets: sized(),
    matched_count: sized(),
    score: sized(),
    status: sized(),
    first_seen_date: sized(),
    runs_seen: sized(),
    review_state: sized(),
    category: sized(),
  };
  for (let at = 0; at < length; at++) {
    const index = plan.prospectOrder[start + at] as number;
    const source = current.source[index] as string;
    const review = reviewed ? viewOf(reviews.bySource.get(source)) : UNREVIEWED;
    columns.source[at] = source;
    columns.source_root_domain[at] = current.sourceRootDomain[index] as string;
    if (titleStrings !== undefined) titleStrings[at] = current.title.at(index);
    columns.domain_authority[at] = current.domainAuthority.at(index);
    columns.page_authority[at] = current.pageAuthority.nullableAt(index);
    columns.spam_score[at] = current.spamScore.nullableAt(index);
    columns.matched_targets[at] = current.matchedTargets.at(index) as string[];
    columns.matched_count[at] = current.matchedCount.at(index);
    columns.score[at] = plan.score[index] as number;
    columns.status[at] = PROSPECT_STATUSES[plan.status[index] as number] as ProspectStatus;
    columns.first_seen_date[at] = plan.firstSeenDate[index] as string;
    columns.runs_seen[at] = (plan.runsSeenBefore[index] as number) + 1;
    columns.review_state[at] = review.state;
    columns.category[at] = review.category;
  }
  return columns;
}

/** The prospects table's rows from position `start` to `end` (exclusive) in table order. */
function prospectRows(plan: DiffPlan, start: number, end: number): ProspectRow[] {
  const c = prospectColumns(plan, start, end);
  const { current } = plan.input;
  // Keys written out, not spread: `{ ...keys, <12 more> }` builds slow dictionary-mode objects in
  // V8 (bench/README.md, scale: ~28 µs per row at 100k prospects, mostly GC).
  return c.source.map((source, at) => ({
    campaign_id: c.campaign_id[at] as string,
    run_id: c.run_id[at] as string,
    run_date: c.run_date[at] as string,
    source,
    source_root_domain: c.source_root_domain[at] as string,
    title: current.title.at(plan.prospectOrder[start + at] as number),
    domain_authority: c.domain_authority[at] as number,
    page_authority: c.page_authority[at] as number | null,
    spam_score: c.spam_score[at] as number | null,
    matched_targets: [...(c.matched_targets[at] as string[])],
    matched_count: c.matched_count[at] as number,
    score: c.score[at] as number,
    status: c.status[at] as ProspectStatus,
    first_seen_date: c.first_seen_date[at] as string,
    runs_seen: c.runs_seen[at] as number,
    review_state: c.review_state[at] as ProspectRow['review_state'],
    category: c.category[at] as ProspectRow['category'],
  }));
}

/** The changes table from position `start` to `end` (exclusive) in table order, one array per column. */
export function changeColumns(plan: DiffPlan, start: number, end: number): ColumnsOf<ChangeRow> {
  const { input } = plan;
  const { current, runDate } = input;
  const previous = input.previous;
  const length = Math.max(0, end - start);
  const sized = <T>(): T[] => new Array<T>(length);
  // As for prospects: no review lookup per change when the run read no reviews.
  const reviewed = input.reviews.bySource.size > 0;
  const columns: ColumnsOf<ChangeRow> = {
    campaign_id: new Array<string>(length).fill(input.campaign.id),
    run_id: new Array<string>(length).fill(input.runId),
    run_date: new Array<string>(length).fill(runDate),
    source: sized(),
    change: sized(),
    previous_domain_authority: sized(),
    current_domain_authority: sized(),
    previous_matched_count: sized(),
    current_matched_count: sized(),
    days_in_gap: sized(),
    review_state: sized(),
  };
  for (let at = 0; at < length; at++) {
    const position = start + at;
    const change = CHANGE_KINDS[plan.changeKind[position] as number] as ChangeKind;
    const ref = plan.changeRef[position] as number;
    const before = ref >= 0 ? (plan.match[ref] as number) : -1 - ref;
    const known = before >= 0 && previous !== undefined;
    const source = ref >= 0 ? (current.source[ref] as string) : (previous?.source[before] as string);
    const firstSeen =
      ref >= 0
        ? (plan.firstSeenDate[ref] as string)
        : known
          ? dateAt(previous, previous.firstSeenDate[before] as number)
          : runDate;
    columns.source[at] = source;
    columns.change[at] = change;
    columns.previous_domain_authority[at] = known ? (previous.domainAuthority[before] as number) : null;
    columns.current_domain_authority[at] = ref >= 0 ? current.domainAuthority.at(ref) : null;
    columns.previous_matched_count[at] = known ? (previous.matchedCount[before] as number) : null;
    columns.current_matched_count[at] = ref >= 0 ? current.matchedCount.at(ref) : null;
    columns.days_in_gap[at] = change === 'closed' ? Math.max(0, daysBetween(firstSeen, runDate)) : null;
    columns.review_state[at] = reviewed ? viewOf(input.reviews.bySource.get(source)).state : UNREVIEWED.state;
  }
  return columns;
}

/** The changes table's rows from position `start` to `end` (exclusive) in table order. */
function changeRows(plan: DiffPlan, start: number, end: number): ChangeRow[] {
  const c = changeColumns(plan, start, end);
  return c.source.map((source, at) => ({
    campaign_id: c.campaign_id[at] as string,
    run_id: c.run_id[at] as string,
    run_date: c.run_date[at] as string,
    source,
    change: c.change[at] as ChangeKind,
    previous_domain_authority: c.previous_domain_authority[at] as number | null,
    current_domain_authority: c.current_domain_authority[at] as number | null,
    previous_matched_count: c.previous_matched_count[at] as number | null,
    current_matched_count: c.current_matched_count[at] as number | null,
    days_in_gap: c.days_in_gap[at] as number | null,
    review_state: c.review_state[at] as ChangeRow['review_state'],
  }));
}

/** The ledger for the next run, entry by entry in source order (a merge, like the diff). */
export function* nextLedgerEntries(plan: DiffPlan): Generator<LedgerEntry> {
  const { current, runDate } = plan.input;
  const previous = plan.input.previous;
  const previousSize = previous?.source.length ?? 0;
  const remembered = function* (until: string | undefined) {
    while (
      previous &&
      at < previousSize &&
      (until === undefined || (previous.source[at] as string) < until)
    ) {
      const kind = plan.departure[at] as number;
      const entry = ledgerEntryAt(previous, at++);
      if (kind === 0) yield entry;
      else {
        const outcome = CHANGE_KINDS[kind - 1] as LedgerStatus;
        yield { ...entry, status: outcome, closedDate: outcome === 'closed' ? runDate : null };
      }
    }
  };
  let at = 0;
  for (const index of plan.bySource) {
    const source = current.source[index] as string;
    yield* remembered(source);
    if ((plan.match[index] as number) >= 0) at++;
    yield {
      source,
      sourceRootDomain: current.sourceRootDomain[index] as string,
      status: 'open',
      firstSeenDate: plan.firstSeenDate[index] as string,
      lastSeenDate: runDate,
      runsSeen: (plan.runsSeenBefore[index] as number) + 1,
      closedDate: null,
      domainAuthority: current.domainAuthority.at(index),
      matchedCount: current.matchedCount.at(index),
    };
  }
  yield* remembered(undefined);
}

type Departure = Exclude<LedgerStatus, 'open'>;

function departureOutcome(linksToSite: boolean | undefined, truncated: boolean): Departure {
  if (linksToSite === true) return 'closed';
  if (linksToSite === false && !truncated) return 'lost';
  return 'unverified';
}

function uniqueBySource(prospects: CurrentProspect[]): CurrentProspect[] {
  const seen = new Set<string>();
  const unique: CurrentProspect[] = [];
  for (const prospect of prospects) {
    if (seen.has(prospect.source)) continue;
    seen.add(prospect.source);
    unique.push(prospect);
  }
  return unique;
}
