/**
 * A rate gate decides when the next Moz request may start. The in-process gate below serves one
 * container; a DynamoDB-backed gate shared by all runners implements the same interface elsewhere.
 *
 * Spacing is about when requests reach the server, so the Moz client asks for a slot with `reserve`
 * and asks the permit it gets, from undici's `onRequestStart` (synchronously, right before the
 * request is written to the socket), whether it may write now. The permit waits out the last
 * instants before the slot there, synchronously, and answers no when the slot has passed (a stall, a
 * slow new connection) or a pause arrived meanwhile: the client then sends nothing and books again.
 * So the gate knows the instant of every write, and no write lands outside its slot.
 */
export interface RateGate {
  /**
   * Resolves when the caller may send one request, counting the start as now. Rejects with
   * `signal.reason` if aborted while waiting.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /**
   * Like acquire, but the start counts when the caller writes: resolves shortly before the caller's
   * slot with a permit to ask right before the write (or to settle as unused). Optional: a gate without
   * it is used through `acquire`.
   */
  reserve?(signal?: AbortSignal, prepare?: SlotPreparation): Promise<RatePermit>;
  /** Retry-After: nobody sharing the gate sends before now + ms. Never shortens an existing pause. */
  pause(ms: number): void;
}

/**
 * Work a `reserve` caller needs done shortly before its slot rather than inside it: the Moz client
 * reopens its connection there when a long wait (the free tier's 10 s spacing, shared by several
 * runners) outlived it, because a handshake paid at the write would make the write miss a slot that
 * allows only `spacing × margin` of lateness. A gate that refuses late writes runs `run` about
 * `aheadMs` before the slot when the wait is longer than that; `run` must not throw and is bounded by
 * the caller. A gate that spaces from the actual write (the in-process gate) may ignore it: a late
 * write there delays the next caller instead of missing.
 */
export interface SlotPreparation {
  aheadMs: number;
  run(): Promise<void>;
}

/** What a caller owes the gate after `reserve`: `write` right before writing, or `unused`. */
export interface RatePermit {
  /**
   * Called synchronously right before the request is written to the socket. Waits (synchronously, at
   * most {@link MAX_SPIN_MS}) for the slot's exact instant, then answers true: write now, the write is
   * stamped now; or false: the slot has passed or a pause came, so the caller must NOT write; the slot
   * is given up and the caller reserves another. Once it has answered true, later calls (undici
   * writing the same request again) answer true and move the stamp on.
   */
  write(): boolean;
  /**
   * Nothing was written (the attempt failed before the socket, or was given up): the slot goes back.
   * A no-op after `write`; `write` after it answers false.
   */
  unused(): void;
}

/**
 * The answers every gate's permit gives (RatePermit): the first `write` decides, by `first`; after a
 * yes, later writes (undici writing the same request again) answer yes and call `again`; after a no,
 * `unused` or `refuse`, every write answers no. `giveUp` runs once, when the slot ends unwritten.
 * `refuse` (the gate stops waiting for the write) answers whether the permit was still undecided.
 */
export function oneAnswerPermit(slot: {
  first(): boolean;
  again(): void;
  giveUp(): void;
}): RatePermit & { refuse(): boolean } {
  let answer: 'pending' | 'written' | 'refused' = 'pending';
  const refuse = () => {
    if (answer !== 'pending') return false;
    answer = 'refused';
    slot.giveUp();
    return true;
  };
  return {
    write() {
      if (answer === 'refused') return false;
      if (answer === 'written') {
        slot.again();
        return true;
      }
      if (!slot.first()) return !refuse();
      answer = 'written';
      return true;
    },
    unused: () => void refuse(),
    refuse,
  };
}

/** A permit with nothing to report to (gates without `reserve`, or `acquire`). */
export const SETTLED_PERMIT: RatePermit = { write: () => true, unused: () => {} };

/** The Moz request missed its slot too many times in a row to go on (a machine too busy to be on time). */
export class RateSlotMissedError extends Error {
  override name = 'RateSlotMissedError';
}

/**
 * Longest a permit's `write` waits, synchronously, for its slot. Gates release a caller about
 * {@link RELEASE_LEAD_MS} before its slot, so the wait covers the lead and a timer that fired early.
 */
export const MAX_SPIN_MS = 10;
/**
 * How long before its slot a gate on the real clock releases a caller. Node timers fire up to about a
 * millisecond late, the caller still has to build its request, and on a busy machine its process is
 * descheduled for a few ms now and then (measured: 2–8 ms between the timer and undici's write in the
 * slots the bench's runners missed, each with an involuntary context switch). The permit's `write`
 * waits out what is left, exactly, right before the write; most of that wait is a sleep, not a spin.
 */
