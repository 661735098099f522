/**
 * A rate gate decides when the next Moz request may start. The in-process gate below serves one
 * container; a DynamoDB-backed gate shared by all runners implements the same interface elsewhere.
 */
export interface RateGate {
  /** Resolves when the caller may send one request. Rejects with `signal.reason` if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Retry-After: nobody sharing the gate sends before now + ms. Never shortens an existing pause. */
  pause(ms: number): void;
}

export interface IntervalRateGateOptions {
  /** Requests allowed per interval (Moz free tier: 1 per 10 s). */
  requests: number;
  intervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Spaces requests evenly, `intervalMs / requests` apart (a smooth rate rather than bursts, because
 * Moz throttles for 30 s when a free-tier caller is early), and serves concurrent callers in the
 * order they called `acquire` (FIFO). One pump loop hands out starts; waiters only queue.
 */
export function createIntervalRateGate(options: IntervalRateGateOptions): RateGate {
  if (!(options.requests > 0) || !(options.intervalMs >= 0)) {
    throw new RangeError('rate gate needs requests > 0 and intervalMs >= 0');
  }
  const spacingMs = options.intervalMs / options.requests;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const queue: Waiter[] = [];
  let lastStart = Number.NEGATIVE_INFINITY;
  let pausedUntil = Number.NEGATIVE_INFINITY;
  let pumping = false;

  async function pump(): Promise<void> {
    pumping = true;
    try {
      while (queue.length > 0) {
        const t = now();
        const earliest = Math.max(lastStart + spacingMs, pausedUntil);
        if (t < earliest) {
          // Re-evaluated after waking: a pause() may have arrived meanwhile.
          await sleep(earliest - t);
          continue;
        }
        const waiter = queue.shift();
        if (waiter === undefined) break;
        if (waiter.signal?.aborted) continue; // already rejected by its abort listener
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        lastStart = t;
        waiter.resolve();
      }
    } finally {
      pumping = false;
    }
  }

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
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
    },
    pause(ms) {
      if (!(ms > 0)) return;
      pausedUntil = Math.max(pausedUntil, now() + ms);
    },
  };

  function rejectAll(error: unknown): void {
    for (const waiter of queue.splice(0)) waiter.reject(error);
  }
}

/** A gate that never waits (tests, or when the shared gate lives elsewhere). */
export const unlimitedRateGate: RateGate = {
  acquire: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve()),
  pause: () => {},
};
