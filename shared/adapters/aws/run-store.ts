import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { ClaimRequest, LatestPointer, RunRecord, RunStore, RunSummary } from '#shared/ports.ts';
import { isConditionalCheckFailed, latestKey, RUN_SK_PREFIX, runKey, TABLE_KEYS } from './table.ts';

export interface DynamoRunStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

/** The worker no longer owns the run (another delivery took it over, or it was forced anew). */
export class RunOwnershipLostError extends Error {
  override name = 'RunOwnershipLostError';
  constructor(
    readonly campaignId: string,
    readonly runDate: string,
    readonly runId: string,
  ) {
    super(`run ${runId} of campaign "${campaignId}" for ${runDate} is no longer owned by this worker`);
  }
}

/** A stored item that does not look like what this code writes (hand-edited, or an old format). */
export class RunItemFormatError extends Error {
  override name = 'RunItemFormatError';
}

/** How many times a claim re-reads after losing a race before answering with what it saw. */
const CLAIM_ROUNDS = 4;
const COMMIT_CONFLICT_RETRIES = 3;

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
  summary: z
    .object({
      manifestKey: z.string(),
      truncated: z.boolean(),
      gapSize: z.number(),
      newCount: z.number(),
      closedCount: z.number(),
      lostCount: z.number(),
      rowsConsumed: z.number(),
    })
    .optional(),
}) satisfies z.ZodType<RunRecord>;

const LatestPointerItem = z.object({
  campaignId: z.string(),
  runId: z.string(),
  runDate: z.string(),
  configHash: z.string(),
  manifestKey: z.string(),
  ledgerKey: z.string(),
}) satisfies z.ZodType<LatestPointer>;

/**
 * Run records and latest pointers in the single table (see table.ts). Every state change is a
 * conditional write, so at-least-once delivery gives at most one live owner per (campaign, run_date):
 *
 * - `claim` creates the record (`attribute_not_exists`), or answers `done` (SUCCEEDED) / `busy` (live
 *   lease), or takes over a FAILED run or an expired lease, conditional on nobody else having done so.
 * - `commit` marks the run SUCCEEDED and moves the latest pointer in one transaction; a pointer
 *   already at a later run date is left alone, and the run is committed by itself.
 * - `release` and `fail` are conditional on the same runId and attempt; when ownership was lost
 *   meanwhile they do nothing (the new owner's state wins). `commit` throws {@link RunOwnershipLostError}.
 */
