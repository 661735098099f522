import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { CAMPAIGNS_GSI1PK, campaignKey } from '#adapters/aws/table.ts';
import type { Campaign } from '#domain/campaign.ts';
import { openLake } from '#lake/duckdb.ts';
import { intersectBody } from '#moz/client.ts';
import type { DispatchDeps } from '#pipeline/dispatch.ts';
import { intersectQueryOf } from '#pipeline/intersect-query.ts';
import { silentLog } from '#shared/observability.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { aCampaign, anSqsRecord } from '#test/support/builders.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';
import { run as dispatch, coldStartDeps as dispatcherDeps } from '../../functions/dispatcher/handler.ts';
import { type RunnerDeps, coldStartDeps as runnerDeps } from '../../functions/runner/deps.ts';
import { run as runRunner } from '../../functions/runner/handler.ts';

/**
 * Issue 4 acceptance: the Lambda handlers with their real composition roots (SDK clients built from
 * the environment) against moto_server, and the Moz simulator standing in for lsapi.seomoz.com.
 */
const moto = useMoto();
const TOKEN = 'sim-token-for-aws-functions';
const PLENTY = () => 10 * 60_000;

function sqsEvent(...messages: { campaignId: string; runDate: string }[]): SQSEvent {
  return {
    Records: messages.map((message, index) =>
      anSqsRecord({
        messageId: `m-${index}-${message.campaignId}`,
        receiptHandle: 'r',
        body: JSON.stringify(message),
      }),
    ),
  };
}

function campaign(id: string, overrides: Parameters<typeof aCampaign>[0] = {}): Campaign {
  return aCampaign({
    id,
    site: [{ target: 'acme-trail.example', scope: 'root_domain' }],
    competitors: [
      { target: 'rival-running.example', scope: 'root_domain' },
      { target: 'summit-footwear.example', scope: 'root_domain' },
    ],
    maxRowsPerRun: 50_000,
    ...overrides,
  });
}

