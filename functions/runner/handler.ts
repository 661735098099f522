import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runCampaign } from '#pipeline/run-campaign.ts';
import { RunMessage } from '#shared/ports.ts';
import { once } from '../cold-start.ts';
import { coldStartDeps, type RunnerDeps } from './deps.ts';

export type { RunnerDeps } from './deps.ts';
export { coldStartDeps } from './deps.ts';

/** Leave this much of the Lambda's time for checkpointing, handing over and flushing. */
export const SAFETY_MARGIN_MS = 30_000;

/**
 * One SQS batch: each message is one (campaign, run_date). A run that runs out of time checkpoints
 * and is re-enqueued; a failed run is reported so SQS redelivers it (and, after maxReceiveCount,
 * moves it to the DLQ, which alarms).
 */
export async function run(
  event: SQSEvent,
  deps: RunnerDeps,
  remainingMs: () => number,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const message = parseMessage(record.body);
    if (!message) {
      deps.pipeline.log.error('run message is not {"campaignId","runDate"}; sending it towards the DLQ', {
        messageId: record.messageId,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const deadline = Date.now() + remainingMs() - SAFETY_MARGIN_MS;
    deps.setDeadline(deadline);
    try {
      const outcome = await runCampaign({ ...message, deadline }, deps.pipeline);
      if (outcome.outcome === 'continued') await deps.queue.send([message]);
      deps.pipeline.log.info(`run ${outcome.outcome}`, {
        campaignId: message.campaignId,
        runDate: message.runDate,
      });
    } catch (error) {
      deps.pipeline.log.error('run failed', { ...message, error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  deps.flush();
  return { batchItemFailures };
}

function parseMessage(body: string): RunMessage | undefined {
  try {
    const parsed = RunMessage.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const deps = once(() => coldStartDeps());
export const handler = (event: SQSEvent, context: { getRemainingTimeInMillis(): number }) =>
  run(event, deps(), () => context.getRemainingTimeInMillis());
