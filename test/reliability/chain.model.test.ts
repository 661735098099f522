// The chain of committed runs, model-based: random schedules of deliveries, duplicate deliveries,
// crashes (a killed process, a thrown step), concurrent runners, expired leases and back-dated
// requests, against the real stores (the file store, and DynamoDB on moto). Whatever the
// interleaving, once every delivered date has been retried to the end, the committed history
// equals a clean run's: every run's counts, and every (source, change) and (source, status) row.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { BackdatedRunError, type RunOutcome, type RunStep } from '#pipeline/run-campaign.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';
import {
  CAMPAIGN_ID,
  comparableLake,
  comparableRuns,
  crashAt,
  type Harness,
  type HarnessOptions,
  killedAt,
  readLake,
  SIM_TOKEN,
  startHarness,
} from '#test/support/reliability-harness.ts';

const DATES = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01'];
const CRASH_STEPS: RunStep[] = [
  'claimed',
  'page',
  'intersect-done',
  'verify-batch',
  'diffed',
  'file-written',
  'manifest-written',
  'before-commit',
  'committed',
];

type ChainEvent =
  /** The next scheduled date is delivered (the dispatcher's daily tick). */
  | { kind: 'deliver' }
  /** A delivery of an already scheduled date again: a duplicate, or SQS retrying. */
  | { kind: 'redeliver'; pick: number }
  /** The newest scheduled date is delivered and the worker dies or throws at a step. */
  | { kind: 'crash'; mode: 'killed' | 'thrown'; step: RunStep }
  /** Two runners take the newest scheduled date at the same moment. */
  | { kind: 'concurrent' }
  /** Leases run out (a dead worker's claim can be taken over). */
  | { kind: 'expire' }
  /** Someone asks for a date before the latest committed run. */
  | { kind: 'backdated' };

const chainEvent: fc.Arbitrary<ChainEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'deliver' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat(10) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      mode: fc.constantFrom('killed' as const, 'thrown' as const),
      step: fc.constantFrom(...CRASH_STEPS),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'concurrent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'backdated' as const }) },
);

let simulator: MozSimulator;

beforeAll(async () => {
  simulator = await startSimulator({ token: SIM_TOKEN, seed: 'chain-model', universeSize: 2_000 });
});
afterAll(async () => {
  await simulator?.close();
});

/** The clean history of the first `count` dates: each delivered once, in order, nothing going wrong. */
async function cleanHistory(count: number) {
  const harness = await startHarness({ sharedSimulator: simulator });
  try {
    await harness.putCampaign();
    for (const runDate of DATES.slice(0, count))
      expect((await harness.run(runDate)).outcome).toBe('committed');
    return { lake: await comparableLake(harness.lake), runs: await comparableRuns(harness.runs) };
  } finally {
    await harness.close();
  }
}

const settled = (outcome: RunOutcome) =>
  outcome.outcome === 'committed' || outcome.outcome === 'already-done';

/** Plays the events; returns how many dates were scheduled. Errors of crashed attempts are expected. */
async function play(harness: Harness, events: readonly ChainEvent[]): Promise<number> {
  let scheduled = 0;
  const newest = () => DATES[Math.max(0, scheduled - 1)] ?? DATES[0];
  for (const event of events) {
    if (event.kind === 'deliver') {
      if (scheduled < DATES.length) scheduled += 1;
      await harness.run(newest() as string).catch(() => undefined);
    } else if (event.kind === 'redeliver' && scheduled > 0) {
      await harness.run(DATES[event.pick % scheduled] as string).catch(() => undefined);
    } else if (event.kind === 'crash') {
      if (scheduled === 0) scheduled = 1;
      const crash = crashAt(event.step);
      const deps = event.mode === 'killed' ? killedAt(harness.deps(), crash) : { afterStep: crash };
      await harness.run(newest() as string, { deps }).catch(() => undefined);
    } else if (event.kind === 'concurrent' && scheduled > 0) {
      await Promise.allSettled([harness.run(newest() as string), harness.run(newest() as string)]);
    } else if (event.kind === 'expire') {
      harness.expireLeases();
    } else if (event.kind === 'backdated') {
      await expectBackdatedRefused(harness);
    }
  }
  return scheduled;
}

