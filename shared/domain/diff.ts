import type { Baseline } from './baseline.ts';
import type { Campaign } from './campaign.ts';
import { daysBetween } from './dates.ts';
import type { ChangeKind, ChangeRow, ProspectRow, ProspectStatus } from './lake-contract.ts';
import { compareSources, type Ledger, type LedgerEntry, type LedgerStatus } from './ledger.ts';
import { type CurrentProspect, ignoreMatcher, prospectScore } from './prospects.ts';
import { NO_REVIEWS, type RunReviews, viewOf } from './review.ts';

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
  const { campaign, runId, runDate, configHash, truncated, verification } = input;
  const baseline = input.baseline === undefined;
  const ignored = ignoreMatcher(campaign.ignore);
  const reviews = input.reviews ?? NO_REVIEWS;
  const remembered = input.baseline?.remembered ?? new Map<string, LedgerEntry>();
  const current = uniqueBySource(
    input.current.filter((prospect) => !ignored(prospect.source) && !reviews.excluded.has(prospect.source)),
  );
  const reviewOf = (source: string) => viewOf(reviews.bySource.get(source));
  const present = new Set(current.map((prospect) => prospect.source));
  const keys = { campaign_id: campaign.id, run_id: runId, run_date: runDate };

  const prospects: ProspectRow[] = [];
  const changes: ChangeRow[] = [];
  const nextEntries: LedgerEntry[] = [];
  const counts: DiffCounts = {
    gapSize: current.length,
    new: 0,
    persisting: 0,
    reopened: 0,
    closed: 0,
    lost: 0,
    unverified: 0,
    previousGapSize: null,
  };

  for (const prospect of current) {
    const before = remembered.get(prospect.source);
    const status: ProspectStatus = !before ? 'new' : before.status === 'open' ? 'persisting' : 'reopened';
    counts[status] += 1;
    const firstSeenDate = before?.firstSeenDate ?? runDate;
    const runsSeen = (before?.runsSeen ?? 0) + 1;
    const review = reviewOf(prospect.source);
    // Keys written out, not spread: `{ ...keys, <12 more> }` builds slow dictionary-mode objects in
    // V8 (bench/README.md, scale: ~28 µs per row at 100k prospects, mostly GC).
    prospects.push({
      campaign_id: keys.campaign_id,
      run_id: keys.run_id,
      run_date: keys.run_date,
      source: prospect.source,
      source_root_domain: prospect.sourceRootDomain,
      title: prospect.title,
      domain_authority: prospect.domainAuthority,
      page_authority: prospect.pageAuthority,
      spam_score: prospect.spamScore,
      matched_targets: [...prospect.matchedTargets],
      matched_count: prospect.matchedCount,
      score: prospectScore(prospect, campaign.competitors.length),
      status,
      first_seen_date: firstSeenDate,
      runs_seen: runsSeen,
      review_state: review.state,
      category: review.category,
    });
    if (status !== 'persisting') {
      changes.push(changeRow(keys, prospect.source, status, before, prospect, null, review.state));
    }
    nextEntries.push({
      source: prospect.source,
      sourceRootDomain: prospect.sourceRootDomain,
      status: 'open',
      firstSeenDate,
      lastSeenDate: runDate,
      runsSeen,
      closedDate: null,
      domainAuthority: prospect.domainAuthority,
      matchedCount: prospect.matchedCount,
    });
  }

  if (!baseline) {
    let previousGapSize = 0;
    for (const entry of remembered.values()) {
      if (entry.status === 'open') previousGapSize += 1;
      if (present.has(entry.source)) continue;
      if (entry.status !== 'open') {
        nextEntries.push(entry); // departed in an earlier run and still absent: remembered as it was
        continue;
      }
      const outcome = departureOutcome(verification.get(entry.source), truncated);
      counts[outcome] += 1;
      const daysInGap = outcome === 'closed' ? Math.max(0, daysBetween(entry.firstSeenDate, runDate)) : null;
      changes.push(
        changeRow(keys, entry.source, outcome, entry, undefined, daysInGap, reviewOf(entry.source).state),
      );
      nextEntries.push({ ...entry, status: outcome, closedDate: outcome === 'closed' ? runDate : null });
    }
    counts.previousGapSize = previousGapSize;
  }

  prospects.sort((a, b) => b.score - a.score || compareSources(a.source, b.source));
  changes.sort((a, b) => compareSources(a.change, b.change) || compareSources(a.source, b.source));
  nextEntries.sort((a, b) => compareSources(a.source, b.source));

  return {
    baseline,
    prospects,
    changes,
    ledger: { configHash, runId, runDate, entries: nextEntries },
    counts,
    closureRate: counts.previousGapSize ? counts.closed / counts.previousGapSize : null,
  };
}

type Departure = Exclude<LedgerStatus, 'open'>;

function departureOutcome(linksToSite: boolean | undefined, truncated: boolean): Departure {
  if (linksToSite === true) return 'closed';
  if (linksToSite === false && !truncated) return 'lost';
  return 'unverified';
}

function changeRow(
  keys: Pick<ChangeRow, 'campaign_id' | 'run_id' | 'run_date'>,
  source: string,
  change: ChangeKind,
  before: LedgerEntry | undefined,
  now: CurrentProspect | undefined,
  daysInGap: number | null,
  reviewState: string,
): ChangeRow {
  return {
    campaign_id: keys.campaign_id,
    run_id: keys.run_id,
    run_date: keys.run_date,
    source,
    change,
    previous_domain_authority: before?.domainAuthority ?? null,
    current_domain_authority: now?.domainAuthority ?? null,
    previous_matched_count: before?.matchedCount ?? null,
    current_matched_count: now?.matchedCount ?? null,
    days_in_gap: daysInGap,
    review_state: reviewState,
  };
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
