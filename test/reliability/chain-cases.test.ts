// The history cases of issue 11, one by one (each broke the chain before runs committed in date order).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackdatedRunError, ForceRejectedError, runCampaign } from '#pipeline/run-campaign.ts';
import {
  crashAt,
  type Harness,
  killedAt,
  manifestOf,
  readLake,
  useHarnesses,
} from '#test/support/reliability-harness.ts';

const startHarness = useHarnesses();
async function harness(): Promise<Harness> {
  const started = await startHarness();
  await started.putCampaign();
  return started;
}

const manifestDates = async (local: Harness) =>
  Object.values((await readLake(local.lake)).manifests)
    .map((manifest) => manifest.run_date)
    .sort();

describe('the chain of committed runs', () => {
  it('an interrupted month holds the next one back: the next delivery finishes it first, then diffs against it', async () => {
    const local = await harness();
    expect((await local.run('2026-01-01')).outcome).toBe('committed');
    await expect(
      local.run('2026-02-01', { deps: killedAt(local.deps(), crashAt('page')) }),
    ).rejects.toThrow();
    local.expireLeases();
    const march = await local.run('2026-03-01');
    expect(march.outcome).toBe('committed');
    expect(await manifestDates(local)).toEqual(['2026-01-01', '2026-02-01', '2026-03-01']);
    const february = await manifestOf(local.lake, '2026-02-01', 'run-20260201');
    expect(february.previous_run_id).toBe('run-20260101');
    expect(march.outcome === 'committed' && march.manifest.previous_run_id).toBe('run-20260201');
  });

  it('a back-dated request is refused before any Moz call, with the right reason', async () => {
    const local = await harness();
    await local.run('2026-01-01');
    await local.run('2026-02-01');
    const calls = local.calls.length;
    await expect(local.run('2026-01-15')).rejects.toThrow(
      new BackdatedRunError(
        'acme-trail-shoes 2026-01-15 is before the latest committed run (2026-02-01): linkgap does not back-fill earlier dates',
      ),
    );
    await expect(local.run('2026-01-01', { deps: {} }).then(() => local.deps())).resolves.toBeDefined(); // a duplicate of a committed date is still a harmless no-op
    const forced = local.deps();
    await expect(
      (await import('#pipeline/run-campaign.ts')).runCampaign(
        { campaignId: 'acme-trail-shoes', runDate: '2026-01-01', force: true },
        forced,
      ),
    ).rejects.toThrow(
      new ForceRejectedError(
        'cannot force acme-trail-shoes 2026-01-01: only the latest run date (2026-02-01) can be replaced, because every later run builds on the one before it',
      ),
    );
    expect(local.calls.length).toBe(calls);
    expect(await manifestDates(local)).toEqual(['2026-01-01', '2026-02-01']);
  });

  it('a --force killed after its commit leaves two runs for a date only until the next plain delivery repairs it', async () => {
    const local = await startHarness({ runIds: 'random' });
    await local.putCampaign();
    await local.run('2026-01-01');
    const dying = killedAt(local.deps(), crashAt('committed'));
    await expect(
      runCampaign({ campaignId: 'acme-trail-shoes', runDate: '2026-01-01', force: true }, dying),
    ).rejects.toThrow();
    expect(await manifestDates(local)).toEqual(['2026-01-01', '2026-01-01']);
    expect((await local.run('2026-01-01')).outcome).toBe('already-done');
    expect(await manifestDates(local)).toEqual(['2026-01-01']);
    const latest = await local.runs.latest('acme-trail-shoes');
    const lake = await readLake(local.lake);
    expect(Object.values(lake.manifests).map((manifest) => manifest.run_id)).toEqual([latest?.runId]);
    expect(
      Object.values(lake.prospects)
        .flat()
        .every((row) => row.run_id === latest?.runId),
    ).toBe(true);
  });

  it('a run killed between its manifest and its commit is finished by the next scheduled run, which then names it as its previous run', async () => {
    const local = await harness();
    await local.run('2026-01-01');
    await expect(
      local.run('2026-02-01', { deps: killedAt(local.deps(), crashAt('manifest-written')) }),
    ).rejects.toThrow();
    local.expireLeases();
    const march = await local.run('2026-03-01');
    expect(march.outcome === 'committed' && march.manifest).toMatchObject({
      previous_run_id: 'run-20260201',
      baseline: false,
    });
    expect((await local.runs.latest('acme-trail-shoes'))?.runId).toBe('run-20260301');
  });

  it('a --force after an upgrade, whose latest pointer does not name its predecessor, still diffs against the run before', async () => {
    const local = await startHarness({ runIds: 'random' });
    await local.putCampaign();
    await local.run('2026-01-01');
    await local.run('2026-02-01');
    // The pointer as linkgap 0.1.0 wrote it: no previousRunId.
    const pointerFile = join(local.home, 'runs', 'acme-trail-shoes', 'LATEST.json');
    const { previousRunId: _dropped, ...oldPointer } = JSON.parse(await readFile(pointerFile, 'utf8'));
    await writeFile(pointerFile, JSON.stringify(oldPointer));
    const january = (await local.runs.get('acme-trail-shoes', '2026-01-01'))?.runId;

    const forced = await runCampaign(
      { campaignId: 'acme-trail-shoes', runDate: '2026-02-01', force: true },
      local.deps(),
    );
    expect(forced.outcome === 'committed' && forced.manifest).toMatchObject({
      previous_run_id: january,
      baseline: false,
    });
  });
});
