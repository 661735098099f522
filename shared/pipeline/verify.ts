import { affordableLinkStatusSources, MAX_LINK_STATUS_BATCH } from '#domain/budget.ts';
import { addCost, type CallCost, NO_COST, sumCosts } from '#domain/call-cost.ts';
import type { Campaign } from '#domain/campaign.ts';
import { sourcesToCheck } from '#domain/evidence.ts';
import { isMozError, type MozError, type MozErrorCode } from '#moz/errors.ts';
import { type RunRef, saveVerifyBatch, type VerifyCheckpoint } from './checkpoints.ts';
import { INTERRUPTED, type Paused, type StopCheck, stoppedByInterrupt } from './fetch-gap-list.ts';
import type { RunDeps } from './run-deps.ts';

/**
 * Failures the client's retries could not overcome and a later call might: the server kept failing,
 * timing out, dropping the connection, rate-limiting or answering garbage. Verification is optional
 * evidence (DESIGN section 5: `unverified` when it "failed (budget, errors)"), so these leave the
 * departures unverified and the run commits. Everything else still fails the run: rejected
 * credentials and bad requests are configuration problems every later call would repeat, an
 * exhausted quota keeps its resumable checkpoint (README Promise 4) and the deadline hands over.
 */
const VERIFICATION_GIVES_UP_ON: ReadonlySet<MozErrorCode> = new Set<MozErrorCode>([
  'server',
  'timeout',
  'network',
  'rate_limited',
  'response_format',
]);

/** Verification stopped on a failure of VERIFICATION_GIVES_UP_ON: what was not checked is unverified. */
export interface VerificationFailed {
  failed: string;
  error?: MozError;
}

/**
 * Checks departed prospects with link_status, one checkpointed batch at a time, within what is left
 * of the row budget. `batches` holds what earlier attempts checked and grows as batches finish. A
 * source is closed as soon as any site target shows a link; only the rest go on to the next target.
 */
export async function verifyDepartures(
  ports: Pick<RunDeps, 'lake' | 'moz' | 'afterStep' | 'progress'>,
  run: RunRef,
  campaign: Campaign,
  departed: readonly string[],
  batches: VerifyCheckpoint[],
  options: { spent: CallCost; deadline?: number; signal?: AbortSignal; stop: StopCheck },
): Promise<'done' | 'over-budget' | VerificationFailed | Paused> {
  // An earlier attempt's batch failed for good: its sources were paid for once and stay unverified.
  const failedBefore = batches.find((batch) => batch.failed !== undefined)?.failed;
  if (failedBefore !== undefined) return { failed: failedBefore };
  // What earlier attempts' batches spent counts too, like the pages in `options.spent`.
  let spent = addCost(options.spent, sumCosts(batches.map((batch) => batch.cost)));
  for (const site of campaign.site) {
    const pending = sourcesToCheck(departed, batches, site.target);
    for (let next = 0; next < pending.length; ) {
      const affordable = Math.min(
        affordableLinkStatusSources(campaign.maxRowsPerRun - spent.rowsConsumed),
        MAX_LINK_STATUS_BATCH,
      );
      // Out of budget: what is left stays unverified, never lost.
      if (affordable === 0) return 'over-budget';
      const paused = options.stop();
      if (paused) return { paused, spent };
      const sources = pending.slice(next, next + affordable);
      const batch = await checkBatch(ports, campaign, site, sources, {
        batch: batches.length + 1,
        deadline: options.deadline,
        signal: options.signal,
      }).catch(stoppedByInterrupt);
      if (batch === INTERRUPTED) return { paused: 'interrupted', spent };
      await saveVerifyBatch(ports.lake, run, batch.checkpoint);
      if (batch.error) {
        batches.push(batch.checkpoint);
        return { failed: batch.error.name, error: batch.error };
      }
      const checked = batch.checkpoint;
      batches.push(checked);
      spent = addCost(spent, checked.cost);
      await ports.afterStep?.('verify-batch', String(checked.batch));
      next += sources.length;
      ports.progress?.({
        kind: 'verify',
        campaignId: run.campaignId,
        runDate: run.runDate,
        batch: checked.batch,
        // An estimate: later site targets check only what earlier ones did not close.
        batches: checked.batch + Math.ceil((pending.length - next) / Math.max(1, sources.length)),
        rowsSpent: spent.rowsConsumed,
        budget: campaign.maxRowsPerRun,
      });
    }
  }
  return 'done';
}

/**
 * One Link Status call as a checkpoint. A failure of VERIFICATION_GIVES_UP_ON becomes a failed
 * checkpoint (no answers, what the failed call cost); any other error is thrown (an interrupt too:
 * the run pauses before this batch, which a rerun asks for again).
 */
async function checkBatch(
  ports: Pick<RunDeps, 'moz'>,
  campaign: Campaign,
  site: Campaign['site'][number],
  sources: string[],
  options: { batch: number; deadline?: number; signal?: AbortSignal },
): Promise<{ checkpoint: VerifyCheckpoint; error?: MozError }> {
  const checkpoint = { batch: options.batch, siteTarget: site.target, sources };
  try {
    const result = await ports.moz.linkStatus(
      { target: site.target, targetScope: site.scope, sourceScope: campaign.sourceScope, sources },
      { deadline: options.deadline, signal: options.signal },
    );
    return { checkpoint: { ...checkpoint, exists: result.exists, cost: result.cost } };
  } catch (error) {
    if (!isMozError(error) || !VERIFICATION_GIVES_UP_ON.has(error.code)) throw error;
    return {
      checkpoint: { ...checkpoint, exists: [], cost: error.cost ?? NO_COST, failed: error.name },
      error,
    };
  }
}
