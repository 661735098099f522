/**
 * Issue 13 acceptance on moto: the dispatcher and the runner handlers with their real composition
 * roots, a digest topic with an SQS queue subscribed to it. Two months run; each committed run
 * publishes exactly one digest (right counts, the top new prospects, a report link whose object
 * exists); a duplicate delivery publishes nothing; an unreachable topic leaves the run committed and
 * counts DigestPublishFailed.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { topNewProspects } from '#domain/digest.ts';
import { listCommittedRuns } from '#lake/committed-runs.ts';
import { reportKey } from '#lake/keys.ts';
import { createMemoryMetrics } from '#shared/observability.ts';
import { prospectsOf } from '#shared/report/model.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { aCampaign, anSqsRecord } from '#test/support/builders.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';
import { run as dispatch, coldStartDeps as dispatcherDeps } from '../../functions/dispatcher/handler.ts';
import { type RunnerDeps, coldStartDeps as runnerDeps } from '../../functions/runner/deps.ts';
import { run as runRunner } from '../../functions/runner/handler.ts';

const moto = useMoto();
const TOKEN = 'sim-token-for-aws-delivery';
const PLENTY = () => 10 * 60_000;

interface SnsEnvelope {
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, { Type: string; Value: string }>;
}

describeAws('digest delivery against moto_server', () => {
  let stack: TestStack;
  let simulator: MozSimulator;
  let env: Record<string, string>;
  let runner: RunnerDeps;
  let digestQueueUrl: string;

  beforeAll(async () => {
    simulator = await startSimulator({ token: TOKEN, seed: 'aws-delivery', month: '2026-05' });
    stack = await createTestStack(moto, { secretValue: JSON.stringify({ token: TOKEN }) });
    const sns = new SNSClient({});
    const topic = await sns.send(new CreateTopicCommand({ Name: `${stack.names.queueName}-digest` }));
    const queue = await stack.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${stack.names.queueName}-digests` }),
    );
    digestQueueUrl = queue.QueueUrl ?? '';
    const queueArn = (
      await stack.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: digestQueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
    sns.destroy();
    env = {
      ...stack.lambdaEnv,
      MOZ_API_BASE_URL: simulator.baseUrl,
      MOZ_RATE_REQUESTS: '1000',
      MOZ_RATE_INTERVAL_MS: '1000',
      LINKGAP_DIGEST_TOPIC_ARN: topic.TopicArn ?? '',
    };
    runner = runnerDeps(env);
  });
  afterAll(async () => {
    await simulator?.close();
  });

  /** Every digest waiting on the subscribed queue (deleted as read). */
  async function drainDigests(): Promise<SnsEnvelope[]> {
    const digests: SnsEnvelope[] = [];
    for (let poll = 0; poll < 10; poll++) {
      const received = await stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: digestQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        digests.push(JSON.parse(message.Body ?? '{}') as SnsEnvelope);
        await stack.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: digestQueueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }
    return digests;
  }

  /** The dispatcher's messages for this campaign, taken off the run queue, as the runner's SQS event. */
  async function dispatched(campaignId: string, today: string): Promise<SQSEvent> {
    await dispatch({ today }, dispatcherDeps(env));
    const received = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const mine = (received.Messages ?? []).filter(
      (m) => JSON.parse(m.Body ?? '{}').campaignId === campaignId,
    );
    expect(mine).toHaveLength(1);
    return {
      Records: mine.map((message) =>
        anSqsRecord({
          messageId: message.MessageId ?? 'm',
          receiptHandle: message.ReceiptHandle ?? 'r',
          body: message.Body ?? '',
        }),
      ),
    };
  }

  it('two months: one digest per run with the counts, the top new prospects and a working report link; a duplicate sends none', async () => {
    const subject = aCampaign({
      id: 'delivery-two-months',
      name: 'Acme trail (delivery)',
      site: [{ target: 'acme-trail.example', scope: 'root_domain' }],
      competitors: [
        { target: 'rival-running.example', scope: 'root_domain' },
        { target: 'summit-footwear.example', scope: 'root_domain' },
      ],
      maxRowsPerRun: 50_000,
    });
    await runner.pipeline.campaigns.put(subject);
    await drainDigests();

    const events: SQSEvent[] = [];
    for (const [month, today] of [
      ['2026-05', '2026-05-06'],
      ['2026-06', '2026-06-03'],
    ] as const) {
      simulator.setMonth(month);
      const event = await dispatched(subject.id, today);
      events.push(event);
      expect((await runRunner(event, runner, PLENTY)).batchItemFailures).toEqual([]);
    }
    const digests = await drainDigests();
    expect(digests).toHaveLength(2);

    const runs = await listCommittedRuns(runner.pipeline.lake, subject.id);
    expect(runs.map((run) => run.runDate)).toEqual(['2026-05-01', '2026-06-01']);
    const byDate = new Map(digests.map((d) => [d.MessageAttributes.run_date?.Value, d]));
    for (const run of runs) {
      const digest = byDate.get(run.runDate);
      if (!digest) throw new Error(`no digest for ${run.runDate}`);
      const m = run.manifest;
      const attribute = (name: string) => digest.MessageAttributes[name]?.Value;
      expect(attribute('campaign_id')).toBe(subject.id);
      expect(attribute('run_id')).toBe(run.runId);
      expect(Number(attribute('new_count'))).toBe(m.new_count);
      expect(Number(attribute('closed_count'))).toBe(m.closed_count);
      expect(Number(attribute('lost_count'))).toBe(m.lost_count);
      expect(Number(attribute('gap_size'))).toBe(m.gap_size);
      expect(digest.Subject).toContain(run.runDate);
      expect(digest.Message).toContain(`Closed (earned links) ${m.closed_count.toLocaleString('en-US')}`);
      expect(digest.Message).toContain(`of the ${m.max_rows_per_run.toLocaleString('en-US')} budget`);
      const top = topNewProspects(await prospectsOf(runner.pipeline.lake, run));
      expect(top.length).toBeGreaterThan(0);
      const listed = [...digest.Message.matchAll(/^\s*\d+\. (\S+) {2}score/gm)].map((match) => match[1]);
      expect(listed).toEqual(top.map((row) => row.source));

      const url = /^Report \(.*\): (http\S+)$/m.exec(digest.Message)?.[1];
      expect(url).toContain(encodeURI(reportKey(subject.id, run.runDate, run.runId)).replaceAll('=', '%3D'));
      expect(url).toContain('X-Amz-Expires=604800');
      const response = await fetch(url ?? '');
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>Link gap report: Acme trail (delivery)</title>');
    }
    expect(byDate.get('2026-06-01')?.Message).toMatch(
      /Gap: [\d,]+ prospects \([+-][\d,]+ since the previous run\)/,
    );
    expect(byDate.get('2026-05-01')?.Message).toContain('First run');

    // The second month's message delivered again (SQS at-least-once): nothing new is published.
    const duplicate = events[1];
    if (!duplicate) throw new Error('no event');
    expect((await runRunner(duplicate, runner, PLENTY)).batchItemFailures).toEqual([]);
    expect(await drainDigests()).toEqual([]);
  });

  it('an unreachable digest topic leaves the run committed and counts DigestPublishFailed', async () => {
    const subject = aCampaign({ id: 'delivery-no-topic', maxRowsPerRun: 50_000 });
    const broken = runnerDeps({
      ...env,
      LINKGAP_DIGEST_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:no-such-topic',
    });
    const metrics = createMemoryMetrics();
    const publish = broken.pipeline.publish;
    if (!publish) throw new Error('the runner has no publish stage');
    const deps: RunnerDeps = {
      ...broken,
      pipeline: {
        ...broken.pipeline,
        metrics,
        publish: { ...publish, retry: { attempts: 2, firstDelayMs: 5 } },
      },
    };
    await deps.pipeline.campaigns.put(subject);
    simulator.setMonth('2026-05');
    const event = await dispatched(subject.id, '2026-05-06');
    expect((await runRunner(event, deps, PLENTY)).batchItemFailures).toEqual([]);
    expect(await deps.pipeline.runs.get(subject.id, '2026-05-01')).toMatchObject({ status: 'SUCCEEDED' });
    expect(metrics.values.get('DigestPublishFailed')).toBe(1);
    // The report does not depend on the topic: it is in the lake.
    const [run] = await listCommittedRuns(deps.pipeline.lake, subject.id);
    expect(await deps.pipeline.lake.get(reportKey(subject.id, '2026-05-01', run?.runId ?? ''))).toBeDefined();
  });
});
