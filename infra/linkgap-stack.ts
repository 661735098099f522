import { CfnOutput, type Duration, type Size, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { athenaNamedQueries } from '#lake/queries.ts';
import { DailyDispatch } from './constructs/daily-dispatch.ts';
import { DigestDelivery } from './constructs/digest-delivery.ts';
import { Dispatcher } from './constructs/dispatcher.ts';
import { LakeCatalog } from './constructs/lake-catalog.ts';
import { LakeQueries } from './constructs/lake-queries.ts';
import { LakeStorage } from './constructs/lake-storage.ts';
import { type MozCredentials, MozSecret } from './constructs/moz-secret.ts';
import { OpsAlarms } from './constructs/ops-alarms.ts';
import { PipelineTable } from './constructs/pipeline-table.ts';
import { RUN_MAX_RECEIVE_COUNT, RunQueue } from './constructs/run-queue.ts';
import { RUNNER_TIMEOUT, Runner } from './constructs/runner.ts';
import { linkgapNames } from './names.ts';

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
   * Email subscribed to the digest topic: one short summary per committed run, with a report link.
   * @default - no subscription
   */
  readonly digestEmail?: string;
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
 *
 * The constructs below follow that flow. Each keeps its resources directly in the stack (siblings,
 * not children), so every resource keeps the logical id it was first deployed under: moving a
 * resource under a new construct would rename it, and CloudFormation would replace it.
 */
export class LinkgapStack extends Stack {
  constructor(scope: Construct, id: string, props: LinkgapStackProps = {}) {
    super(scope, id, {
      description: 'linkgap: monthly link-gap tracking (Moz Link Intersect) with an S3/Athena lake',
      ...props,
    });
    const names = linkgapNames(props.namePrefix);

    // State: campaigns, runs and the Moz rate gate in one table; snapshots in the lake.
    const table = new PipelineTable(this, 'Table');
    const lake = new LakeStorage(this, 'Lake', { lakeRetention: props.lakeRetention });
    const moz = MozSecret.existingOrNew(this, 'MozSecret', {
      secretName: names.mozSecret,
      existingSecretName: props.existingMozSecretName,
    });
    const ops = new OpsAlarms(this, 'Ops', { alarmEmail: props.alarmEmail });

    // Schedule -> dispatcher -> run queue -> runners.
    const runQueue = new RunQueue(this, 'RunQueue', { consumerTimeout: RUNNER_TIMEOUT, ops });
    const dispatcher = new Dispatcher(this, 'Dispatcher', {
      table,
      runQueue,
      names,
      ops,
      // "Today" for schedules is the calendar date in the schedule's own time zone.
      timeZone: props.scheduleTimeZone,
    });
    const runner = new Runner(this, 'Runner', {
      table,
      lake,
      runQueue,
      moz,
      names,
      ops,
      mozRateRequests: props.mozRateRequests,
      mozRateIntervalMs: props.mozRateIntervalMs,
      concurrency: props.runnerConcurrency,
    });
    // After each commit: the report into the lake, a digest on its own topic (not the alarm topic).
    const digest = new DigestDelivery(this, 'Digest', {
      runner,
      lake,
      ops,
      names,
      digestEmail: props.digestEmail,
    });
    new DailyDispatch(this, 'DailyDispatch', {
      dispatcher,
      ops,
      expression: props.scheduleExpression,
      timeZone: props.scheduleTimeZone,
    });

    // The lake made queryable: Glue tables from the lake contract, an Athena workgroup, saved queries.
    const catalog = new LakeCatalog(this, 'Catalog', {
      databaseName: names.glueDatabase,
      bucketName: lake.bucket.bucketName,
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

    publishOutputs(this, { table, lake, moz, runQueue, catalog, queries, ops, dispatcher, runner, digest });
  }
}

/** The parts of the stack whose names and ARNs the CLI and people need after deploy. */
interface PublishedParts {
  readonly table: PipelineTable;
  readonly lake: LakeStorage;
  readonly moz: MozCredentials;
  readonly runQueue: RunQueue;
  readonly catalog: LakeCatalog;
  readonly queries: LakeQueries;
  readonly ops: OpsAlarms;
  readonly dispatcher: Dispatcher;
  readonly runner: Runner;
  readonly digest: DigestDelivery;
}

function publishOutputs(stack: Stack, parts: PublishedParts): void {
  const { table, lake, moz, runQueue, catalog, queries, ops, dispatcher, runner, digest } = parts;
  const outputs: Record<string, [string, string]> = {
    TableName: [table.tableName, 'DynamoDB table (campaigns, runs, rate gate)'],
    LakeBucketName: [lake.bucket.bucketName, 'S3 lake bucket: prospects/, changes/, runs/'],
    AthenaResultsBucketName: [lake.athenaResultsBucket.bucketName, 'S3 bucket for Athena query results'],
    MozSecretName: [moz.secretName, 'Secrets Manager secret: put {"token":"<Moz API token>"} in it'],
    MozSecretArn: [moz.secret.secretArn, 'ARN of the Moz secret'],
    RunQueueUrl: [runQueue.queueUrl, 'SQS queue of campaign runs'],
    RunDlqUrl: [
      runQueue.deadLetters.queueUrl,
      `Dead-letter queue of runs that failed ${RUN_MAX_RECEIVE_COUNT} times`,
    ],
    GlueDatabaseName: [catalog.databaseName, 'Glue database of the lake tables'],
    AthenaWorkGroupName: [queries.workGroup.ref, 'Athena workgroup with the saved queries'],
    AlarmTopicArn: [ops.topic.topicArn, 'SNS topic the alarms notify'],
    DigestTopicArn: [
      digest.topic.topicArn,
      'SNS topic of the digest each committed run publishes (subscribe to it)',
    ],
    DispatcherFunctionName: [dispatcher.functionName, 'Dispatcher Lambda function'],
    RunnerFunctionName: [runner.functionName, 'Runner Lambda function'],
  };
  for (const [outputId, [value, description]] of Object.entries(outputs)) {
    new CfnOutput(stack, outputId, { value, description });
  }
}
