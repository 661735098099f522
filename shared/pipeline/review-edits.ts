/**
 * People's changes of reviews (`linkgap review set` and `review import`): all validated first, then
 * written all-or-nothing and conditionally, then appended to the lake as events. A review changed by
 * someone else since the person read it (the export's version) is refused and nothing is written.
 */
import { applyReviewEdit, type Review, type ReviewEdit, type ReviewOrigin, viewOf } from '#domain/review.ts';
import type { ObjectStore, ReviewStore, ReviewWrite } from '#shared/ports.ts';
import { appendReviewEvents, flushReviewEvents, sourceDigest } from './reviews.ts';

export interface ReviewChangeRequest {
  source: string;
  edit: ReviewEdit;
  /** The version the person saw (the export's); undefined: whatever is stored now. */
  seenVersion?: number;
}

export interface ReviewEditContext {
  by: string;
  /** ISO-8601 UTC. */
  at: string;
  origin: Exclude<ReviewOrigin, 'run'>;
  /** Unique per command (a UUID): event ids are derived from it and the source. */
  batchId: string;
}

/** Someone else changed these reviews after the person read them; nothing was written. */
export class ReviewConflictError extends Error {
  override name = 'ReviewConflictError';
  constructor(readonly sources: readonly string[]) {
    const shown = sources.slice(0, 3).join(', ');
    super(
      `${sources.length} review(s) changed since you read them (${shown}${sources.length > 3 ? ', ...' : ''}); nothing was applied: export again and redo your edits on the new file`,
    );
  }
}

export interface ReviewChangeResult {
  /** The reviews as written, in request order. */
  changed: { before: ReturnType<typeof viewOf>; after: Review }[];
  unchanged: number;
}

export async function applyReviewChanges(
  ports: { reviews: ReviewStore; lake: ObjectStore },
  campaignId: string,
  requests: readonly ReviewChangeRequest[],
  context: ReviewEditContext,
): Promise<ReviewChangeResult> {
  const stored = await ports.reviews.list(campaignId);
  // Events a crashed writer left only in the store reach the lake before this write replaces them.
  await flushReviewEvents(ports.lake, campaignId, stored);
  const bySource = new Map(stored.map((review) => [review.source, review]));
  const conflicts: string[] = [];
  const writes: ReviewWrite[] = [];
  const changed: ReviewChangeResult['changed'] = [];
  for (const request of requests) {
    const current = bySource.get(request.source);
    const version = current?.version ?? 0;
    const eventId = `${context.batchId}-${sourceDigest(request.source)}`;
    const after = applyReviewEdit(campaignId, request.source, current, request.edit, { ...context, eventId });
    // Already as asked (the same file imported twice): nothing to write, whoever wrote it.
    if (!after) continue;
    if (request.seenVersion !== undefined && request.seenVersion !== version) {
      conflicts.push(request.source);
      continue;
    }
    writes.push({ review: after, expectedVersion: version });
    changed.push({ before: viewOf(current), after });
  }
  if (conflicts.length > 0) throw new ReviewConflictError(conflicts);
  const outcome = await ports.reviews.putAll(writes);
  if (outcome.outcome === 'changed') throw new ReviewConflictError(outcome.sources);
  await appendReviewEvents(
    ports.lake,
    changed.map((change) => change.after.lastEvent),
  );
  return { changed, unchanged: requests.length - changed.length };
}
