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
 * How: the item `RATEGATE#<name>` / `STATE` holds `nextSlot` (epoch ms). A slot is reserved by ONE
 * atomic UpdateItem, which cannot lose a race: while the schedule is busy, `nextSlot = nextSlot +
 * spacing` on condition `nextSlot >= earliest` (the old value is the slot); while it is idle,
 * `nextSlot = earliest + spacing` on the complementary condition (the slot is `earliest`, now plus
 * a round trip, so the slot is not already gone when the answer arrives). The conditions exclude
 * each other, so a failed one means the schedule changed state under us and the other one is tried;
 * the gate first tries the one its last answer predicts, so a reservation is usually one call.
 *
 * The caller then sleeps until its slot and writes its request at once. Slots are `spacing × (1 +
 * safetyMargin)` apart (2 % by default), and a caller that is ready more than `spacing ×
 * safetyMargin` after its slot (a late timer, a busy event loop) books another slot instead, so
 * consecutive writes are never closer than `spacing`. A request written late anyway (a slow new
 * connection; the Moz client reports the write instant) moves the shared schedule to at least a
 * spacing after that write, for everyone who books next.
 *
 * Trade-offs: clocks of different containers differ by NTP skew (milliseconds in Lambda), far below
 * the 10 s spacing. A slot reserved by a runner that then dies or is aborted is simply wasted, which
 * errs on the safe side. A waiting runner is billed while it sleeps; at this rate it would wait anyway.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateGate, RatePermit } from '#moz/rate-gate.ts';
import { isConditionalCheckFailed, rateGateKey } from './table.ts';

export interface DynamoRateGateOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Gates with the same name share one schedule (one per Moz account). */
  name: string;
  /** Requests allowed per interval, for all runners together. */
  requests: number;
  intervalMs: number;
  /** Epoch ms. @default `performance.timeOrigin + performance.now()` (sub-millisecond) */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Extra spacing between slots, as a fraction of `intervalMs / requests`; also how late after its
   * slot a caller may still start. At most 0.02 (2 %). @default 0.02
   */
  safetyMargin?: number;
  /** Reservation rounds (and missed slots) before giving up. @default 50 */
  maxRounds?: number;
}

/** Too many runners raced for the same slot; the caller should retry later. */
export class RateGateContentionError extends Error {
  override name = 'RateGateContentionError';
}

const MAX_SAFETY_MARGIN = 0.02;
/** The last stretch before a slot is waited out in event-loop turns, not a timer (which fires ~1 ms late). */
const PRECISE_WAIT_MS = 3;
const preciseNow = () => performance.timeOrigin + performance.now();
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createDynamoRateGate(options: DynamoRateGateOptions): RateGate {
  const margin = options.safetyMargin ?? MAX_SAFETY_MARGIN;
  if (
    !(options.requests > 0) ||
    !(options.intervalMs >= 0) ||
    !(margin >= 0 && margin <= MAX_SAFETY_MARGIN)
  ) {
    throw new RangeError('rate gate needs requests > 0, intervalMs >= 0 and 0 <= safetyMargin <= 0.02');
  }
  const spacingMs = options.intervalMs / options.requests;
  const slotMs = spacingMs * (1 + margin);
  const graceMs = spacingMs * margin;
  const now = options.now ?? preciseNow;
  const sleep = options.sleep ?? realSleep;
  const maxRounds = options.maxRounds ?? 50;
  // Event-loop turns only measure time on the real clock; an injected clock (tests) sleeps exactly.
  const preciseMs = options.now === undefined && options.sleep === undefined ? PRECISE_WAIT_MS : 0;
  const schedule = createSchedule(options, slotMs, now);
  /** This container's own floor (pauses, late writes), honoured even when writing it to the table failed. */
  let localFloor = Number.NEGATIVE_INFINITY;
  /** A floor being written; a reservation waits for it so a 429 is seen before the next slot is handed out. */
  let pendingFloor: Promise<void> = Promise.resolve();

  function raiseFloor(until: number): void {
    localFloor = Math.max(localFloor, until);
    pendingFloor = Promise.all([pendingFloor, schedule.raiseTo(until)]).then(() => undefined);
  }

  /** Sleeps until `slot`: a timer for most of the wait, event-loop turns for the last few ms. */
  async function waitUntil(slot: number, signal: AbortSignal | undefined): Promise<void> {
    const coarse = slot - now() - preciseMs;
    if (coarse > 0) await abortable(sleep(coarse), signal);
    // Bounded: a few ms of turns; should they run out, the slot check after this decides.
    for (let turn = 0; turn < 100_000 && now() < slot; turn++) await nextTurn();
    signal?.throwIfAborted();
  }

  async function reserve(signal: AbortSignal | undefined): Promise<RatePermit> {
    signal?.throwIfAborted();
    await pendingFloor;
    for (let attempt = 0; attempt < maxRounds; attempt++) {
      const slot = await schedule.book(localFloor, signal, maxRounds);
      await waitUntil(slot, signal);
      if (now() - slot <= graceMs) return permitFor(slot);
      // Ready too late (a busy event loop): the next holder's slot is only one slot after ours, so
      // writing now could crowd it. Give this slot up and book another.
    }
    throw new RateGateContentionError(
      `rate gate "${options.name}": every slot was missed ${maxRounds} times`,
    );
  }

  function permitFor(slot: number): RatePermit {
    return {
      written() {
        // Written later than the grace allows (e.g. a new connection's handshake): whoever books
        // next starts at least one spacing after this write.
        const at = now();
        if (at - slot > graceMs) raiseFloor(at + slotMs);
      },
      unused() {},
    };
  }

  return {
    async acquire(signal) {
      await reserve(signal);
    },
    reserve,
    pause(ms) {
      if (ms > 0) raiseFloor(now() + ms);
    },
  };
}

