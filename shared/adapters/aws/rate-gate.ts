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
 * - A shared schedule costs about one conditional write per Moz request (pennies at 1 request /
 *   10 s), spaces requests `intervalMs / requests` apart whatever the number of runners, and lets any
 *   runner's 429 `Retry-After` pause everyone (`pause`).
 *
 * How: the item `RATEGATE#<name>` / `STATE` holds `nextSlot` (epoch ms) and `version` (counts every
 * change). A slot is reserved by ONE atomic UpdateItem, which cannot lose a race: while the schedule
 * is busy, `nextSlot = nextSlot + slot` on condition `nextSlot >= earliest` (the old value is the
 * slot); while it is idle, `nextSlot = earliest + slot` on the complementary condition (the slot is
 * `earliest`, now plus a round trip, so the slot is not already gone when the answer arrives). The
 * conditions exclude each other; the gate tries the one its last answer predicts, and a failed one
 * returns the item as it is (`ReturnValuesOnConditionCheckFailure`), so the retry is the right one.
 *
 * The holder is released a few ms before its slot; the Moz client asks its permit right before the
 * request is written (undici's `onRequestStart`), and the permit waits out the last instants there,
 * synchronously. Slots are `spacing × (1 + safetyMargin)` apart (2 % by default) and a write is
 * allowed only within `spacing × safetyMargin` after its slot, so consecutive writes are never closer
 * than `spacing`. A holder that is late (a stall, a slow new connection) writes nothing and gives its
 * slot up (the Moz client reconnects shortly before a far slot, through `reserve`'s preparation, so a
 * connection that idled out during the wait is not reopened inside it). If nobody booked after it
 * (`version` unchanged), it moves the schedule's end to now plus a round trip instead of losing a
 * whole slot; otherwise it books behind the others (directly, without trying, while other runners are
 * seen at work: someone will have booked after it).
 *
 * Trade-offs: clocks of different containers differ by NTP skew (milliseconds in Lambda), far below
 * the 10 s spacing. A slot reserved by a runner that then dies or is aborted is simply wasted, which
 * errs on the safe side. A waiting runner is billed while it sleeps; at this rate it would wait anyway.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  gateClock,
  oneAnswerPermit,
  type RateGate,
  type RatePermit,
  type SlotPreparation,
  spinUntil,
} from '#moz/rate-gate.ts';
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
   * slot a request may still be written. At most 0.02 (2 %). @default 0.02
   */
  safetyMargin?: number;
  /** Reservation rounds (and missed slots) before giving up. @default 50 */
  maxRounds?: number;
  /**
   * How long before its slot a holder is released; its permit's `write` waits out the rest.
   * @default `RELEASE_LEAD_MS` (#moz/rate-gate.ts) on the real clock, 0 with an injected one (which sleeps exactly)
   */
  releaseLeadMs?: number;
}

/** Too many runners raced for the same slot; the caller should retry later. */
export class RateGateContentionError extends Error {
  override name = 'RateGateContentionError';
}

const MAX_SAFETY_MARGIN = 0.02;

/** A reserved slot, and the schedule's version right after it was booked. */
interface Booking {
  slot: number;
  version: number;
}

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
  const graceMs = slotMs - spacingMs;
  const { now, sleep, leadMs } = gateClock(options);
  const maxRounds = options.maxRounds ?? 50;
  const schedule = createSchedule(options, slotMs, now, leadMs);
  /** This container's own floor (pauses, late writes), honoured even when writing it to the table failed. */
  let localFloor = Number.NEGATIVE_INFINITY;
  /** A floor being written; a reservation waits for it so a 429 is seen before the next slot is handed out. */
  let pendingFloor: Promise<void> = Promise.resolve();

  function raiseFloor(until: number): void {
    localFloor = Math.max(localFloor, until);
    pendingFloor = Promise.all([pendingFloor, schedule.raiseTo(until)]).then(() => undefined);
  }

  const holder: SlotHolder = {
    now,
    graceMs,
    slotMs,
    floor: () => localFloor,
    raiseFloor,
    abandon: (booking) => schedule.abandon(booking),
  };

  /** Sleeps until `at`, running `prepare` about `prepare.aheadMs` before it when the wait is longer. */
  async function waitUntil(at: number, signal: AbortSignal | undefined, prepare?: SlotPreparation) {
    if (prepare !== undefined && at - now() > prepare.aheadMs) {
      await abortable(sleep(at - prepare.aheadMs - now()), signal);
      await abortable(
        prepare.run().catch(() => {}),
        signal,
      );
    }
    const wait = at - now();
    if (wait > 0) await abortable(sleep(wait), signal);
  }

  async function reserve(signal: AbortSignal | undefined, prepare?: SlotPreparation): Promise<RatePermit> {
    signal?.throwIfAborted();
    await pendingFloor;
    for (let attempt = 0; attempt < maxRounds; attempt++) {
      const booking = await schedule.book(localFloor, signal, maxRounds);
      await waitUntil(booking.slot - leadMs, signal, prepare);
      if (now() - booking.slot <= graceMs) return slotPermit(booking, holder);
      // Ready too late already (a busy event loop): give the slot up before building the request.
      schedule.abandon(booking);
    }
    throw new RateGateContentionError(
      `rate gate "${options.name}": every slot was missed ${maxRounds} times`,
    );
  }

  return {
    async acquire(signal) {
      // Starts count when released: wait out the lead here, as a write would.
      for (let attempt = 0; attempt < maxRounds; attempt++) {
        if ((await reserve(signal)).write()) return;
      }
      throw new RateGateContentionError(
        `rate gate "${options.name}": every slot was missed ${maxRounds} times`,
      );
    },
    reserve,
    pause(ms) {
      if (ms > 0) raiseFloor(now() + ms);
    },
  };
}

