import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { createDocumentClient, createSqsClient } from '#adapters/aws/clients.ts';
import { dispatcherConfigFromEnv } from '#adapters/aws/config.ts';
import { createSqsQueue } from '#adapters/aws/queue.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import type { DispatchDeps } from '#pipeline/dispatch.ts';
import { lambdaLog } from '../lambda-observability.ts';

/** The composition root: env parsed and clients built once per cold start. */
export function coldStartDeps(
  env: Record<string, string | undefined> = process.env,
): DispatchDeps & { timeZone: string } {
  const config = dispatcherConfigFromEnv(env);
  // Only the clients the dispatcher calls: each one bundled costs start-up time.
  const clients = { doc: createDocumentClient(), sqs: createSqsClient() };
  return {
    campaigns: createDynamoCampaignStore({ doc: clients.doc, tableName: config.tableName }),
    runs: createDynamoRunStore({ doc: clients.doc, tableName: config.tableName }),
    queue: createSqsQueue({ sqs: clients.sqs, queueUrl: config.queueUrl }),
    log: lambdaLog(env, 'linkgap-dispatcher'),
    timeZone: config.timeZone,
  };
}
