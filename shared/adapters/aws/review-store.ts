import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  paginateQuery,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { compareSources } from '#domain/ledger.ts';
import { type Review, ReviewSchema } from '#domain/review.ts';
import type { ReviewStore, ReviewWrite } from '#shared/ports.ts';
import { campaignPk, isConditionalCheckFailed, REVIEW_SK_PREFIX, reviewKey, TABLE_KEYS } from './table.ts';

export interface DynamoReviewStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

/** A stored review item that does not parse (edited in the console): named, never silently dropped. */
export class ReviewItemFormatError extends Error {
  override name = 'ReviewItemFormatError';
}

/** DynamoDB's limit of items per transaction. */
const TRANSACTION_ITEMS = 100;

/**
 * Reviews as items of the single table (see table.ts): one per (campaign, source). Every write is
 * conditional on the `version` attribute the writer read (absent for a first write).
 */
export function createDynamoReviewStore(options: DynamoReviewStoreOptions): ReviewStore {
  const { doc, tableName } = options;
  const parse = (item: Record<string, unknown>): Review => {
    const result = ReviewSchema.safeParse(item.review);
    if (!result.success)
      throw new ReviewItemFormatError(
        `review item ${String(item.sk)} is not a review: ${result.error.issues[0]?.message}`,
      );
    return result.data;
  };
  const putInput = ({ review, expectedVersion }: ReviewWrite): PutCommandInput => {
    const condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      expectedVersion === 0
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
          }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    return {
      TableName: tableName,
      Item: { ...reviewKey(review.campaignId, review.source), review, version: review.version },
      ...condition,
    };
  };
  return {
    async list(campaignId) {
      const pages = paginateQuery(
        { client: doc },
        {
          TableName: tableName,
          ConsistentRead: true,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': campaignPk(campaignId), ':prefix': REVIEW_SK_PREFIX },
        },
      );
      const reviews: Review[] = [];
      for await (const page of pages) for (const item of page.Items ?? []) reviews.push(parse(item));
      return reviews.sort((a, b) => compareSources(a.source, b.source));
    },
    async get(campaignId, source) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tableName, Key: reviewKey(campaignId, source), ConsistentRead: true }),
      );
      return Item ? parse(Item) : undefined;
    },
    async put(write) {
      try {
        await doc.send(new PutCommand(putInput(write)));
        return 'written';
      } catch (error) {
        if (isConditionalCheckFailed(error)) return 'changed';
        throw error;
      }
    },
    async putAll(writes) {
      for (let start = 0; start < writes.length; start += TRANSACTION_ITEMS) {
        const chunk = writes.slice(start, start + TRANSACTION_ITEMS);
        try {
          await doc.send(
            new TransactWriteCommand({ TransactItems: chunk.map((write) => ({ Put: putInput(write) })) }),
          );
        } catch (error) {
          const reasons = cancellationReasons(error);
          if (reasons === undefined) throw error;
          const sources = chunk
            .filter((_, index) => reasons[index] === 'ConditionalCheckFailed')
            .map((write) => write.review.source);
          if (sources.length === 0) throw error;
          return { outcome: 'changed', sources };
        }
      }
      return { outcome: 'written' };
    },
  };
}

/** The per-item reason codes of a cancelled transaction; undefined for any other error. */
function cancellationReasons(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons?.map((reason) => reason.Code);
}
