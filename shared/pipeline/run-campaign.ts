import { comparableLedger, departedOpenSources } from '#domain/baseline.ts';
import { sumCosts } from '#domain/call-cost.ts';
import { type Campaign, CampaignValidationError, configHash } from '#domain/campaign.ts';
import { type DiffPlan, nextLedgerEntries, planDiff, sharedSourceCursor } from '#domain/diff.ts';
import { linkEvidence } from '#domain/evidence.ts';
import { sortedBySource } from '#domain/gap-columns.ts';
import type { Ledger, LedgerEntry } from '#domain/ledger.ts';
import { buildManifest } from '#domain/manifest.ts';
import type { RunManifest } from '#lake/schema.ts';
import { withFields } from '#shared/observability.ts';
import type { Log, RunRecord, RunSummary } from '#shared/ports.ts';
import { linkToChain, placeInChain } from './chain.ts';
import { clearStaging, loadVerifyBatches, type RunRef } from './checkpoints.ts';
import {
  fetchGapList,
  type GapList,
  type Paused,
  type PauseReason,
  type StopCheck,
} from './fetch-gap-list.ts';
import { loadRunReviews, promoteWonReviews } from './reviews.ts';
import type { RunDeps } from './run-deps.ts';
import { discardStaleSnapshot, removeSupersededRuns, runFileKeys, writeSnapshot } from './snapshot.ts';
import { parseStoredCampaign } from './stored-campaign.ts';

export { BackdatedRunError, ForceRejectedError } from './chain.ts';
export { createRunDeps, RUN_DEFAULTS, type RunDeps, type RunStep } from './run-deps.ts';
export { LakeConflictError } from './snapshot.ts';

export interface RunRequest {
  campaignId: string;
  runDate: string;
  /** Replace the committed run of this date (only the latest date can be replaced). */
  force?: boolean;
  /** Epoch ms by which this invocation must have handed over (a Lambda's remaining time). */
  deadline?: number;
  /** Aborted by ctrl-C / SIGTERM: the run stops at the next safe point, saved and resumable. */
  signal?: AbortSignal;
}

export type RunOutcome =
  | {
      outcome: 'committed';
      runDate: string;
      manifest: RunManifest;
      manifestKey: string;
      /** Rows Moz returned outside the lake contract, dropped at the boundary (not in the manifest). */
      droppedRows: number;
      /** Digest channels whose delivery failed after its retries (each is tried again by a later run). */
      undeliveredDigests: string[];
    }
  | { outcome: 'already-done'; runDate: string; runId: string }
  /** Another worker holds the claim of `runDate` (this date, or an earlier one that must finish first). */
  | { outcome: 'busy'; runDate: string; runId: string; holder: RunRecord }
  /** Stopped at a safe point (`deadline`: hand over to the next delivery; `interrupted`: a signal). */
  | {
      outcome: 'paused';
      reason: PauseReason;
      runDate: string;
      runId: string;
      pages: number;
      rowsConsumed: number;
    };

export class CampaignNotFoundError extends Error {
  override name = 'CampaignNotFoundError';
}