export const RELEASE_LEAD_MS = 6;
/** The last stretch before the slot is spun, not slept: a sleeping thread wakes ~0.1 ms late, at times 1–3 ms on a busy machine. */
const SPIN_TAIL_MS = 2;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits, blocking, until `now() >= target`, for at most `maxMs` of real time (so an injected clock
 * that never moves cannot hang it); returns `now()`. Blocking is the point: it runs inside undici's
 * synchronous write path, where no timer or event-loop turn can come between the wait and the write.
 * All but the last millisecond is a blocking sleep (`Atomics.wait`), which costs no CPU.
 */
export function spinUntil(target: number, now: () => number, maxMs = MAX_SPIN_MS): number {
  const stopAt = performance.now() + maxMs;
  let at = now();
  const sleepMs = Math.min(target - at - SPIN_TAIL_MS, stopAt - performance.now() - SPIN_TAIL_MS);
  if (sleepMs > 0) {
    Atomics.wait(sleepCell, 0, 0, sleepMs);
    at = now();
  }
  while (at < target) {
    // Read the clock after the time check, so a stall between the two cannot leave a stale reading.
    const timedOut = performance.now() >= stopAt;
    at = now();
    if (timedOut) break;
  }
  return at;
}

/** Reserves a slot from any gate: `reserve` where it has one, `acquire` otherwise. */
export async function reserveSlot(
  gate: RateGate,
  signal?: AbortSignal,
  prepare?: SlotPreparation,
): Promise<RatePermit> {
  if (gate.reserve) return gate.reserve(signal, prepare);
  await gate.acquire(signal);
  return SETTLED_PERMIT;
}

export interface IntervalRateGateOptions {
  /** Requests allowed per interval (Moz free tier: 1 per 10 s). */
  requests: number;
  intervalMs: number;
  /** @default `performance.timeOrigin + performance.now()` (sub-millisecond, unlike Date.now) */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Longest the gate waits for a reserved slot's write before it counts the write as now and lets the
   * next caller go (a connection that hangs, a caller that never reports); a write asked for after
   * that is refused. @default 10 s, undici's connect timeout
   */
  maxHoldMs?: number;
  /**
   * How long before its slot a `reserve` caller is released; its permit's `write` waits out the rest.
   * @default {@link RELEASE_LEAD_MS} on the real clock, 0 with an injected one (which sleeps exactly)
   */
  releaseLeadMs?: number;
}

interface Waiter {
  resolve: (permit: RatePermit) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Asks its permit at the write (reserve) rather than starting when released (acquire). */
  reports: boolean;
}

/**
 * A gate's clock: the sub-millisecond real clock and timers unless injected, and how long before its
 * slot a `reserve` caller is released ({@link RELEASE_LEAD_MS} on the real clock, 0 with an injected
 * one, which sleeps exactly). Shared by every gate, so they agree on when a holder is released.
 */
export function gateClock(options: {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  releaseLeadMs?: number;
}): { now: () => number; sleep: (ms: number, wake?: AbortSignal) => Promise<void>; leadMs: number } {
  const realClock = options.now === undefined && options.sleep === undefined;
  return {
    now: options.now ?? (() => performance.timeOrigin + performance.now()),
    sleep: options.sleep ?? realSleep,
    leadMs: options.releaseLeadMs ?? (realClock ? RELEASE_LEAD_MS : 0),
  };
}

/**
 * Ends early when `wake` aborts, clearing its timer: a pending timer keeps the process alive. The
 * gates' and the Moz client's default sleep.
 */
