// Promise 2: a crash at any checkpoint boundary loses nothing, re-spends no completed page, and no
// reader ever sees half a run.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStep } from '#pipeline/run-campaign.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import {
  comparableLake,
  comparableRuns,
  crashAt,
  type Harness,
  killedAt,
  type MozCall,
  readerView,
  SIM_TOKEN,
  startHarness,
} from '#test/support/reliability-harness.ts';

const TWO_SITE_TARGETS = {
  // Two site targets: departures are verified in two link_status batches (one per target).
  site: [
    { target: 'acme.example', scope: 'root_domain' as const },
    { target: 'acme-shop.example', scope: 'root_domain' as const },
  ],
};
const EARLIER_MONTHS = ['2026-01-01', '2026-02-01'];
const CRASH_MONTH = '2026-06-01';

interface Reference {
  lake: Awaited<ReturnType<typeof comparableLake>>;
  runs: Awaited<ReturnType<typeof comparableRuns>>;
  rowsConsumed: number;
  intersectRequests: number;
  linkStatusRequests: number;
}

let simulator: MozSimulator;
let template: string;
let reference: Reference;
const temporary: string[] = [];

beforeAll(async () => {
  simulator = await startSimulator({ token: SIM_TOKEN, seed: 'reliability', universeSize: 5_000 });
  const harness = await startHarness({ sharedSimulator: simulator });
  try {
    await harness.putCampaign(TWO_SITE_TARGETS);
    for (const runDate of EARLIER_MONTHS) expect((await harness.run(runDate)).outcome).toBe('committed');
    template = await mkdtemp(join(tmpdir(), 'linkgap-crash-template-'));
    temporary.push(template);
    await cp(harness.home, template, { recursive: true });

    simulator.resetUsage();
    expect((await harness.run(CRASH_MONTH)).outcome).toBe('committed');
    const stats = simulator.stats();
    reference = {
      lake: await comparableLake(harness.lake),
      runs: await comparableRuns(harness.runs),
      rowsConsumed: stats.rowsConsumed,
      intersectRequests: stats.byRoute.link_intersect.requests,
      linkStatusRequests: stats.byRoute.link_status.requests,
    };
  } finally {
    await harness.close();
  }
  // The scenario must reach every step: 3 pages and 2 verify batches.
  expect(reference.intersectRequests).toBeGreaterThanOrEqual(3);
  expect(reference.linkStatusRequests).toBe(2);
});

afterAll(async () => {
  await simulator?.close();
  await Promise.all(temporary.map((path) => rm(path, { recursive: true, force: true })));
});

/** A harness on a copy of the lake and stores as they were after the earlier months. */
async function harnessAfterEarlierMonths(): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'linkgap-crash-'));
  temporary.push(home);
  await cp(template, home, { recursive: true });
  simulator.resetUsage();
  return startHarness({ home, sharedSimulator: simulator });
}

function successfulIntersectTokens(calls: readonly MozCall[], runDate: string): string[] {
  return calls
    .filter((call) => call.endpoint === 'link_intersect' && call.ok && call.runDate === runDate)
    .map((call) => call.request);
}

function verifiedPairs(calls: readonly MozCall[], runDate: string): string[] {
  return calls
    .filter((call) => call.endpoint === 'link_status' && call.ok && call.runDate === runDate)
    .flatMap((call) => call.sources.map((source) => `${call.request} ← ${source}`));
}

const duplicates = (values: readonly string[]) =>
  values.filter((value, index) => values.indexOf(value) !== index);

/** Every run a reader sees is whole: its prospects and changes rows are all there. */
async function expectReadersSeeWholeRunsOnly(
  harness: Harness,
  crashedRunId: string,
  manifestWritten: boolean,
) {
  const view = await readerView(harness.lakeRoot);
  for (const run of view.runs) {
    expect(run.prospect_rows, `prospects of ${run.run_id}`).toBe(run.gap_size);
    expect(run.change_rows, `changes of ${run.run_id}`).toBe(run.expected_changes);
  }
  const visible = view.runs.map((run) => run.run_id);
  expect(view.joinedRunIds.every((runId) => visible.includes(runId))).toBe(true);
  expect(visible.includes(crashedRunId)).toBe(manifestWritten);
  if (manifestWritten) {
    // What a reader saw before the recovery is exactly what stays.
    const manifest = Object.entries(reference.lake.manifests).find(([key]) => key.includes(crashedRunId));
    expect(view.runs.find((run) => run.run_id === crashedRunId)?.gap_size).toBe(manifest?.[1].gap_size);
  }
}

interface CrashPoint {
  name: string;
  step: RunStep;
  detail?: string;
}

const CRASH_POINTS: CrashPoint[] = [
  { name: 'after the claim', step: 'claimed' },
  { name: 'after page 1', step: 'page', detail: '1' },
  { name: 'after page 2', step: 'page', detail: '2' },
  { name: 'after the last page', step: 'page', detail: '3' },
  { name: 'after the intersect', step: 'intersect-done' },
  { name: 'after verify batch 1', step: 'verify-batch', detail: '1' },
  { name: 'after verify batch 2', step: 'verify-batch', detail: '2' },
  { name: 'after verification', step: 'verified' },
  { name: 'after the diff', step: 'diffed' },
  { name: 'after the prospects file', step: 'file-written', detail: 'prospects' },
  { name: 'after the changes file', step: 'file-written', detail: 'changes' },
  { name: 'after the ledger file', step: 'file-written', detail: 'ledger' },
  { name: 'after the manifest', step: 'manifest-written' },
  { name: 'before the commit', step: 'before-commit' },
  { name: 'after the commit', step: 'committed' },
];

