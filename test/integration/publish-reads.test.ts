// Publishing a committed run builds the report and the digest from the same stored things: the
// campaign config, the committed manifests and the run's prospects file. Each is read once, and the
// prospects file decoded once.
import { afterAll, expect, it, vi } from 'vitest';
import { createFileDeliveryStore } from '#adapters/local/file-delivery-store.ts';
import { prospectsKey, tablePrefix } from '#lake/keys.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { type PublishPorts, writeMissingReports } from '#pipeline/publish.ts';
import type { CampaignStore, DigestChannel, ObjectStore } from '#shared/ports.ts';
import { CAMPAIGN_ID, type Harness, startHarness } from '#test/support/reliability-harness.ts';

vi.mock('#lake/parquet.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('#lake/parquet.ts')>();
  return { ...original, decodeParquet: vi.fn(original.decodeParquet) };
});

const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((started) => started.close()));
});

function countingLake(lake: ObjectStore) {
  const gets = new Map<string, number>();
  const lists = new Map<string, number>();
  const count = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const counted: ObjectStore = {
    put: (key, body, options) => lake.put(key, body, options),
    ...(lake.putStream && {
      putStream: (key: string, body: AsyncIterable<Uint8Array>, options?: { ifNoneMatch?: boolean }) =>
        lake.putStream?.(key, body, options) ?? Promise.reject(new Error('no putStream')),
    }),
    get: (key) => {
      count(gets, key);
      return lake.get(key);
    },
    list: (prefix) => {
      count(lists, prefix);
      return lake.list(prefix);
    },
    delete: (keys) => lake.delete(keys),
  };
  return { counted, gets, lists };
}

it('publishing a committed run reads the campaign, the manifests and the prospects file once each, and decodes the prospects once', async () => {
  const h = await startHarness({ universeSize: 1_500 });
  harnesses.push(h);
  await h.putCampaign();
  // The first run's commit publishes too (not counted): the second is the run whose reads count.
  await h.run('2026-01-01');
  const { counted, gets, lists } = countingLake(h.lake);
  let campaignReads = 0;
  const campaigns: CampaignStore = {
    ...h.campaigns,
    get: (id) => {
      campaignReads += 1;
      return h.campaigns.get(id);
    },
  };
  const sent: unknown[] = [];
  const channel: DigestChannel = { name: 'test', send: async (digest) => void sent.push(digest) };
  const publish: PublishPorts = {
    deliveries: createFileDeliveryStore(h.home),
    channelsFor: () => [channel],
    reportLink: async (key) => ({ href: `file:///${key}` }),
    lakeWhere: h.lakeRoot,
  };
  vi.mocked(decodeParquet).mockClear();
  const outcome = await h.run('2026-02-01', { deps: { lake: counted, campaigns, publish } });
  if (outcome.outcome !== 'committed') throw new Error(`expected a commit, got ${outcome.outcome}`);
  expect(sent).toHaveLength(1);

  const runId = outcome.manifest.run_id;
  expect(gets.get(prospectsKey(CAMPAIGN_ID, '2026-02-01', runId))).toBe(1);
  expect(lists.get(tablePrefix('runs', CAMPAIGN_ID))).toBe(1);
  const manifestReads = [...gets].filter(([key]) => key.startsWith(tablePrefix('runs', CAMPAIGN_ID)));
  // The run's own manifest is also looked for once before it is written (a stale attempt's).
  expect(manifestReads.map(([, reads]) => reads).sort()).toEqual([1, 2]);
  // One read when the run starts, one for publishing (the report and the digest share it).
  expect(campaignReads).toBe(2);
  // The report and the digest both need the run's prospects: one decode serves both.
  const prospectDecodes = vi.mocked(decodeParquet).mock.calls.filter(([table]) => table === 'prospects');
  expect(prospectDecodes).toHaveLength(1);
});

it('writing the missing reports of a campaign reads each manifest once, not once per report', async () => {
  const h = await startHarness({ universeSize: 1_500 });
  harnesses.push(h);
  await h.putCampaign();
  // Runs committed with no publishing: none of them has a report yet.
  for (const runDate of ['2026-01-01', '2026-02-01', '2026-03-01'])
    await h.run(runDate, { deps: { publish: undefined } });
  const { counted, gets } = countingLake(h.lake);
  const deps = { lake: counted, campaigns: h.campaigns, clock: h.clock, log: h.log };
  const { written, failed } = await writeMissingReports(CAMPAIGN_ID, deps, h.lakeRoot);
  expect(failed).toEqual([]);
  expect(written).toHaveLength(3);
  const manifestReads = [...gets].filter(([key]) => key.startsWith(tablePrefix('runs', CAMPAIGN_ID)));
  expect(manifestReads).toHaveLength(3);
  expect(manifestReads.map(([, reads]) => reads)).toEqual([1, 1, 1]);
});
