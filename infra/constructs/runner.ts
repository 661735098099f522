import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { DEFAULT_MOZ_BASE_URL, DEFAULT_MOZ_RATE, lambdaEnvironment } from '#adapters/aws/config.ts';
import type { LinkgapNames } from '../names.ts';
import { RUNNER_GLIBC_TUNABLES } from '../process-settings.ts';
import type { LakeStorage } from './lake-storage.ts';
import { LinkgapFunction } from './linkgap-function.ts';
import type { MozCredentials } from './moz-secret.ts';
import type { OpsAlarms } from './ops-alarms.ts';
import type { PipelineTable } from './pipeline-table.ts';
import type { RunQueue } from './run-queue.ts';

/** The runner's timeout: Lambda's 15-minute maximum; longer runs checkpoint and continue. */
export const RUNNER_TIMEOUT = Duration.minutes(15);

export interface RunnerProps {
  /** Campaigns, runs and the rate gate (read and write). */
  readonly table: PipelineTable;
  /** Where snapshots, changes, manifests and checkpoints are written. */
  readonly lake: LakeStorage;
  /** The queue the runner consumes, and re-queues the rest of a long run to. */
  readonly runQueue: RunQueue;
  /** The Moz token the runner reads. */
  readonly moz: MozCredentials;
  /** Service name, metrics namespace and rate gate name. */
  readonly names: LinkgapNames;
  /** Alarms when an invocation fails. */
  readonly ops: OpsAlarms;
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
  readonly concurrency?: number;
}

/**
 * The function that runs one campaign: Moz Link Intersect, diff, verify, write the lake, commit.
 * It consumes the run queue one message at a time.
 */
export class Runner extends LinkgapFunction {
  constructor(scope: Construct, id: string, props: RunnerProps) {
    const rate = validRate(props);
    const concurrency = validConcurrency(props.concurrency ?? 2);
    super(scope, id, {
      entry: 'functions/runner/handler.ts',
      description: 'linkgap: runs one campaign: Moz Link Intersect, diff, verify, write the lake, commit',
      timeout: RUNNER_TIMEOUT,
      memorySize: 1024,
      environment: {
        GLIBC_TUNABLES: RUNNER_GLIBC_TUNABLES,
        ...lambdaEnvironment({
          tableName: props.table.tableName,
          bucket: props.lake.bucket.bucketName,
          // The runner re-queues the rest of a run that outgrows one invocation.
          queueUrl: props.runQueue.queueUrl,
          mozSecretId: props.moz.secretName,
          mozBaseUrl: DEFAULT_MOZ_BASE_URL,
          rateRequests: rate.requests,
          rateIntervalMs: rate.intervalMs,
          rateGateName: props.names.rateGate,
          serviceName: props.names.runnerService,
          metricsNamespace: props.names.metricsNamespace,
        }),
      },
    });
    props.moz.secret.grantRead(this);
    props.lake.grantPipelineReadWrite(this);
    props.table.grantPipelineReadWrite(this);
    props.runQueue.grantSendMessages(this);

    // How all runners share ONE Moz rate limit (free tier: 1 request / 10 s per account): every
    // Moz request first reserves the next free slot in a rate-gate item (LINKGAP_RATE_GATE_NAME)
    // in the table, with a conditional update, so requests stay spaced however many runners are
    // alive (shared/adapters/aws/rate-gate.ts); MaximumConcurrency caps how many there are, so
    // waiting runners stay few and cheap. Reserved concurrency is deliberately not used: new
    // accounts often have too little unreserved concurrency to reserve any, and SQS deliveries
    // throttled by it count toward maxReceiveCount, sending healthy runs to the DLQ.
    this.addEventSource(
      new SqsEventSource(props.runQueue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: concurrency,
      }),
    );
    props.ops.addFunctionErrorsAlarm(`${id}Errors`, this, {
      meaning:
        'A runner invocation failed in the last hour. SQS will retry it; repeated failures end in the run DLQ.',
      action:
        'Read the runner logs (errors carry the campaign id and run id). 401/403 means the Moz token in the secret is wrong; a zod error names the bad campaign field. No action is needed if a retry succeeded.',
    });
  }
}

function validRate(props: RunnerProps): { requests: number; intervalMs: number } {
  const requests = props.mozRateRequests ?? DEFAULT_MOZ_RATE.requests;
  const intervalMs = props.mozRateIntervalMs ?? DEFAULT_MOZ_RATE.intervalMs;
  if (!Number.isInteger(requests) || requests < 1) {
    throw new Error(`mozRateRequests must be a positive integer, got ${requests}`);
  }
  if (!Number.isInteger(intervalMs) || intervalMs < 0) {
    throw new Error(`mozRateIntervalMs must be a whole number of milliseconds, got ${intervalMs}`);
  }
  return { requests, intervalMs };
}

function validConcurrency(concurrency: number): number {
  if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000) {
    throw new Error(
      `runnerConcurrency must be an integer from 2 to 1000 (SQS event source limit), got ${concurrency}`,
    );
  }
  return concurrency;
}
