/**
 * A rate gate decides when the next Moz request may start. The in-process gate below serves one
 * container; a DynamoDB-backed gate shared by all runners implements the same interface elsewhere.
 *
 * Spacing is about when requests reach the server, so the Moz client asks for a slot with `reserve`
 * and reports, through the permit it gets, the instant its request was written to the socket
 * (undici's `onRequestStart`, right before the write). The gate spaces the next request from that
 * instant, not from the moment it let the caller go: between the two lie an event-loop turn or a
 * stall, and on a new connection the TCP and TLS handshakes.
 */
export interface RateGate {
  /**
   * Resolves when the caller may send one request, counting the start as now. Rejects with
   * `signal.reason` if aborted while waiting.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /**
   * Like acquire, but the start counts when the caller reports it: resolves at the caller's slot with
   * a permit to settle once the request is written (or known never to be). Optional: a gate without
   * it is used through `acquire`.
   */
  reserve?(signal?: AbortSignal): Promise<RatePermit>;
  /** Retry-After: nobody sharing the gate sends before now + ms. Never shortens an existing pause. */
  pause(ms: number): void;
}

/** What a caller owes the gate after `reserve`: one of the two, as soon as it knows. */
export interface RatePermit {
  /** The request is being written to the socket now. Later calls (undici writing it again) move it on. */
  written(): void;
  /**
   * Nothing was written (the attempt failed before the socket, or was given up): the slot goes back.
   * A no-op after `written`; `written` after it is one too.
   */
  unused(): void;
}

/** A permit with nothing to report to (gates without `reserve`, or `acquire`). */
export const SETTLED_PERMIT: RatePermit = { written: () => {}, unused: () => {} };

/** Reserves a slot from any gate: `reserve` where it has one, `acquire` otherwise. */
export async function reserveSlot(gate: RateGate, signal?: AbortSignal): Promise<RatePermit> {
  if (gate.reserve) return gate.reserve(signal);
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
   * Longest the gate waits for a reserved slot's write report before it counts the write as now and
   * lets the next caller go (a connection that hangs, a caller that never reports). @default 10 s,
   * undici's connect timeout
   */
  maxHoldMs?: number;
}

interface Waiter {
  resolve: (permit: RatePermit) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Reported its write (reserve) rather than starting when released (acquire). */
  reports: boolean;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const preciseNow = () => performance.timeOrigin + performance.now();

/**
 * Spaces requests evenly, `intervalMs / requests` apart (a smooth rate rather than bursts, because
 * Moz throttles for 30 s when a free-tier caller is early), and serves concurrent callers in the
 * order they called (FIFO). One pump loop hands out starts; waiters only queue. After a `reserve`,
 * the pump holds the next caller until the write is reported (at most `maxHoldMs`), then spaces it
 * from the write, so no two writes are closer than the spacing and no margin is needed.
 */
export function createIntervalRateGate(options: IntervalRateGateOptions): RateGate {
  if (!(options.requests > 0) || !(options.intervalMs >= 0)) {
    throw new RangeError('rate gate needs requests > 0 and intervalMs >= 0');
  }
  const spacingMs = options.intervalMs / options.requests;
  const now = options.now ?? preciseNow;
  const sleep = options.sleep ?? realSleep;
  const maxHoldMs = options.maxHoldMs ?? 10_000;
  const queue: Waiter[] = [];
  const state: GateState = { lastStart: Number.NEGATIVE_INFINITY, outstanding: undefined };
  let pausedUntil = Number.NEGATIVE_INFINITY;
  let pumping = false;

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
        const t = now();
        const earliest = Math.max(state.lastStart + spacingMs, pausedUntil);
        if (t < earliest) {
          // Re-evaluated after waking: a pause() may have arrived meanwhile.
          await sleep(earliest - t);
          continue;
        }
        const waiter = queue.shift();
        if (waiter === undefined) break;
        if (waiter.signal?.aborted) continue; // already rejected by its abort listener
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        if (waiter.reports) waiter.resolve(reportedPermit(state, t, now, maxHoldMs));
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
      pausedUntil = Math.max(pausedUntil, now() + ms);
    },
  };

  function rejectAll(error: unknown): void {
    for (const waiter of queue.splice(0)) waiter.reject(error);
  }
}

interface GateState {
  /** When the last request started: released (acquire) or written (reserve). */
  lastStart: number;
  /** Settles when the permit handed out last is settled, or held for maxHoldMs. */
  outstanding: Promise<void> | undefined;
}

/**
 * Starts a slot at `at` whose start moves to the reported write. Until the permit is settled (at
 * most `maxHoldMs`) `state.outstanding` holds the next caller back.
 */
function reportedPermit(state: GateState, at: number, now: () => number, maxHoldMs: number): RatePermit {
  const before = state.lastStart;
  state.lastStart = at;
  let settled = false;
  let handedBack = false;
  let settle = () => {};
  state.outstanding = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      // Never reported: count the write as now, the latest it can have happened so far.
      if (!settled) state.lastStart = Math.max(state.lastStart, now());
      settled = true;
      resolve();
    }, maxHoldMs);
    timer.unref?.();
    settle = () => {
      settled = true;
      clearTimeout(timer);
      resolve();
    };
  });
  return {
    written() {
      if (handedBack) return;
      state.lastStart = Math.max(state.lastStart, now());
      settle();
    },
    unused() {
      // Nothing reached the server: the slot was not used, so the next caller need not wait for it.
      if (settled) return;
      handedBack = true;
      if (state.lastStart === at) state.lastStart = before;
      settle();
    },
  };
}

/** A gate that never waits (tests, or when the shared gate lives elsewhere). */
export const unlimitedRateGate: RateGate = {
  acquire: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve()),
  pause: () => {},
};
