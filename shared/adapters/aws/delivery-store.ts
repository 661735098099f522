import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { lazySchema } from '#domain/lazy-schema.ts';
import type { DeliveryKey, DeliveryRecord, DeliveryStore } from '#shared/ports.ts';
import { claimDelivery, settleDelivery } from '../delivery-transitions.ts';
import { deliveryKey, isConditionalCheckFailed } from './table.ts';

const DeliveryItem = lazySchema(
  () =>
    z.object({
      campaignId: z.string(),
      runDate: z.string(),
      runId: z.string(),
      channel: z.string(),
      state: z.enum(['CLAIMED', 'SENT', 'FAILED']),
      attempt: z.number().int(),
      leaseUntil: z.number(),
      updatedAt: z.string(),
      error: z.string().optional(),
    }) satisfies z.ZodType<DeliveryRecord>,
);

/** Kept a little over a year: long after any redelivery of the run's message could arrive. */
const RETENTION_SECONDS = 400 * 86_400;

/**
 * Digest delivery markers in the single table (`DELIVERY#<run_id>#<channel>` under the campaign).
 * Every write is conditional on the item being as read (absent, or the same attempt and state), so of
 * concurrent claimers exactly one wins; a loser re-reads once and reports what it finds.
 */
export function createDynamoDeliveryStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
}): DeliveryStore {
  const { doc, tableName } = options;
  const get = async (key: DeliveryKey) => {
    const { Item } = await doc.send(
      new GetCommand({ TableName: tableName, Key: deliveryKey(key), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : DeliveryItem.parse(Item);
  };
  /** False when the item changed since it was read. */
  const putIfUnchanged = async (next: DeliveryRecord, read: DeliveryRecord | undefined) => {
    const ttl = Math.floor(Date.parse(next.updatedAt) / 1000) + RETENTION_SECONDS;
    try {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...deliveryKey(next), ...next, ttl },
          ...(read === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'attempt = :attempt AND #state = :state',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':attempt': read.attempt, ':state': read.state },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  };
  return {
    get,
    async claim(key, now, leaseMs) {
      const existing = await get(key);
      const { result, write } = claimDelivery(existing, key, now, leaseMs);
      if (!write || (await putIfUnchanged(write, existing))) return result;
      // Lost the race: someone claimed (or settled) it between our read and write.
      const winner = await get(key);
      if (winner === undefined)
        throw new Error(`delivery ${key.runId} ${key.channel} vanished while claiming`);
      return { outcome: winner.state === 'SENT' ? 'sent' : 'busy', record: winner };
    },
    async settle(record, outcome, now) {
      const existing = await get(record);
      const next = settleDelivery(existing, record, outcome, now);
      if (next) await putIfUnchanged(next, existing);
    },
  };
}