/** The shared schedule item: atomic slot reservations and floors. */
function createSchedule(options: DynamoRateGateOptions, slotMs: number, now: () => number) {
  const { doc, tableName } = options;
  const key = rateGateKey(options.name);
  /** What the last answer said `nextSlot` is: predicts whether the schedule is busy. */
  let lastKnownNext = Number.NEGATIVE_INFINITY;
  /** Duration of the last reservation call, for the idle case's "now plus a round trip". */
  let roundTripMs = 10;

  /** Busy schedule: take the slot at `nextSlot`, if it is not before `earliest`. */
  async function append(earliest: number): Promise<number> {
    const { Attributes } = await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET nextSlot = nextSlot + :slot',
        ConditionExpression: 'nextSlot >= :earliest',
        ExpressionAttributeValues: { ':slot': slotMs, ':earliest': earliest },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const slot = Attributes?.nextSlot;
    if (typeof slot !== 'number') throw new Error(`rate gate "${options.name}": no nextSlot in the answer`);
    return slot;
  }

  /** Idle schedule: start it again at `earliest`. */
  async function restart(earliest: number): Promise<number> {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET nextSlot = :next',
        ConditionExpression: 'attribute_not_exists(nextSlot) OR nextSlot < :earliest',
        ExpressionAttributeValues: { ':next': earliest + slotMs, ':earliest': earliest },
      }),
    );
    return earliest;
  }

  return {
    /** Reserves a slot not before `floor`; returns its start (epoch ms). */
    async book(floor: number, signal: AbortSignal | undefined, maxRounds: number): Promise<number> {
      for (let round = 0; round < maxRounds; round++) {
        signal?.throwIfAborted();
        const started = now();
        const earliest = Math.max(started + 2 * roundTripMs, floor);
        const busy = lastKnownNext >= earliest;
        try {
          const slot = busy ? await append(earliest) : await restart(earliest);
          roundTripMs = now() - started;
          lastKnownNext = slot + slotMs;
          return slot;
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          // The schedule is in the other state: the next round tries the other update.
          lastKnownNext = busy ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
        }
      }
      throw new RateGateContentionError(
        `rate gate "${options.name}": no slot after ${maxRounds} contended rounds`,
      );
    },
    /** Nobody books before `until` (best effort: a failed condition means a later slot is booked). */
    raiseTo(until: number): Promise<void> {
      return doc
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
          // Any other error still leaves this container's local floor in force.
          () => undefined,
        );
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
