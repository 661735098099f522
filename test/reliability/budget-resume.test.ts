// The budget holds across a resume: a run killed after its first link_status batch counts that batch's
// rows when it resumes, so the two attempts together never spend more than maxRowsPerRun.
import { describe, expect, it } from 'vitest';
import { crashAt, killedAt, useHarnesses } from '#test/support/reliability-harness.ts';

const TWO_SITE_TARGETS = {
  // Two site targets: departures are checked in one batch per target.
  site: [
    { target: 'acme.example', scope: 'root_domain' as const },
    { target: 'acme-shop.example', scope: 'root_domain' as const },
  ],
};
const startHarness = useHarnesses();

async function twoMonths(cap: number, crash: boolean) {
  const local = await startHarness();
  await local.putCampaign({ ...TWO_SITE_TARGETS, maxRowsPerRun: 100_000 });
  await local.run('2026-01-01');
  await local.putCampaign({ ...TWO_SITE_TARGETS, maxRowsPerRun: cap });
  const before = local.simulator.stats().rowsConsumed;
  if (crash) {
    const dying = killedAt(local.deps(), crashAt('verify-batch', 1));
    await expect(local.run('2026-06-01', { deps: dying })).rejects.toThrow();
    local.expireLeases();
  }
  const outcome = await local.run('2026-06-01');
  if (outcome.outcome !== 'committed') throw new Error(`not committed: ${outcome.outcome}`);
  const batches = local.calls.filter((call) => call.endpoint === 'link_status' && call.ok);
  return { manifest: outcome.manifest, spent: local.simulator.stats().rowsConsumed - before, batches };
}

describe('the budget across a resume', () => {
  it('a run killed after a link_status batch still stays within maxRowsPerRun once resumed', async () => {
    // Learn the run's shape uncapped: the gap list's rows and the two batches' sizes.
    const free = await twoMonths(100_000, false);
    const [first, second] = free.batches.map((call) => call.sources.length);
    expect(first).toBeGreaterThan(1);
    expect(second).toBeGreaterThan(1);
    const intersect = free.manifest.rows_consumed_intersect;
    // Room for the gap list, the first batch and half of the second.
    const cap = intersect + 2 * (first ?? 0) + (second ?? 0);

    const resumed = await twoMonths(cap, true);
    expect(resumed.spent).toBeLessThanOrEqual(cap);
    expect(resumed.manifest.rows_consumed).toBeLessThanOrEqual(cap);
    expect(resumed.manifest.truncated).toBe(true);
  });
});
