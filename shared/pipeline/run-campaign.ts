import { intersectPageLimit } from '#domain/budget.ts';
import { type Campaign, CampaignValidationError, configHash } from '#domain/campaign.ts';
import { departedSources, diffRun } from '#domain/diff.ts';
import { type Ledger, LedgerSchema } from '#domain/ledger.ts';
import { toCurrentProspects } from '#domain/prospects.ts';
import { decodeGzipJson, encodeGzipJson } from '#lake/json.ts';
import { changesKey, ledgerKey, manifestKey, prospectsKey } from '#lake/keys.ts';
import { encodeParquet } from '#lake/parquet.ts';
import type { RunManifest } from '#lake/schema.ts';
import type { MozClient } from '#moz/client.ts';
import { withFields } from '#shared/observability.ts';
import type {
  CampaignStore,
  Clock,
  LatestPointer,
  Log,
  Metrics,
  ObjectStore,
  RunRecord,
  RunStore,
  RunSummary,
} from '#shared/ports.ts';
import {
  clearStaging,
  costSince,
  loadPages,
  loadVerifyBatches,
  type PageCheckpoint,
  type RunRef,
  savePage,
  sumCosts,
} from './checkpoints.ts';
import { intersectQueryOf } from './intersect-query.ts';
import {
  buildManifest,
  LakeConflictError,
  removeSupersededRuns,
  writeManifest,
  writeOnce,
} from './snapshot.ts';
import { parseStoredCampaign } from './stored-campaign.ts';
import { evidence, verifyDepartures } from './verify.ts';

export { LakeConflictError } from './snapshot.ts';

/** Points where a run can be interrupted; tests throw from `afterStep` to prove a crash there loses nothing. */
export type RunStep =
  | 'claimed'
  | 'page'
  | 'intersect-done'
  | 'verify-batch'
  | 'verified'
  | 'diffed'
  | 'file-written'
  | 'manifest-written'
  | 'before-commit'
  | 'committed';

export interface RunDeps {
  campaigns: CampaignStore;
  runs: RunStore;
  lake: ObjectStore;
  moz: Pick<MozClient, 'intersectPage' | 'linkStatus' | 'stats'>;
  clock: Clock;
  newRunId: () => string;
  log: Log;
  metrics?: Metrics;
  /** How long a claim is exclusive; a crashed worker's run can be taken over after it. */
  leaseMs: number;
  /** Stop and hand over when less than this is left before the deadline. @default 60_000 */
  minTimeLeftMs?: number;
  softwareVersion: string;
  mozBaseUrl: string;
  afterStep?: (step: RunStep, detail?: string) => Promise<void> | void;
}

export interface RunRequest {
  campaignId: string;
  runDate: string;
  /** Run again even if this (campaign, run_date) already SUCCEEDED. */
  force?: boolean;
  /** Epoch ms by which this invocation must have handed over (a Lambda's remaining time). */
  deadline?: number;
}

export type RunOutcome =
  | { outcome: 'committed'; manifest: RunManifest; manifestKey: string }
  | { outcome: 'already-done'; runId: string }
  | { outcome: 'busy'; runId: string }
  | { outcome: 'continued'; runId: string; pages: number; rowsConsumed: number };

export class CampaignNotFoundError extends Error {
  override name = 'CampaignNotFoundError';
}

export class ForceRejectedError extends Error {
  override name = 'ForceRejectedError';
}

