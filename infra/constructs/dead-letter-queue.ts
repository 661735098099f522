import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { OpsAlarms } from './ops-alarms.ts';

export interface DeadLetterQueueProps {
  /** Alarms when a message lands here. */
  readonly ops: OpsAlarms;
  /** What it means for the user when a message lands here. */
  readonly meaning: string;
  /** What to do about it. */
  readonly action: string;
  /**
   * How long a dead letter is kept for someone to read and redrive.
   * @default Duration.days(14) (the SQS maximum)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * A queue of messages that could not be delivered: encrypted, TLS only, and alarmed on (alarm
 * `<id>NotEmpty`) as soon as it holds one, saying what that means and what to do.
 */
export class DeadLetterQueue extends sqs.Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue; its depth is alarmed on.',
    });
    props.ops.addAlarm(`${id}NotEmpty`, {
      metric: this.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      meaning: props.meaning,
      action: props.action,
    });
  }
}
