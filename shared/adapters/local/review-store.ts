import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { builtSchema, lazySchema } from '#domain/lazy-schema.ts';
import { compareSources } from '#domain/ledger.ts';
import { type Review, ReviewSchema, storableReview } from '#domain/review.ts';
import type { ReviewStore, ReviewWrite } from '#shared/ports.ts';
import { unlessMissing, writeFileAtomically } from './atomic-file.ts';
import { withFileLock } from './file-lock.ts';

// Built on first use, with the real ReviewSchema inside (not its proxy, which each element would go through).
const ReviewFile = lazySchema(() => z.object({ reviews: z.array(builtSchema(ReviewSchema)) }));

/** A reviews file that does not parse (hand-edited): named, so nothing is silently dropped. */
export class ReviewFileError extends Error {
  override name = 'ReviewFileError';
}

const CAMPAIGN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Reviews as one JSON file per campaign, `<home>/reviews/<campaign>.json`. Every write compares the
 * versions and replaces the file under the campaign's lock file, so writes are conditional exactly
 * like DynamoDB's, and `putAll` is all-or-nothing (one atomic rename).
 */
export function createFileReviewStore(home: string): ReviewStore {
  const folder = join(home, 'reviews');
  const safeId = (id: string) => {
    if (!CAMPAIGN_ID.test(id)) throw new Error(`invalid campaign id: ${id.slice(0, 80)}`);
    return id;
  };
  const pathOf = (campaignId: string) => join(folder, `${safeId(campaignId)}.json`);
  const read = async (campaignId: string): Promise<Review[]> => {
    const text = await unlessMissing(readFile(pathOf(campaignId), 'utf8'));
    if (text === undefined) return [];
    let raw: unknown;
    try {
      raw = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new ReviewFileError(`${pathOf(campaignId)} is not JSON: ${(error as Error).message}`);
    }
    const parsed = ReviewFile.safeParse(raw);
    if (!parsed.success)
      throw new ReviewFileError(
        `${pathOf(campaignId)} is not a reviews file: ${parsed.error.issues[0]?.message}`,
      );
    return parsed.data.reviews;
  };
  const writeAll = (campaignId: string, writes: readonly ReviewWrite[]) =>
    withFileLock(join(folder, `${safeId(campaignId)}.lock`), async () => {
      const stored = new Map((await read(campaignId)).map((review) => [review.source, review]));
      const changed = writes
        .filter((write) => (stored.get(write.review.source)?.version ?? 0) !== write.expectedVersion)
        .map((write) => write.review.source);
      if (changed.length > 0) return { outcome: 'changed' as const, sources: changed };
      // Never write what read() would refuse: one bad review would lock the campaign's queue.
      for (const { review } of writes) stored.set(review.source, storableReview(review));
      const reviews = [...stored.values()].sort((a, b) => compareSources(a.source, b.source));
      await writeFileAtomically(pathOf(campaignId), `${JSON.stringify({ reviews }, null, 2)}\n`);
      return { outcome: 'written' as const };
    });
  return {
    list: read,
    async get(campaignId, source) {
      return (await read(campaignId)).find((review) => review.source === source);
    },
    async put(write) {
      return (await writeAll(write.review.campaignId, [write])).outcome === 'written' ? 'written' : 'changed';
    },
    async putAll(writes) {
      const first = writes[0];
      if (first === undefined) return { outcome: 'written' };
      if (writes.some((write) => write.review.campaignId !== first.review.campaignId))
        throw new Error('putAll writes the reviews of one campaign at a time');
      return writeAll(first.review.campaignId, writes);
    },
  };
}
