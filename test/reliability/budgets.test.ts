// Promise 4: budgets hold. maxRowsPerRun is a hard cap, a capped run says so, and nothing is called
// lost or closed without evidence; a quota error from the API ends the run with a resumable checkpoint.
import { describe, expect, it } from 'vitest';
import { MozQuotaExhaustedError } from '#moz/errors.ts';
import { RunFailedError } from '#pipeline/run-campaign.ts';
import { type MozCall, manifestOf, readLake, useHarnesses } from '#test/support/reliability-harness.ts';

const FIRST = '2026-01-01';
const LATER = '2026-06-01';
const harness = useHarnesses();

const okPages = (calls: readonly MozCall[], runDate: string) =>
  calls
    .filter((call) => call.endpoint === 'link_intersect' && call.ok && call.runDate === runDate)
    .map((call) => call.request);

describe('Promise 4: budgets hold', () => {
  it('a run that reaches maxRowsPerRun stops at or under the cap, says truncated, and leaves departures unverified', async () => {
    const local = await harness();
    await local.putCampaign({ maxRowsPerRun: 5_000 });
    expect((await local.run(FIRST)).outcome).toBe('committed');
    const firstGap = (await readLake(local.lake)).prospects;
    const previousSources = new Set(
      Object.values(firstGap)
        .flat()
        .map((row) => row.source),
    );

    // The same config (maxRowsPerRun is not part of the config hash), with a cap below one full gap list.
    const cap = 333;
    await local.putCampaign({ maxRowsPerRun: cap });
    const rowsBefore = local.simulator.stats().rowsConsumed;
    const outcome = await local.run(LATER);
    expect(outcome.outcome).toBe('committed');
    if (outcome.outcome !== 'committed') return;
    const manifest = outcome.manifest;

    expect(local.simulator.stats().rowsConsumed - rowsBefore).toBeLessThanOrEqual(cap);
    expect(manifest.rows_consumed).toBeLessThanOrEqual(cap);
    expect(manifest.truncated).toBe(true);
    expect(manifest.baseline).toBe(false);
    expect(manifest.lost_count).toBe(0);
    expect(manifest.unverified_count).toBeGreaterThan(0);
    // The 3 rows left after the last page buy one link_status check: a "no" from it must still not
    // make a departure lost, since the source may sit beyond the cut.
    const checked = local.calls.filter(
      (call) => call.endpoint === 'link_status' && call.ok && call.runDate === LATER,
    );
    expect(checked.flatMap((call) => call.sources)).toHaveLength(1);

    const changes = (await readLake(local.lake)).changes;
    const departures = Object.values(changes)
      .flat()
      .filter((row) => row.run_date === LATER && ['closed', 'lost', 'unverified'].includes(row.change));
    expect(departures.length).toBe(manifest.unverified_count + manifest.closed_count);
    for (const row of departures) {
      expect(previousSources.has(row.source)).toBe(true);
      // Closed only with evidence: the source really links to the site this month.
      if (row.change === 'closed')
        expect(local.simulator.truth.linksTo(row.source, 'acme.example', { month: '2026-06' })).toBe(true);
      else expect(row.change).toBe('unverified');
    }
  });

  it('when the cap leaves too little for link_status, unchecked departures stay unverified and closed ones have evidence', async () => {
    const probe = await harness();
    await probe.putCampaign();
    await probe.run(FIRST);
    const full = await probe.run(LATER);
    if (full.outcome !== 'committed') throw new Error('probe run did not commit');
    const departed = full.manifest.closed_count + full.manifest.lost_count;
    expect(departed).toBeGreaterThan(2);

    // Enough for the whole gap list and two link_status sources, no more.
    const local = await harness();
    await local.putCampaign();
    await local.run(FIRST);
    const cap = full.manifest.rows_consumed_intersect + 2 * 2;
    await local.putCampaign({ maxRowsPerRun: cap });
    const rowsBefore = local.simulator.stats().rowsConsumed;
    const outcome = await local.run(LATER);
    if (outcome.outcome !== 'committed') throw new Error('capped run did not commit');
    const manifest = outcome.manifest;

    expect(local.simulator.stats().rowsConsumed - rowsBefore).toBeLessThanOrEqual(cap);
    expect(manifest.rows_consumed).toBeLessThanOrEqual(cap);
    expect(manifest.gap_size).toBe(full.manifest.gap_size);
    expect(manifest.closed_count + manifest.lost_count).toBeLessThanOrEqual(2);
    expect(manifest.unverified_count).toBe(departed - manifest.closed_count - manifest.lost_count);
    // The gap list is complete, but the budget stopped verification: the run says it is incomplete.
    expect(manifest.truncated).toBe(true);
    expect(full.manifest.truncated).toBe(false);

    // Every closed source really links to the site this month (the simulator's ground truth).
    const closed = Object.values((await readLake(local.lake)).changes)
      .flat()
      .filter((row) => row.run_date === LATER && row.change === 'closed');
    for (const row of closed)
      expect(local.simulator.truth.linksTo(row.source, 'acme.example', { month: '2026-06' })).toBe(true);
  });

  describe.each([403, 429] as const)('quota exhaustion answered with HTTP %i', (quotaStatus) => {
    it('fails the run with a quota error, and after the quota is raised it resumes without fetching a page twice', async () => {
      const local = await harness({ simulator: { quotaStatus } });
      const reference = await harness({ seed: 'reliability' });
      await reference.putCampaign();
      expect((await reference.run(FIRST)).outcome).toBe('committed');
      const fullRows = reference.simulator.stats().rowsConsumed;

      await local.putCampaign();
      // Two full pages (2 × 50 × 5 rows) fit; the third does not.
      local.simulator.setRowQuota(600);
      const failure = await local.run(FIRST).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RunFailedError);
      const runFailed = failure as RunFailedError;
      expect(runFailed.kind).toBe('MozQuotaExhaustedError');
      expect(runFailed.cause).toBeInstanceOf(MozQuotaExhaustedError);
      expect(runFailed.message).toMatch(/quota/i);
      const record = await local.runs.get('acme-trail-shoes', FIRST);
      expect(record?.status).toBe('FAILED');
      expect(record?.error?.kind).toBe('MozQuotaExhaustedError');
      // The quota error is not retried: the client asked once for the page it could not get.
      const refused = local.simulator.log.filter((entry) => entry.status === quotaStatus);
      expect(refused).toHaveLength(1);
      const fetchedBefore = okPages(local.calls, FIRST);
      expect(fetchedBefore).toHaveLength(2);

      local.simulator.setRowQuota(null);
      const resumed = await local.run(FIRST);
      expect(resumed.outcome).toBe('committed');
      const pages = okPages(local.calls, FIRST);
      expect(new Set(pages).size).toBe(pages.length);
      expect(local.simulator.stats().rowsConsumed).toBe(fullRows);
      const manifest = await manifestOf(local.lake, FIRST, record?.runId ?? '');
      expect(manifest.rows_consumed).toBe(fullRows);
      expect(manifest.truncated).toBe(false);
      expect((await readLake(local.lake)).prospects).toEqual((await readLake(reference.lake)).prospects);
    });
  });
});
