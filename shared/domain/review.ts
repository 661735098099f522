/**
 * The outreach review queue (issue 12): one review per (campaign, source) holds what people decided
 * about a prospect, and every change of it is an event. Pure: the stores, the lake and the clock are
 * the callers' business; time and ids come in as arguments.
 *
 * The allowed changes:
 * - A person (origin `cli` or `import`) may move a review to any state: the queue records decisions,
 *   it does not police them (a wrongly rejected source must be recoverable in one step).
 * - The pipeline (origin `run`) makes one change only: `approved` or `contacted` → `won`, when the
 *   source's gap is proven closed (Link Status evidence). It never touches any other state.
 * - `rejected` and `do_not_contact` exclude a source from every later run, like an ignore entry.
 */
import * as z from 'zod';
import type { ReviewEventRow } from './lake-contract.ts';
import { builtSchema, lazySchema } from './lazy-schema.ts';
import type { Ledger } from './ledger.ts';

export const REVIEW_CATEGORIES = ['resource_page', 'editorial', 'directory', 'partnership', 'other'] as const;
export const REVIEW_STATES = [
  'to_review',
  'approved',
  'contacted',
  'won',
  'rejected',
  'do_not_contact',
] as const;
export const REVIEW_ORIGINS = ['cli', 'import', 'run'] as const;

export type ReviewCategory = (typeof REVIEW_CATEGORIES)[number];
export type ReviewState = (typeof REVIEW_STATES)[number];
export type ReviewOrigin = (typeof REVIEW_ORIGINS)[number];

/** States a run leaves out of the gap list and never verifies: they cost no link_status rows. */
export const EXCLUDED_STATES: readonly ReviewState[] = ['rejected', 'do_not_contact'];
/** States a proven closure turns into `won`. */
export const PROMOTABLE_STATES: readonly ReviewState[] = ['approved', 'contacted'];
/** Who the pipeline's changes are by. */
export const RUN_AUTHOR = 'linkgap-run';
/** A note is for people, not a document store. */
export const MAX_NOTE_LENGTH = 2000;

export const ReviewEventSchema = lazySchema(
  () =>
    z.object({
      campaign_id: z.string().min(1),
      event_date: z.iso.date(),
      event_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
      source: z.string().min(1),
      changed_at: z.iso.datetime(),
      changed_by: z.string(),
      origin: z.enum(REVIEW_ORIGINS),
      from_state: z.enum(REVIEW_STATES),
      to_state: z.enum(REVIEW_STATES),
      from_category: z.enum(REVIEW_CATEGORIES).nullable(),
      to_category: z.enum(REVIEW_CATEGORIES).nullable(),
      note: z.string(),
      outcome: z.enum(['applied', 'skipped']),
      run_id: z.string().nullable(),
      version: z.number().int().min(0),
    }) satisfies z.ZodType<ReviewEventRow>,
);
/** One change of one review: a row of the lake's `reviews` table. */
export type ReviewEvent = z.infer<typeof ReviewEventSchema>;

export const ReviewSchema = lazySchema(() =>
  z.object({
    campaignId: z.string().min(1),
    source: z.string().min(1),
    category: z.enum(REVIEW_CATEGORIES).nullable(),
    state: z.enum(REVIEW_STATES),
    note: z.string().max(MAX_NOTE_LENGTH),
    /** Who made the last change people made: the person to ask about this prospect. */
    owner: z.string(),
    updatedAt: z.iso.datetime(),
    /** 1 for the first change; every write is conditional on the version read. */
    version: z.number().int().positive(),
    /**
     * The event of the last change. Kept with the review so a writer that crashed between the store
     * write and the lake write loses nothing: the next writer or run finds it missing and appends it.
     */
    lastEvent: builtSchema(ReviewEventSchema),
  }),
);
export type Review = z.infer<typeof ReviewSchema>;

/** What a person asks to change; an absent field stays as it is. */
export interface ReviewEdit {
  state?: ReviewState;
  category?: ReviewCategory | null;
  note?: string;
}

export interface ChangeContext {
  by: string;
  /** ISO-8601 UTC. */
  at: string;
  origin: ReviewOrigin;
  /** Unique per event; the pipeline derives it from its run id so a rerun writes the same one. */
  eventId: string;
  runId?: string | null;
}

/** The review a prospect has before anybody touched it (version 0: not stored). */
export interface ReviewView {
  state: ReviewState;
  category: ReviewCategory | null;
  note: string;
  version: number;
}

export const UNREVIEWED: ReviewView = Object.freeze({
  state: 'to_review',
  category: null,
  note: '',
  version: 0,
});

export const viewOf = (review: Review | undefined): ReviewView =>
  review
    ? { state: review.state, category: review.category, note: review.note, version: review.version }
    : UNREVIEWED;

/**
 * How a source a person typed is matched to a listed one: host names are case-insensitive (DNS), a
 * path is not, so the host part is lower-cased and the rest kept (`BlueMarket.NET/Links` →
 * `bluemarket.net/Links`). Only for matching: a review keeps the source as the gap list spells it.
 */
