/**
 * One "runner" of the rate-limit benchmark's DynamoDB scenario, in a process of its own as each
 * runner Lambda is: runs one campaign against the simulator through its own DynamoDB rate gate
 * (shared schedule on the bench's moto), starting at an agreed instant, and reports when each Moz
 * request was written to the socket, when it finished (epoch ms, sub-millisecond) and how many
 * writes its gate refused (slots missed).
 * Args: JSON {simulatorUrl, motoEndpoint, tableName, campaign: {id, competitors, sourceScope}, requests, startAt}.
 */
import { subscribe } from 'node:diagnostics_channel';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoRateGate } from '#adapters/aws/rate-gate.ts';
import { benchCampaign } from '../support/campaigns.ts';
import { reportFromWorker } from '../support/child.ts';
import {
  createMemoryCampaignStore,
  createMemoryObjectStore,
  createMemoryRunStore,
} from '../support/memory-ports.ts';
import { countingMissedSlots } from '../support/missed-slots.ts';
import { benchMozClient, benchRunDeps, runToCommit } from '../support/pipeline.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  simulatorUrl: string;
  motoEndpoint: string;
  tableName: string;
  campaign: Parameters<typeof benchCampaign>[0];
  requests: number;
  startAt: number;
};
const preciseNow = () => performance.timeOrigin + performance.now();
const origin = new URL(args.simulatorUrl).origin;
const writes: number[] = [];
subscribe('undici:client:sendHeaders', (message) => {
  const request = (message as { request?: { origin?: unknown } }).request;
  if (String(request?.origin) === origin) writes.push(preciseNow());
});

const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: args.motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  }),
);
const { gate: rateGate, missed } = countingMissedSlots(
  createDynamoRateGate({
    doc,
    tableName: args.tableName,
    name: 'moz-account',
    requests: args.requests,
    intervalMs: 1000,
  }),
);
const campaign = benchCampaign(args.campaign);
const moz = benchMozClient(args.simulatorUrl, { rateGate });
const deps = benchRunDeps({
  campaigns: createMemoryCampaignStore([campaign]),
  runs: createMemoryRunStore(),
  lake: createMemoryObjectStore(),
  moz,
});
// A deployed runner has talked to DynamoDB (claiming the run) before its first Moz request; here the
// run stores are in memory, so one read warms the client (SDK set-up, connection) before the start.
await doc.send(new GetCommand({ TableName: args.tableName, Key: { pk: 'WARM-UP', sk: 'WARM-UP' } }));
const warmUpCalls = 1;
// The snapshot writer is imported lazily at the end of a run. A deployed runner has it in its bundle
// (already parsed); under tsx the first import transpiles it and its dependencies, 100–300 ms on this
// machine, which would land at the end of the longest run and count as rate-limit inefficiency.
await import('#lake/parquet.ts');
const lateStartMs = Math.max(0, preciseNow() - args.startAt);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, args.startAt - preciseNow())));
await runToCommit({ campaignId: campaign.id, runDate: '2026-01-01' }, deps);
const finishedAt = preciseNow();
await moz.close();
doc.destroy();
reportFromWorker({ writes, finishedAt, lateStartMs, missedSlots: missed(), warmUpCalls });
