import { describe, expect, it } from 'vitest';
import { createIntervalRateGate, type RateGate, type RatePermit } from '#moz/rate-gate.ts';

function reserve(gate: RateGate): Promise<RatePermit> {
  if (!gate.reserve) throw new Error('the interval gate reserves');
  return gate.reserve();
}

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

  describe('reserve: spacing counted from the write', () => {
    it('spaces the next caller from the reported write, not from the release', async () => {
      const clock = manualClock();
      const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000, ...clock });
      const permit = await reserve(gate); // released at 0
      await clock.advanceTo(30);
      expect(permit.write()).toBe(true); // at 30: a new connection's handshake took 30 ms
      const starts: number[] = [];
      const next = gate.acquire().then(() => starts.push(clock.now()));
      await clock.advanceTo(5_000);
      await next;
      expect(starts).toEqual([1_030]);
    });

    it('holds the next caller until the write is reported', async () => {
      const clock = manualClock();
      const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000, ...clock });
      const permit = await reserve(gate);
      const starts: number[] = [];
      const next = gate.acquire().then(() => starts.push(clock.now()));
      await clock.advanceTo(3_000);
      expect(starts).toEqual([]);
      expect(permit.write()).toBe(true);
      await clock.advanceTo(5_000);
      await next;
      expect(starts).toEqual([4_000]);
    });

    it('hands back a slot nothing was written in', async () => {
      const clock = manualClock();
      const gate = createIntervalRateGate({ requests: 1, intervalMs: 10_000, ...clock });
      await gate.acquire(); // t = 0
      await clock.advanceTo(10_000);
      const permit = await reserve(gate); // released at 10 000
      permit.unused();
      expect(permit.write()).toBe(false); // the slot was already handed back: nothing may be written
      const starts: number[] = [];
      const next = gate.acquire().then(() => starts.push(clock.now()));
      await clock.advanceTo(10_000);
      await next;
      expect(starts).toEqual([10_000]);
    });

    it('waits at most maxHoldMs for a report that never comes', async () => {
      const gate = createIntervalRateGate({ requests: 1_000, intervalMs: 1_000, maxHoldMs: 40 });
      await reserve(gate); // never reported
      const started = performance.now();
      await gate.acquire();
      expect(performance.now() - started).toBeGreaterThanOrEqual(39);
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    it('never lets two writes come closer than the spacing, to the sub-millisecond', async () => {
      // The real clock, read through a probe: a write's stamp is the last reading its permit took.
      let lastReading = 0;
      const now = () => {
        lastReading = performance.timeOrigin + performance.now();
        return lastReading;
      };
      const gate = createIntervalRateGate({ requests: 50, intervalMs: 1_000, now, releaseLeadMs: 3 }); // 20 ms
      const writes: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, async (_, index) => {
          const permit = await reserve(gate);
          // Some callers write late (a stall, a handshake), as the client would.
          if (index % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 7));
          expect(permit.write()).toBe(true);
          writes.push(lastReading);
        }),
      );
      writes.sort((a, b) => a - b);
      const gaps = writes.slice(1).map((at, i) => at - (writes[i] ?? at));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(20);
    });

    it('releases a caller shortly before its slot; its write never starts early', async () => {
      const clock = manualClock();
      const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000, releaseLeadMs: 5, ...clock });
      expect((await reserve(gate)).write()).toBe(true); // at 0
      let released: RatePermit | undefined;
      void reserve(gate).then((permit) => {
        released = permit;
      });
      await clock.advanceTo(994);
      expect(released).toBeUndefined();
      await clock.advanceTo(995);
      // This clock stands still while write waits, so the slot never comes: it refuses (after a few ms).
      expect(released?.write()).toBe(false);
    });

    it('refuses the write when a pause came after the release, and holds the slot for the pause', async () => {
      const clock = manualClock();
      const gate = createIntervalRateGate({ requests: 1, intervalMs: 1_000, ...clock });
      const permit = await reserve(gate); // released at 0
      gate.pause(2_000); // another caller's 429: Retry-After 2 s
      expect(permit.write()).toBe(false);
      const starts: number[] = [];
      const next = gate.acquire().then(() => starts.push(clock.now()));
      await clock.advanceTo(5_000);
      await next;
      expect(starts).toEqual([2_000]);
    });

    it('refuses a write asked for after the hold ran out (the next caller may be on its way)', async () => {
      const gate = createIntervalRateGate({ requests: 1_000, intervalMs: 1_000, maxHoldMs: 20 });
      const permit = await reserve(gate);
      await gate.acquire(); // released once the hold ran out
      expect(permit.write()).toBe(false);
    });
  });
});

describe('an interrupt while waiting for a slot (real clock)', () => {
  const pendingTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('leaves no timer behind: the gate stops sleeping for a waiter that is gone (the process can exit)', async () => {
    const gate = createIntervalRateGate({ requests: 1, intervalMs: 60_000 });
    const first = await reserve(gate);
    expect(first.write()).toBe(true);
    await tick();
    const before = pendingTimers();
    const interrupt = new AbortController();
    const waiting = gate.reserve?.(interrupt.signal);
    await tick();
    expect(pendingTimers()).toBeGreaterThan(before); // the gate sleeps until the next slot
    interrupt.abort('SIGINT');
    await expect(waiting).rejects.toBe('SIGINT');
    await tick();
    await tick();
    expect(pendingTimers()).toBe(before);
  });
});
