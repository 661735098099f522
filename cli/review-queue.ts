/**
 * The review queue of a campaign: the newest committed run's gap list, each prospect with its review.
 * Shared by `review export|import|set` and `prospect`.
 */
import { userInfo } from 'node:os';
import { type Review, sourceMatchKey } from '#domain/review.ts';
import { prospectsKey } from '#lake/keys.ts';
import { decodeParquet } from '#lake/parquet.ts';
import type { ProspectRow } from '#lake/schema.ts';
import { campaignIdArgument } from './arguments.ts';
import type { Backend } from './backend.ts';
import { committedRuns } from './committed-runs.ts';
import { UsageError } from './errors.ts';

export interface ReviewQueue {
  runDate: string | undefined;
  prospects: ProspectRow[];
  reviews: Map<string, Review>;
  /**
   * The source as listed for what a person typed (its host in any case), or undefined when it is not
   * one people may review: in the newest gap list, or reviewed before (a rejected one is not listed).
   */
  prospectSource(typed: string): string | undefined;
}

export async function loadReviewQueue(backend: Backend, campaignId: string): Promise<ReviewQueue> {
  campaignIdArgument(campaignId, '--campaign id');
  if ((await backend.campaigns().get(campaignId)) === undefined)
    throw new UsageError(`no campaign "${campaignId}" in ${backend.where} (linkgap campaign list)`);
  const lake = backend.lake();
  const newest = (await committedRuns(lake, campaignId)).at(-1);
  let prospects: ProspectRow[] = [];
  if (newest) {
    const key = prospectsKey(campaignId, newest.runDate, newest.runId);
    const bytes = await lake.get(key);
    if (!bytes) throw new Error(`run ${newest.runId} is committed but ${key} is missing from the lake`);
    prospects = await decodeParquet('prospects', bytes);
  }
  const reviews = new Map(
    (await backend.reviews().list(campaignId)).map((review) => [review.source, review]),
  );
  const byKey = new Map(
    [...reviews.keys(), ...prospects.map((row) => row.source)].map((source) => [
      sourceMatchKey(source),
      source,
    ]),
  );
  return {
    runDate: newest?.runDate,
    prospects,
    reviews,
    prospectSource: (typed) => byKey.get(sourceMatchKey(typed)),
  };
}

/** Who a change is by: --by, else $LINKGAP_USER, else the login name. */
export function reviewer(by: string | undefined, env: Record<string, string | undefined>): string {
  const name = (by ?? env.LINKGAP_USER ?? safeLoginName()).trim();
  if (name === '' || name.length > 200)
    throw new UsageError('--by must be 1-200 characters naming who made the change');
  return name;
}

function safeLoginName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
