import { affordableLinkStatusSources, MAX_LINK_STATUS_BATCH } from '#domain/budget.ts';
import { addCost, type CallCost, sumCosts } from '#domain/call-cost.ts';
import type { Campaign } from '#domain/campaign.ts';
import { sourcesToCheck } from '#domain/evidence.ts';
import { type RunRef, saveVerifyBatch, type VerifyCheckpoint } from './checkpoints.ts';
import { INTERRUPTED, type Paused, type StopCheck, stoppedByInterrupt } from './fetch-gap-list.ts';
import type { RunDeps } from './run-deps.ts';

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
): Promise<'done' | 'over-budget' | Paused> {
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
      const result = await ports.moz
        .linkStatus(
          { target: site.target, targetScope: site.scope, sourceScope: campaign.sourceScope, sources },
          { deadline: options.deadline, signal: options.signal },
        )
        .catch(stoppedByInterrupt);
      if (result === INTERRUPTED) return { paused: 'interrupted', spent };
      const batch: VerifyCheckpoint = {
        batch: batches.length + 1,
        siteTarget: site.target,
        sources,
        exists: result.exists,
        cost: result.cost,
      };
      await saveVerifyBatch(ports.lake, run, batch);
      batches.push(batch);
      spent = addCost(spent, batch.cost);
      await ports.afterStep?.('verify-batch', String(batch.batch));
      next += sources.length;
      ports.progress?.({
        kind: 'verify',
        campaignId: run.campaignId,
        runDate: run.runDate,
        batch: batch.batch,
        // An estimate: later site targets check only what earlier ones did not close.
        batches: batch.batch + Math.ceil((pending.length - next) / Math.max(1, sources.length)),
        rowsSpent: spent.rowsConsumed,
        budget: campaign.maxRowsPerRun,
      });
    }
  }
  return 'done';
}
