/**
 * Says when the rate gate will hold a request back for long, from outside the gate (whose internals
 * change for performance): it keeps its own note of when the next slot frees up, from the plan's
 * spacing and any Retry-After pause, and announces a wait longer than `thresholdMs` before it starts.
 */
import type { RateGate } from './rate-gate.ts';

export interface AnnouncedWait {
  waitMs: number;
  /** `plan-spacing`: the configured requests per interval; `retry-after`: a 429 paused everyone. */
  reason: 'plan-spacing' | 'retry-after';
  detail: string;
}

export function announcingRateGate(
  gate: RateGate,
  options: {
    requests: number;
    intervalMs: number;
    now: () => number;
    onWait: (wait: AnnouncedWait) => void;
    thresholdMs: number;
  },
): RateGate {
  const spacingMs = options.intervalMs / options.requests;
  let nextSlot = Number.NEGATIVE_INFINITY;
  let pausedUntil = Number.NEGATIVE_INFINITY;
  const plan = `the plan allows ${options.requests} request(s) per ${Math.round(options.intervalMs / 1000)} s`;
  function announce(): void {
    const now = options.now();
    const expected = Math.max(nextSlot, pausedUntil) - now;
    if (expected > options.thresholdMs) {
      const paused = pausedUntil >= nextSlot;
      options.onWait({
        waitMs: expected,
        reason: paused ? 'retry-after' : 'plan-spacing',
        detail: paused ? 'Moz asked to slow down (Retry-After)' : plan,
      });
    }
  }
  const announcing: RateGate = {
    async acquire(signal) {
      announce();
      await gate.acquire(signal);
      nextSlot = options.now() + spacingMs;
    },
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, options.now() + ms);
      gate.pause(ms);
    },
  };
  // Kept whenever the gate has it: the Moz client checks each write against its slot through it.
  const reserve = gate.reserve?.bind(gate);
  if (reserve) {
    announcing.reserve = async (signal, prepare) => {
      announce();
      const permit = await reserve(signal, prepare);
      nextSlot = options.now() + spacingMs;
      return permit;
    };
  }
  return announcing;
}
