import { type RunDeps, RunFailedError, type RunOutcome, runCampaign } from '#pipeline/run-campaign.ts';
import type { Log, Metrics, RunMessage } from '#shared/ports.ts';
import { newRunId } from '#shared/run-id.ts';
import type { LocalContext } from './local-context.ts';

export interface LocalRunResult {
  message: RunMessage;
  outcome: RunOutcome | { outcome: 'failed'; kind: string; message: string };
}

export function localRunDeps(context: LocalContext, log: Log, metrics?: Metrics): RunDeps {
  return {
    campaigns: context.campaigns,
    runs: context.runs,
    lake: context.lake,
    moz: context.moz,
    clock: () => new Date(),
    newRunId: () => newRunId(),
    log,
    metrics,
    leaseMs: 15 * 60_000,
    softwareVersion: context.softwareVersion,
    mozBaseUrl: context.mozBaseUrl,
  };
}

/**
 * Runs queued (campaign, run_date) messages one after another in this process. With the embedded
 * simulator, its month follows each run date, so replayed months see that month's link graph.
 * A failed run is reported and the others still run.
 */
export async function runLocally(
  context: LocalContext,
  messages: readonly RunMessage[],
  options: { force?: boolean; log: Log; metrics?: Metrics },
): Promise<LocalRunResult[]> {
  const deps = localRunDeps(context, options.log, options.metrics);
  const results: LocalRunResult[] = [];
  for (const message of messages) {
    context.simulator?.setMonth(message.runDate.slice(0, 7));
    try {
      const outcome = await runCampaign({ ...message, force: options.force }, deps);
      results.push({ message, outcome });
    } catch (error) {
      if (!(error instanceof RunFailedError)) throw error;
      results.push({ message, outcome: { outcome: 'failed', kind: error.kind, message: error.message } });
    }
  }
  return results;
}
