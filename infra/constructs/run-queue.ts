import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import type { OpsAlarms } from './ops-alarms.ts';

/** Lambda's guidance: a queue's visibility timeout at least 6x the consuming function's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Receives of a run message before it goes to the DLQ. */
export const RUN_MAX_RECEIVE_COUNT = 5;

export interface RunQueueProps {
  /** The timeout of the function consuming the queue; a message stays hidden 6x as long. */
  readonly consumerTimeout: Duration;
  /** Alarms when a run lands in the dead-letter queue. */
  readonly ops: OpsAlarms;
  /**
   * Receives of a message before it moves to the dead-letter queue.
   * @default RUN_MAX_RECEIVE_COUNT (5)
   */
  readonly maxReceiveCount?: number;
}

/**
 * The queue of campaign runs (one message per due run, and the continuation of a run that outgrew
 * one invocation), with its dead-letter queue and that queue's alarm. The dead-letter queue is the
 * sibling `<id without "Queue">Dlq` (`RunQueue` → `RunDlq`), not a child, so both keep the logical
 * ids they were first deployed under.
 */
export class RunQueue extends sqs.Queue {
  /** Where a run lands after failing `maxReceiveCount` times. */
  public readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: RunQueueProps) {
    const maxReceiveCount = props.maxReceiveCount ?? RUN_MAX_RECEIVE_COUNT;
    const deadLetterQueue = new DeadLetterQueue(scope, `${id.replace(/Queue$/, '')}Dlq`, {
      ops: props.ops,
      meaning: `A campaign run failed ${maxReceiveCount} times and was moved to the run DLQ: that campaign has no snapshot for that run date.`,
      action:
        'Find the campaign id and run date in the DLQ message, read the runner logs for that run id, fix the cause (Moz token, budget, bad campaign config), then redrive the DLQ to the run queue (SQS console: Start DLQ redrive). Completed pages are not re-spent.',
    });
    super(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      // Messages wait for their turn behind the Moz rate limit; a day's backlog must not expire.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
    });
    this.deadLetters = deadLetterQueue;
  }
}
