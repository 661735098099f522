import { describe, expect, it } from 'vitest';
import { createIntervalRateGate } from '#moz/rate-gate.ts';

/** A fake clock whose sleeps complete only when the test advances time. */
function manualClock() {
  let time = 0;
  const sleeps: { until: number; resolve: () => void }[] = [];
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => time,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        sleeps.push({ until: time + ms, resolve });
      }),
    sleepsRequested: () => sleeps.map((s) => s.until),
    /** Moves time forward, waking due sleepers one at a time in time order. */
    async advanceTo(target: number) {
      await flush();
      while (true) {
        sleeps.sort((a, b) => a.until - b.until);
        const next = sleeps[0];
        if (next === undefined || next.until > target) break;
        sleeps.shift();
        time = next.until;
        next.resolve();
        await flush();
      }
      time = target;
      await flush();
    },
  };
}

/** A fake clock whose sleeps complete at once (time jumps forward). */
function jumpingClock() {
  let time = 0;
  return {
    now: () => time,
    sleep: async (ms: number) => {
      time += ms;
    },
  };
}

describe('createIntervalRateGate', () => {
  it.each([
    { requests: 1, intervalMs: 10_000, expected: [0, 10_000, 20_000, 30_000] },
    { requests: 5, intervalMs: 1_000, expected: [0, 200, 400, 600] },
    { requests: 2, intervalMs: 0, expected: [0, 0, 0, 0] },
  ])('spaces $requests per $intervalMs ms evenly', async ({ requests, intervalMs, expected }) => {
    const clock = manualClock();
    const gate = createIntervalRateGate({ requests, intervalMs, ...clock });
    const starts: number[] = [];
    const all = Promise.all(expected.map(() => gate.acquire().then(() => starts.push(clock.now()))));
    await clock.advanceTo(60_000);
    await all;
    expect(starts).toEqual(expected);
  });

  it('does not make a caller wait when the previous request was long enough ago', async () => {
    const clock = manualClock();
    const gate = createIntervalRateGate({ requests: 1, intervalMs: 10_000, ...clock });
    await gate.acquire();
    await clock.advanceTo(25_000);
    let done = false;
    void gate.acquire().then(() => {
      done = true;
    });
    await clock.advanceTo(25_000);
    expect(done).toBe(true);
    expect(clock.sleepsRequested()).toEqual([]);
  });

  it('serves concurrent callers first come, first served', async () => {
    const clock = manualClock();
    const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000, ...clock });
    const order: string[] = [];
    const callers = ['a', 'b', 'c', 'd', 'e'].map((name) => gate.acquire().then(() => order.push(name)));
    await clock.advanceTo(10_000);
    await Promise.all(callers);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('pause() holds everyone until now + ms, then resumes even spacing', async () => {
    const clock = manualClock();
    const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000, ...clock });
    const starts: number[] = [];
    const record = () => starts.push(clock.now());
    await gate.acquire().then(record); // t = 0
    const waiting = [gate.acquire().then(record), gate.acquire().then(record)];
    await clock.advanceTo(500); // the second caller is asleep until 1000
    gate.pause(30_000); // Retry-After: 30 s from t = 500
    await clock.advanceTo(60_000);
    await Promise.all(waiting);
    expect(starts).toEqual([0, 30_500, 31_500]);
  });

  it('pause() never shortens an earlier, longer pause', async () => {
    const clock = jumpingClock();
    const gate = createIntervalRateGate({ requests: 10, intervalMs: 1_000, ...clock });
    gate.pause(5_000);
    gate.pause(1_000);
    await gate.acquire();
    expect(clock.now()).toBe(5_000);
  });

  it('an aborted waiter leaves the queue without using a slot', async () => {
    const clock = manualClock();
    const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000, ...clock });
    await gate.acquire();
    const controller = new AbortController();
    const aborted = gate.acquire(controller.signal);
    const starts: number[] = [];
    const next = gate.acquire().then(() => starts.push(clock.now()));
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    await clock.advanceTo(5_000);
    await next;
    expect(starts).toEqual([1_000]);
  });

  it('rejects an already-aborted signal immediately', async () => {
    const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000 });
    await expect(gate.acquire(AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
  });

  it.each([
    { requests: 0, intervalMs: 1000 },
    { requests: 1, intervalMs: -1 },
  ])('refuses a nonsensical rate %o', (options) => {
    expect(() => createIntervalRateGate(options)).toThrow(RangeError);
  });
});
