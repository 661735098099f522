import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface OpsAlarmsProps {
  /**
   * Email address subscribed to the alarm topic (confirm the subscription mail AWS sends).
   * @default - no subscription; subscribe to the AlarmTopicArn output yourself
   */
  readonly alarmEmail?: string;
}

/** An alarm that cannot be created without saying what the failure means and what to do. */
export interface ExplainedAlarm {
  readonly metric: cloudwatch.IMetric;
  /** What it means for the user when this fires. */
  readonly meaning: string;
  /** What to do about it. */
  readonly action: string;
  /**
   * Fires when the metric is above this.
   * @default 0
   */
  readonly threshold?: number;
}

/**
 * The alarm topic (TLS only, encrypted with a customer-managed key: CloudWatch cannot publish to a
 * topic under the AWS-managed alias/aws/sns key, whose policy cannot grant it) and the alarms.
 */
export class OpsAlarms extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OpsAlarmsProps = {}) {
    super(scope, id);
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the linkgap alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'linkgap alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
  }

  /** An alarm on `metric > threshold` in one evaluation period that notifies the topic. */
  public addAlarm(id: string, alarm: ExplainedAlarm): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, id, {
      metric: alarm.metric,
      threshold: alarm.threshold ?? 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${alarm.meaning} What to do: ${alarm.action}`,
    });
    created.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(created);
    return created;
  }

  /** An alarm on any failed invocation of `fn` within {@link ERROR_WINDOW}. */
  public addFunctionErrorsAlarm(
    id: string,
    fn: lambda.IFunction,
    explanation: Pick<ExplainedAlarm, 'meaning' | 'action'>,
  ): cloudwatch.Alarm {
    return this.addAlarm(id, {
      metric: fn.metricErrors({ period: ERROR_WINDOW, statistic: 'Sum' }),
      ...explanation,
    });
  }
}

/** One hour: a monthly pipeline needs to know a failure happened, not the minute it did. */
export const ERROR_WINDOW = Duration.hours(1);