describeAws('Lambda handlers against moto_server', () => {
  let stack: TestStack;
  let simulator: MozSimulator;
  let env: Record<string, string>;
  let runner: RunnerDeps;

  beforeAll(async () => {
    simulator = await startSimulator({ token: TOKEN, seed: 'aws-functions', month: '2026-05' });
    stack = await createTestStack(moto, { secretValue: JSON.stringify({ token: TOKEN }) });
    env = {
      ...stack.lambdaEnv,
      MOZ_API_BASE_URL: simulator.baseUrl,
      MOZ_RATE_REQUESTS: '1000',
      MOZ_RATE_INTERVAL_MS: '1000',
    };
    runner = runnerDeps(env);
  });

  afterAll(async () => {
    await simulator?.close();
  });

  const listKeys = async (prefix: string) => {
    const listed = await stack.clients.s3.send(
      new ListObjectsV2Command({ Bucket: stack.names.bucket, Prefix: prefix }),
    );
    return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
  };

  it('the dispatcher reads campaigns from DynamoDB and enqueues one message per due campaign', async () => {
    const deps = dispatcherDeps(env);
    const store = createDynamoCampaignStore({ doc: stack.clients.doc, tableName: stack.names.tableName });
    await store.put(campaign('disp-monthly'));
    await store.put(campaign('disp-disabled', { enabled: false }));
    await store.put(campaign('disp-weekly', { schedule: { every: 'week', weekday: 'monday' } }));
    // Hand-edited in the console and broken: skipped alone.
    await stack.clients.doc.send(
      new PutCommand({
        TableName: stack.names.tableName,
        Item: {
          ...campaignKey('disp-broken'),
          gsi1pk: CAMPAIGNS_GSI1PK,
          gsi1sk: 'disp-broken',
          config: { id: 'disp-broken', site: 'oops' },
        },
      }),
    );

    const result = await dispatch({ today: '2026-05-06' }, deps);
    expect(result.enqueued).toEqual(
      expect.arrayContaining([
        { campaignId: 'disp-monthly', runDate: '2026-05-01' },
        { campaignId: 'disp-weekly', runDate: '2026-05-04' },
      ]),
    );
    expect(result.enqueued.map((m) => m.campaignId)).not.toContain('disp-disabled');
    expect(result.invalid).toEqual([{ campaignId: 'disp-broken', message: expect.stringContaining('site') }]);

    const received = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const bodies = (received.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}'));
    expect(bodies).toEqual(expect.arrayContaining(result.enqueued));
  });

  it('the runner reads its campaign and secret, calls Moz, and writes snapshots DuckDB can read', async () => {
    const subject = campaign('runner-e2e');
    await runner.pipeline.campaigns.put(subject);
    const response = await runRunner(
      sqsEvent({ campaignId: subject.id, runDate: '2026-05-01' }),
      runner,
      PLENTY,
    );
    expect(response.batchItemFailures).toEqual([]);

    const keys = await listKeys('');
    const mine = keys.filter((key) => key.includes(`campaign_id=${subject.id}/`));
    // The run's report is derived after the commit, into reports/ (issue 13).
    expect(mine.map((key) => key.split('/')[0])).toEqual(['changes', 'prospects', 'reports', 'runs']);
    expect(keys.filter((key) => key.startsWith(`staging/${subject.id}/`))).toEqual([]);

    // Download the objects as `aws s3 cp --recursive` would, and read them with DuckDB.
    const folder = await mkdtemp(join(tmpdir(), 'linkgap-aws-download-'));
    try {
      for (const key of mine) {
        const bytes = await runner.pipeline.lake.get(key);
        await mkdir(dirname(join(folder, key)), { recursive: true });
        await writeFile(join(folder, key), bytes ?? new Uint8Array());
      }
      const lake = await openLake(folder);
      try {
        const [run] = await lake.query(
          `SELECT r.gap_size, count(p.source) AS prospects FROM runs r JOIN prospects p USING (run_id)
           WHERE r.campaign_id = '${subject.id}' GROUP BY r.gap_size`,
        );
        const truth = simulator.truth.intersect(
          intersectBody(intersectQueryOf(subject), 50, null),
          '2026-05',
        );
        expect(run).toEqual({ gap_size: truth.length, prospects: truth.length });
      } finally {
        lake.close();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    expect(await runner.pipeline.runs.get(subject.id, '2026-05-01')).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('the same message delivered twice, in turn and at once, makes one run, one set of objects, one spend', async () => {
    const subject = campaign('runner-dup');
    await runner.pipeline.campaigns.put(subject);
    const message = { campaignId: subject.id, runDate: '2026-05-01' };
    const rowsBefore = simulator.stats().rowsConsumed;

    const concurrent = await Promise.all([
      runRunner(sqsEvent(message), runner, PLENTY),
      runRunner(sqsEvent(message), runner, PLENTY),
    ]);
    expect(concurrent.flatMap((response) => response.batchItemFailures)).toEqual([]);
    const afterFirst = await listKeys(`runs/campaign_id=${subject.id}/`);
    const spentOnce = simulator.stats().rowsConsumed - rowsBefore;

    const again = await runRunner(sqsEvent(message), runner, PLENTY);
    expect(again.batchItemFailures).toEqual([]);
    expect(afterFirst).toHaveLength(1);
    expect(await listKeys(`runs/campaign_id=${subject.id}/`)).toEqual(afterFirst);
    expect(await listKeys(`prospects/campaign_id=${subject.id}/`)).toHaveLength(1);
    expect(simulator.stats().rowsConsumed - rowsBefore).toBe(spentOnce);
    expect(spentOnce).toBeGreaterThan(0);
  });

  it('a run that runs out of time checkpoints, re-enqueues itself, and finishes on the next delivery', async () => {
    const subject = campaign('runner-continued');
    await runner.pipeline.campaigns.put(subject);
    const message = { campaignId: subject.id, runDate: '2026-05-01' };
    // 70 s left: after the 30 s safety margin, less than the pipeline's 60 s minimum, so it hands over at once.
    const response = await runRunner(sqsEvent(message), runner, () => 70_000);
    expect(response.batchItemFailures).toEqual([]);
    const received = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect((received.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'))).toContainEqual(message);
    expect(await runner.pipeline.runs.get(subject.id, message.runDate)).toMatchObject({ status: 'RUNNING' });

    const next = await runRunner(sqsEvent(message), runner, PLENTY);
    expect(next.batchItemFailures).toEqual([]);
    expect(await runner.pipeline.runs.get(subject.id, message.runDate)).toMatchObject({
      status: 'SUCCEEDED',
    });
  });

  it('a runner killed mid-run is taken over after its lease and resumes without refetching a page', async () => {
    const subject = campaign('runner-killed');
    await runner.pipeline.campaigns.put(subject);
    const message = { campaignId: subject.id, runDate: '2026-05-01' };
    const logStart = simulator.log.length;

    // The first invocation "dies" after its second page: it never returns and never records anything.
    let pagesSeen = 0;
    const dying: RunnerDeps = {
      ...runner,
      pipeline: {
        ...runner.pipeline,
        settings: { ...runner.pipeline.settings, leaseMs: 300 },
        afterStep: (step) => {
          if (step === 'page' && ++pagesSeen === 2) return new Promise<void>(() => {});
        },
      },
    };
    void runRunner(sqsEvent(message), dying, PLENTY);
    await expect.poll(() => pagesSeen, { timeout: 10_000 }).toBe(2);
    expect(await runner.pipeline.runs.get(subject.id, message.runDate)).toMatchObject({ status: 'RUNNING' });
    await new Promise((resolve) => setTimeout(resolve, 400));

    const redelivered = await runRunner(sqsEvent(message), runner, PLENTY);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(await runner.pipeline.runs.get(subject.id, message.runDate)).toMatchObject({
      status: 'SUCCEEDED',
      attempt: 2,
    });

    const intersectCalls = simulator.log
      .slice(logStart)
      .filter((entry) => entry.route === 'link_intersect' && entry.status === 200);
    const tokens = intersectCalls.map((entry) => entry.nextToken ?? 'first-page');
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.length).toBeGreaterThan(2);
  });

  it('a message that is not a run request is reported as a failure, so it ends in the DLQ', async () => {
    const event = sqsEvent({ campaignId: 'x', runDate: '2026-05-01' });
    const record = event.Records[0];
    if (!record) throw new Error('no record');
    record.body = '{"campaign":"nope"}';
    const response = await runRunner(event, runner, PLENTY);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });
});

describe('runner configuration', () => {
  it('names the missing environment variable at cold start', () => {
    expect(() => runnerDeps({ LINKGAP_TABLE: 't' })).toThrow(/LINKGAP_BUCKET/);
  });
});

describe('dispatcher dates', () => {
  const monthly = campaign('tz-monthly');
  const fakeDeps = (timeZone: string, sent: unknown[]) => ({
    timeZone,
    campaigns: {
      get: async () => monthly,
      async *list() {
        yield { id: monthly.id, raw: monthly };
      },
      put: async () => {},
      remove: async () => false,
    },
    runs: { latest: async () => undefined } as unknown as DispatchDeps['runs'],
    queue: { send: async (messages: unknown[]) => void sent.push(...messages) },
    log: silentLog,
  });

  it.each([
    // 06:00 in Tokyo on 1 June is still 31 May in UTC: the June run is due in Tokyo.
    ['Asia/Tokyo', '2026-05-31T21:00:00Z', '2026-06-01'],
    ['UTC', '2026-05-31T21:00:00Z', '2026-05-01'],
    ['America/Los_Angeles', '2026-06-01T03:00:00Z', '2026-05-01'],
  ])('in %s, a schedule fired at %s dispatches the run of %s', async (timeZone, scheduledTime, runDate) => {
    const sent: unknown[] = [];
    await dispatch({ source: 'linkgap.schedule', scheduledTime }, fakeDeps(timeZone, sent));
    expect(sent).toEqual([{ campaignId: monthly.id, runDate }]);
  });

  it('refuses an unknown time zone at cold start, naming the variable', () => {
    expect(() =>
      dispatcherDeps({
        LINKGAP_TABLE: 't',
        LINKGAP_QUEUE_URL: 'http://q',
        LINKGAP_TIME_ZONE: 'Mars/Olympus',
      }),
    ).toThrow(/LINKGAP_TIME_ZONE/);
  });
});
