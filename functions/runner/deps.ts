import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import {
  createDocumentClient,
  createS3Client,
  createSecretsManagerClient,
  createSqsClient,
  snsClientOnDemand,
} from '#adapters/aws/clients.ts';
import { awsConfigFromEnv } from '#adapters/aws/config.ts';
import { awsPublishPorts } from '#adapters/aws/digest-publish.ts';
import { createS3ObjectStore } from '#adapters/aws/object-store.ts';
import { createSqsQueue } from '#adapters/aws/queue.ts';
import { createDynamoRateGate } from '#adapters/aws/rate-gate.ts';
import { createDynamoReviewStore } from '#adapters/aws/review-store.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { createSecretsManagerSource } from '#adapters/aws/secret-source.ts';
import { announcingRateGate } from '#moz/announced-waits.ts';
import { publicBaseUrl } from '#moz/config.ts';
import { ANNOUNCED_WAIT_MS, lineProgress, retryWait } from '#pipeline/progress.ts';
import { createRunDeps, type RunDeps, type RunMoz } from '#pipeline/run-deps.ts';
import type { Queue } from '#shared/ports.ts';
import { VERSION } from '#shared/version.ts';
import { once } from '../cold-start.ts';
import { type LambdaObservability, lambdaObservability } from '../lambda-observability.ts';

/** Leave this much of the Lambda's time for checkpointing, handing over and flushing. */
export const SAFETY_MARGIN_MS = 30_000;

export interface RunnerDeps {
  pipeline: RunDeps;
  /** Continuations of runs that ran out of time go back on the run queue. */
  queue: Queue;
  observability: Pick<LambdaObservability, 'addContext' | 'flush'>;
}

/**
 * The Moz client, built on the first Moz call. It brings the HTTP client (undici) and the Moz
 * response schemas, which an invocation that makes no Moz call never needs: one that finds its run
 * busy or already done, or resumes a run whose pages and verification are all checkpointed.
 */
export function mozOnDemand(build: () => Promise<RunMoz>): RunMoz {
  const client = once(build);
  return {
    intersectPage: async (query, opts) => (await client()).intersectPage(query, opts),
    linkStatus: async (request, opts) => (await client()).linkStatus(request, opts),
  };
}

/** The composition root: env parsed and clients built once per cold start (the Moz client on its first call). */
export function coldStartDeps(env: Record<string, string | undefined> = process.env): RunnerDeps {
  const config = awsConfigFromEnv(env);
  // Only the clients the runner calls (no Athena): each one bundled costs start-up time.
  const clients = {
    doc: createDocumentClient(),
    s3: createS3Client(),
    secrets: createSecretsManagerClient(),
    sqs: createSqsClient(),
  };
  const observability = lambdaObservability(env, 'linkgap-runner');
  const { log } = observability;
  const secrets = createSecretsManagerSource({ client: clients.secrets, secretId: config.mozSecretId });
  // One gate item in DynamoDB spaces the requests of every runner sharing the Moz account.
  const spacingMs = config.rateGate.intervalMs / config.rateGate.requests;
  // Progress as log lines (one every 30 s or 10 pages); a wait over 5 s says how long and why.
  const progress = lineProgress({ write: (line) => log.info(line), now: Date.now, spacingMs });
  const rateGate = announcingRateGate(
    createDynamoRateGate({ doc: clients.doc, tableName: config.tableName, ...config.rateGate }),
    {
      ...config.rateGate,
      now: Date.now,
      thresholdMs: ANNOUNCED_WAIT_MS,
      onWait: (wait) => progress({ kind: 'wait', ...wait }),
    },
  );
  const moz = mozOnDemand(async () => {
    const { createMozClient } = await import('#moz/client.ts');
    return createMozClient({
      baseUrl: config.mozBaseUrl,
      credentials: () => secrets.read(),
      refreshCredentials: () => secrets.refresh(),
      credentialSource: secrets.description,
      rateGate,
      log: (event) => {
        log[event.level](event.msg, event);
        const wait = retryWait(event);
        if (wait) progress(wait);
      },
    });
  });
  return {
    pipeline: createRunDeps({
      campaigns: createDynamoCampaignStore({ doc: clients.doc, tableName: config.tableName }),
      runs: createDynamoRunStore({ doc: clients.doc, tableName: config.tableName }),
      reviews: createDynamoReviewStore({ doc: clients.doc, tableName: config.tableName }),
      lake: createS3ObjectStore({ s3: clients.s3, bucket: config.bucket }),
      moz,
      log,
      metrics: observability.metrics,
      progress,
      provenance: { softwareVersion: VERSION, mozBaseUrl: publicBaseUrl(config.mozBaseUrl) },
      owner: { host: env.AWS_LAMBDA_LOG_STREAM_NAME || 'lambda', pid: process.pid },
      // After each commit: the report into the lake, the digest to SNS and the campaign's webhook.
      publish: awsPublishPorts({
        doc: clients.doc,
        tableName: config.tableName,
        s3: clients.s3,
        bucket: config.bucket,
        sns: snsClientOnDemand(),
        secrets: clients.secrets,
        topicArn: config.digestTopicArn,
      }),
    }),
    queue: createSqsQueue({ sqs: clients.sqs, queueUrl: config.queueUrl }),
    observability,
  };
}