export function realSleep(ms: number, wake?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wake?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wake?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Spaces requests evenly, `intervalMs / requests` apart (a smooth rate rather than bursts, because
 * Moz throttles for 30 s when a free-tier caller is early), and serves concurrent callers in the
 * order they called (FIFO). One pump loop hands out starts; waiters only queue. A `reserve` caller is
 * released {@link RELEASE_LEAD_MS} early and its permit's `write` waits out the rest, right before
 * the write; the pump holds the next caller until that write (at most `maxHoldMs`) and spaces it from
 * the write, so no two writes are closer than the spacing and no margin is needed.
 */
export function createIntervalRateGate(options: IntervalRateGateOptions): RateGate {
  if (!(options.requests > 0) || !(options.intervalMs >= 0)) {
    throw new RangeError('rate gate needs requests > 0 and intervalMs >= 0');
  }
  const spacingMs = options.intervalMs / options.requests;
  const { now, sleep, leadMs } = gateClock(options);
  const maxHoldMs = options.maxHoldMs ?? 10_000;
  const queue: Waiter[] = [];
  const state: GateState = {
    lastStart: Number.NEGATIVE_INFINITY,
    pausedUntil: Number.NEGATIVE_INFINITY,
    outstanding: undefined,
  };
  const earliestStart = () => Math.max(state.lastStart + spacingMs, state.pausedUntil);
  let pumping = false;
  let wakePump = () => {};

  async function pump(): Promise<void> {
    pumping = true;
    try {
      while (queue.length > 0) {
        if (state.outstanding) {
          const holding = state.outstanding;
          await holding;
          if (state.outstanding === holding) state.outstanding = undefined;
          continue;
        }
        const waiter = queue[0];
        if (waiter === undefined) break;
        const t = now();
        const releaseAt = earliestStart() - (waiter.reports ? leadMs : 0);
        if (t < releaseAt) {
          // Re-evaluated after waking: a pause() or a new first waiter may have arrived meanwhile.
          // An interrupted (aborted) waiter wakes it early, so a gate nobody waits for sleeps no more.
          const wake = new AbortController();
          wakePump = () => wake.abort();
          await sleep(releaseAt - t, wake.signal);
          continue;
        }
        queue.shift();
        if (waiter.signal?.aborted) continue; // already rejected by its abort listener
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        if (waiter.reports) waiter.resolve(writeCheckedPermit(state, earliestStart, now, maxHoldMs));
        else {
          state.lastStart = t;
          waiter.resolve(SETTLED_PERMIT);
        }
      }
    } finally {
      pumping = false;
    }
  }

  function enqueue(signal: AbortSignal | undefined, reports: boolean): Promise<RatePermit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<RatePermit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, reports };
      if (signal) {
        waiter.onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index !== -1) queue.splice(index, 1);
          if (index === 0) wakePump();
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      queue.push(waiter);
      if (!pumping) void pump().catch((error: unknown) => rejectAll(error));
    });
  }

  return {
    async acquire(signal) {
      await enqueue(signal, false);
    },
    reserve: (signal) => enqueue(signal, true),
    pause(ms) {
      if (!(ms > 0)) return;
      state.pausedUntil = Math.max(state.pausedUntil, now() + ms);
    },
  };

  function rejectAll(error: unknown): void {
    for (const waiter of queue.splice(0)) waiter.reject(error);
  }
}

interface GateState {
  /** When the last request started: released (acquire) or written (reserve). */
  lastStart: number;
  /** Retry-After: nobody starts before this. */
  pausedUntil: number;
  /** Settles when the permit handed out last is settled, or held for maxHoldMs. */
  outstanding: Promise<void> | undefined;
}

/**
 * A permit whose `write` waits (synchronously, briefly) until `earliestStart()` and stamps the write.
 * Until it is settled (at most `maxHoldMs`) `state.outstanding` holds the next caller back.
 */
function writeCheckedPermit(
  state: GateState,
  earliestStart: () => number,
  now: () => number,
  maxHoldMs: number,
): RatePermit {
  let settle = () => {};
  const permit = oneAnswerPermit({
    first() {
      const target = earliestStart();
      const at = spinUntil(target, now);
      // Still early: a Retry-After pause came after the release. Nothing is written; the caller queues again.
      if (at < target) return false;
      state.lastStart = at;
      // undici writes synchronously after this returns; a microtask runs once it has. Spacing the
      // next caller from then, not from `at`, keeps a stall between the two out of the next gap.
      queueMicrotask(() => {
        state.lastStart = Math.max(state.lastStart, now());
        settle();
      });
      return true;
    },
    again() {
      state.lastStart = Math.max(state.lastStart, now());
    },
    // Nothing reached the server: the slot was not used, so the next caller need not wait for it.
    giveUp: () => settle(),
  });
  state.outstanding = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      // Never reported: count the write as now, the latest it can have happened so far, and refuse
      // a write asked for from here on (the next caller is on its way).
      if (permit.refuse()) state.lastStart = Math.max(state.lastStart, now());
      resolve();
    }, maxHoldMs);
    timer.unref?.();
    settle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return permit;
}

/** A gate that never waits (tests, or when the shared gate lives elsewhere). */
export const unlimitedRateGate: RateGate = {
  acquire: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve()),
  pause: () => {},
};
