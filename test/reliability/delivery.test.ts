// Promise 3: at-least-once delivery. The same (campaign, run_date) delivered twice, one after the
// other or at the same time, yields one run, one set of files and one spend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { createS3ObjectStore } from '#adapters/aws/object-store.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { createMemoryQueue } from '#adapters/local/memory-queue.ts';
import { dispatchDue } from '#pipeline/dispatch.ts';
import { type RunDeps, type RunOutcome, runCampaign } from '#pipeline/run-campaign.ts';
import type { ObjectStore } from '#shared/ports.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { aCampaign } from '#test/support/builders.ts';
import { createTestStack, describeAws, useMoto } from '#test/support/moto.ts';
import {
  CAMPAIGN_ID,
  crashAt,
  type Harness,
  readLake,
  SIM_TOKEN,
  startHarness,
} from '#test/support/reliability-harness.ts';

const RUN_DATE = '2026-01-01';

let simulator: MozSimulator;
/** Rows the simulator meters for one clean run of the campaign in RUN_DATE's month. */
let singleRunRows: number;
const harnesses: Harness[] = [];

async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const started = await startHarness({ sharedSimulator: simulator, runIds: 'random', ...options });
  harnesses.push(started);
  return started;
}

beforeAll(async () => {
  simulator = await startSimulator({ token: SIM_TOKEN, seed: 'reliability', universeSize: 5_000 });
  const clean = await harness();
  await clean.putCampaign();
  simulator.resetUsage();
  expect((await clean.run(RUN_DATE)).outcome).toBe('committed');
  singleRunRows = simulator.stats().rowsConsumed;
  expect(singleRunRows).toBeGreaterThan(0);
});

afterAll(async () => {
  await Promise.all(harnesses.map((started) => started.close()));
  await simulator?.close();
});

/** Keys of the run's table files (prospects, changes, runs), with the run ids they carry. */
async function tableFiles(lake: ObjectStore) {
  const keys = (await lake.list('')).filter((key) => /^(prospects|changes|runs)\//.test(key));
  return {
    keys,
    runIds: [
      ...new Set(keys.map((key) => key.slice(key.lastIndexOf('/') + 1).replace(/\.(parquet|json)$/, ''))),
    ],
  };
}

function expectOneCommitted(outcomes: RunOutcome[]) {
  const committed = outcomes.filter((outcome) => outcome.outcome === 'committed');
  expect(committed).toHaveLength(1);
  // The others were told the truth: someone else holds it, or it is done. Nobody ran it again.
  for (const outcome of outcomes) expect(['committed', 'busy', 'already-done']).toContain(outcome.outcome);
  const runIds = new Set(
    outcomes.map((outcome) => ('runId' in outcome ? outcome.runId : outcome.manifest.run_id)),
  );
  expect(runIds.size).toBe(1);
}

async function expectOneRunOneSpend(lake: ObjectStore) {
  const files = await tableFiles(lake);
  expect(files.keys).toHaveLength(3);
  expect(files.runIds).toHaveLength(1);
  expect(simulator.stats().rowsConsumed).toBe(singleRunRows);
}

describe('Promise 3: at-least-once delivery', () => {
  it('a second delivery after the run committed does nothing and spends nothing', async () => {
    const local = await harness();
    await local.putCampaign();
    simulator.resetUsage();
    const first = await local.run(RUN_DATE);
    const second = await local.run(RUN_DATE);
    expect(first.outcome).toBe('committed');
    expect(second).toEqual({
      outcome: 'already-done',
      runDate: RUN_DATE,
      runId: first.outcome === 'committed' ? first.manifest.run_id : '',
    });
    await expectOneRunOneSpend(local.lake);
  });

  it.each([2, 3])(
    '%i concurrent deliveries in one process: one run, one set of files, one spend',
    async (copies) => {
      const local = await harness();
      await local.putCampaign();
      simulator.resetUsage();
      const outcomes = await Promise.all(Array.from({ length: copies }, () => local.run(RUN_DATE)));
      expectOneCommitted(outcomes);
      // Redelivered later (the busy ones come back from the queue): already done.
      expect((await local.run(RUN_DATE)).outcome).toBe('already-done');
      await expectOneRunOneSpend(local.lake);
    },
  );

  it('3 concurrent deliveries from separate workers sharing the stores: one run, one set of files, one spend', async () => {
    const first = await harness();
    await first.putCampaign();
    // Separate store instances and Moz clients on the same home, as separate processes would have.
    const others = [await harness({ home: first.home }), await harness({ home: first.home })];
    simulator.resetUsage();
    const outcomes = await Promise.all([first, ...others].map((worker) => worker.run(RUN_DATE)));
    expectOneCommitted(outcomes);
    await expectOneRunOneSpend(first.lake);
  });

  it('a duplicate that arrives while a crashed worker still holds the lease spends nothing; the next one resumes', async () => {
    const local = await harness();
    await local.putCampaign();
    simulator.resetUsage();
    await expect(local.run(RUN_DATE, { afterStep: crashAt('claimed') })).rejects.toThrow();
    const rowsBeforeDuplicate = simulator.stats().rowsConsumed;
    expect((await local.run(RUN_DATE)).outcome).toBe('busy');
    expect(simulator.stats().rowsConsumed).toBe(rowsBeforeDuplicate);
    local.expireLeases();
    expect((await local.run(RUN_DATE)).outcome).toBe('committed');
    await expectOneRunOneSpend(local.lake);
  });

  it('dispatching twice enqueues a run again only until it has committed', async () => {
    const local = await harness();
    await local.putCampaign();
    const queue = createMemoryQueue();
    const dispatchDeps = { campaigns: local.campaigns, runs: local.runs, queue, log: local.log };
    await dispatchDue({ today: '2026-01-15' }, dispatchDeps);
    await dispatchDue({ today: '2026-01-15' }, dispatchDeps);
    const messages = queue.drain();
    expect(messages).toEqual([
      { campaignId: CAMPAIGN_ID, runDate: RUN_DATE },
      { campaignId: CAMPAIGN_ID, runDate: RUN_DATE },
    ]);
    simulator.resetUsage();
    const outcomes: RunOutcome[] = [];
    for (const message of messages) outcomes.push(await local.run(message.runDate));
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['committed', 'already-done']);
    await dispatchDue({ today: '2026-01-20' }, dispatchDeps);
    expect(queue.drain()).toEqual([]);
    await expectOneRunOneSpend(local.lake);
  });
});

