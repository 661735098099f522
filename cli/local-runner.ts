import { thisProcess } from '#adapters/local/file-stores.ts';
import { localPublishPorts } from '#adapters/local/local-publish.ts';
import type { Digest } from '#domain/digest.ts';
import type { ProgressSink } from '#pipeline/progress.ts';
import {
  BackdatedRunError,
  createRunDeps,
  ForceRejectedError,
  type RunDeps,
  RunFailedError,
  type RunOutcome,
  runCampaign,
} from '#pipeline/run-campaign.ts';
import type { Log, RunMessage, RunRecord } from '#shared/ports.ts';
import { INTERRUPTED_EXIT_CODE } from './interrupts.ts';
import type { LocalContext } from './local-context.ts';

export interface LocalRunResult {
  message: RunMessage;
  outcome:
    | RunOutcome
    | { outcome: 'failed'; kind: string; message: string }
    /** Refused before any Moz call: a back-dated date, or a --force that cannot replace. */
    | { outcome: 'refused'; message: string };
}

/**
 * The local composition of a run: the embedded stores, this process as the claims' owner. With
 * `onDigest`, each committed run writes its report into the local lake and hands its digest over.
 */
function localRunDeps(
  context: LocalContext,
  log: Log,
  onDigest?: (digest: Digest) => void,
  env: Record<string, string | undefined> = {},
): RunDeps {
  const publish = onDigest
    ? localPublishPorts({ home: context.home, lakeRoot: context.lakeRoot, env, onDigest })
    : undefined;
  return createRunDeps({
    ...(publish ? { publish } : {}),
    campaigns: context.campaigns,
    runs: context.runs,
    reviews: context.reviews,
    lake: context.lake,
    moz: context.moz,
    log,
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
  options: {
    force?: boolean;
    log: Log;
    signal?: AbortSignal;
    /** Publish each committed run (report into the lake, digest to this callback; see localRunDeps). */
    onDigest?: (digest: Digest) => void;
    env?: Record<string, string | undefined>;
    progress?: ProgressSink;
  },
): Promise<LocalRunResult[]> {
  const deps = {
    ...localRunDeps(context, options.log, options.onDigest, options.env),
    ...(options.progress ? { progress: options.progress } : {}),
  };
  const results: LocalRunResult[] = [];
  for (const message of messages) {
    if (options.signal?.aborted) break;
    try {
      const outcome = await runCampaign({ ...message, force: options.force, signal: options.signal }, deps);
      results.push({ message, outcome });
    } catch (error) {
      if (error instanceof BackdatedRunError || error instanceof ForceRejectedError) {
        results.push({ message, outcome: { outcome: 'refused', message: error.message } });
        continue;
      }
      if (!(error instanceof RunFailedError)) throw error;
      results.push({ message, outcome: { outcome: 'failed', kind: error.kind, message: error.message } });
    }
  }
  return results;
}

/** "pid 4242 on laptop until 2026-03-01 06:15 UTC": who holds a claim, for people. */
export function holderOf(record: RunRecord): string {
  const who = record.owner ? `pid ${record.owner.pid} on ${record.owner.host}` : 'another worker';
  return `${who} until ${new Date(record.leaseUntil).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const FINISHED_BEFORE_INTERRUPT = 'interrupted after every run had finished; nothing needs resuming';

/**
 * A line for each committed run whose digest a channel (the webhook) could not take after its
 * retries: without --verbose the failure would otherwise be silent, and a mistyped URL never noticed.
 */
export function undeliveredDigestLines(results: readonly LocalRunResult[]): string[] {
  return results.flatMap(({ message, outcome }) =>
    outcome.outcome === 'committed' && outcome.undeliveredDigests.length > 0
      ? [
          `${message.campaignId} ${message.runDate}: the digest could not be delivered to ` +
            `${outcome.undeliveredDigests.join(', ')} (the next run tries again; run --verbose says why)`,
        ]
      : [],
  );
}

/**
 * The one line a run that did not finish ends with, and its exit code; undefined when all is done.
 * `expected` is how many runs were asked for (after a signal the rest are not started). A signal that
 * came after every run had finished (committed, failed, busy) paused nothing: the line says nothing
 * needs resuming and the exit code is what the results warrant (0, with that line as a note, when all
 * committed). 130 is kept for a run that was paused or not started.
 */
export function unfinishedLine(
  results: readonly LocalRunResult[],
  { interrupted, expected }: { interrupted: boolean; expected: number },
): { line: string; exitCode: number } | undefined {
  const paused = results.find((result) => result.outcome.outcome === 'paused');
  const notStarted = expected - results.length;
  if (interrupted && (paused !== undefined || notStarted > 0)) {
    const saved =
      paused?.outcome.outcome === 'paused'
        ? `saved ${paused.outcome.pages} page(s) (${paused.outcome.rowsConsumed} Moz rows) of ${paused.message.campaignId} ${paused.outcome.runDate}`
        : `${notStarted} run(s) not started`;
    return {
      line: `interrupted: ${saved}; run the same command again to resume`,
      exitCode: INTERRUPTED_EXIT_CODE,
    };
  }
  const problem = resultProblem(results);
  if (!interrupted) return problem;
  if (problem === undefined) return { line: FINISHED_BEFORE_INTERRUPT, exitCode: 0 };
  return { line: `${problem.line} (${FINISHED_BEFORE_INTERRUPT})`, exitCode: problem.exitCode };
}

/** A busy claim, or runs that failed or were refused, as one line and exit code 1. */
function resultProblem(results: readonly LocalRunResult[]): { line: string; exitCode: number } | undefined {
  const busy = results.find((result) => result.outcome.outcome === 'busy');
  if (busy?.outcome.outcome === 'busy') {
    const { runDate, holder } = busy.outcome;
    return {
      line: `${busy.message.campaignId} ${runDate} is being run by ${holderOf(holder)}; try again when it is done`,
      exitCode: 1,
    };
  }
  const failed = results.filter((result) => ['failed', 'refused'].includes(result.outcome.outcome)).length;
  if (failed > 0) return { line: `${failed} campaign run(s) failed or were refused`, exitCode: 1 };
  return undefined;
}
