import { describe, expect, it } from 'vitest';
import { announcingRateGate } from '#moz/announced-waits.ts';
import type { RateGate } from '#moz/rate-gate.ts';
import { answerWait, etaMs, lineProgress, type ProgressEvent, retryWait } from '#pipeline/progress.ts';

const page = (n: number, more = true, campaignId = 'c'): ProgressEvent => ({
  kind: 'pages',
  campaignId,
  runDate: '2026-05-01',
  page: n,
  rowsSpent: n * 250,
  budget: 25_000,
  pageSize: 50,
  more,
});

function clock(start = 0) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('line progress (no TTY)', () => {
  it('writes one line every 10 pages, and at the end of the gap list', () => {
    const lines: string[] = [];
    const time = clock();
    const sink = lineProgress({ write: (line) => lines.push(line), now: time.now, spacingMs: 10_000 });
    for (let n = 0; n <= 23; n++) sink(page(n, n < 23));
    expect(lines).toEqual([
      'c 2026-05-01: 10 page(s), 2,500 of 25,000 Moz rows, at most 15 min left at the rate limit',
      'c 2026-05-01: 20 page(s), 5,000 of 25,000 Moz rows, at most 13 min left at the rate limit',
      'c 2026-05-01: 23 page(s), 5,750 of 25,000 Moz rows',
    ]);
  });

  it('writes one line every 30 s when pages come slowly, with link_status batches', () => {
    const lines: string[] = [];
    const time = clock();
    const sink = lineProgress({ write: (line) => lines.push(line), now: time.now, spacingMs: 10_000 });
    sink(page(1));
    time.advance(29_000);
    sink(page(2));
    time.advance(2_000);
    sink(page(3));
    sink({
      kind: 'verify',
      campaignId: 'c',
      runDate: '2026-05-01',
      batch: 1,
      batches: 3,
      rowsSpent: 900,
      budget: 25_000,
    });
    sink({
      kind: 'verify',
      campaignId: 'c',
      runDate: '2026-05-01',
      batch: 3,
      batches: 3,
      rowsSpent: 1_000,
      budget: 25_000,
    });
    expect(lines).toEqual([
      'c 2026-05-01: 3 page(s), 750 of 25,000 Moz rows, at most 16 min left at the rate limit',
      'c 2026-05-01: 3 page(s), 1,000 of 25,000 Moz rows, link_status batch 3/3',
    ]);
  });

  it('starts each run afresh: the next campaign neither inherits the batches nor the page count of the last', () => {
    const lines: string[] = [];
    const time = clock();
    const sink = lineProgress({ write: (line) => lines.push(line), now: time.now, spacingMs: 10_000 });
    for (let n = 0; n <= 30; n++) sink(page(n));
    sink({
      kind: 'verify',
      campaignId: 'c',
      runDate: '2026-05-01',
      batch: 2,
      batches: 2,
      rowsSpent: 8_000,
      budget: 25_000,
    });
    // The run stops there (paused or failed: no 'done'), and the process runs the next campaign.
    lines.length = 0;
    for (let n = 0; n <= 10; n++) sink(page(n, true, 'd'));
    time.advance(30_000);
    sink(page(11, true, 'd'));
    expect(lines).toEqual([
      'd 2026-05-01: 10 page(s), 2,500 of 25,000 Moz rows, at most 15 min left at the rate limit',
      'd 2026-05-01: 11 page(s), 2,750 of 25,000 Moz rows, at most 15 min left at the rate limit',
    ]);
  });

  it("says the plan's spacing once per run, and every 429 wait with its Retry-After", () => {
    const lines: string[] = [];
    const sink = lineProgress({ write: (line) => lines.push(line), now: () => 0, spacingMs: 10_000 });
    const spacing: ProgressEvent = {
      kind: 'wait',
      waitMs: 9_600,
      reason: 'plan-spacing',
      detail: 'the plan allows 1 request(s) per 10 s',
    };
    sink(spacing);
    sink(spacing);
    const tooMany = retryWait({ msg: 'moz request failed; retrying', delayMs: 30_000, retryAfterMs: 30_000 });
    if (tooMany) sink(tooMany);
    if (tooMany) sink(tooMany);
    expect(lines).toEqual([
      'waiting 10 s: the plan allows 1 request(s) per 10 s',
      'waiting 30 s: Moz answered 429 Too Many Requests with Retry-After 30 s',
      'waiting 30 s: Moz answered 429 Too Many Requests with Retry-After 30 s',
    ]);
  });

  it.each([
    [{ msg: 'moz request failed; retrying', delayMs: 4_000, retryAfterMs: 4_000 }, undefined],
    [
      { msg: 'moz request failed; retrying', delayMs: 8_000, status: 503 },
      'backing off after a failed request (HTTP 503)',
    ],
    [{ msg: 'moz request succeeded', delayMs: 8_000 }, undefined],
  ])('a client retry event %j announces %s', (event, detail) => {
    const wait = retryWait(event);
    expect(wait?.kind === 'wait' ? wait.detail : undefined).toBe(detail);
  });

  it.each([
    [86_400_000, 'Retry-After 86400 s (1 day)'],
    [129_600_000, 'Retry-After 129600 s (36 h)'],
    [172_800_000, 'Retry-After 172800 s (2 days)'],
    [5_400_000, 'Retry-After 5400 s (1 h 30 min)'],
  ])('an asked Retry-After of %i ms over the cap is said in a unit that reads well', (askedMs, said) => {
    const wait = retryWait({
      msg: 'moz request failed; retrying',
      delayMs: 60_000,
      retryAfterMs: 60_000,
      retryAfterAskedMs: askedMs,
      status: 429,
    });
    expect(wait?.kind === 'wait' ? wait.detail : undefined).toBe(
      `Moz answered 429 Too Many Requests with ${said}; linkgap caps the wait at 60 s`,
    );
  });

  it('a request still awaiting its answer is said every notice, with how long so far and why', () => {
    const lines: string[] = [];
    const sink = lineProgress({ write: (line) => lines.push(line), now: () => 0, spacingMs: 10_000 });
    const notices = [
      { msg: 'moz answer still awaited', elapsedMs: 5_001, timeoutMs: 30_000 },
      { msg: 'moz answer still awaited', elapsedMs: 10_002, status: 200, timeoutMs: 30_000 },
      { msg: 'moz request succeeded', elapsedMs: 10_002 },
    ];
    for (const notice of notices) {
      const wait = answerWait(notice);
      if (wait) sink(wait);
    }
    expect(lines).toEqual([
      "waiting for Moz's answer: 5 s so far (no answer yet; linkgap gives up at 30 s)",
      "waiting for Moz's answer: 10 s so far (HTTP 200 came but the body has not finished; linkgap gives up at 30 s)",
    ]);
  });

  it('estimates the time left from the pages the remaining budget buys at the rate limit', () => {
    expect(etaMs({ rowsSpent: 0, budget: 2_500, pageSize: 50, more: true }, 10_000)).toBe(100_000);
    expect(etaMs({ rowsSpent: 0, budget: 2_500, pageSize: 50, more: false }, 10_000)).toBe(0);
    expect(etaMs({ rowsSpent: 0, budget: 2_500, pageSize: 50, more: true }, 0)).toBeUndefined();
  });
});

