/**
 * The numbers of the report's outreach sections, from what the lake holds: the review events
 * (reviews/campaign_id=<id>/...) and the latest run's prospects. The report reads the lake only (the
 * run's publish stage has no review store), and the events are the reviews' full history: the last
 * applied event of a source is its review now.
 */
import {
  parseReviewCategory,
  parseReviewState,
  REVIEW_STATES,
  type ReviewCategory,
  type ReviewEvent,
  type ReviewState,
} from '#domain/review.ts';
import { reviewEventsPrefix } from '#lake/keys.ts';
import { readObjects } from '#lake/read-objects.ts';
import { decodeReviewEvents } from '#lake/review-events.ts';
import type { ProspectRow } from '#lake/schema.ts';
import type { ObjectStore } from '#shared/ports.ts';
import { byScoreDescending, toReportProspect } from './prospects.ts';
import type { ReportReviews, ReportWonLink } from './review-sections.ts';

/** A campaign's review events changed before `until` (ISO; every event without it), oldest first. */
export async function readReviewEvents(
  lake: ObjectStore,
  campaignId: string,
  until?: string,
): Promise<ReviewEvent[]> {
  const events: ReviewEvent[] = [];
  for (const bytes of await readObjects(lake, await lake.list(reviewEventsPrefix(campaignId)))) {
    if (bytes === undefined) continue; // listed, then gone: nothing to read
    events.push(...decodeReviewEvents(bytes));
  }
  return events
    .filter((event) => until === undefined || Date.parse(event.changed_at) < Date.parse(until))
    .sort((a, b) => a.changed_at.localeCompare(b.changed_at) || a.event_id.localeCompare(b.event_id));
}

interface CurrentReview {
  state: ReviewState;
  category: ReviewCategory | null;
}

/** Each reviewed source's review now: its applied event with the highest version (skipped ones change nothing). */
export function currentReviews(events: readonly ReviewEvent[]): Map<string, CurrentReview> {
  const last = new Map<string, ReviewEvent>();
  for (const event of events) {
    if (event.outcome !== 'applied') continue;
    const seen = last.get(event.source);
    if (!seen || event.version > seen.version) last.set(event.source, event);
  }
  return new Map(
    [...last].map(([source, event]) => [source, { state: event.to_state, category: event.to_category }]),
  );
}

/** Links won: applied moves into won, once per source and month, oldest first. */
export function wonLinks(events: readonly ReviewEvent[]): ReportWonLink[] {
  const seen = new Set<string>();
  const won: ReportWonLink[] = [];
  for (const event of events) {
    if (event.outcome !== 'applied' || event.to_state !== 'won' || event.from_state === 'won') continue;
    const key = `${event.source}\n${event.event_date.slice(0, 7)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    won.push({
      source: event.source,
      wonOn: event.event_date,
      category: event.to_category,
      by: event.changed_by,
    });
  }
  return won;
}

/** Every month from the first to the last given month (yyyy-MM), so a month without wins shows as 0. */
export function monthsSpanning(months: readonly string[]): string[] {
  const sorted = [...months].sort();
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first === undefined || last === undefined) return [];
  const span: string[] = [];
  // Bounded: one step per month between two dates of the lake.
  for (let at = new Date(`${first}-01T00:00:00Z`); ; at.setUTCMonth(at.getUTCMonth() + 1)) {
    const month = at.toISOString().slice(0, 7);
    span.push(month);
    if (month >= last) return span;
  }
}

export interface ReviewModelInput {
  /** The latest run's prospects. */
  prospects: readonly ProspectRow[];
  events: readonly ReviewEvent[];
  /** The months of the runs reported (yyyy-MM). */
  runMonths: readonly string[];
  top: number;
  reviewsUntil?: string;
}

/** The outreach sections' numbers. Pure. */
export function reportReviewsOf(input: ReviewModelInput): ReportReviews {
  const current = currentReviews(input.events);
  // A prospect nobody changed since the run keeps what the run read (its review columns).
  const reviewOf = (row: ProspectRow): CurrentReview =>
    current.get(row.source) ?? {
      state: parseReviewState(row.review_state ?? '') ?? 'to_review',
      category: parseReviewCategory(row.category ?? '') ?? null,
    };
  const stateCounts = Object.fromEntries(REVIEW_STATES.map((state) => [state, 0])) as Record<
    ReviewState,
    number
  >;
  const states = new Map<string, ReviewState>();
  for (const [source, review] of current) states.set(source, review.state);
  for (const row of input.prospects) states.set(row.source, reviewOf(row).state);
  for (const state of states.values()) stateCounts[state] += 1;

  const unreviewed = input.prospects.filter((row) => reviewOf(row).state === 'to_review');
  const multi = input.prospects
    .filter((row) => row.matched_count >= 2)
    .sort((a, b) => b.matched_count - a.matched_count || byScoreDescending(a, b));
  const won = wonLinks(input.events);
  return {
    stateCounts,
    topUnreviewed: [...unreviewed].sort(byScoreDescending).slice(0, input.top).map(toReportProspect),
    won,
    wonMonths: monthsSpanning([...input.runMonths, ...won.map((link) => link.wonOn.slice(0, 7))]),
    multiCompetitor: multi.slice(0, input.top).map((row) => ({
      ...toReportProspect(row),
      matchedTargets: [...row.matched_targets],
      ...reviewOf(row),
    })),
    multiCompetitorTotal: multi.length,
    eventCount: input.events.length,
    ...(input.reviewsUntil === undefined ? {} : { reviewsUntil: input.reviewsUntil }),
  };
}
