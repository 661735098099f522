import {
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { LatestPointer, RunRecord, RunStore } from '#shared/ports.ts';
import { chainCommit, claimRun, commitRun, failRun, releaseRun } from '../run-record-transitions.ts';
import { latestKey, RUN_SK_PREFIX, runKey, TABLE_KEYS } from './table.ts';

export { RunOwnershipLostError } from '#shared/ports.ts';

export interface DynamoRunStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

/** A stored item that does not look like what this code writes (hand-edited, or an old format). */
export class RunItemFormatError extends Error {
  override name = 'RunItemFormatError';
}

/** Lost the race for an item round after round: someone else is actively working on it. */
class ContendedError extends Error {
  override name = 'ContendedError';
}

/** How many times an operation re-reads after losing a race before giving up. */
const ROUNDS = 5;

const RunSummaryItem = z.object({
  manifestKey: z.string(),
  truncated: z.boolean(),
  gapSize: z.number(),
  newCount: z.number(),
  closedCount: z.number(),
  lostCount: z.number(),
  rowsConsumed: z.number(),
  droppedRows: z.number().optional(),
});

const RunRecordItem = z.object({
  campaignId: z.string(),
  runDate: z.string(),
  runId: z.string(),
  configHash: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  attempt: z.number().int(),
  leaseUntil: z.number(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  error: z.object({ kind: z.string(), message: z.string() }).optional(),
  owner: z.object({ host: z.string(), pid: z.number() }).optional(),
  summary: RunSummaryItem.optional(),
}) satisfies z.ZodType<RunRecord>;

const LatestPointerItem = z.object({
  campaignId: z.string(),
  runId: z.string(),
  runDate: z.string(),
  configHash: z.string(),
  manifestKey: z.string(),
  ledgerKey: z.string(),
  previousRunId: z.string().nullable().optional(),
}) satisfies z.ZodType<LatestPointer>;

type Put = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Put']>;

/**
 * Run records and latest pointers in the single table (see table.ts). The decisions are the pure
 * transitions of run-record-transitions.ts, shared with the file store; DynamoDB supplies the
 * atomicity: every write is conditional on the items being exactly as they were read, and a commit
 * writes the record and the pointer in one transaction. A lost race re-reads and decides again.
 */
export function createDynamoRunStore(options: DynamoRunStoreOptions): RunStore {
  const { doc, tableName } = options;

  async function getItem(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    return Item;
  }
  const get = async (campaignId: string, runDate: string) => {
    const item = await getItem(runKey(campaignId, runDate));
    return item === undefined ? undefined : toRunRecord(item);
  };
  const latest = async (campaignId: string) => {
    const item = await getItem(latestKey(campaignId));
    return item === undefined ? undefined : toLatestPointer(item, campaignId);
  };

  /**
   * A Put of `next` that succeeds only while the stored item is still the one read (same run id and,
   * for run records, same updatedAt, which every transition changes), or still absent.
   */
  const putIfUnchanged = (
    key: Record<string, string>,
    next: object,
    read: { runId: string; updatedAt?: string } | undefined,
  ): Put => {
    const put: Put = { TableName: tableName, Item: { ...key, ...next } };
    if (read === undefined) return { ...put, ConditionExpression: 'attribute_not_exists(pk)' };
    if (read.updatedAt === undefined) {
      return {
        ...put,
        ConditionExpression: 'runId = :readRunId',
        ExpressionAttributeValues: { ':readRunId': read.runId },
      };
    }
    return {
      ...put,
      ConditionExpression: 'runId = :readRunId AND updatedAt = :readUpdatedAt',
      ExpressionAttributeValues: { ':readRunId': read.runId, ':readUpdatedAt': read.updatedAt },
    };
  };

  /** Writes every Put in one transaction; false when a condition failed (a lost race: decide again). */
  async function writeAll(puts: Put[]): Promise<boolean> {
    if (puts.length === 0) return true;
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: puts.map((Put) => ({ Put })) }));
      return true;
    } catch (error) {
      if (error instanceof Error && /TransactionCanceled|ConditionalCheckFailed/.test(error.name))
        return false;
      throw error;
    }
  }

  /** Read, decide, write-if-unchanged; again after a lost race, at most ROUNDS times. */
  async function decide(what: string, round: () => Promise<Put[] | 'done'>): Promise<void> {
    for (let attempt = 0; attempt < ROUNDS; attempt++) {
      const puts = await round();
      if (puts === 'done' || (await writeAll(puts))) return;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
    }
    throw new ContendedError(`${what}: still contended after ${ROUNDS} rounds`);
  }

  return {
    get,
    latest,

    async claim(request) {
      let result: Awaited<ReturnType<RunStore['claim']>> | undefined;
      await decide(`claim ${request.campaignId} ${request.runDate}`, async () => {
        const existing = await get(request.campaignId, request.runDate);
        const transition = claimRun(existing, request);
        result = transition.result;
        if (!transition.write) return 'done';
        return [putIfUnchanged(runKey(request.campaignId, request.runDate), transition.write, existing)];
      }).catch((error: unknown) => {
        if (!(error instanceof ContendedError) || result === undefined) throw error;
        if (result.outcome === 'claimed') result = { outcome: 'busy', record: result.record };
      });
      if (result === undefined) throw new RunItemFormatError('claim decided nothing');
      return result;
    },

    release: (record, now) =>
      decide(`release ${record.runId}`, async () => {
        const current = await get(record.campaignId, record.runDate);
        const next = releaseRun(current, record, now);
        return next ? [putIfUnchanged(runKey(record.campaignId, record.runDate), next, current)] : 'done';
      }),

    fail: (record, error, now) =>
      decide(`fail ${record.runId}`, async () => {
        const current = await get(record.campaignId, record.runDate);
        const next = failRun(current, record, error, now);
        return next ? [putIfUnchanged(runKey(record.campaignId, record.runDate), next, current)] : 'done';
      }),

    commit: (request) =>
      decide(`commit ${request.record.runId}`, async () => {
        const { record, summary, pointer, now } = request;
        // Both reads at once (each write below is conditional on what was read, so no order matters).
        const [current, stored] = await Promise.all([
          get(record.campaignId, record.runDate),
          latest(record.campaignId),
        ]);
        const next = commitRun(current, record, summary, now);
        const puts: Put[] = [];
        if (chainCommit(stored, request) === 'move') {
          const pointerItem = { ...pointer, updatedAt: now.toISOString() };
          const readPointer = stored && { runId: stored.runId };
          puts.push(putIfUnchanged(latestKey(record.campaignId), pointerItem, readPointer));
        }
        if (next) puts.push(putIfUnchanged(runKey(record.campaignId, record.runDate), next, current));
        return puts.length === 0 ? 'done' : puts;
      }),

    async list(campaignId, limit) {
      const records: RunRecord[] = [];
      const pages = paginateQuery(
        { client: doc, ...(limit === undefined ? {} : { pageSize: limit }) },
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :runPrefix)',
          ExpressionAttributeValues: { ':pk': runKey(campaignId, '').pk, ':runPrefix': RUN_SK_PREFIX },
          ScanIndexForward: false,
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          records.push(toRunRecord(item));
          if (limit !== undefined && records.length >= limit) return records;
        }
      }
      return records;
    },
  };
}

function toRunRecord(item: Record<string, unknown>): RunRecord {
  const parsed = RunRecordItem.safeParse(item);
  if (!parsed.success) {
    const where = `${String(item[TABLE_KEYS.partitionKey])} ${String(item[TABLE_KEYS.sortKey])}`;
    throw new RunItemFormatError(`run record ${where} is malformed: ${parsed.error.message}`);
  }
  return parsed.data;
}

function toLatestPointer(item: Record<string, unknown>, campaignId: string): LatestPointer {
  const parsed = LatestPointerItem.safeParse(item);
  if (!parsed.success) {
    throw new RunItemFormatError(
      `latest pointer of campaign "${campaignId}" is malformed: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
