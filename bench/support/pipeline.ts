/** Shared wiring for benchmarks that drive runCampaign against the in-process Moz simulator. */
import { createMozClient, type MozClient } from '#moz/client.ts';
import type { RateGate } from '#moz/rate-gate.ts';
import {
  createRunDeps,
  type RunDeps,
  RunFailedError,
  type RunOutcome,
  runCampaign,
} from '#pipeline/run-campaign.ts';
import { silentLog } from '#shared/observability.ts';
import type { CampaignStore, ObjectStore, RunStore } from '#shared/ports.ts';

export const SIM_TOKEN = 'bench-token';

export function benchMozClient(
  baseUrl: string,
  options: { rateGate?: RateGate; baseDelayMs?: number; maxAttempts?: number } = {},
): MozClient {
  return createMozClient({
    baseUrl,
    credentials: async () => ({ kind: 'token', token: SIM_TOKEN }),
    rateGate: options.rateGate,
    // A tiny backoff: the benchmark measures rows and requests, not how long a real backoff sleeps.
    baseDelayMs: options.baseDelayMs ?? 1,
    maxDelayMs: 20,
    maxAttempts: options.maxAttempts ?? 8,
    timeoutMs: 10_000,
  });
}

let runCounter = 0;

export function benchRunDeps(parts: {
  campaigns: CampaignStore;
  runs: RunStore;
  lake: ObjectStore;
  moz: RunDeps['moz'];
}): RunDeps {
  return createRunDeps({
    ...parts,
    newRunId: () => `bench-${process.pid}-${++runCounter}`,
    log: silentLog,
    provenance: { softwareVersion: 'bench', mozBaseUrl: 'bench' },
  });
}

/**
 * runCampaign as the queue would drive it: a failed run is delivered again (it resumes from its
 * checkpoints), up to `maxDeliveries` times.
 */
export async function runToCommit(
  request: { campaignId: string; runDate: string },
  deps: RunDeps,
  maxDeliveries = 10,
): Promise<{ outcome: Extract<RunOutcome, { outcome: 'committed' }>; deliveries: number }> {
  for (let delivery = 1; delivery <= maxDeliveries; delivery++) {
    try {
      const outcome = await runCampaign(request, deps);
      if (outcome.outcome === 'committed') return { outcome, deliveries: delivery };
      if (outcome.outcome !== 'paused') throw new Error(`unexpected outcome ${outcome.outcome}`);
    } catch (error) {
      if (!(error instanceof RunFailedError) || delivery === maxDeliveries) throw error;
    }
  }
  throw new Error(`run ${request.campaignId} ${request.runDate} did not commit`);
}
