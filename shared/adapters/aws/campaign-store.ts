import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import type { Campaign } from '#domain/campaign.ts';
import type { Clock, EditableCampaignStore, StoredCampaign } from '#shared/ports.ts';
import {
  CAMPAIGNS_GSI1PK,
  campaignIdFromPk,
  campaignKey,
  isConditionalCheckFailed,
  TABLE_KEYS,
} from './table.ts';

export interface DynamoCampaignStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Stamps `updatedAt`. */
  clock?: Clock;
  /** Items per GSI query page; DynamoDB's 1 MB page limit applies either way (small values are for tests). */
  pageSize?: number;
}

/**
 * Campaigns as DynamoDB items: the config is stored as a native MAP under `config`, so people can read
 * and edit it in the console. Nothing is validated on the way out: a hand-edited item that no longer
 * parses must fail only its own run, so `get` and `list` hand back the raw value.
 */
export function createDynamoCampaignStore(options: DynamoCampaignStoreOptions): EditableCampaignStore {
  const { doc, tableName } = options;
  const clock = options.clock ?? (() => new Date());
  const itemOf = (campaign: Campaign) => ({
    ...campaignKey(campaign.id),
    [TABLE_KEYS.gsi1.partitionKey]: CAMPAIGNS_GSI1PK,
    [TABLE_KEYS.gsi1.sortKey]: campaign.id,
    config: campaign,
    updatedAt: clock().toISOString(),
  });
  /** A put that only happens when `condition` holds; false when it did not. */
  const conditionalPut = async (
    campaign: Campaign,
    condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> => {
    try {
      await doc.send(new PutCommand({ TableName: tableName, Item: itemOf(campaign), ...condition }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  };

  return {
    async get(id) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tableName, Key: campaignKey(id), ConsistentRead: true }),
      );
      return Item?.config;
    },

    async *list(): AsyncIterable<StoredCampaign> {
      const pages = paginateQuery(
        { client: doc, ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }) },
        {
          TableName: tableName,
          IndexName: TABLE_KEYS.gsi1.indexName,
          KeyConditionExpression: '#gpk = :campaigns',
          ExpressionAttributeNames: { '#gpk': TABLE_KEYS.gsi1.partitionKey },
          ExpressionAttributeValues: { ':campaigns': CAMPAIGNS_GSI1PK },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          yield { id: storedCampaignId(item), raw: item.config };
        }
      }
    },

    async put(campaign: Campaign) {
      await doc.send(new PutCommand({ TableName: tableName, Item: itemOf(campaign) }));
    },

    async create(campaign) {
      const created = await conditionalPut(campaign, {
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      });
      return created ? 'created' : 'exists';
    },

    async replace(campaign, expected) {
      // The whole config map must still be what was read: this catches a console edit as well as
      // another `campaign update`, and fails on a removed item (no config to compare).
      if (expected === undefined) return 'changed';
      const replaced = await conditionalPut(campaign, {
        ConditionExpression: '#config = :expected',
        ExpressionAttributeNames: { '#config': 'config' },
        ExpressionAttributeValues: { ':expected': expected },
      });
      return replaced ? 'replaced' : 'changed';
    },

    async remove(id) {
      const { Attributes } = await doc.send(
        new DeleteCommand({ TableName: tableName, Key: campaignKey(id), ReturnValues: 'ALL_OLD' }),
      );
      return Attributes !== undefined;
    },
  };
}

function storedCampaignId(item: Record<string, unknown>): string {
  const sortKey = item[TABLE_KEYS.gsi1.sortKey];
  if (typeof sortKey === 'string' && sortKey !== '') return sortKey;
  return campaignIdFromPk(String(item[TABLE_KEYS.partitionKey]));
}
