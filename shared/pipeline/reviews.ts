/**
 * The run's use of the outreach reviews (issue 12). A run reads the reviews once, at the start of its
 * first attempt, and saves what it read in its staging checkpoints: a resumed attempt decides exactly
 * as the first did (the same exclusions, the same review columns, byte-identical files), and a review
 * written while the run is in progress is honoured by the next run. The one change a run makes is the
 * won promotion, written conditionally on the version it read, with an event derived from the run id.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { builtSchema, lazySchema } from '#domain/lazy-schema.ts';
import type { Ledger } from '#domain/ledger.ts';
import {
  applyReviewEdit,
  NO_REVIEWS,
  type Review,
  type ReviewEvent,
  ReviewSchema,
  RUN_AUTHOR,
  type RunReviews,
  runReviews,
  skippedPromotionEvent,
  wonPromotions,
} from '#domain/review.ts';
import { decodeJson, encodeJson } from '#lake/json.ts';
import { reviewEventKey, reviewEventsPrefix, reviewsCheckpointKey } from '#lake/keys.ts';
import { encodeReviewEvents } from '#lake/review-events.ts';
import type { Clock, Log, ObjectStore, ReviewStore } from '#shared/ports.ts';
import type { RunRef } from './checkpoints.ts';

/** Read only when a run resumes from its reviews checkpoint. */
const ReviewsCheckpoint = lazySchema(() => z.object({ reviews: z.array(builtSchema(ReviewSchema)) }));

export interface RunReviewPorts {
  /** Absent: the composition has no review store, so nothing is excluded and nothing promoted. */
  reviews?: ReviewStore;
  lake: ObjectStore;
}

/**
 * The reviews this run honours: the saved checkpoint of an earlier attempt, or the store's now (then
 * saved). Every attempt also appends review events a crashed writer left only in the store.
 */
export async function loadRunReviews(ports: RunReviewPorts, run: RunRef): Promise<RunReviews> {
  if (!ports.reviews) return NO_REVIEWS;
  const stored = await ports.reviews.list(run.campaignId);
  await flushReviewEvents(ports.lake, run.campaignId, stored);
  const key = reviewsCheckpointKey(run.campaignId, run.runDate, run.runId);
  const saved = await ports.lake.get(key);
  if (saved) return runReviews(decodeJson(saved, ReviewsCheckpoint).reviews);
  const written = await ports.lake.put(key, encodeJson({ reviews: stored }), {
    ifNoneMatch: true,
    contentType: 'application/json',
  });
  if (written === 'created') return runReviews(stored);
  const raced = await ports.lake.get(key);
  return runReviews(raced ? decodeJson(raced, ReviewsCheckpoint).reviews : stored);
}

/** Writes each event once under its own key; a retry finds the key and writes nothing. */
export async function appendReviewEvents(lake: ObjectStore, events: readonly ReviewEvent[]): Promise<void> {
  for (const event of events) {
    await lake.put(
      reviewEventKey(event.campaign_id, event.changed_at, event.event_id),
      encodeReviewEvents([event]),
      {
        ifNoneMatch: true,
        contentType: 'application/json',
      },
    );
  }
}

/**
 * Appends the last event of every review that is not in the lake yet: its writer stopped between the
 * store write and the lake write. Every writer calls this before it writes, so an event is never
 * overwritten in its review before it reached the lake. Returns how many were missing.
 */
export async function flushReviewEvents(
  lake: ObjectStore,
  campaignId: string,
  reviews: readonly Review[],
): Promise<number> {
  if (reviews.length === 0) return 0;
  const present = new Set(await lake.list(reviewEventsPrefix(campaignId)));
  const missing = reviews
    .map((review) => review.lastEvent)
    .filter((event) => !present.has(reviewEventKey(campaignId, event.changed_at, event.event_id)));
  await appendReviewEvents(lake, missing);
  return missing.length;
}

export interface PromotionPorts {
  reviews?: ReviewStore;
  lake: ObjectStore;
  clock: Clock;
  log: Log;
}

export interface PromotionResult {
  promoted: string[];
  /** Changed by a person after the run read them: their edit stands, the next run decides again. */
  skipped: string[];
}

/**
 * Promotes to won the reviews whose gap the run's ledger proves closed and that people approved or
 * contacted. Each write is conditional on the version the run read; its event id comes from the run
 * id and the source, so a rerun after a crash recognises its own write and writes the event once.
 */
export async function promoteWonReviews(
  ports: PromotionPorts,
  run: RunRef & { startedAt: string },
  reviews: RunReviews,
  ledger: Ledger,
): Promise<PromotionResult> {
  const result: PromotionResult = { promoted: [], skipped: [] };
  const store = ports.reviews;
  if (!store) return result;
  for (const read of wonPromotions(reviews, ledger)) {
    const eventId = `run-${run.runId}-${sourceDigest(read.source)}`;
    const context = { by: RUN_AUTHOR, origin: 'run' as const, runId: run.runId };
    const now = await store.get(run.campaignId, read.source);
    if (now?.lastEvent.event_id === eventId) {
      // An earlier attempt of this run promoted it: make sure its event is in the lake.
      await appendReviewEvents(ports.lake, [now.lastEvent]);
      result.promoted.push(read.source);
      continue;
    }
    const at = ports.clock().toISOString();
    const promoted = applyReviewEdit(
      run.campaignId,
      read.source,
      read,
      { state: 'won' },
      { ...context, at, eventId },
    );
    const outcome =
      promoted && now?.version === read.version
        ? await store.put({ review: promoted, expectedVersion: read.version })
        : 'changed';
    if (promoted && outcome === 'written') {
      await appendReviewEvents(ports.lake, [promoted.lastEvent]);
      result.promoted.push(read.source);
      continue;
    }
    const current = (await store.get(run.campaignId, read.source)) ?? read;
    // Timed from what it reacts to, not the clock, so a rerun derives the same key and writes it once.
    const skippedAt = new Date(
      Math.max(Date.parse(current.updatedAt), Date.parse(run.startedAt)),
    ).toISOString();
    await appendReviewEvents(ports.lake, [
      skippedPromotionEvent(current, { ...context, at: skippedAt, eventId: `${eventId}-skipped` }),
    ]);
    ports.log.warn('won promotion skipped: the review changed during the run; the next run decides again', {
      source: read.source,
    });
    result.skipped.push(read.source);
  }
  return result;
}

/** A short, stable, key-safe stand-in for a source (sources hold '/', ':' and more), for event ids. */
export function sourceDigest(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}
