// Promise 1: transient faults change nothing. A campaign run against a simulator that injects
// faults ends with the same files, the same counts and the same rows consumed as a fault-free run
// on a second simulator with the same seed.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '#lake/schema.ts';
import type { FaultSpec } from '#simulator/server.ts';
import {
  comparableLake,
  comparableRuns,
  type Harness,
  readLake,
  startHarness,
  useHarnesses,
} from '#test/support/reliability-harness.ts';

const MONTHS = ['2026-01-01', '2026-02-01', '2026-06-01'];
const CAMPAIGN = {
  site: [
    { target: 'acme.example', scope: 'root_domain' as const },
    { target: 'acme-shop.example', scope: 'root_domain' as const },
  ],
};
/** Longer than the harness client's 400 ms timeout: every slow answer is a timeout and a retry. */
const SLOW_MS = 800;

interface FaultScenario {
  name: string;
  spec: FaultSpec;
  /** The simulator log must show this fault, or the scenario proved nothing. */
  fault: string;
  /** Faults that can make the server meter work the client never used. */
  metersFailures: boolean;
  /** The client must have waited at least this long once (Retry-After honoured). */
  minSleepMs?: number;
}

const SCENARIOS: FaultScenario[] = [
  { name: '30% 5xx', spec: { error5xxRate: 0.3, seed: 11 }, fault: '5xx', metersFailures: false },
  {
    name: '30% 502 HTML error pages',
    spec: { htmlErrorRate: 0.3, seed: 12 },
    fault: 'html',
    metersFailures: false,
  },
  {
    name: '429 bursts with Retry-After',
    spec: { burst429: { count: 3, retryAfterSeconds: 2 }, error5xxRate: 0.1, seed: 13 },
    fault: 'burst429',
    metersFailures: false,
    minSleepMs: 2_000,
  },
  {
    name: '429 bursts without Retry-After',
    spec: { burst429: { count: 4, retryAfterSeconds: null }, seed: 14 },
    fault: 'burst429',
    metersFailures: false,
  },
  {
    name: 'slow responses past the client timeout',
    spec: { slowRate: 0.3, slowMs: SLOW_MS, seed: 15 },
    fault: 'slow',
    metersFailures: true,
  },
  {
    name: 'dropped connections after the server metered the work',
    spec: { dropRate: 0.3, meterFaulted: true, seed: 16 },
    fault: 'drop',
    metersFailures: true,
  },
  {
    name: 'malformed JSON after the server metered the work',
    spec: { malformedRate: 0.3, meterFaulted: true, seed: 17 },
    fault: 'malformed',
    metersFailures: true,
  },
  {
    name: 'all of them at once',
    spec: {
      error5xxRate: 0.3,
      htmlErrorRate: 0.05,
      slowRate: 0.1,
      slowMs: SLOW_MS,
      dropRate: 0.1,
      malformedRate: 0.1,
      burst429: { count: 2, retryAfterSeconds: 1 },
      meterFaulted: true,
      seed: 18,
    },
    fault: '5xx',
    metersFailures: true,
  },
];

interface Outcome {
  lake: Awaited<ReturnType<typeof comparableLake>>;
  runs: Awaited<ReturnType<typeof comparableRuns>>;
  manifests: RunManifest[];
  simulatorRows: number;
}

async function runMonths(harness: Harness): Promise<Outcome> {
  await harness.putCampaign(CAMPAIGN);
  for (const runDate of MONTHS) expect((await harness.run(runDate)).outcome).toBe('committed');
  return {
    lake: await comparableLake(harness.lake),
    runs: await comparableRuns(harness.runs),
    manifests: Object.values((await readLake(harness.lake)).manifests),
    simulatorRows: harness.simulator.stats().rowsConsumed,
  };
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const counts = (manifest: RunManifest) => ({
  run_date: manifest.run_date,
  gap_size: manifest.gap_size,
  new: manifest.new_count,
  persisting: manifest.persisting_count,
  reopened: manifest.reopened_count,
  closed: manifest.closed_count,
  lost: manifest.lost_count,
  unverified: manifest.unverified_count,
});

let faultFree: Outcome;

beforeAll(async () => {
  const harness = await startHarness();
  try {
    faultFree = await runMonths(harness);
  } finally {
    await harness.close();
  }
  // The scenario exercises verification too, or link_status faults would prove nothing.
  expect(sum(faultFree.manifests.map((manifest) => manifest.rows_consumed_link_status))).toBeGreaterThan(0);
});

describe('Promise 1: transient faults change nothing', () => {
  const startScenarioHarness = useHarnesses();

  it.each(SCENARIOS)(
    '$name on link_intersect and link_status: same files, counts and rows consumed',
    async (scenario) => {
      const harness = await startScenarioHarness();
      harness.simulator.faults.set('link_intersect', scenario.spec);
      harness.simulator.faults.set('link_status', {
        ...scenario.spec,
        seed: (scenario.spec.seed ?? 1) + 100,
      });

      const faulty = await runMonths(harness);
      // Let abandoned slow requests finish, so everything the server will ever meter is counted.
      if (scenario.spec.slowRate) await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 100));

      // The faults really happened, and the client really retried.
      expect(harness.simulator.log.filter((entry) => entry.fault === scenario.fault).length).toBeGreaterThan(
        0,
      );
      expect(sum(faulty.manifests.map((manifest) => manifest.retries))).toBeGreaterThan(0);
      if (scenario.minSleepMs)
        expect(Math.max(...harness.sleeps)).toBeGreaterThanOrEqual(scenario.minSleepMs);

      // Snapshot files identical in content, manifests equal but for timing and HTTP effort.
      expect(faulty.lake).toEqual(faultFree.lake);
      expect(faulty.runs).toEqual(faultFree.runs);
      expect(faulty.manifests.map(counts)).toEqual(faultFree.manifests.map(counts));

      // Rows: the manifests report what the fault-free run consumed, no more; anything the server
      // metered beyond that is what the client reported as possibly metered on failures.
      const reported = sum(faulty.manifests.map((manifest) => manifest.rows_consumed));
      expect(reported).toBe(sum(faultFree.manifests.map((manifest) => manifest.rows_consumed)));
      const possiblyMetered = sum(
        faulty.manifests.map((manifest) => manifest.rows_possibly_metered_on_failures),
      );
      const extra = harness.simulator.stats().rowsConsumed - faultFree.simulatorRows;
      expect(extra).toBeGreaterThanOrEqual(0);
      expect(extra).toBeLessThanOrEqual(possiblyMetered);
      if (scenario.metersFailures) expect(possiblyMetered).toBeGreaterThan(0);
      else {
        expect(extra).toBe(0);
        expect(possiblyMetered).toBe(0);
      }
    },
  );
});