const MANIFEST_WRITTEN: RunStep[] = ['manifest-written', 'before-commit', 'committed'];
const READER_VISIBLE: RunStep[] = ['diffed', 'file-written', ...MANIFEST_WRITTEN];

describe('Promise 2: crashes at every step lose nothing', () => {
  describe.each([
    { mode: 'killed', label: 'the process dies (nothing more is written)', points: CRASH_POINTS },
    {
      mode: 'thrown',
      label: 'the step throws (the run records its failure)',
      // The recorded failure changes only how the next delivery claims the run: one point per phase.
      points: CRASH_POINTS.filter(({ name }) =>
        [
          'after the claim',
          'after page 2',
          'after verify batch 1',
          'after the changes file',
          'after the manifest',
          'after the commit',
        ].includes(name),
      ),
    },
  ] as const)('when $label', ({ mode, points }) => {
    it.each(points)('$name: the re-run ends exactly like an uninterrupted run', async ({ step, detail }) => {
      const harness = await harnessAfterEarlierMonths();
      try {
        const crash = crashAt(step, 1, detail);
        const crashed = harness.run(CRASH_MONTH, {
          deps: mode === 'killed' ? killedAt(harness.deps(), crash) : { afterStep: crash },
        });
        await expect(crashed).rejects.toThrow();
        expect(crash.fired).toBe(true);

        const crashedRunId = `run-${CRASH_MONTH.replaceAll('-', '')}`;
        // Before the diff only staging/ has changed, which no table reads; from there on, files appear.
        if (mode === 'killed' && READER_VISIBLE.includes(step)) {
          await expectReadersSeeWholeRunsOnly(harness, crashedRunId, MANIFEST_WRITTEN.includes(step));
        }

        // The next delivery, once the dead worker's lease has run out.
        harness.expireLeases();
        const rerun = await harness.run(CRASH_MONTH);
        expect(rerun.outcome).toBe(step === 'committed' ? 'already-done' : 'committed');

        expect(await comparableLake(harness.lake)).toEqual(reference.lake);
        expect(await comparableRuns(harness.runs)).toEqual(reference.runs);
        const stats = simulator.stats();
        expect(stats.rowsConsumed, 'rows metered across both attempts').toBe(reference.rowsConsumed);
        expect(stats.byRoute.link_intersect.requests, 'intersect requests across both attempts').toBe(
          reference.intersectRequests,
        );
        expect(
          duplicates(successfulIntersectTokens(harness.calls, CRASH_MONTH)),
          'pages fetched twice',
        ).toEqual([]);
        expect(duplicates(verifiedPairs(harness.calls, CRASH_MONTH)), 'sources verified twice').toEqual([]);
      } finally {
        await harness.close();
      }
    });
  });

  it('a run that crashes at every step in turn, one step per delivery, still ends like an uninterrupted run', async () => {
    const harness = await harnessAfterEarlierMonths();
    try {
      let deliveries = 0;
      for (const { step, detail } of CRASH_POINTS) {
        deliveries += 1;
        const crash = crashAt(step, 1, detail);
        const outcome = harness.run(CRASH_MONTH, { deps: killedAt(harness.deps(), crash) });
        await expect(outcome).rejects.toThrow();
        expect(crash.fired, `delivery ${deliveries} reached ${step} ${detail ?? ''}`).toBe(true);
        harness.expireLeases();
      }
      expect((await harness.run(CRASH_MONTH)).outcome).toBe('already-done');
      expect(await comparableLake(harness.lake)).toEqual(reference.lake);
      expect(await comparableRuns(harness.runs)).toEqual(reference.runs);
      expect(simulator.stats().rowsConsumed).toBe(reference.rowsConsumed);
      expect(duplicates(successfulIntersectTokens(harness.calls, CRASH_MONTH))).toEqual([]);
      expect(duplicates(verifiedPairs(harness.calls, CRASH_MONTH))).toEqual([]);
      await expectReadersSeeWholeRunsOnly(harness, `run-${CRASH_MONTH.replaceAll('-', '')}`, true);
    } finally {
      await harness.close();
    }
  });

  it('a crash in the baseline month resumes from its pages too', async () => {
    const harness = await startHarness({ sharedSimulator: simulator });
    const clean = await startHarness({ sharedSimulator: simulator });
    try {
      await harness.putCampaign(TWO_SITE_TARGETS);
      await clean.putCampaign(TWO_SITE_TARGETS);
      simulator.resetUsage();
      expect((await clean.run('2026-01-01')).outcome).toBe('committed');
      const cleanRows = simulator.stats().rowsConsumed;

      simulator.resetUsage();
      await expect(
        harness.run('2026-01-01', { deps: killedAt(harness.deps(), crashAt('page', 1, '2')) }),
      ).rejects.toThrow();
      harness.expireLeases();
      expect((await harness.run('2026-01-01')).outcome).toBe('committed');
      expect(simulator.stats().rowsConsumed).toBe(cleanRows);
      expect(await comparableLake(harness.lake)).toEqual(await comparableLake(clean.lake));
      expect(duplicates(successfulIntersectTokens(harness.calls, '2026-01-01'))).toEqual([]);
    } finally {
      await harness.close();
      await clean.close();
    }
  });
});
