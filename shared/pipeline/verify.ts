import { affordableLinkStatusSources, MAX_LINK_STATUS_BATCH } from '#domain/budget.ts';
import type { Campaign } from '#domain/campaign.ts';
import { costSince, type RunRef, saveVerifyBatch, sumCosts, type VerifyCheckpoint } from './checkpoints.ts';
import type { RunDeps } from './run-campaign.ts';

/**
 * Checks departed prospects with link_status, one checkpointed batch at a time, within what is left
 * of the row budget. `batches` holds what earlier attempts checked and grows as batches finish.
 */
export async function verifyDepartures(
  campaign: Campaign,
  run: RunRef,
  departed: string[],
  batches: VerifyCheckpoint[],
  intersectCost: number,
  deps: RunDeps,
  outOfTime: () => boolean,
): Promise<'done' | 'over-budget' | 'out-of-time'> {
  // A source is closed as soon as any of the site's targets shows a link; only the rest are checked
  // against the next site target. `spent` is a running total, like the page loop's.
  let spent = intersectCost + sumCosts(batches.map((batch) => batch.cost)).rowsConsumed;
  for (const site of campaign.site) {
    const closed = evidenceTrue(batches);
    const checked = new Set(
      batches.filter((batch) => batch.siteTarget === site.target).flatMap((batch) => batch.sources),
    );
    const pending = departed.filter((source) => !closed.has(source) && !checked.has(source));
    for (let next = 0; next < pending.length; ) {
      const affordable = Math.min(
        affordableLinkStatusSources(campaign.maxRowsPerRun - spent),
        MAX_LINK_STATUS_BATCH,
      );
      // Out of budget: what is left stays unverified, never lost.
      if (affordable === 0) return 'over-budget';
      if (outOfTime()) return 'out-of-time';
      const before = deps.moz.stats();
      const result = await deps.moz.linkStatus({
        target: site.target,
        targetScope: site.scope,
        sourceScope: campaign.sourceScope,
        sources: pending.slice(next, next + affordable),
      });
      const sources = pending.slice(next, next + result.exists.length);
      if (sources.length === 0) return 'done';
      const batch: VerifyCheckpoint = {
        batch: batches.length + 1,
        siteTarget: site.target,
        sources,
        exists: result.exists,
        cost: costSince(before, deps.moz.stats(), result.rowsConsumed),
      };
      await saveVerifyBatch(deps.lake, run, batch);
      batches.push(batch);
      spent += batch.cost.rowsConsumed;
      await deps.afterStep?.('verify-batch', String(batch.batch));
      next += sources.length;
    }
  }
  return 'done';
}

/**
 * source → true when some site target is linked from it; false only when every site target was
 * checked and said no. Sources missing here are unverified.
 */
export function evidence(
  batches: readonly VerifyCheckpoint[],
  siteTargets: readonly string[],
): Map<string, boolean> {
  const answers = new Map<string, Map<string, boolean>>();
  for (const batch of batches) {
    batch.sources.forEach((source, index) => {
      const exists = batch.exists[index];
      if (exists === undefined) return;
      const bySite = answers.get(source) ?? new Map<string, boolean>();
      bySite.set(batch.siteTarget, exists);
      answers.set(source, bySite);
    });
  }
  const result = new Map<string, boolean>();
  for (const [source, bySite] of answers) {
    if ([...bySite.values()].some(Boolean)) result.set(source, true);
    else if (siteTargets.every((target) => bySite.has(target))) result.set(source, false);
  }
  return result;
}

function evidenceTrue(batches: readonly VerifyCheckpoint[]): Set<string> {
  return new Set(
    batches.flatMap((batch) => batch.sources.filter((_, index) => batch.exists[index] === true)),
  );
}
