import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type Queue, RunMessage } from '#shared/ports.ts';

export interface SqsQueueOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Extra rounds for entries SQS reports as failed (not sender faults). @default 2 */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Some messages could not be queued after retries; names the failed entries and SQS's codes. */
export class QueueSendError extends Error {
  override name = 'QueueSendError';
}

const BATCH_SIZE = 10;

/** The run queue: one message per (campaign, run_date), body `{"campaignId","runDate"}`. */
export function createSqsQueue(options: SqsQueueOptions): Queue {
  const { sqs, queueUrl } = options;
  const retries = options.retries ?? 2;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function sendBatch(entries: SendMessageBatchRequestEntry[]): Promise<string[]> {
    let pending = entries;
    let failures: string[] = [];
    for (let round = 0; round <= retries && pending.length > 0; round++) {
      if (round > 0) await sleep(100 * 2 ** (round - 1));
      const response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = response.Failed ?? [];
      failures = failed.map(
        (f) => `${describe(pending, f.Id)}: ${f.Code ?? 'error'}${f.Message ? ` (${f.Message})` : ''}`,
      );
      const retryable = new Set(failed.filter((f) => !f.SenderFault).map((f) => f.Id));
      if (failed.some((f) => f.SenderFault)) break; // the same request would fail again
      pending = pending.filter((entry) => retryable.has(entry.Id));
    }
    return failures;
  }

  return {
    async send(messages, sendOptions = {}) {
      const bodies = messages.map((message) => JSON.stringify(RunMessage.parse(message)));
      const failures: string[] = [];
      for (let start = 0; start < bodies.length; start += BATCH_SIZE) {
        const entries = bodies.slice(start, start + BATCH_SIZE).map((body, offset) => ({
          Id: String(start + offset),
          MessageBody: body,
          ...(sendOptions.delaySeconds === undefined ? {} : { DelaySeconds: sendOptions.delaySeconds }),
        }));
        failures.push(...(await sendBatch(entries)));
      }
      if (failures.length > 0) {
        throw new QueueSendError(
          `could not queue ${failures.length} of ${messages.length} run message(s): ${failures.join('; ')}`,
        );
      }
    },
  };
}

function describe(entries: SendMessageBatchRequestEntry[], id: string | undefined): string {
  const body = entries.find((entry) => entry.Id === id)?.MessageBody;
  return body ?? `entry ${id ?? '?'}`;
}