/** Raised for a failed run after its record says FAILED; `retryable` tells a queue whether another delivery can help. */
export class RunFailedError extends Error {
  override name = 'RunFailedError';
  constructor(
    readonly campaignId: string,
    readonly runDate: string,
    readonly kind: string,
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const INTERSECT_PAGE_SIZE = 50;

/**
 * Runs one campaign for one scheduled date: fetch (checkpointing every page) → diff against the
 * previous committed run with the same config hash → verify departures with link_status →
 * write prospects, changes, ledger and finally the manifest → commit. Safe to call again at any
 * point: a crash resumes from the checkpoints, and a committed run is a no-op unless forced. A forced
 * run replaces the committed run of its date (only the latest date can be forced).
 */
export async function runCampaign(request: RunRequest, deps: RunDeps): Promise<RunOutcome> {
  const raw = await deps.campaigns.get(request.campaignId);
  if (raw === undefined) throw new CampaignNotFoundError(`campaign "${request.campaignId}" does not exist`);

  let campaign: Campaign | undefined;
  let invalid: CampaignValidationError | undefined;
  try {
    campaign = parseStoredCampaign(request.campaignId, raw);
  } catch (error) {
    if (!(error instanceof CampaignValidationError)) throw error;
    invalid = error;
  }
  const hash = campaign ? configHash(campaign) : 'invalid';
  if (request.force) {
    // Replacing a run that a later run was diffed against would rewrite history under it.
    const latest = await deps.runs.latest(request.campaignId);
    if (latest && latest.runDate > request.runDate) {
      throw new ForceRejectedError(
        `cannot force ${request.campaignId} ${request.runDate}: the run of ${latest.runDate} was diffed against it; only the latest run date can be replaced`,
      );
    }
  }
  const claim = await deps.runs.claim({
    campaignId: request.campaignId,
    runDate: request.runDate,
    runId: deps.newRunId(),
    configHash: hash,
    now: deps.clock(),
    leaseMs: deps.leaseMs,
    force: request.force,
  });
  if (claim.outcome === 'done') return { outcome: 'already-done', runId: claim.record.runId };
  if (claim.outcome === 'busy') return { outcome: 'busy', runId: claim.record.runId };

  const record = claim.record;
  const log = withFields(deps.log, {
    campaignId: record.campaignId,
    runId: record.runId,
    runDate: record.runDate,
  });
  if (!campaign || invalid) {
    const failure = invalid ?? new Error('campaign is invalid');
    await deps.runs.fail(record, { kind: failure.name, message: failure.message }, deps.clock());
    log.error('campaign config is invalid; run failed', { error: failure.message });
    throw new RunFailedError(record.campaignId, record.runDate, failure.name, false, failure.message, {
      cause: failure,
    });
  }

  log.info(claim.resumed ? 'run resumed' : 'run started', { attempt: record.attempt });
  await deps.afterStep?.('claimed');
  try {
    const outcome = await execute(campaign, record, request, deps, log);
    if (outcome.outcome === 'continued') {
      await deps.runs.release(record, deps.clock());
      log.info('run handed over before the deadline', {
        pages: outcome.pages,
        rowsConsumed: outcome.rowsConsumed,
      });
    }
    return outcome;
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    await deps.runs
      .fail(record, { kind: failure.name, message: failure.message }, deps.clock())
      .catch((recordError) => {
        log.error('could not record the failure', { error: recordError });
      });
    log.error('run failed', { error: failure });
    throw new RunFailedError(
      record.campaignId,
      record.runDate,
      failure.name,
      isRetryable(failure),
      failure.message,
      {
        cause: failure,
      },
    );
  }
}

async function execute(
  campaign: Campaign,
  record: RunRecord,
  request: RunRequest,
  deps: RunDeps,
  log: Log,
): Promise<RunOutcome> {
  const run: RunRef = { campaignId: record.campaignId, runDate: record.runDate, runId: record.runId };
  const outOfTime = () =>
    request.deadline !== undefined &&
    request.deadline - deps.clock().getTime() < (deps.minTimeLeftMs ?? 60_000);

  // 1. Fetch the gap list, page by page, resuming from checkpoints.
  const pages = await loadPages(deps.lake, run);
  const query = intersectQueryOf(campaign);
  let nextToken = pages.at(-1)?.nextToken ?? null;
  let finished = pages.length > 0 && nextToken === null;
  let gapListTruncated = false;
  // A running total: re-adding every page's cost before each page would be quadratic in pages.
  let spent = sumCosts(pages.map((page) => page.cost)).rowsConsumed;
  while (!finished) {
    const limit = intersectPageLimit(campaign.maxRowsPerRun - spent, INTERSECT_PAGE_SIZE);
    if (limit === 0) {
      gapListTruncated = true;
      break;
    }
    if (outOfTime()) return continued(run, pages);
    const before = deps.moz.stats();
    const result = await deps.moz.intersectPage(query, { limit, nextToken });
    const page: PageCheckpoint = {
      page: pages.length + 1,
      requestToken: nextToken,
      limit,
      rows: result.rows,
      nextToken: result.nextToken,
      cost: costSince(before, deps.moz.stats(), result.rowsConsumed),
    };
    await savePage(deps.lake, run, page);
    pages.push(page);
    spent += page.cost.rowsConsumed;
    log.debug('page fetched', { page: page.page, rows: page.rows.length });
    await deps.afterStep?.('page', String(page.page));
    nextToken = result.nextToken;
    finished = nextToken === null;
  }
  await deps.afterStep?.('intersect-done');

  const current = toCurrentProspects(
    pages.flatMap((page) => page.rows),
    campaign,
  );

  // 2. The previous committed run of the same config is the baseline to diff against.
  const previous = await previousLedger(campaign, run, deps, log);
  const comparable = previous && previous.configHash === record.configHash ? previous : undefined;

  // 3. Verify departed prospects: closed needs link_status evidence.
  let budgetStopped = gapListTruncated;
  const verifyBatches = await loadVerifyBatches(deps.lake, run);
  const departed = departedSources(comparable, current);
  if (campaign.verifyDepartures && departed.length > 0) {
    const verified = await verifyDepartures(campaign, run, departed, verifyBatches, spent, deps, outOfTime);
    if (verified === 'out-of-time') return continued(run, pages);
    // The budget ran out before every departure was checked: the run is not complete.
    if (verified === 'over-budget') budgetStopped = true;
  }
  const verification = evidence(
    verifyBatches,
    campaign.site.map((site) => site.target),
  );
  await deps.afterStep?.('verified');

  const diff = diffRun({
    campaign,
    runId: run.runId,
    runDate: run.runDate,
    configHash: record.configHash,
    previous: comparable,
    current,
    truncated: gapListTruncated,
    verification,
  });
  await deps.afterStep?.('diffed');

  // 4. Files, each write-once; the manifest goes last and is the commit marker for readers.
  await writeOnce(
    deps,
    prospectsKey(run.campaignId, run.runDate, run.runId),
    encodeParquet('prospects', diff.prospects),
  );
  await deps.afterStep?.('file-written', 'prospects');
  await writeOnce(
    deps,
    changesKey(run.campaignId, run.runDate, run.runId),
    encodeParquet('changes', diff.changes),
  );
  await deps.afterStep?.('file-written', 'changes');
  const ledgerObjectKey = ledgerKey(run.campaignId, run.runId);
  await writeOnce(deps, ledgerObjectKey, encodeGzipJson(diff.ledger));
  await deps.afterStep?.('file-written', 'ledger');

  const key = manifestKey(run.campaignId, run.runDate, run.runId);
  const manifest = await writeManifest(
    key,
    buildManifest(record, campaign, diff, pages, verifyBatches, budgetStopped, deps, comparable),
    deps,
  );
  await deps.afterStep?.('manifest-written');

  // 5. Commit: the run record says SUCCEEDED and the latest pointer moves.
  const summary: RunSummary = {
    manifestKey: key,
    truncated: manifest.truncated,
    gapSize: manifest.gap_size,
    newCount: manifest.new_count,
    closedCount: manifest.closed_count,
    lostCount: manifest.lost_count,
    rowsConsumed: manifest.rows_consumed,
  };
  const pointer: LatestPointer = {
    campaignId: run.campaignId,
    runId: run.runId,
    runDate: run.runDate,
    configHash: record.configHash,
    manifestKey: key,
    ledgerKey: ledgerObjectKey,
  };
  await deps.afterStep?.('before-commit');
  await deps.runs.commit(record, summary, pointer, deps.clock());
  await deps.afterStep?.('committed');
  await clearStaging(deps.lake, run).catch((error) =>
    log.warn('could not clear staging (lifecycle expires it)', { error }),
  );
  const superseded = await removeSupersededRuns(deps.lake, run).catch((error) => {
    log.warn('could not remove the files of the run this one replaced', { error });
    return [];
  });
  if (superseded.length > 0) log.info('replaced an earlier run of this date', { removed: superseded.length });

  recordMetrics(deps, manifest, record);
  log.info('run committed', {
    gapSize: manifest.gap_size,
    new: manifest.new_count,
    closed: manifest.closed_count,
    lost: manifest.lost_count,
    unverified: manifest.unverified_count,
    rowsConsumed: manifest.rows_consumed,
    truncated: manifest.truncated,
  });
  return { outcome: 'committed', manifest, manifestKey: key };
}

async function previousLedger(
  campaign: Campaign,
  run: RunRef,
  deps: RunDeps,
  log: Log,
): Promise<Ledger | undefined> {
  const latest = await deps.runs.latest(campaign.id);
  let previousRunId: string | undefined;
  if (latest && latest.runDate < run.runDate) previousRunId = latest.runId;
  else {
    const history = await deps.runs.list(campaign.id, 1000);
    previousRunId = history.find(
      (other) => other.status === 'SUCCEEDED' && other.runDate < run.runDate,
    )?.runId;
  }
  if (!previousRunId) return undefined;
  const bytes = await deps.lake.get(ledgerKey(campaign.id, previousRunId));
  if (!bytes) {
    log.warn('previous run has no ledger; starting a new baseline', { previousRunId });
    return undefined;
  }
  return decodeGzipJson(bytes, LedgerSchema);
}

function continued(run: RunRef, pages: readonly PageCheckpoint[]): RunOutcome {
  return {
    outcome: 'continued',
    runId: run.runId,
    pages: pages.length,
    rowsConsumed: sumCosts(pages.map((page) => page.cost)).rowsConsumed,
  };
}

function isRetryable(error: Error): boolean {
  const flagged = (error as { retryable?: unknown }).retryable;
  if (typeof flagged === 'boolean') return flagged;
  return !(error instanceof CampaignValidationError || error instanceof LakeConflictError);
}

function recordMetrics(deps: RunDeps, manifest: RunManifest, record: RunRecord): void {
  if (!deps.metrics) return;
  deps.metrics.count('RowsConsumed', manifest.rows_consumed);
  deps.metrics.count('ProspectsNew', manifest.new_count);
  deps.metrics.count('ProspectsClosed', manifest.closed_count);
  deps.metrics.count('ProspectsLost', manifest.lost_count);
  deps.metrics.count('GapSize', manifest.gap_size);
  deps.metrics.count(
    'RunDuration',
    Math.max(0, deps.clock().getTime() - new Date(record.startedAt).getTime()),
    'Milliseconds',
  );
}
