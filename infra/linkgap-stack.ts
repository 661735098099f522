import {
  CfnOutput,
  type CfnResource,
  Duration,
  RemovalPolicy,
  SecretValue,
  type Size,
  Stack,
  type StackProps,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { athenaNamedQueries } from '#lake/queries.ts';
import { LakeCatalog } from './constructs/lake-catalog.ts';
import { LakeQueries } from './constructs/lake-queries.ts';
import { LakeStorage, PIPELINE_PREFIXES } from './constructs/lake-storage.ts';
import { LinkgapFunction } from './constructs/linkgap-function.ts';
import { ERROR_WINDOW, OpsAlarms } from './constructs/ops-alarms.ts';
import { linkgapNames } from './names.ts';

/** The Moz Links API; point MOZ_API_BASE_URL elsewhere only for a stand-in. */
export const MOZ_API_BASE_URL = 'https://lsapi.seomoz.com';
/** The runner's timeout: Lambda's 15-minute maximum; longer runs checkpoint and continue. */
export const RUNNER_TIMEOUT = Duration.minutes(15);
/** Lambda's guidance: a queue's visibility timeout at least 6x the consuming function's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Receives of a run message before it goes to the DLQ. */
export const RUN_MAX_RECEIVE_COUNT = 5;

export interface LinkgapStackProps extends StackProps {
  /**
   * Prefix of the names people type: the secret (`<prefix>/moz`), Glue database and Athena
   * workgroup. Change it to deploy a second copy into one account.
   * @default 'linkgap'
   */
  readonly namePrefix?: string;
  /**
   * IANA time zone the schedule expression is read in.
   * @default 'UTC'
   */
  readonly scheduleTimeZone?: string;
  /**
   * When the dispatcher runs. It runs daily and starts the campaigns that are due, so each
   * campaign's own schedule (e.g. monthly on day 1) lives in its config, not here.
   * @default 'cron(0 6 * * ? *)' (06:00 every day)
   */
  readonly scheduleExpression?: string;
  /**
   * Email subscribed to the alarm topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Name of an existing Secrets Manager secret holding `{"token":"..."}` (e.g. kept from an earlier
   * deployment). When absent the stack creates `<prefix>/moz` with an empty token to fill in.
   * @default - a new secret
   */
  readonly existingMozSecretName?: string;
  /**
   * Moz requests allowed per interval, for ALL runners together (free tier: 1 per 10 s).
   * @default 1
   */
  readonly mozRateRequests?: number;
  /**
   * The interval of `mozRateRequests`, in milliseconds.
   * @default 10000
   */
  readonly mozRateIntervalMs?: number;
  /**
   * Most runner invocations at once (the SQS event source's MaximumConcurrency, 2 to 1000).
   * @default 2
   */
  readonly runnerConcurrency?: number;
  /**
   * Athena cancels a query scanning more than this (minimum 10 MB).
   * @default Size.gibibytes(1)
   */
  readonly athenaBytesScannedCutoff?: Size;
  /**
   * Expire committed snapshots after this long.
   * @default - kept forever
   */
  readonly lakeRetention?: Duration;
}

/**
 * linkgap in one stack (DESIGN.md section 1): a daily schedule invokes the dispatcher, which
 * queues one message per due campaign run; runners consume the queue, call Moz and write the
 * lake; Glue and Athena make the lake queryable; alarms report runs that could not complete.
 */
export class LinkgapStack extends Stack {
  constructor(scope: Construct, id: string, props: LinkgapStackProps = {}) {
    super(scope, id, {
      description: 'linkgap: monthly link-gap tracking (Moz Link Intersect) with an S3/Athena lake',
      ...props,
    });
    const names = linkgapNames(props.namePrefix);
    const runnerConcurrency = props.runnerConcurrency ?? 2;
    if (!Number.isInteger(runnerConcurrency) || runnerConcurrency < 2 || runnerConcurrency > 1000) {
      throw new Error(
        `runnerConcurrency must be an integer from 2 to 1000 (SQS event source limit), got ${runnerConcurrency}`,
      );
    }
    const mozRateRequests = props.mozRateRequests ?? 1;
    const mozRateIntervalMs = props.mozRateIntervalMs ?? 10_000;
    if (!Number.isInteger(mozRateRequests) || mozRateRequests < 1) {
      throw new Error(`mozRateRequests must be a positive integer, got ${mozRateRequests}`);
    }
    if (!Number.isInteger(mozRateIntervalMs) || mozRateIntervalMs < 0) {
      throw new Error(`mozRateIntervalMs must be a whole number of milliseconds, got ${mozRateIntervalMs}`);
    }
    if (props.athenaBytesScannedCutoff && props.athenaBytesScannedCutoff.toBytes() < 10 * 1024 ** 2) {
      throw new Error('athenaBytesScannedCutoff must be at least 10 MB (Athena minimum)');
    }

    // --- State: campaigns, runs and the Moz rate gate, one table -------------------------------------
    const table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: 'gsi1',
          partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
      timeToLiveAttribute: 'ttl',
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const lake = new LakeStorage(this, 'Lake', { lakeRetention: props.lakeRetention });

    // --- Moz credentials ---------------------------------------------------------------------------
    let mozSecret: secretsmanager.ISecret;
    const mozSecretName = props.existingMozSecretName ?? names.mozSecret;
    if (props.existingMozSecretName) {
      mozSecret = secretsmanager.Secret.fromSecretNameV2(this, 'MozSecret', props.existingMozSecretName);
    } else {
      const created = new secretsmanager.Secret(this, 'MozSecret', {
        secretName: names.mozSecret,
        description:
          'Moz Links API credentials for linkgap. After deploy, put {"token":"<your Moz API token>"} here (aws secretsmanager put-secret-value).',
        // A placeholder, not a credential: an empty token the runner rejects with a message naming
        // this secret. CloudFormation never rewrites it, so the value you put survives redeploys.
        secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ token: '' })),
        // Kept on stack deletion; redeploy with -c existingMozSecretName=<name> to reuse it.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The secret holds a Moz API token issued in the Moz account UI; no API exists for a rotation Lambda to mint a new one. Rotate it by hand (put-secret-value); the runner re-reads the secret after a 401/403.',
      });
      mozSecret = created;
    }

    // --- Queues ------------------------------------------------------------------------------------
    const runDlq = new sqs.Queue(this, 'RunDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const runQueue = new sqs.Queue(this, 'RunQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(RUNNER_TIMEOUT.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      // Messages wait for their turn behind the Moz rate limit; a day's backlog must not expire.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: runDlq, maxReceiveCount: RUN_MAX_RECEIVE_COUNT },
    });
    const schedulerDlq = new sqs.Queue(this, 'SchedulerDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const dlq of [runDlq, schedulerDlq]) {
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue; its depth is alarmed on.',
      });
    }

    // --- Functions ---------------------------------------------------------------------------------
    const dispatcher = new LinkgapFunction(this, 'Dispatcher', {
      entry: 'functions/dispatcher/handler.ts',
      description: 'linkgap: finds the campaigns due today and queues one run message per campaign',
      timeout: Duration.seconds(60),
      memorySize: 256,
      environment: {
        LINKGAP_TABLE: table.tableName,
        LINKGAP_QUEUE_URL: runQueue.queueUrl,
        // "Today" for schedules is the calendar date in the schedule's own time zone.
        LINKGAP_TIME_ZONE: props.scheduleTimeZone ?? 'UTC',
        POWERTOOLS_SERVICE_NAME: names.dispatcherService,
        POWERTOOLS_METRICS_NAMESPACE: names.metricsNamespace,
      },
    });
    table.grantReadData(dispatcher);
    runQueue.grantSendMessages(dispatcher);

    const runner = new LinkgapFunction(this, 'Runner', {
      entry: 'functions/runner/handler.ts',
      description: 'linkgap: runs one campaign: Moz Link Intersect, diff, verify, write the lake, commit',
      timeout: RUNNER_TIMEOUT,
      memorySize: 1024,
      environment: {
        LINKGAP_TABLE: table.tableName,
        LINKGAP_BUCKET: lake.bucket.bucketName,
        // The runner re-queues the rest of a run that outgrows one invocation.
        LINKGAP_QUEUE_URL: runQueue.queueUrl,
        MOZ_SECRET_ID: mozSecretName,
        MOZ_API_BASE_URL,
        MOZ_RATE_REQUESTS: String(mozRateRequests),
        MOZ_RATE_INTERVAL_MS: String(mozRateIntervalMs),
        LINKGAP_RATE_GATE_NAME: names.rateGate,
        POWERTOOLS_SERVICE_NAME: names.runnerService,
        POWERTOOLS_METRICS_NAMESPACE: names.metricsNamespace,
      },
    });
    mozSecret.grantRead(runner);
    lake.grantPipelineReadWrite(runner);
    table.grantReadWriteData(runner);
    runQueue.grantSendMessages(runner);

    // How all runners share ONE Moz rate limit (free tier: 1 request / 10 s per account):
    // every Moz request first takes a token from a token-bucket item (LINKGAP_RATE_GATE_NAME) in
    // the table, with a conditional update, so the limit holds however many runners are alive;
    // MaximumConcurrency caps how many there are, so waiting runners stay few and cheap.
    // Reserved concurrency is deliberately not used: new accounts often have too little
    // unreserved concurrency to reserve any, and SQS deliveries throttled by it count toward
    // maxReceiveCount, sending healthy runs to the DLQ.
    runner.addEventSource(
      new SqsEventSource(runQueue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: runnerConcurrency,
      }),
    );

    // --- Schedule ----------------------------------------------------------------------------------
    // Our own role (rather than the target's implicit one) so its single finding is acknowledged here.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Lets EventBridge Scheduler invoke the linkgap dispatcher and dead-letter failures',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': this.account,
            'aws:SourceArn': this.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
    });
    new scheduler.Schedule(this, 'DailyDispatch', {
      description: 'linkgap: invoke the dispatcher, which starts the campaign runs that are due',
      schedule: scheduler.ScheduleExpression.expression(
        props.scheduleExpression ?? 'cron(0 6 * * ? *)',
        TimeZone.of(props.scheduleTimeZone ?? 'UTC'),
      ),
      target: new targets.LambdaInvoke(dispatcher, {
        input: scheduler.ScheduleTargetInput.fromObject({
          source: 'linkgap.schedule',
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
        // The dispatcher is idempotent per (campaign, run_date), so retrying is safe; a few hours
        // of retries ride out an outage well before the next day's invocation.
        retryAttempts: 5,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: schedulerDlq,
        role: schedulerRole,
      }),
    });

    // --- Catalog and queries -----------------------------------------------------------------------
    const catalog = new LakeCatalog(this, 'Catalog', {
      databaseName: names.glueDatabase,
      locationOf: (prefix) => lake.tableLocation(prefix),
    });
    const queries = new LakeQueries(this, 'Queries', {
      workGroupName: names.athenaWorkGroup,
      databaseName: catalog.databaseName,
      resultsLocation: lake.athenaResultsLocation,
      savedQueries: athenaNamedQueries(),
      savedQueryName: names.savedQuery,
      bytesScannedCutoff: props.athenaBytesScannedCutoff,
    });
    queries.node.addDependency(catalog);

    // --- Alarms ------------------------------------------------------------------------------------
    const ops = new OpsAlarms(this, 'Ops', { alarmEmail: props.alarmEmail });
    ops.addAlarm('RunDlqNotEmpty', {
      metric: runDlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      meaning: `A campaign run failed ${RUN_MAX_RECEIVE_COUNT} times and was moved to the run DLQ: that campaign has no snapshot for that run date.`,
      action:
        'Find the campaign id and run date in the DLQ message, read the runner logs for that run id, fix the cause (Moz token, budget, bad campaign config), then redrive the DLQ to the run queue (SQS console: Start DLQ redrive). Completed pages are not re-spent.',
    });
    ops.addAlarm('SchedulerDlqNotEmpty', {
      metric: schedulerDlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      meaning:
        'EventBridge Scheduler could not invoke the dispatcher after all retries: no campaign runs were started for that day.',
      action:
        'Check that the dispatcher function exists and that the scheduler role may invoke it, then invoke the dispatcher by hand (or wait for the next day; due campaigns are picked up again) and purge the scheduler DLQ.',
    });
    ops.addAlarm('RunnerErrors', {
      metric: runner.metricErrors({ period: ERROR_WINDOW, statistic: 'Sum' }),
      meaning:
        'A runner invocation failed in the last hour. SQS will retry it; repeated failures end in the run DLQ.',
      action:
        'Read the runner logs (errors carry the campaign id and run id). 401/403 means the Moz token in the secret is wrong; a zod error names the bad campaign field. No action is needed if a retry succeeded.',
    });
    ops.addAlarm('DispatcherErrors', {
      metric: dispatcher.metricErrors({ period: ERROR_WINDOW, statistic: 'Sum' }),
      meaning: 'The dispatcher failed in the last hour: due campaigns may not have been queued today.',
      action:
        'Read the dispatcher logs (a campaign item that fails validation is named there). The scheduler retries; if retries are exhausted the scheduler DLQ alarm fires too.',
    });

    // --- Acknowledged cdk-nag findings (each with its reason) --------------------------------------
    // IAM5 findings are acknowledged one by one (resource + suffix), so a new wildcard still fails.
    const tableResource = table.node.defaultChild as CfnResource;
    for (const fn of [dispatcher, runner]) {
      Validations.of(fn.role ?? fn).acknowledge({
        id: wildcardFinding(tableResource, '/index/*'),
        reason:
          "The grant reaches this table's own secondary index (gsi1) by ARN; the wildcard only spans the table's index names.",
      });
    }
    const lakeBucketResource = lake.bucket.node.defaultChild as CfnResource;
    for (const prefix of PIPELINE_PREFIXES) {
      Validations.of(runner.role ?? runner).acknowledge({
        id: wildcardFinding(lakeBucketResource, `/${prefix}/*`),
        reason: `The runner reads and writes objects under the ${prefix}/ prefix it owns (keys are per campaign, run date and run id); no other prefix, no delete, not the whole bucket.`,
      });
    }
    Validations.of(schedulerRole).acknowledge({
      id: wildcardFinding(dispatcher.node.defaultChild as CfnResource, ':*'),
      reason:
        'lambda:InvokeFunction on the dispatcher function and its versions/aliases (ARN:*), as LambdaInvoke grants it; no other function.',
    });

    // --- Outputs -----------------------------------------------------------------------------------
    const outputs: Record<string, [string, string]> = {
      TableName: [table.tableName, 'DynamoDB table (campaigns, runs, rate gate)'],
      LakeBucketName: [lake.bucket.bucketName, 'S3 lake bucket: prospects/, changes/, runs/'],
      AthenaResultsBucketName: [lake.athenaResultsBucket.bucketName, 'S3 bucket for Athena query results'],
      MozSecretName: [mozSecretName, 'Secrets Manager secret: put {"token":"<Moz API token>"} in it'],
      MozSecretArn: [mozSecret.secretArn, 'ARN of the Moz secret'],
      RunQueueUrl: [runQueue.queueUrl, 'SQS queue of campaign runs'],
      RunDlqUrl: [runDlq.queueUrl, 'Dead-letter queue of runs that failed 5 times'],
      GlueDatabaseName: [catalog.databaseName, 'Glue database of the lake tables'],
      AthenaWorkGroupName: [queries.workGroup.ref, 'Athena workgroup with the saved queries'],
      AlarmTopicArn: [ops.topic.topicArn, 'SNS topic the alarms notify'],
      DispatcherFunctionName: [dispatcher.functionName, 'Dispatcher Lambda function'],
      RunnerFunctionName: [runner.functionName, 'Runner Lambda function'],
    };
    for (const [outputId, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, outputId, { value, description });
    }
  }
}

/** The id cdk-nag gives an IAM5 finding for `<resource ARN><suffix>`, e.g. `<Table.Arn>/index/*`. */
function wildcardFinding(resource: CfnResource, suffix: string): string {
  const stack = Stack.of(resource);
  const logicalId: unknown = stack.resolve(stack.getLogicalId(resource));
  return `AwsSolutions-IAM5[Resource::<${String(logicalId)}.Arn>${suffix}]`;
}
