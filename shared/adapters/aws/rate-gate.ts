/**
 * One Moz account has one rate limit (free tier: 1 request per 10 s, and an early request earns a
 * 30 s throttle), but several runner Lambdas may work at the same time. This gate keeps ALL of them
 * together under the limit: a shared "next free slot" scheduler kept in one DynamoDB item.
 *
 * Why this option (aws-notes.md, "Design question"):
 * - SQS `MaximumConcurrency` cannot be 1 (minimum 2), so "concurrency 2, half the rate each" halves
 *   the throughput whenever only one runner is busy (the usual case), and still lets the CLI or a
 *   manual invocation push the account over the limit.
 * - Reserved concurrency 1 makes Lambda throttle SQS deliveries, and those throttled receives count
 *   toward `maxReceiveCount`: healthy messages would end up in the DLQ and page someone.
 * - A shared schedule costs one consistent read and one conditional write per Moz request (pennies at
 *   1 request / 10 s), spaces requests exactly `intervalMs / requests` apart whatever the number of
 *   runners, and lets any runner's 429 `Retry-After` pause everyone (`pause`).
 *
 * How: the item `RATEGATE#<name>` / `STATE` holds `nextSlot` (epoch ms). `acquire` reads it, reserves
 * `slot = max(now + one round trip, nextSlot, local pause)` by a conditional update
 * `nextSlot = slot + spacing` guarded on the value it read (optimistic concurrency; a lost race
 * re-reads), then sleeps until `slot`. Slots are `spacing` apart and nobody starts before its slot;
 * a caller that wakes more than `graceMs` after it (a late timer, a slow write) books another slot
 * instead, so no two starts are closer than `spacing - graceMs`.
 *
 * Trade-offs: clocks of different containers differ by NTP skew (milliseconds in Lambda), far below
 * the 10 s spacing. A slot reserved by a runner that then dies or is aborted is simply wasted, which
 * errs on the safe side. A waiting runner is billed while it sleeps; at this rate it would wait anyway.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateGate } from '#moz/rate-gate.ts';
import { isConditionalCheckFailed, rateGateKey } from './table.ts';

export interface DynamoRateGateOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Gates with the same name share one schedule (one per Moz account). */
  name: string;
  /** Requests allowed per interval, for all runners together. */
  requests: number;
  intervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * How late after its slot a caller may still start. A caller that wakes later (slow write, busy
   * event loop) gives the slot up and books another, so consecutive starts are never closer than
   * `intervalMs / requests - graceMs`. @default min(50 ms, a tenth of the spacing)
   */
  graceMs?: number;
  /** Optimistic-concurrency rounds (and missed slots) before giving up. @default 50 */
  maxRounds?: number;
}

/** Too many runners raced for the same slot; the caller should retry later. */
export class RateGateContentionError extends Error {
  override name = 'RateGateContentionError';
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createDynamoRateGate(options: DynamoRateGateOptions): RateGate {
  if (!(options.requests > 0) || !(options.intervalMs >= 0)) {
    throw new RangeError('rate gate needs requests > 0 and intervalMs >= 0');
  }
  const { doc, tableName } = options;
  const key = rateGateKey(options.name);
  const spacingMs = options.intervalMs / options.requests;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const maxRounds = options.maxRounds ?? 50;
  // A tenth of the spacing at most: at fast rates a fixed 50 ms would allow two starts back to back.
  const graceMs = options.graceMs ?? Math.min(50, spacingMs / 10);
  /** This container's own pause, honoured even when writing it to the table failed. */
  let pausedUntil = Number.NEGATIVE_INFINITY;
  /** A pause being written; acquire waits for it so a 429 is seen before the next slot is handed out. */
  let pendingPause: Promise<void> = Promise.resolve();

  async function readNextSlot(): Promise<number | undefined> {
    const { Item } = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: 'nextSlot',
      }),
    );
    return typeof Item?.nextSlot === 'number' ? Item.nextSlot : undefined;
  }

  /** Reserves the next slot; returns its start time (epoch ms). */
  async function reserve(signal: AbortSignal | undefined): Promise<number> {
    for (let round = 0; round < maxRounds; round++) {
      signal?.throwIfAborted();
      const readStarted = now();
      const read = await readNextSlot();
      const readDone = now();
      // When the schedule is idle the slot is "now", but the request can only start once the write
      // below has landed; book the slot where that is expected (a round trip like the read's, with
      // room to spare), so the slot is not already missed when the write returns.
      const earliestStart = readDone + 2 * (readDone - readStarted);
      const slot = Math.max(earliestStart, read ?? Number.NEGATIVE_INFINITY, pausedUntil);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: 'SET nextSlot = :next',
            ConditionExpression: read === undefined ? 'attribute_not_exists(nextSlot)' : 'nextSlot = :read',
            ExpressionAttributeValues: {
              ':next': slot + spacingMs,
              ...(read === undefined ? {} : { ':read': read }),
            },
          }),
        );
        return slot;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        // Someone else took the slot we saw: back off a little (jittered) and look again.
        await sleep(Math.random() * Math.min(50, 5 * 2 ** round));
      }
    }
    throw new RateGateContentionError(
      `rate gate "${options.name}": no slot after ${maxRounds} contended rounds`,
    );
  }

  return {
    async acquire(signal) {
      signal?.throwIfAborted();
      await pendingPause;
      for (let attempt = 0; attempt < maxRounds; attempt++) {
        const slot = await reserve(signal);
        const waitMs = slot - now();
        if (waitMs > 0) await abortable(sleep(waitMs), signal);
        if (now() - slot <= graceMs) return;
        // Woke too late (a slow write, a busy event loop): the next holder's slot is only `spacing`
        // after ours, so starting now would crowd it. Give this slot up and book another.
      }
      throw new RateGateContentionError(
        `rate gate "${options.name}": every slot was missed ${maxRounds} times`,
      );
    },

    pause(ms) {
      if (!(ms > 0)) return;
      const until = now() + ms;
      pausedUntil = Math.max(pausedUntil, until);
      const write = doc
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: 'SET nextSlot = :until',
            ConditionExpression: 'attribute_not_exists(nextSlot) OR nextSlot < :until',
            ExpressionAttributeValues: { ':until': until },
          }),
        )
        .then(
          () => undefined,
          // Best effort: a failed condition means a later slot is already booked; any other error
          // still leaves this container's local pause in force.
          () => undefined,
        );
      pendingPause = Promise.all([pendingPause, write]).then(() => undefined);
    },
  };
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