/** What a permit needs from its gate. */
interface SlotHolder {
  now: () => number;
  graceMs: number;
  slotMs: number;
  /** This container's floor: pauses that came since the booking. */
  floor: () => number;
  raiseFloor: (until: number) => void;
  abandon: (booking: Booking) => void;
}

/** The permit for a booked slot: a write only within the slot's grace, at most once refused. */
function slotPermit(booking: Booking, gate: SlotHolder): RatePermit {
  return oneAnswerPermit({
    first() {
      const at = spinUntil(booking.slot, gate.now);
      // Outside the slot (a stall, a new connection's handshake) or behind a pause that came since:
      // writing could crowd the next holder, whose slot is only one slot after ours.
      return at >= booking.slot && at - booking.slot <= gate.graceMs && at >= gate.floor();
    },
    again() {
      // undici writing the same request again, late: whoever books next starts a spacing after it.
      const at = gate.now();
      if (at - booking.slot > gate.graceMs) gate.raiseFloor(at + gate.slotMs);
    },
    giveUp: () => gate.abandon(booking),
  });
}

/** What a failed conditional update says the item holds (`ReturnValuesOnConditionCheckFailure`). */
function itemOf(error: unknown): { nextSlot?: number; version?: number } {
  const item = (error as { Item?: Record<string, unknown> }).Item;
  const numberOf = (value: unknown): number | undefined => {
    // The SDK leaves the error's item marshalled ({ N: "123" }); accept a plain number too.
    const raw = typeof value === 'object' && value !== null ? (value as { N?: unknown }).N : value;
    const parsed = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  const nextSlot = numberOf(item?.nextSlot);
  const version = numberOf(item?.version);
  return {
    ...(nextSlot === undefined ? {} : { nextSlot }),
    ...(version === undefined ? {} : { version }),
  };
}

/** The schedule item and how to reach it. */
interface ScheduleItem {
  doc: DynamoDBDocumentClient;
  tableName: string;
  key: ReturnType<typeof rateGateKey>;
  name: string;
}

/** Every change bumps `version`, so "nobody booked after me" is one integer comparison. */
const BUMP_VERSION = 'version = if_not_exists(version, :zero) + :one';
const VERSION_STEP = { ':zero': 0, ':one': 1 };

/** Busy schedule: take the slot at `nextSlot`, if it is not before `earliest`. */
async function appendSlot(item: ScheduleItem, slotMs: number, earliest: number): Promise<Booking> {
  const { Attributes } = await item.doc.send(
    new UpdateCommand({
      TableName: item.tableName,
      Key: item.key,
      UpdateExpression: `SET nextSlot = nextSlot + :slot, ${BUMP_VERSION}`,
      ConditionExpression: 'nextSlot >= :earliest',
      ExpressionAttributeValues: { ':slot': slotMs, ':earliest': earliest, ...VERSION_STEP },
      ReturnValues: 'UPDATED_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  );
  const slot = Attributes?.nextSlot;
  if (typeof slot !== 'number') throw new Error(`rate gate "${item.name}": no nextSlot in the answer`);
  const version = Attributes?.version;
  return { slot, version: (typeof version === 'number' ? version : 0) + 1 };
}

/**
 * Idle schedule (no `after`): start it again at `earliest`. With `after`: the schedule ends with that
 * slot, nobody booked after it (its version is current) and it will never be written, so the schedule
 * may restart anywhere from that slot on.
 */
async function restartSchedule(
  item: ScheduleItem,
  slotMs: number,
  earliest: number,
  after: Booking | undefined,
): Promise<Booking> {
  const slot = after === undefined ? earliest : Math.max(earliest, after.slot);
  const { Attributes } = await item.doc.send(
    new UpdateCommand({
      TableName: item.tableName,
      Key: item.key,
      UpdateExpression: `SET nextSlot = :next, ${BUMP_VERSION}`,
      ConditionExpression:
        after === undefined ? 'attribute_not_exists(nextSlot) OR nextSlot < :earliest' : 'version = :mine',
      ExpressionAttributeValues: {
        ':next': slot + slotMs,
        ...(after === undefined ? { ':earliest': earliest } : { ':mine': after.version }),
        ...VERSION_STEP,
      },
      ReturnValues: 'UPDATED_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  );
  const version = Attributes?.version;
  if (typeof version !== 'number') throw new Error(`rate gate "${item.name}": no version in the answer`);
  return { slot, version };
}

/** Nobody books before `until` (best effort: a failed condition means a later slot is booked). */
function raiseScheduleTo(item: ScheduleItem, until: number): Promise<void> {
  return item.doc
    .send(
      new UpdateCommand({
        TableName: item.tableName,
        Key: item.key,
        UpdateExpression: `SET nextSlot = :until, ${BUMP_VERSION}`,
        ConditionExpression: 'attribute_not_exists(nextSlot) OR nextSlot < :until',
        ExpressionAttributeValues: { ':until': until, ...VERSION_STEP },
      }),
    )
    .then(
      () => undefined,
      // Any other error still leaves this container's local floor in force.
      () => undefined,
    );
}

/** The shared schedule item: atomic slot reservations and floors, and what this gate knows of it. */
function createSchedule(options: DynamoRateGateOptions, slotMs: number, now: () => number, leadMs: number) {
  const item: ScheduleItem = {
    doc: options.doc,
    tableName: options.tableName,
    key: rateGateKey(options.name),
    name: options.name,
  };
  /** What the last answer said `nextSlot` is: predicts whether the schedule is busy. */
  let lastKnownNext = Number.NEGATIVE_INFINITY;
  /**
   * Whether someone else booked between this gate's last two bookings: other runners are at work
   * and will keep the schedule busy, even when this gate's own last slot is long past.
   */
  let othersActive = false;
  /** A slot this gate booked and then gave up, not yet offered back; at most one. */
  let abandoned: Booking | undefined;
  /** Duration of the last reservation call, for the idle case's "now plus a round trip". */
  let roundTripMs = 10;

  return {
    /** Reserves a slot not before `floor`. */
    async book(floor: number, signal: AbortSignal | undefined, maxRounds: number): Promise<Booking> {
      for (let round = 0; round < maxRounds; round++) {
        signal?.throwIfAborted();
        const started = now();
        // Two round trips ahead, plus the lead: the answer must come before the holder's release,
        // or the lead meant to absorb a stall before the write is already spent.
        const earliest = Math.max(started + 2 * roundTripMs + leadMs, floor);
        // Taking the schedule back from a given-up slot only works when nobody booked after it,
        // which is unlikely while other runners are at work: then the slot is simply lost.
        const given = othersActive ? undefined : abandoned;
        abandoned = undefined;
        const busy = given === undefined && (othersActive || lastKnownNext >= earliest);
        try {
          const booking = busy
            ? await appendSlot(item, slotMs, earliest)
            : await restartSchedule(item, slotMs, earliest, given);
          roundTripMs = now() - started;
          othersActive = busy && booking.slot > lastKnownNext + slotMs / 2;
          lastKnownNext = booking.slot + slotMs;
          return booking;
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          // The schedule is not as predicted: the item as it is says which update fits.
          const { nextSlot } = itemOf(error);
          lastKnownNext = nextSlot ?? (busy ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY);
          othersActive = false;
        }
      }
      throw new RateGateContentionError(
        `rate gate "${options.name}": no slot after ${maxRounds} contended rounds`,
      );
    },
    /** A booked slot that will never be written: the next booking may take the schedule back from it. */
    abandon(booking: Booking): void {
      abandoned = booking;
    },
    raiseTo: (until: number) => raiseScheduleTo(item, until),
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
