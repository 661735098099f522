import { thisProcess } from '#adapters/local/file-stores.ts';
import {
  createRunDeps,
  type RunDeps,
  RunFailedError,
  type RunOutcome,
  runCampaign,
} from '#pipeline/run-campaign.ts';
import type { Log, Metrics, RunMessage } from '#shared/ports.ts';
import type { LocalContext } from './local-context.ts';

export interface LocalRunResult {
  message: RunMessage;
  outcome: RunOutcome | { outcome: 'failed'; kind: string; message: string };
}

/** The local composition of a run: the embedded stores, this process as the claims' owner. */
export function localRunDeps(context: LocalContext, log: Log, metrics?: Metrics): RunDeps {
  return createRunDeps({
    campaigns: context.campaigns,
    runs: context.runs,
    lake: context.lake,
    moz: context.moz,
    log,
    metrics,
    provenance: { softwareVersion: context.softwareVersion, mozBaseUrl: context.mozBaseUrl },
    owner: thisProcess(),
    // The embedded simulator's link graph follows the month being run (replays see that month).
    onClaimed: (record) => context.simulator?.setMonth(record.runDate.slice(0, 7)),
  });
}

/**
 * Runs queued (campaign, run_date) messages one after another in this process. A failed run is
 * reported and the others still run; after a signal, the run in progress stops at its next safe
 * point and the rest are not started.
 */
export async function runLocally(
  context: LocalContext,
  messages: readonly RunMessage[],
  options: { force?: boolean; log: Log; metrics?: Metrics; signal?: AbortSignal },
): Promise<LocalRunResult[]> {
  const deps = localRunDeps(context, options.log, options.metrics);
  const results: LocalRunResult[] = [];
  for (const message of messages) {
    if (options.signal?.aborted) break;
    try {
      const outcome = await runCampaign({ ...message, force: options.force, signal: options.signal }, deps);
      results.push({ message, outcome });
    } catch (error) {
      if (!(error instanceof RunFailedError)) throw error;
      results.push({ message, outcome: { outcome: 'failed', kind: error.kind, message: error.message } });
    }
  }
  return results;
}