export function sourceMatchKey(source: string): string {
  const text = source.trim();
  const hostEnd = text.search(/[/?#]/);
  return hostEnd === -1 ? text.toLowerCase() : text.slice(0, hostEnd).toLowerCase() + text.slice(hostEnd);
}

/** Spreadsheet text → a token: any case, spaces and hyphens as underscores ("Do not contact"). */
const token = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

/** A state from people's text, or undefined when it is none of REVIEW_STATES. */
export function parseReviewState(text: string): ReviewState | undefined {
  const value = token(text);
  return (REVIEW_STATES as readonly string[]).includes(value) ? (value as ReviewState) : undefined;
}

/** A category from people's text: '' is unset (null), undefined when it is none of REVIEW_CATEGORIES. */
export function parseReviewCategory(text: string): ReviewCategory | null | undefined {
  const value = token(text);
  if (value === '') return null;
  return (REVIEW_CATEGORIES as readonly string[]).includes(value) ? (value as ReviewCategory) : undefined;
}

/**
 * The review after a change, with its event; undefined when the edit changes nothing (importing the
 * same file twice writes nothing and no event). The run may only promote (see the module comment).
 */
export function applyReviewEdit(
  campaignId: string,
  source: string,
  current: Review | undefined,
  edit: ReviewEdit,
  context: ChangeContext,
): Review | undefined {
  const before = viewOf(current);
  const after = {
    state: edit.state ?? before.state,
    category: edit.category === undefined ? before.category : edit.category,
    note: edit.note === undefined ? before.note : noteAfter(edit.note, before.note),
  };
  if (after.state === before.state && after.category === before.category && after.note === before.note)
    return undefined;
  if (context.origin === 'run' && !(after.state === 'won' && PROMOTABLE_STATES.includes(before.state))) {
    throw new ReviewRuleError(`a run may only promote approved or contacted to won, not ${before.state}`);
  }
  const version = before.version + 1;
  return storableReview({
    campaignId,
    source,
    ...after,
    owner: context.origin === 'run' ? (current?.owner ?? '') : context.by,
    updatedAt: context.at,
    version,
    lastEvent: eventOf(campaignId, source, before, after, context, version, 'applied'),
  });
}

/**
 * A note's line ends as a CSV round trip gives them back (CR LF and CR become LF, as the import reads
 * a spreadsheet's file), so `review set` and `review import` store the same note, and a note stored
 * before with CRs is not changed by re-importing its own export.
 */
function noteAfter(edited: string, before: string): string {
  const lines = (text: string) => text.replace(/\r\n?/g, '\n');
  return lines(edited) === lines(before) ? before : lines(edited);
}

/**
 * A review the stores would refuse to read back (a note over MAX_NOTE_LENGTH): refused before any
 * write, since a stored one makes every later read of the campaign's reviews fail.
 */
export class InvalidReviewError extends Error {
  override name = 'InvalidReviewError';
}

/** The review, checked against the schema every store reads with; InvalidReviewError names the field. */
export function storableReview(review: Review): Review {
  const checked = ReviewSchema.safeParse(review);
  if (checked.success) return review;
  const issue = checked.error.issues[0];
  const field = issue?.path.join('.') || 'review';
  throw new InvalidReviewError(`${review.source.slice(0, 200)}: ${field}: ${issue?.message ?? 'invalid'}`);
}

/**
 * The event saying a run did not promote `current` to won because someone changed the review after
 * the run read it: the person's edit stands, and the next run decides again on it.
 */
export function skippedPromotionEvent(current: Review, context: ChangeContext): ReviewEvent {
  const view = viewOf(current);
  return eventOf(current.campaignId, current.source, view, view, context, current.version, 'skipped');
}

function eventOf(
  campaignId: string,
  source: string,
  before: Omit<ReviewView, 'version'>,
  after: Omit<ReviewView, 'version'>,
  context: ChangeContext,
  version: number,
  outcome: ReviewEvent['outcome'],
): ReviewEvent {
  return {
    campaign_id: campaignId,
    event_date: context.at.slice(0, 10),
    event_id: context.eventId,
    source,
    changed_at: context.at,
    changed_by: context.by,
    origin: context.origin,
    from_state: before.state,
    to_state: after.state,
    from_category: before.category,
    to_category: after.category,
    note: after.note,
    outcome,
    run_id: context.runId ?? null,
    version,
  };
}

export class ReviewRuleError extends Error {
  override name = 'ReviewRuleError';
}

/** What a run needs to know about the reviews it read at its start. */
export interface RunReviews {
  /** Sources left out of the gap list: rejected or do_not_contact. */
  excluded: ReadonlySet<string>;
  bySource: ReadonlyMap<string, Review>;
}

export function runReviews(reviews: readonly Review[]): RunReviews {
  const bySource = new Map(reviews.map((review) => [review.source, review]));
  const excluded = new Set(
    reviews.filter((review) => EXCLUDED_STATES.includes(review.state)).map((review) => review.source),
  );
  return { excluded, bySource };
}

export const NO_REVIEWS: RunReviews = runReviews([]);

/**
 * The reviews a run promotes to won: its ledger says the gap is closed (proven by Link Status) and a
 * person approved or contacted the source. Read from the ledger rather than this run's changes, so a
 * promotion a run had to skip (the review changed meanwhile) is decided again by the next run.
 */
export function wonPromotions(reviews: RunReviews, ledger: Ledger): Review[] {
  const promoted: Review[] = [];
  for (const entry of ledger.entries) {
    if (entry.status !== 'closed') continue;
    const review = reviews.bySource.get(entry.source);
    if (review && PROMOTABLE_STATES.includes(review.state)) promoted.push(review);
  }
  return promoted;
}