/** `inner` behind the announcing wrapper: 1 request per 10 s, waits over 5 s announced into `waits`. */
function announced(inner: RateGate = { acquire: async () => {}, pause: () => {} }) {
  const time = clock(1_000_000);
  const waits: unknown[] = [];
  const gate = announcingRateGate(inner, {
    requests: 1,
    intervalMs: 10_000,
    now: time.now,
    thresholdMs: 5_000,
    onWait: (wait) => waits.push(wait),
  });
  return { time, waits, gate };
}

describe('announced rate-gate waits', () => {
  it("says a wait for the plan's spacing longer than 5 s, before it starts, and not a shorter one", async () => {
    const { time, waits, gate } = announced();
    await gate.acquire();
    expect(waits).toEqual([]);
    time.advance(400);
    await gate.acquire();
    expect(waits).toEqual([
      { waitMs: 9_600, reason: 'plan-spacing', detail: 'the plan allows 1 request(s) per 10 s' },
    ]);
    time.advance(6_000);
    await gate.acquire();
    expect(waits).toHaveLength(1);
  });

  it('names a Retry-After pause as the reason when it outlasts the spacing', async () => {
    const { time, waits, gate } = announced();
    await gate.acquire();
    gate.pause(60_000);
    time.advance(1_000);
    await gate.acquire();
    expect(waits).toEqual([
      { waitMs: 59_000, reason: 'retry-after', detail: 'Moz asked to slow down (Retry-After)' },
    ]);
  });
});

describe('announced rate-gate waits keep the write check', () => {
  it("passes the inner gate's reserve (and the caller's preparation) through, announcing its waits the same way", async () => {
    const asked: string[] = [];
    const inner: RateGate = {
      acquire: async () => {
        asked.push('acquire');
      },
      reserve: async (_signal, prepare) => {
        asked.push(prepare === undefined ? 'reserve' : `reserve, prepared ${prepare.aheadMs} ms ahead`);
        return {
          write: () => {
            asked.push('write');
            return false;
          },
          unused: () => asked.push('unused'),
        };
      },
      pause: () => {},
    };
    const { time, waits, gate } = announced(inner);
    // The runner and the CLI reach their gate through this wrapper: without reserve, every write
    // would be stamped at release and never checked against its slot.
    const permit = await (gate.reserve?.() ?? Promise.reject(new Error('reserve was dropped')));
    expect(permit.write()).toBe(false);
    time.advance(400);
    // The client's preparation before its slot (reconnecting) reaches the inner gate too.
    await gate.reserve?.(undefined, { aheadMs: 500, run: async () => {} });
    expect(asked).toEqual(['reserve', 'write', 'reserve, prepared 500 ms ahead']);
    expect(waits).toEqual([
      { waitMs: 9_600, reason: 'plan-spacing', detail: 'the plan allows 1 request(s) per 10 s' },
    ]);
  });
});
