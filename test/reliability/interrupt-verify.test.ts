// An interrupt while link_status is retrying (the verification of departures) pauses the run at that
// batch, like one while paging: not a failed batch (which would leave its departures unverified for
// good), not a failed run. The rerun checks that batch and ends with the uninterrupted run's counts.
import { describe, expect, it } from 'vitest';
import { runCampaign } from '#pipeline/run-campaign.ts';
import { CAMPAIGN_ID, type Harness, useHarnesses } from '#test/support/reliability-harness.ts';

const FIRST = '2026-01-01';
const LATER = '2026-06-01';
const harness = useHarnesses();

const counts = (outcome: Awaited<ReturnType<Harness['run']>>) =>
  outcome.outcome === 'committed'
    ? {
        closed: outcome.manifest.closed_count,
        lost: outcome.manifest.lost_count,
        unverified: outcome.manifest.unverified_count,
      }
    : outcome.outcome;

describe('an interrupt during a link_status retry', () => {
  it('pauses the run (no further attempt); the rerun verifies every departure as a clean run does', async () => {
    const probe = await harness();
    await probe.putCampaign();
    await probe.run(FIRST);
    const clean = counts(await probe.run(LATER));
    expect(clean).toMatchObject({ unverified: 0 });

    const interrupt = new AbortController();
    const local = await harness({
      client: {
        log: (event) => {
          // The first 429 of link_status: the client is about to wait for its Retry-After.
          if (event.msg === 'moz request failed; retrying' && event.endpoint === '/v2/link_status')
            interrupt.abort('SIGINT');
        },
      },
    });
    await local.putCampaign();
    expect((await local.run(FIRST)).outcome).toBe('committed');
    local.simulator.faults.set('link_status', { burst429: { count: 1_000, retryAfterSeconds: 86_400 } });
    local.simulator.setMonth(LATER.slice(0, 7));
    const before = local.simulator.stats().byRoute.link_status.requests;

    const paused = await runCampaign(
      { campaignId: CAMPAIGN_ID, runDate: LATER, signal: interrupt.signal },
      local.deps(),
    );
    expect(paused).toMatchObject({ outcome: 'paused', reason: 'interrupted' });
    expect(local.simulator.stats().byRoute.link_status.requests - before).toBe(1);

    local.simulator.faults.clear();
    expect(counts(await local.run(LATER))).toEqual(clean);
  });
});
