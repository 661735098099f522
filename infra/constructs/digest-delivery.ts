import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { LAMBDA_ENV_VARIABLES } from '#adapters/aws/config.ts';
import type { LinkgapNames } from '../names.ts';
import type { LakeStorage } from './lake-storage.ts';
import { acknowledgeWildcard, roleOf } from './nag.ts';
import type { OpsAlarms } from './ops-alarms.ts';
import type { Runner } from './runner.ts';

/** The lake prefix each run's HTML report is written to (shared/lake/keys.ts reportKey). */
export const REPORTS_PREFIX = 'reports';

export interface DigestDeliveryProps {
  /** Publishes the digest and writes the report after each commit. */
  readonly runner: Runner;
  /** Where the reports are written, and presigned from. */
  readonly lake: LakeStorage;
  /** Where a failed digest or report is alarmed. */
  readonly ops: OpsAlarms;
  /** Metrics namespace, the runner's service name, and the webhook secret prefix. */
  readonly names: LinkgapNames;
  /**
   * Email address subscribed to the digest topic (confirm the subscription mail AWS sends).
   * @default - no subscription; subscribe to the DigestTopicArn output yourself
   */
  readonly digestEmail?: string;
}

/**
 * Hands-off delivery (issue 13): the digest topic each committed run publishes to (its own topic,
 * separate from the alarms: people subscribe to one without the other), the runner's rights to write
 * and presign the reports, to read webhook secrets under `<prefix>/webhook/`, and the alarms that
 * fire when a digest or a report could not be published.
 */
export class DigestDelivery extends Construct {
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: DigestDeliveryProps) {
    super(scope, id);
    const { runner, lake, ops, names } = props;
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the linkgap digest topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'linkgap digest',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.digestEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.digestEmail));
    this.topic.grantPublish(runner);
    runner.addEnvironment(LAMBDA_ENV_VARIABLES.digestTopicArn, this.topic.topicArn);

    // PutObject writes the report once; GetObject is what a presigned link is checked against.
    runner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'LakeReports',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [lake.bucket.arnForObjects(`${REPORTS_PREFIX}/*`)],
      }),
    );
    acknowledgeWildcard(
      roleOf(runner),
      lake.bucket,
      `/${REPORTS_PREFIX}/*`,
      'The runner writes each run its report under reports/ (keys per campaign, run date and run id) and presigns a link to it, which S3 checks against GetObject; no other prefix, no delete.',
    );
    const webhookSecrets = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${names.webhookSecretPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    runner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DigestWebhookSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [webhookSecrets],
      }),
    );
    Validations.of(roleOf(runner)).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${names.webhookSecretPrefix}*]`,
        reason: `A campaign names its own webhook secret (digestWebhookSecret); the runner may read only secrets under ${names.webhookSecretPrefix}, which hold nothing but webhook URLs. The trailing * also covers the random suffix Secrets Manager appends to secret ARNs.`,
      },
      {
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          'Granted by topic.grantPublish on the encrypted digest topic: SNS needs a data key per message; the statement is scoped to that topic key only.',
      },
    );
    this.addAlarms(ops, names);
  }

  private addAlarms(ops: OpsAlarms, names: LinkgapNames): void {
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: names.metricsNamespace,
        metricName,
        dimensionsMap: { service: names.runnerService },
        period: Duration.hours(1),
        statistic: 'Sum',
      });
    ops.addAlarm('DigestPublishFailed', {
      metric: metric('DigestPublishFailed'),
      meaning:
        'A committed run could not publish its digest (SNS topic or webhook) after retries. The run itself is committed and its data is in the lake.',
      action:
        'Read the runner log line "could not publish the digest" (it names the channel and the error). A webhook error names its secret; a failed digest is sent again by the next delivery of that run.',
    });
    ops.addAlarm('ReportPublishFailed', {
      metric: metric('ReportPublishFailed'),
      meaning: 'A committed run could not write its HTML report into the lake. The run itself is committed.',
      action:
        'Read the runner log line "could not write the run report", fix the cause, then run linkgap report --publish --campaign <id> --aws to write the missing reports.',
    });
  }
}
