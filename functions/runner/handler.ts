import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { runCampaign } from '#pipeline/run-campaign.ts';
import { parseRunMessage } from '#shared/ports.ts';
import { once } from '../cold-start.ts';
import { coldStartDeps, type RunnerDeps, SAFETY_MARGIN_MS } from './deps.ts';

/**
 * One SQS batch, a (campaign, run_date) per message. A run that runs out of time checkpoints and is
 * re-enqueued; a failed one is reported, so SQS redelivers it, then dead-letters it (an alarm).
 */
export async function run(
  event: SQSEvent,
  deps: RunnerDeps,
  remainingMs: () => number,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const deadline = Date.now() + remainingMs() - SAFETY_MARGIN_MS;
    if (!(await runMessage(record, deps, deadline)))
      batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  deps.observability.flush();
  return { batchItemFailures };
}

/** False when SQS should deliver the message again. */
async function runMessage(record: SQSRecord, deps: RunnerDeps, deadline: number): Promise<boolean> {
  const { log } = deps.pipeline;
  const message = parseRunMessage(record.body);
  if (!message) {
    log.error('not a {campaignId, runDate} message: SQS dead-letters it', { messageId: record.messageId });
    return false;
  }
  try {
    const outcome = await runCampaign({ ...message, deadline }, deps.pipeline);
    if (outcome.outcome === 'paused') await deps.queue.send([message]);
    log.info(`run ${outcome.outcome}`, { ...message, outcomeRunDate: outcome.runDate });
    return true;
  } catch (error) {
    log.error('run failed', { ...message, error });
    return false;
  }
}

const deps = once(() => coldStartDeps());
export const handler = (event: SQSEvent, context: { getRemainingTimeInMillis(): number }) => {
  deps().observability.addContext(context);
  return run(event, deps(), () => context.getRemainingTimeInMillis());
};
