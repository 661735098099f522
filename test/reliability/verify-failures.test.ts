// DESIGN section 5: a departure is `unverified` when verification "was skipped or failed (budget,
// errors)". A Link Status endpoint that keeps failing after the client's retries must not hold the
// campaign back: the run commits with those departures unverified, and a resumed run never pays for
// the failed batch again. Configuration problems (credentials, a bad request) still fail the run.
import { describe, expect, it } from 'vitest';
import { MozAuthError } from '#moz/errors.ts';
import { RunFailedError } from '#pipeline/run-campaign.ts';
import type { FaultSpec } from '#simulator/server.ts';
import { crashAt, type Harness, killedAt, useHarnesses } from '#test/support/reliability-harness.ts';

const FIRST = '2026-01-01';
const LATER = '2026-06-01';
const AFTER = '2026-07-01';
const harness = useHarnesses();

const linkStatusCalls = (local: Harness, runDate: string) =>
  local.calls.filter((call) => call.endpoint === 'link_status' && call.runDate === runDate);

async function departuresOfAFaultFreeRun(): Promise<number> {
  const probe = await harness();
  await probe.putCampaign();
  await probe.run(FIRST);
  const full = await probe.run(LATER);
  if (full.outcome !== 'committed') throw new Error('probe run did not commit');
  return full.manifest.closed_count + full.manifest.lost_count + full.manifest.unverified_count;
}

describe('verification that keeps failing leaves departures unverified', () => {
  it.each<[string, FaultSpec]>([
    ['every link_status answer a 500', { error5xxRate: 1, status5xx: 500 }],
    ['every link_status answer malformed JSON', { malformedRate: 1 }],
  ])('%s: the run commits, every departure unverified, and the next month runs', async (_name, spec) => {
    const departed = await departuresOfAFaultFreeRun();
    expect(departed).toBeGreaterThan(0);
    const local = await harness();
    await local.putCampaign();
    expect((await local.run(FIRST)).outcome).toBe('committed');
    local.simulator.faults.set('link_status', spec);

    const outcome = await local.run(LATER);
    expect(outcome.outcome).toBe('committed');
    if (outcome.outcome !== 'committed') return;
    expect(outcome.manifest.closed_count).toBe(0);
    expect(outcome.manifest.lost_count).toBe(0);
    expect(outcome.manifest.unverified_count).toBe(departed);
    // One failed batch (the client retried it), then no more calls: retrying what just failed wastes time.
    expect(linkStatusCalls(local, LATER)).toHaveLength(1);
    expect(local.log.entries.some((entry) => /verification failed/.test(entry.message))).toBe(true);

    expect((await local.run(AFTER)).outcome).toBe('committed');
  });

  it('a run that crashed after the failed batch resumes without calling link_status again', async () => {
    const local = await harness();
    await local.putCampaign();
    await local.run(FIRST);
    local.simulator.faults.set('link_status', { error5xxRate: 1, status5xx: 500 });
    const crash = crashAt('verified');
    await expect(local.run(LATER, { deps: killedAt(local.deps(), crash) })).rejects.toThrow();
    expect(crash.fired).toBe(true);
    expect(linkStatusCalls(local, LATER)).toHaveLength(1);

    local.simulator.faults.clear();
    local.expireLeases();
    const resumed = await local.run(LATER);
    expect(resumed.outcome).toBe('committed');
    if (resumed.outcome !== 'committed') return;
    // The failed batch's sources stay unverified: the resume does not pay for them a second time.
    expect(linkStatusCalls(local, LATER)).toHaveLength(1);
    expect(resumed.manifest.closed_count + resumed.manifest.lost_count).toBe(0);
    expect(resumed.manifest.unverified_count).toBeGreaterThan(0);
  });

  it('rejected credentials on link_status still fail the run (a configuration problem, not bad luck)', async () => {
    const local = await harness();
    await local.putCampaign();
    await local.run(FIRST);
    const moz = {
      intersectPage: local.moz.intersectPage.bind(local.moz),
      linkStatus: () => Promise.reject(new MozAuthError('link_status: 401 Unauthorized', 'the test')),
    };
    const failure = await local.run(LATER, { deps: { moz } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RunFailedError);
    expect((failure as RunFailedError).kind).toBe('MozAuthError');
    expect((await local.runs.get('acme-trail-shoes', LATER))?.status).toBe('FAILED');
  });
});
