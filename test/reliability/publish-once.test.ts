// Issue 13: exactly one digest per committed run, per channel, through duplicate deliveries and a
// runner that dies in each window of the publish stage (publish.ts says what "exactly once" means).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileDeliveryStore } from '#adapters/local/file-delivery-store.ts';
import type { Digest } from '#domain/digest.ts';
import { reportKey } from '#lake/keys.ts';
import type { PublishPorts } from '#pipeline/publish.ts';
import type { RunDeps, RunOutcome } from '#pipeline/run-campaign.ts';
import { createMemoryMetrics } from '#shared/observability.ts';
import type { DigestChannel } from '#shared/ports.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import {
  CAMPAIGN_ID,
  crashAt,
  type Harness,
  SIM_TOKEN,
  startHarness,
} from '#test/support/reliability-harness.ts';

const RUN_DATE = '2026-01-01';
const LEASE_MS = 60_000;
let simulator: MozSimulator;
const harnesses: Harness[] = [];

beforeAll(async () => {
  simulator = await startSimulator({ token: SIM_TOKEN, seed: 'publish-once', universeSize: 3_000 });
});
afterAll(async () => {
  await Promise.all(harnesses.map((started) => started.close()));
  await simulator?.close();
});

/** A channel that records what it was asked to send; `behave` decides each send (default: accept). */
function recordingChannel(behave?: (attempt: number, digest: Digest) => Promise<void> | void) {
  const sent: Digest[] = [];
  let attempts = 0;
  const channel: DigestChannel = {
    name: 'test',
    async send(digest) {
      attempts += 1;
      await behave?.(attempts, digest);
      sent.push(digest);
    },
  };
  return { channel, sent, attempts: () => attempts };
}

async function setUp(channel: DigestChannel) {
  const h = await startHarness({ sharedSimulator: simulator, runIds: 'random' });
  harnesses.push(h);
  await h.putCampaign();
  const metrics = createMemoryMetrics();
  const sleeps: number[] = [];
  const publish: PublishPorts = {
    deliveries: createFileDeliveryStore(h.home),
    channelsFor: () => [channel],
    reportLink: async (key) => ({ href: `file:///${key}` }),
    lakeWhere: h.lakeRoot,
    retry: { attempts: 3, firstDelayMs: 100 },
    leaseMs: LEASE_MS,
    sleep: async (ms) => void sleeps.push(ms),
  };
  const run = (afterStep?: RunDeps['afterStep']) =>
    h.run(RUN_DATE, { afterStep, deps: { publish, metrics } });
  return { h, run, metrics, sleeps, publish };
}

const hang = () => new Promise<never>(() => {});

describe('one digest per committed run', () => {
  it('a clean run writes its report and sends one digest; duplicates in turn and at once send none', async () => {
    const { channel, sent } = recordingChannel();
    const { h, run } = await setUp(channel);
    const first = (await run()) as Extract<RunOutcome, { outcome: 'committed' }>;
    expect(first.outcome).toBe('committed');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      campaignId: CAMPAIGN_ID,
      runDate: RUN_DATE,
      runId: first.manifest.run_id,
    });
    const key = reportKey(CAMPAIGN_ID, RUN_DATE, first.manifest.run_id);
    expect(new TextDecoder().decode(await h.lake.get(key))).toContain('<!doctype html>');
    expect(sent[0]?.text).toContain(`Report: file:///${key}`);

    await run();
    await Promise.all([run(), run(), run()]);
    expect(sent).toHaveLength(1);
  });

  it('a runner that dies after the commit, before publishing: the next delivery publishes once', async () => {
    const { channel, sent } = recordingChannel();
    const { h, run } = await setUp(channel);
    await expect(run(crashAt('committed'))).rejects.toThrow(/committed#1/);
    expect(await h.runs.get(CAMPAIGN_ID, RUN_DATE)).toMatchObject({ status: 'SUCCEEDED' });
    expect(sent).toHaveLength(0);
    expect((await run()).outcome).toBe('already-done');
    expect(sent).toHaveLength(1);
    await run();
    expect(sent).toHaveLength(1);
  });

  it('dies after claiming, before sending: busy while the lease lives, sent once after it expires', async () => {
    const dying = recordingChannel((attempt) => (attempt === 1 ? hang() : undefined));
    const { h, run } = await setUp(dying.channel);
    void run(); // never returns: the process "dies" inside send
    await expect.poll(() => dying.attempts(), { timeout: 10_000 }).toBe(1);
    expect((await run()).outcome).toBe('already-done');
    expect(dying.sent).toHaveLength(0); // the live claim holds the second delivery off
    h.clock.advance(LEASE_MS + 1);
    await run();
    expect(dying.sent).toHaveLength(1);
    await run();
    expect(dying.sent).toHaveLength(1);
  });

  it('dies after the channel accepted, before SENT was recorded: the one window that sends twice', async () => {
    // The channel took the digest (it is in `sent`), then the process died before marking it SENT.
    const accepted: Digest[] = [];
    const dying = recordingChannel((attempt, digest) => {
      if (attempt === 1) {
        accepted.push(digest);
        return hang();
      }
    });
    const { h, run } = await setUp(dying.channel);
    void run();
    await expect.poll(() => accepted.length, { timeout: 10_000 }).toBe(1);
    h.clock.advance(LEASE_MS + 1);
    await run();
    // At least once, never zero: the second copy carries the same run_id for a subscriber to drop.
    expect([...accepted, ...dying.sent].map((d) => d.attributes.run_id)).toEqual([
      accepted[0]?.runId,
      accepted[0]?.runId,
    ]);
  });

  it('retries a failing channel with backoff, and sends once', async () => {
    const flaky = recordingChannel((attempt) => {
      if (attempt < 3) throw new Error(`HTTP 503 #${attempt}`);
    });
    const { run, sleeps, metrics } = await setUp(flaky.channel);
    expect((await run()).outcome).toBe('committed');
    expect(flaky.sent).toHaveLength(1);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? Number.POSITIVE_INFINITY);
    expect(metrics.values.get('DigestPublishFailed')).toBeUndefined();
  });

  it('a channel that keeps failing: the run stays committed, the failure is logged and counted, the next delivery sends it', async () => {
    let down = true;
    const outage = recordingChannel(() => {
      if (down) throw new Error('topic unreachable');
    });
    const { h, run, metrics } = await setUp(outage.channel);
    expect((await run()).outcome).toBe('committed');
    expect(outage.attempts()).toBe(3);
    expect(outage.sent).toHaveLength(0);
    expect(metrics.values.get('DigestPublishFailed')).toBe(1);
    expect(h.log.text()).toMatch(/could not publish the digest.*topic unreachable/);
    expect(await h.runs.get(CAMPAIGN_ID, RUN_DATE)).toMatchObject({ status: 'SUCCEEDED' });
    down = false;
    await run();
    await run();
    expect(outage.sent).toHaveLength(1);
  });

  it('a report that cannot be written is counted, and the digest still goes out without a link', async () => {
    const { channel, sent } = recordingChannel();
    const { h, metrics, publish } = await setUp(channel);
    const lake = h.lake;
    const refusingLake: typeof lake = {
      ...lake,
      put: (key, body, options) =>
        key.startsWith('reports/') ? Promise.reject(new Error('AccessDenied')) : lake.put(key, body, options),
    };
    const outcome = await h.run(RUN_DATE, { deps: { lake: refusingLake, metrics, publish } });
    expect(outcome.outcome).toBe('committed');
    expect(metrics.values.get('ReportPublishFailed')).toBe(1);
    expect(sent.at(-1)?.text).toContain('Report: not available');
  });
});
