import { z } from 'zod';
import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { createDocumentClient, createSqsClient } from '#adapters/aws/clients.ts';
import { AwsEnv } from '#adapters/aws/config.ts';
import { createSqsQueue } from '#adapters/aws/queue.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import type { DispatchDeps } from '#pipeline/dispatch.ts';
import { lambdaObservability } from '../lambda-observability.ts';

const TimeZone = z
  .string()
  .default('UTC')
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-CA', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'LINKGAP_TIME_ZONE must be an IANA time zone such as Europe/Berlin');

const DispatcherEnv = AwsEnv.pick({ LINKGAP_TABLE: true, LINKGAP_QUEUE_URL: true }).extend({
  LINKGAP_TIME_ZONE: TimeZone,
});

/** The composition root: env parsed and clients built once per cold start. */
export function coldStartDeps(
  env: Record<string, string | undefined> = process.env,
): DispatchDeps & { timeZone: string } {
  const config = DispatcherEnv.parse(env);
  // Only the clients the dispatcher calls: each one bundled costs start-up time.
  const clients = { doc: createDocumentClient(), sqs: createSqsClient() };
  return {
    campaigns: createDynamoCampaignStore({ doc: clients.doc, tableName: config.LINKGAP_TABLE }),
    runs: createDynamoRunStore({ doc: clients.doc, tableName: config.LINKGAP_TABLE }),
    queue: createSqsQueue({ sqs: clients.sqs, queueUrl: config.LINKGAP_QUEUE_URL }),
    log: lambdaObservability(env, 'linkgap-dispatcher').log,
    timeZone: config.LINKGAP_TIME_ZONE,
  };
}