const moto = useMoto();

describeAws(
  'Promise 3: at-least-once delivery on the AWS adapters (DynamoDB run store, S3 lake on moto)',
  () => {
    let deps: () => RunDeps;
    let local: Harness;

    beforeAll(async () => {
      const stack = await createTestStack(moto);
      local = await harness();
      const campaigns = createDynamoCampaignStore({
        doc: stack.clients.doc,
        tableName: stack.names.tableName,
      });
      await campaigns.put(aCampaign({ id: CAMPAIGN_ID }));
      // Each delivery gets its own adapters, as separate Lambda containers would.
      deps = () =>
        local.deps({
          campaigns: createDynamoCampaignStore({ doc: stack.clients.doc, tableName: stack.names.tableName }),
          runs: createDynamoRunStore({ doc: stack.clients.doc, tableName: stack.names.tableName }),
          lake: createS3ObjectStore({ s3: stack.clients.s3, bucket: stack.names.bucket }),
        });
    });

    it('3 concurrent deliveries, then a late duplicate: one run, one set of files, one spend', async () => {
      simulator.setMonth(RUN_DATE.slice(0, 7));
      simulator.resetUsage();
      const outcomes = await Promise.all(
        [deps(), deps(), deps()].map((workerDeps) =>
          runCampaign({ campaignId: CAMPAIGN_ID, runDate: RUN_DATE }, workerDeps),
        ),
      );
      expectOneCommitted(outcomes);
      expect((await runCampaign({ campaignId: CAMPAIGN_ID, runDate: RUN_DATE }, deps())).outcome).toBe(
        'already-done',
      );
      const lake = deps().lake;
      await expectOneRunOneSpend(lake);
      const snapshot = await readLake(lake);
      expect(Object.values(snapshot.manifests)[0]?.gap_size).toBe(
        Object.values(snapshot.prospects)[0]?.length,
      );
    });
  },
);