export function createDynamoRunStore(options: DynamoRunStoreOptions): RunStore {
  const { doc, tableName } = options;

  async function get(campaignId: string, runDate: string): Promise<RunRecord | undefined> {
    const { Item } = await doc.send(
      new GetCommand({ TableName: tableName, Key: runKey(campaignId, runDate), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toRunRecord(Item);
  }

  async function createNew(request: ClaimRequest): Promise<RunRecord | undefined> {
    const record = newRecord(request, 1);
    try {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...runKey(request.campaignId, request.runDate), ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Replaces a SUCCEEDED run with a fresh one (force), conditional on it being the run we read. */
  async function restart(request: ClaimRequest, existing: RunRecord): Promise<RunRecord | undefined> {
    const record = newRecord(request, 1);
    try {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...runKey(request.campaignId, request.runDate), ...record },
          ConditionExpression: 'runId = :oldRunId AND attempt = :oldAttempt AND #status = :succeeded',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':oldRunId': existing.runId,
            ':oldAttempt': existing.attempt,
            ':succeeded': 'SUCCEEDED',
          },
        }),
      );
      return record;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * Takes over a FAILED run or a RUNNING run whose lease expired. The run keeps its id (its checkpoints
   * hang off it) unless the config hash changed, which starts the run over under the new id.
   */
  async function takeOver(
    request: ClaimRequest,
    existing: RunRecord,
  ): Promise<{ record: RunRecord; resumed: boolean } | undefined> {
    const now = request.now.toISOString();
    const nowMs = request.now.getTime();
    const resumed = existing.configHash === request.configHash;
    const restartSet = resumed ? '' : ', runId = :newRunId, configHash = :configHash, startedAt = :now';
    try {
      const { Attributes } = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: runKey(request.campaignId, request.runDate),
          UpdateExpression: `SET #status = :running, attempt = attempt + :one, leaseUntil = :leaseUntil, updatedAt = :now${restartSet} REMOVE #error, finishedAt, summary`,
          ConditionExpression:
            'runId = :oldRunId AND attempt = :oldAttempt AND (#status = :failed OR (#status = :running AND leaseUntil <= :nowMs))',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: {
            ':running': 'RUNNING',
            ':failed': 'FAILED',
            ':one': 1,
            ':leaseUntil': nowMs + request.leaseMs,
            ':now': now,
            ':nowMs': nowMs,
            ':oldRunId': existing.runId,
            ':oldAttempt': existing.attempt,
            ...(resumed ? {} : { ':newRunId': request.runId, ':configHash': request.configHash }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (Attributes === undefined) throw new RunItemFormatError('UpdateItem returned no attributes');
      return { record: toRunRecord(Attributes), resumed };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async function updateOwned(
    record: RunRecord,
    update: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: runKey(record.campaignId, record.runDate),
          UpdateExpression: update,
          ConditionExpression: 'runId = :runId AND attempt = :attempt AND #status = :running',
          ExpressionAttributeNames: { '#status': 'status', ...names },
          ExpressionAttributeValues: {
            ':runId': record.runId,
            ':attempt': record.attempt,
            ':running': 'RUNNING',
            ...values,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  function commitRunUpdate(record: RunRecord, summary: RunSummary, now: string) {
    return {
      TableName: tableName,
      Key: runKey(record.campaignId, record.runDate),
      // if_not_exists keeps the first commit's figures when a duplicate delivery commits again.
      UpdateExpression:
        'SET #status = :succeeded, finishedAt = if_not_exists(finishedAt, :now), summary = if_not_exists(summary, :summary), updatedAt = :now REMOVE #error',
      ConditionExpression: 'runId = :runId AND (#status = :running OR #status = :succeeded)',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
      ExpressionAttributeValues: {
        ':succeeded': 'SUCCEEDED',
        ':running': 'RUNNING',
        ':runId': record.runId,
        ':now': now,
        ':summary': summary,
      },
    };
  }

  return {
    get,

    async claim(request) {
      const created = await createNew(request);
      if (created !== undefined) return { outcome: 'claimed', record: created, resumed: false };

      let existing: RunRecord | undefined;
      for (let round = 0; round < CLAIM_ROUNDS; round++) {
        existing = await get(request.campaignId, request.runDate);
        if (existing === undefined) {
          // Deleted between our write and our read (hand clean-up): start afresh.
          const again = await createNew(request);
          if (again !== undefined) return { outcome: 'claimed', record: again, resumed: false };
          continue;
        }
        if (existing.status === 'SUCCEEDED') {
          if (!request.force) return { outcome: 'done', record: existing };
          const restarted = await restart(request, existing);
          if (restarted !== undefined) return { outcome: 'claimed', record: restarted, resumed: false };
          continue;
        }
        if (existing.status === 'RUNNING' && existing.leaseUntil > request.now.getTime()) {
          return { outcome: 'busy', record: existing };
        }
        const taken = await takeOver(request, existing);
        if (taken !== undefined) return { outcome: 'claimed', ...taken };
      }
      // Still contended after several rounds: someone else is actively working on it.
      const last = existing ?? (await get(request.campaignId, request.runDate));
      if (last === undefined) throw new RunItemFormatError('run record vanished while claiming');
      return last.status === 'SUCCEEDED' && !request.force
        ? { outcome: 'done', record: last }
        : { outcome: 'busy', record: last };
    },

    async release(record, now) {
      await updateOwned(record, 'SET leaseUntil = :nowMs, updatedAt = :now', {
        ':nowMs': now.getTime(),
        ':now': now.toISOString(),
      });
    },

    async fail(record, error, now) {
      await updateOwned(
        record,
        'SET #status = :failed, #error = :error, leaseUntil = :nowMs, updatedAt = :now, finishedAt = :now',
        {
          ':failed': 'FAILED',
          ':error': { kind: error.kind, message: error.message },
          ':nowMs': now.getTime(),
          ':now': now.toISOString(),
        },
        { '#error': 'error' },
      );
    },

    async commit(record, summary, pointer, now) {
      const nowIso = now.toISOString();
      const runUpdate = commitRunUpdate(record, summary, nowIso);
      for (let attempt = 0; ; attempt++) {
        try {
          await doc.send(
            new TransactWriteCommand({
              TransactItems: [
                { Update: runUpdate },
                {
                  Put: {
                    TableName: tableName,
                    Item: { ...latestKey(record.campaignId), ...pointer, updatedAt: nowIso },
                    ConditionExpression: 'attribute_not_exists(pk) OR runDate <= :runDate',
                    ExpressionAttributeValues: { ':runDate': pointer.runDate },
                  },
                },
              ],
            }),
          );
          return;
        } catch (error) {
          const [runReason, pointerReason] = cancellationCodes(error);
          if (runReason === 'ConditionalCheckFailed') {
            throw new RunOwnershipLostError(record.campaignId, record.runDate, record.runId);
          }
          if (pointerReason === 'ConditionalCheckFailed') {
            // A later run date holds the pointer: commit the run alone, never move the pointer back.
            try {
              await doc.send(new UpdateCommand(runUpdate));
              return;
            } catch (updateError) {
              if (isConditionalCheckFailed(updateError)) {
                throw new RunOwnershipLostError(record.campaignId, record.runDate, record.runId);
              }
              throw updateError;
            }
          }
          const conflicted = runReason === 'TransactionConflict' || pointerReason === 'TransactionConflict';
          if (!conflicted || attempt >= COMMIT_CONFLICT_RETRIES) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * Math.random()));
        }
      }
    },

    async latest(campaignId) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tableName, Key: latestKey(campaignId), ConsistentRead: true }),
      );
      if (Item === undefined) return undefined;
      const parsed = LatestPointerItem.safeParse(Item);
      if (!parsed.success) {
        throw new RunItemFormatError(
          `latest pointer of campaign "${campaignId}" is malformed: ${parsed.error.message}`,
        );
      }
      return parsed.data;
    },

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

function newRecord(request: ClaimRequest, attempt: number): RunRecord {
  const now = request.now.toISOString();
  return {
    campaignId: request.campaignId,
    runDate: request.runDate,
    runId: request.runId,
    configHash: request.configHash,
    status: 'RUNNING',
    attempt,
    leaseUntil: request.now.getTime() + request.leaseMs,
    startedAt: now,
    updatedAt: now,
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

/** The per-item cancellation codes of a TransactionCanceledException, in TransactItems order. */
function cancellationCodes(error: unknown): Array<string | undefined> {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') throw error;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code);
}
