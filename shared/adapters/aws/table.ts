/**
 * The single-table layout shared by every DynamoDB adapter. The CDK stack creates exactly this table:
 * string keys `pk` / `sk`, a GSI `gsi1` (`gsi1pk` / `gsi1sk`, projection ALL), TTL attribute `ttl`,
 * PAY_PER_REQUEST.
 *
 * | item            | pk                  | sk                  | gsi1pk / gsi1sk  |
 * |-----------------|---------------------|---------------------|------------------|
 * | campaign config | `CAMPAIGN#<id>`     | `CONFIG`            | `CAMPAIGN` / id  |
 * | run record      | `CAMPAIGN#<id>`     | `RUN#<YYYY-MM-DD>`  |                  |
 * | latest pointer  | `CAMPAIGN#<id>`     | `LATEST`            |                  |
 * | review          | `CAMPAIGN#<id>`     | `REVIEW#<source>`   |                  |
 * | rate gate state | `RATEGATE#<name>`   | `STATE`             |                  |
 * | digest delivery | `CAMPAIGN#<id>`     | `DELIVERY#<run_id>#<channel>` |        |
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ttlAttribute: 'ttl',
} as const;

export const CAMPAIGNS_GSI1PK = 'CAMPAIGN';
const CAMPAIGN_PREFIX = 'CAMPAIGN#';
export const RUN_SK_PREFIX = 'RUN#';

export const campaignPk = (campaignId: string) => `${CAMPAIGN_PREFIX}${campaignId}`;
export const campaignIdFromPk = (pk: string) =>
  pk.startsWith(CAMPAIGN_PREFIX) ? pk.slice(CAMPAIGN_PREFIX.length) : pk;

export const campaignKey = (campaignId: string) => ({ pk: campaignPk(campaignId), sk: 'CONFIG' });
export const runKey = (campaignId: string, runDate: string) => ({
  pk: campaignPk(campaignId),
  sk: `${RUN_SK_PREFIX}${runDate}`,
});
/**
 * A review of one source (shared/domain/review.ts), stored as a MAP under `review` with its `version`
 * beside it for the conditional writes. `REVIEW#` shares no prefix with `RUN#`, so the run list's
 * begins_with(sk, 'RUN#') never sees a review, and reviews carry no gsi1 keys, so the campaign list
 * never does either.
 */
export const REVIEW_SK_PREFIX = 'REVIEW#';
export const reviewKey = (campaignId: string, source: string) => ({
  pk: campaignPk(campaignId),
  sk: `${REVIEW_SK_PREFIX}${source}`,
});
export const latestKey = (campaignId: string) => ({ pk: campaignPk(campaignId), sk: 'LATEST' });
export const deliveryKey = (key: { campaignId: string; runId: string; channel: string }) => ({
  pk: campaignPk(key.campaignId),
  sk: `DELIVERY#${key.runId}#${key.channel}`,
});
export const rateGateKey = (name: string) => ({ pk: `RATEGATE#${name}`, sk: 'STATE' });

/** True for a failed condition, whichever copy of the SDK's error classes threw it. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
