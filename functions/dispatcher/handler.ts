import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { createAwsClients } from '#adapters/aws/clients.ts';
import { AwsEnv } from '#adapters/aws/config.ts';
import { createSqsQueue } from '#adapters/aws/queue.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { type DispatchDeps, type DispatchResult, dispatchDue } from '#pipeline/dispatch.ts';
import { once } from '../cold-start.ts';
import { powertoolsLog } from '../observability.ts';

/** EventBridge Scheduler passes the schedule's input; `today` overrides the date (replays, tests). */
export const DispatcherEvent = z.looseObject({ today: z.iso.date().optional() }).catch({});

export async function run(
  event: unknown,
  deps: DispatchDeps,
  now: Date = new Date(),
): Promise<DispatchResult> {
  const today = DispatcherEvent.parse(event ?? {}).today ?? now.toISOString().slice(0, 10);
  return dispatchDue({ today }, deps);
}

/** The composition root: env parsed and clients built once per cold start. */
export function coldStartDeps(env: Record<string, string | undefined> = process.env): DispatchDeps {
  const config = AwsEnv.pick({ LINKGAP_TABLE: true, LINKGAP_QUEUE_URL: true }).parse(env);
  const clients = createAwsClients();
  return {
    campaigns: createDynamoCampaignStore({ doc: clients.doc, tableName: config.LINKGAP_TABLE }),
    runs: createDynamoRunStore({ doc: clients.doc, tableName: config.LINKGAP_TABLE }),
    queue: createSqsQueue({ sqs: clients.sqs, queueUrl: config.LINKGAP_QUEUE_URL }),
    log: powertoolsLog(new Logger({ serviceName: 'linkgap-dispatcher' })),
  };
}

const deps = once(() => coldStartDeps());
export const handler = (event: unknown) => run(event, deps());
