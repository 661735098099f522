import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { createAwsClients } from '#adapters/aws/clients.ts';
import { awsConfigFromEnv } from '#adapters/aws/config.ts';
import { createS3ObjectStore } from '#adapters/aws/object-store.ts';
import { createSqsQueue } from '#adapters/aws/queue.ts';
import { createDynamoRateGate } from '#adapters/aws/rate-gate.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { createSecretsManagerSource } from '#adapters/aws/secret-source.ts';
import { createMozClient } from '#moz/client.ts';
import type { RunDeps } from '#pipeline/run-campaign.ts';
import type { Queue } from '#shared/ports.ts';
import { newRunId } from '#shared/run-id.ts';
import { VERSION } from '#shared/version.ts';
import { powertoolsLog, powertoolsMetrics } from '../observability.ts';

export interface RunnerDeps {
  pipeline: RunDeps;
  /** Continuations of runs that ran out of time go back on the run queue. */
  queue: Queue;
  /** Tells the Moz client when this invocation must stop retrying. */
  setDeadline(epochMs: number): void;
  /** Flushes EMF metrics at the end of an invocation. */
  flush(): void;
}

/** The composition root: env parsed, clients and the Moz client built once per cold start. */
export function coldStartDeps(env: Record<string, string | undefined> = process.env): RunnerDeps {
  const config = awsConfigFromEnv(env);
  const clients = createAwsClients();
  const logger = new Logger({ serviceName: 'linkgap-runner' });
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'Linkgap',
    serviceName: 'linkgap-runner',
  });
  const log = powertoolsLog(logger);
  const secrets = createSecretsManagerSource({ client: clients.secrets, secretId: config.mozSecretId });
  // One gate item in DynamoDB spaces the requests of every runner sharing the Moz account.
  const rateGate = createDynamoRateGate({
    doc: clients.doc,
    tableName: config.tableName,
    ...config.rateGate,
  });
  let deadline = Number.POSITIVE_INFINITY;
  const moz = createMozClient({
    baseUrl: config.mozBaseUrl,
    credentials: () => secrets.read(),
    refreshCredentials: () => secrets.refresh(),
    credentialSource: secrets.description,
    rateGate,
    deadline: () => deadline,
    log: (event) => log[event.level](event.msg, event),
  });
  const queue = createSqsQueue({ sqs: clients.sqs, queueUrl: config.queueUrl });
  return {
    pipeline: {
      campaigns: createDynamoCampaignStore({ doc: clients.doc, tableName: config.tableName }),
      runs: createDynamoRunStore({ doc: clients.doc, tableName: config.tableName }),
      lake: createS3ObjectStore({ s3: clients.s3, bucket: config.bucket }),
      moz,
      clock: () => new Date(),
      newRunId: () => newRunId(),
      log,
      metrics: powertoolsMetrics(metrics),
      leaseMs: 16 * 60_000,
      softwareVersion: VERSION,
      mozBaseUrl: config.mozBaseUrl,
    },
    queue,
    setDeadline: (epochMs) => {
      deadline = epochMs;
    },
    flush: () => metrics.publishStoredMetrics(),
  };
}