/** A date before the latest committed run is refused before any Moz call. */
async function expectBackdatedRefused(harness: Harness): Promise<void> {
  const latest = await harness.runs.latest(CAMPAIGN_ID);
  const before = latest ? DATES[DATES.indexOf(latest.runDate) - 1] : undefined;
  if (before === undefined) return;
  // Mid-month: never a scheduled date, so never a duplicate of a committed one.
  const earlier = before.replace(/01$/, '15');
  const callsBefore = harness.calls.length;
  await expect(harness.run(earlier)).rejects.toBeInstanceOf(BackdatedRunError);
  expect(harness.calls.length, 'Moz calls for a back-dated request').toBe(callsBefore);
}

/** Every delivered date retried until it is committed, as SQS and the next dispatch would. */
async function drain(harness: Harness, scheduled: number): Promise<void> {
  for (const runDate of DATES.slice(0, scheduled)) {
    for (let attempt = 0; ; attempt++) {
      harness.expireLeases();
      const outcome = await harness.run(runDate).catch((error: unknown) => error);
      if (!(outcome instanceof Error) && settled(outcome as RunOutcome)) break;
      if (attempt >= 5) throw new Error(`${runDate} did not commit: ${String(outcome)}`);
    }
  }
}

/** No prospect departs twice (closed, lost or unverified) without coming back in between. */
async function expectNoDoubleDeparture(harness: Harness): Promise<void> {
  const changes = Object.values((await readLake(harness.lake)).changes)
    .flat()
    .sort((a, b) => (a.run_date < b.run_date ? -1 : 1));
  const departed = new Set<string>();
  for (const row of changes) {
    if (['closed', 'lost', 'unverified'].includes(row.change)) {
      expect(departed.has(row.source), `${row.source} departed twice (${row.run_date})`).toBe(false);
      departed.add(row.source);
    } else departed.delete(row.source);
  }
}

async function checkSchedules(stores: () => Promise<HarnessOptions['stores']>, numRuns: number) {
  const cleanByCount = new Map<number, Awaited<ReturnType<typeof cleanHistory>>>();
  await fc.assert(
    fc.asyncProperty(fc.array(chainEvent, { minLength: 3, maxLength: 9 }), async (events) => {
      const harness = await startHarness({ sharedSimulator: simulator, stores: await stores() });
      try {
        await harness.putCampaign();
        const scheduled = await play(harness, events);
        await drain(harness, scheduled);
        if (!cleanByCount.has(scheduled)) cleanByCount.set(scheduled, await cleanHistory(scheduled));
        const expected = cleanByCount.get(scheduled);
        expect(await comparableLake(harness.lake)).toEqual(expected?.lake);
        expect(await comparableRuns(harness.runs)).toEqual(expected?.runs);
        await expectNoDoubleDeparture(harness);
      } finally {
        await harness.close();
      }
    }),
    // fast-check prints the seed and the shrunk schedule of a failure; pass them back with { seed, path }.
    { numRuns, endOnFailure: true },
  );
}

describe('the chain of committed runs, under any schedule of events', () => {
  it('on the file store', { timeout: 240_000 }, async () => {
    await checkSchedules(async () => undefined, 40);
  });

  const moto = useMoto();
  describeAws('on DynamoDB (moto)', () => {
    it('keeps the same chain', { timeout: 240_000 }, async () => {
      // A table of its own per schedule, so each schedule starts with an empty history.
      await checkSchedules(async () => {
        const stack: TestStack = await createTestStack(moto);
        const tableName = stack.names.tableName;
        return {
          campaigns: createDynamoCampaignStore({ doc: stack.clients.doc, tableName }),
          runs: createDynamoRunStore({ doc: stack.clients.doc, tableName }),
        };
      }, 10);
    });
  });
});
