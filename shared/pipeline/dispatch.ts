import { type Campaign, CampaignValidationError } from '#domain/campaign.ts';
import { dueRunDate } from '#domain/schedule.ts';
import type { CampaignStore, Log, Queue, RunMessage, RunStore } from '#shared/ports.ts';
import { parseStoredCampaign } from './stored-campaign.ts';

export interface DispatchDeps {
  campaigns: CampaignStore;
  runs: RunStore;
  queue: Queue;
  log: Log;
}

export interface DispatchResult {
  enqueued: RunMessage[];
  /** Campaigns that could not be read: each fails alone, the others are still dispatched. */
  invalid: { campaignId: string; message: string }[];
  disabled: number;
  notDue: number;
}

const SEND_BATCH = 100;

/**
 * Finds the enabled campaigns whose schedule makes a run due on `today` and enqueues one message
 * per (campaign, run_date). A run that already SUCCEEDED is not due; a run that failed or is still
 * RUNNING is enqueued again (the runner's claim makes duplicates harmless).
 */
export async function dispatchDue(input: { today: string }, deps: DispatchDeps): Promise<DispatchResult> {
  const result: DispatchResult = { enqueued: [], invalid: [], disabled: 0, notDue: 0 };
  let batch: RunMessage[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await deps.queue.send(batch);
    result.enqueued.push(...batch);
    batch = [];
  };

  for await (const stored of deps.campaigns.list()) {
    let campaign: Campaign;
    try {
      campaign = parseStoredCampaign(stored.id, stored.raw);
    } catch (error) {
      if (!(error instanceof CampaignValidationError)) throw error;
      result.invalid.push({ campaignId: stored.id, message: error.message });
      deps.log.error('stored campaign is invalid; skipped', { campaignId: stored.id, error: error.message });
      continue;
    }
    if (!campaign.enabled) {
      result.disabled++;
      continue;
    }
    // The latest pointer holds the newest committed run date: one read per campaign.
    const latest = await deps.runs.latest(campaign.id);
    const runDate = dueRunDate(campaign.schedule, input.today, latest?.runDate);
    if (!runDate) {
      result.notDue++;
      continue;
    }
    batch.push({ campaignId: campaign.id, runDate });
    if (batch.length >= SEND_BATCH) await flush();
  }
  await flush();
  deps.log.info('dispatch finished', {
    today: input.today,
    enqueued: result.enqueued.length,
    invalid: result.invalid.length,
    disabled: result.disabled,
    notDue: result.notDue,
  });
  return result;
}