/** Raised for a failed run after its record says FAILED; the queue redelivers, then dead-letters. */
export class RunFailedError extends Error {
  override name = 'RunFailedError';
  constructor(
    readonly campaignId: string,
    readonly runDate: string,
    readonly kind: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Earlier unfinished runs caught up on the way to one date, at most (each is a committed month). */
const MAX_CATCH_UP = 24;

/**
 * Runs one campaign for one scheduled date (DESIGN.md section 1): claim → fetch the gap list → diff →
 * verify departures → write the snapshot → commit. Safe to call again at any point: a crash resumes
 * from the checkpoints, and a committed run is a no-op unless forced. Runs commit in date order: an
 * earlier run that started and has not committed is finished first, a back-dated request is refused.
 */
export async function runCampaign(request: RunRequest, deps: RunDeps): Promise<RunOutcome> {
  const raw = await deps.campaigns.get(request.campaignId);
  if (raw === undefined) throw new CampaignNotFoundError(`campaign "${request.campaignId}" does not exist`);
  return runInChain(request, raw, deps);
}

/** runCampaign with the campaign read: the earlier runs it catches up on use the same read. */
async function runInChain(request: RunRequest, raw: unknown, deps: RunDeps): Promise<RunOutcome> {
  for (let caughtUp = 0; ; caughtUp++) {
    const place = await placeInChain(deps.runs, request);
    if (place.place === 'done') {
      if (place.latest?.runId === place.record.runId)
        await removeSupersededRuns(deps.lake, refOf(place.record));
      // A runner that died after its commit publishes on the next delivery; a SENT marker stops a second digest.
      await publish(refOf(place.record), deps);
      return { outcome: 'already-done', runDate: request.runDate, runId: place.record.runId };
    }
    if (place.place === 'next') break;
    if (caughtUp >= MAX_CATCH_UP)
      throw new Error(`more than ${MAX_CATCH_UP} unfinished runs before ${request.runDate}`);
    const earlier = await catchUp(request, place.runDate, raw, deps);
    if (earlier.outcome !== 'committed' && earlier.outcome !== 'already-done') return earlier;
  }
  return claimAndRun(request, raw, deps);
}

/** Finishes an earlier unfinished run first; its failure fails (holds back) this one too. */
async function catchUp(
  request: RunRequest,
  runDate: string,
  raw: unknown,
  deps: RunDeps,
): Promise<RunOutcome> {
  deps.log.info('finishing an earlier run first', { campaignId: request.campaignId, runDate });
  try {
    return await runInChain({ ...request, runDate, force: false }, raw, deps);
  } catch (error) {
    if (!(error instanceof RunFailedError)) throw error;
    throw new RunFailedError(
      request.campaignId,
      request.runDate,
      error.kind,
      `held back: the earlier run of ${runDate} must commit first, and it failed: ${error.message}`,
      { cause: error },
    );
  }
}

async function claimAndRun(request: RunRequest, raw: unknown, deps: RunDeps): Promise<RunOutcome> {
  let campaign: Campaign | undefined;
  let invalid: Error | undefined;
  try {
    campaign = parseStoredCampaign(request.campaignId, raw);
  } catch (error) {
    if (!(error instanceof CampaignValidationError)) throw error;
    invalid = error;
  }
  const claim = await deps.runs.claim({
    campaignId: request.campaignId,
    runDate: request.runDate,
    runId: deps.newRunId(request.runDate),
    configHash: campaign ? configHash(campaign) : 'invalid',
    now: deps.clock(),
    leaseMs: deps.settings.leaseMs,
    force: request.force,
    owner: deps.owner,
  });
  if (claim.outcome === 'done') {
    await publish(refOf(claim.record), deps);
    return { outcome: 'already-done', runDate: request.runDate, runId: claim.record.runId };
  }
  if (claim.outcome === 'busy') {
    return { outcome: 'busy', runDate: request.runDate, runId: claim.record.runId, holder: claim.record };
  }
  const record = claim.record;
  await deps.afterStep?.('claimed');
  const log = withFields(deps.log, {
    campaignId: record.campaignId,
    runId: record.runId,
    runDate: record.runDate,
  });
  try {
    if (!campaign) throw invalid ?? new Error('campaign is invalid');
    deps.onClaimed?.(record);
    log.info(claim.resumed ? 'run resumed' : 'run started', { attempt: record.attempt });
    const outcome = await execute(campaign, record, request, deps, log);
    if (outcome.outcome === 'paused') {
      await deps.runs.release(record, deps.clock());
      log.info('run paused at a safe point', { reason: outcome.reason, pages: outcome.pages });
    }
    return outcome;
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    await deps.runs
      .fail(record, { kind: failure.name, message: failure.message }, deps.clock())
      .catch((recordError) => log.error('could not record the failure', { error: recordError }));
    log.error('run failed', { error: failure });
    throw new RunFailedError(record.campaignId, record.runDate, failure.name, failure.message, {
      cause: failure,
    });
  }
}

/** The stages, in DESIGN's order; each takes only the ports it needs. */
async function execute(
  campaign: Campaign,
  record: RunRecord,
  request: RunRequest,
  deps: RunDeps,
  log: Log,
): Promise<RunOutcome> {
  const run = refOf(record);
  const stop = stopCheck(request, deps);
  const reviews = await loadRunReviews(deps, run);
  const moz = { lake: deps.lake, moz: deps.moz, log, afterStep: deps.afterStep, progress: deps.progress };
  const fetchOptions = {
    pageSize: deps.settings.pageSize,
    deadline: request.deadline,
    signal: request.signal,
    stop,
    excluded: reviews.excluded,
  };
  const gapList = await fetchGapList(moz, run, campaign, fetchOptions);
  if ('paused' in gapList) return paused(run, gapList, gapList.pages);
  await deps.afterStep?.('intersect-done');
  const diffed = await diffAgainstChain({ campaign, record, request, deps, log, reviews, gapList, stop });
  if ('paused' in diffed) return paused(run, diffed, gapList.pages);
  const { plan: diff, link } = diffed;
  await deps.afterStep?.('diffed');
  const manifest = buildManifest({
    run: { ...run, configHash: record.configHash, startedAt: record.startedAt },
    previousRunId: diffed.previousRunId,
    diff,
    pages: gapList.pages,
    intersectCost: gapList.cost,
    linkStatusCost: diffed.linkStatusCost,
    truncated: diffed.budgetStopped,
    maxRowsPerRun: campaign.maxRowsPerRun,
    finishedAt: deps.clock().toISOString(),
    ...deps.provenance,
  });
  if (await discardStaleSnapshot(deps.lake, run, manifest.previous_run_id)) {
    log.warn('removed files an earlier attempt wrote against another baseline');
  }
  const written = await writeSnapshot(deps, run, diff, manifest);
  const won = await promoteWonReviews(
    { ...deps, log },
    { ...run, startedAt: record.startedAt },
    reviews,
    closedLedger(diff, record.configHash),
  );
  if (won.promoted.length + won.skipped.length > 0) log.info('reviews promoted to won', { ...won });
  return commit(record, { manifest: written, droppedRows: gapList.droppedRows }, link, deps, log);
}

/**
 * The predecessor's ledger → the comparable baseline → departures verified → the diff plan. The
 * previous ledger lives only inside this step: the plan keeps what writing the run reads of it
 * (planDiff), so at 1M prospects ≈ 90 MB are freed before the files are written (bench/README.md 3d).
 */
async function diffAgainstChain(stage: {
  campaign: Campaign;
  record: RunRecord;
  request: RunRequest;
  deps: RunDeps;
  log: Log;
  reviews: Awaited<ReturnType<typeof loadRunReviews>>;
  gapList: GapList;
  stop: StopCheck;
}) {
  const { campaign, record, request, deps, log, reviews, gapList, stop } = stage;
  const run = refOf(record);
  const current = gapList.current;
  const bySource = sortedBySource(current);
  const shared = sharedSourceCursor(current, bySource);
  const { ledger, ...link } = await linkToChain(deps.runs, deps.lake, record, log, shared);
  const previous = comparableLedger(ledger, {
    configHash: record.configHash,
    ignore: campaign.ignore,
    excluded: reviews.excluded,
  });
  const batches = await loadVerifyBatches(deps.lake, run);
  const departed = campaign.verifyDepartures ? departedOpenSources(previous, current, bySource) : [];
  let budgetStopped = gapList.truncated;
  if (departed.length > 0) {
    const options = { spent: gapList.cost, deadline: request.deadline, signal: request.signal, stop };
    const moz = { lake: deps.lake, moz: deps.moz, log, afterStep: deps.afterStep, progress: deps.progress };
    // Only campaigns that verify departures, and only runs where sources departed, load this.
    const { verifyDepartures } = await import('./verify.ts');
    const verified = await verifyDepartures(moz, run, campaign, departed, batches, options);
    if (typeof verified === 'object' && 'paused' in verified) return verified;
    if (typeof verified === 'object') {
      log.warn('verification failed after the client retries: departures not checked stay unverified', {
        failed: verified.failed,
        error: verified.error,
      });
    }
    // The budget ran out before every departure was checked: the run is not complete.
    if (verified === 'over-budget') budgetStopped = true;
  }
  await deps.afterStep?.('verified');
  const plan = planDiff({
    campaign,
    runId: run.runId,
    runDate: run.runDate,
    previous,
    current,
    bySource,
    truncated: gapList.truncated,
    verification: linkEvidence(
      batches,
      campaign.site.map((site) => site.target),
    ),
    reviews,
  });
  const linkStatusCost = sumCosts(batches.map((batch) => batch.cost));
  return { plan, link, linkStatusCost, budgetStopped, previousRunId: previous?.runId ?? null };
}

/** The next ledger's closed entries: all that won promotions read (wonPromotions), one entry at a time. */
function closedLedger(plan: DiffPlan, configHash: string): Ledger {
  const entries: LedgerEntry[] = [];
  for (const entry of nextLedgerEntries(plan)) if (entry.status === 'closed') entries.push(entry);
  return { configHash, runId: plan.input.runId, runDate: plan.input.runDate, entries };
}

/** The commit: the run record says SUCCEEDED and the latest pointer moves, atomically, in date order. */
async function commit(
  record: RunRecord,
  written: { manifest: RunManifest; droppedRows: number },
  chain: { expectedLatestRunId: string | null; predecessorRunId: string | null },
  deps: RunDeps,
  log: Log,
): Promise<RunOutcome> {
  const { manifest, droppedRows } = written;
  const run = refOf(record);
  const keys = runFileKeys(run);
  await deps.afterStep?.('before-commit');
  await deps.runs.commit({
    record,
    summary: { ...summaryOf(manifest, keys.manifest), droppedRows },
    pointer: {
      ...run,
      configHash: record.configHash,
      manifestKey: keys.manifest,
      ledgerKey: keys.ledger,
      previousRunId: chain.predecessorRunId,
    },
    expectedLatestRunId: chain.expectedLatestRunId,
    now: deps.clock(),
  });
  await deps.afterStep?.('committed');
  await clearStaging(deps.lake, run).catch((error) =>
    log.warn('could not clear staging (lifecycle expires it)', { error }),
  );
  const superseded = await removeSupersededRuns(deps.lake, run).catch((error) => {
    log.warn('could not remove the files of the run this one replaced (the next run will)', { error });
    return [];
  });
  if (superseded.length > 0) log.info('replaced an earlier run of this date', { removed: superseded.length });
  recordMetrics(deps, manifest, record);
  deps.progress?.({ kind: 'done', campaignId: run.campaignId, runDate: run.runDate });
  log.info('run committed', {
    gapSize: manifest.gap_size,
    new: manifest.new_count,
    closed: manifest.closed_count,
    lost: manifest.lost_count,
    unverified: manifest.unverified_count,
    rowsConsumed: manifest.rows_consumed,
    truncated: manifest.truncated,
    droppedRows,
  });
  if (droppedRows > 0) {
    log.warn('rows dropped: Moz returned rows outside the lake contract (each page logged why)', {
      droppedRows,
    });
  }
  const undeliveredDigests = await publish(run, deps);
  return {
    outcome: 'committed',
    runDate: run.runDate,
    manifest,
    manifestKey: keys.manifest,
    droppedRows,
    undeliveredDigests,
  };
}

/**
 * Delivery after the commit: never fails or repeats the run (publish.ts). Returns the digest
 * channels that failed, so a person at a terminal hears of it without --verbose.
 */
async function publish(run: RunRef, deps: RunDeps): Promise<string[]> {
  const ports = deps.publish;
  if (!ports) return [];
  const log = withFields(deps.log, { ...run });
  // The report renderer, the digest and the Parquet reader load after a commit, not at every cold start.
  return import('./publish.ts')
    .then(({ publishRun }) => publishRun(run, { ...deps, log }, ports))
    .then(({ digests }) => Object.keys(digests).filter((channel) => digests[channel] === 'failed'))
    .catch((error) => {
      log.error('publishing failed', { error: error instanceof Error ? error.message : String(error) });
      return [];
    });
}

const refOf = (record: RunRecord): RunRef => ({
  campaignId: record.campaignId,
  runDate: record.runDate,
  runId: record.runId,
});

function stopCheck(request: RunRequest, deps: RunDeps): StopCheck {
  return () => {
    if (request.signal?.aborted) return 'interrupted';
    if (request.deadline === undefined) return undefined;
    return request.deadline - deps.clock().getTime() < deps.settings.minTimeLeftMs ? 'deadline' : undefined;
  };
}

/** What a paused run has saved so far, for the hand-over message (the stages counted it as they went). */
function paused(run: RunRef, stop: Paused, pages: number): RunOutcome {
  return {
    outcome: 'paused',
    reason: stop.paused,
    runDate: run.runDate,
    runId: run.runId,
    pages,
    rowsConsumed: stop.spent.rowsConsumed,
  };
}

const summaryOf = (manifest: RunManifest, manifestKey: string): RunSummary => ({
  manifestKey,
  truncated: manifest.truncated,
  gapSize: manifest.gap_size,
  newCount: manifest.new_count,
  closedCount: manifest.closed_count,
  lostCount: manifest.lost_count,
  rowsConsumed: manifest.rows_consumed,
});

function recordMetrics(deps: RunDeps, manifest: RunManifest, record: RunRecord): void {
  if (!deps.metrics) return;
  deps.metrics.count('RowsConsumed', manifest.rows_consumed);
  deps.metrics.count('ProspectsNew', manifest.new_count);
  deps.metrics.count('ProspectsClosed', manifest.closed_count);
  deps.metrics.count('ProspectsLost', manifest.lost_count);
  deps.metrics.count('GapSize', manifest.gap_size);
  const duration = Math.max(0, deps.clock().getTime() - new Date(record.startedAt).getTime());
  deps.metrics.count('RunDuration', duration, 'Milliseconds');
}
