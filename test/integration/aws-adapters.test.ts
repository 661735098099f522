import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Campaign, type CampaignInput, parseCampaign } from '#domain/campaign.ts';
import { RELEASE_LEAD_MS } from '#moz/rate-gate.ts';
import { createDynamoCampaignStore } from '#shared/adapters/aws/campaign-store.ts';
import { createS3ObjectStore } from '#shared/adapters/aws/object-store.ts';
import { createSqsQueue } from '#shared/adapters/aws/queue.ts';
import { createDynamoRateGate } from '#shared/adapters/aws/rate-gate.ts';
import { createDynamoRunStore, RunOwnershipLostError } from '#shared/adapters/aws/run-store.ts';
import { createSecretsManagerSource } from '#shared/adapters/aws/secret-source.ts';
import { campaignKey, rateGateKey } from '#shared/adapters/aws/table.ts';
import type { ClaimRequest, LatestPointer, RunMessage, RunRecord, RunSummary } from '#shared/ports.ts';
import { ChainConflictError } from '#shared/ports.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';

const moto = useMoto();
const MiB = 1024 * 1024;

function aCampaign(overrides: Partial<CampaignInput> = {}): Campaign {
  return parseCampaign({
    id: `c-${randomUUID().slice(0, 8)}`,
    name: 'Acme trail shoes',
    site: [{ target: 'acme.example' }],
    competitors: [{ target: 'rival-a.example' }, { target: 'rival-b.example' }],
    ...overrides,
  });
}

function aClaim(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    campaignId: `c-${randomUUID().slice(0, 8)}`,
    runDate: '2026-03-01',
    runId: randomUUID(),
    configHash: 'hash-1',
    now: new Date('2026-03-01T03:00:00.000Z'),
    leaseMs: 60_000,
    ...overrides,
  };
}

function aSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    manifestKey: 'runs/x.json',
    truncated: false,
    gapSize: 10,
    newCount: 3,
    closedCount: 1,
    lostCount: 0,
    rowsConsumed: 55,
    ...overrides,
  };
}

function pointerFor(record: RunRecord): LatestPointer {
  return {
    campaignId: record.campaignId,
    runId: record.runId,
    runDate: record.runDate,
    configHash: record.configHash,
    manifestKey: `runs/campaign_id=${record.campaignId}/run_date=${record.runDate}/${record.runId}.json`,
    ledgerKey: `staging/${record.campaignId}/ledger.json`,
  };
}

const later = (date: Date, ms: number) => new Date(date.getTime() + ms);

describeAws('AWS adapters against moto', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack(moto);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  describe('campaign store', () => {
    it('round-trips a campaign as a DynamoDB map and removes it', async () => {
      const store = createDynamoCampaignStore({ doc: stack.clients.doc, tableName: stack.names.tableName });
      const campaign = aCampaign();
      await store.put(campaign);

      expect(await store.get(campaign.id)).toEqual(campaign);
      const { Item } = await stack.clients.doc.send(
        new GetCommand({ TableName: stack.names.tableName, Key: campaignKey(campaign.id) }),
      );
      expect(Item).toMatchObject({ gsi1pk: 'CAMPAIGN', gsi1sk: campaign.id, config: { id: campaign.id } });
      expect(typeof Item?.updatedAt).toBe('string');

      expect(await store.remove(campaign.id)).toBe(true);
      expect(await store.remove(campaign.id)).toBe(false);
      expect(await store.get(campaign.id)).toBeUndefined();
    });

    it('lists every campaign across several pages and hands back a corrupted item as-is', async () => {
      const store = createDynamoCampaignStore({
        doc: stack.clients.doc,
        tableName: stack.names.tableName,
        pageSize: 2,
      });
      const campaigns = Array.from({ length: 5 }, () => aCampaign());
      for (const campaign of campaigns) await store.put(campaign);
      const corrupted = { id: 'broken', site: 42, competitors: 'nope' };
      await stack.clients.doc.send(
        new PutCommand({
          TableName: stack.names.tableName,
          Item: { ...campaignKey('broken'), gsi1pk: 'CAMPAIGN', gsi1sk: 'broken', config: corrupted },
        }),
      );

      const send = vi.spyOn(stack.clients.doc, 'send');
      const listed: { id: string; raw: unknown }[] = [];
      for await (const stored of store.list()) listed.push(stored);
      const queries = send.mock.calls.length;
      send.mockRestore();

      expect(queries).toBeGreaterThanOrEqual(3);
      expect(listed.map((stored) => stored.id).sort()).toEqual(
        [...campaigns.map((c) => c.id), 'broken'].sort(),
      );
      expect(listed.find((stored) => stored.id === 'broken')?.raw).toEqual(corrupted);
      expect(await store.get('broken')).toEqual(corrupted);
      for (const campaign of campaigns) await store.remove(campaign.id);
      await store.remove('broken');
    });
  });

  describe('run store', () => {
    const store = () => createDynamoRunStore({ doc: stack.clients.doc, tableName: stack.names.tableName });

    it('claims a new run, then answers busy while the lease lives', async () => {
      const runs = store();
      const request = aClaim();
      const first = await runs.claim(request);
      expect(first).toMatchObject({ outcome: 'claimed', resumed: false });
      expect(first.record).toMatchObject({
        runId: request.runId,
        status: 'RUNNING',
        attempt: 1,
        leaseUntil: request.now.getTime() + request.leaseMs,
        startedAt: request.now.toISOString(),
      });

      const duplicate = await runs.claim({ ...request, runId: randomUUID(), now: later(request.now, 1_000) });
      expect(duplicate.outcome).toBe('busy');
      expect(duplicate.record.runId).toBe(request.runId);
      expect(await runs.get(request.campaignId, request.runDate)).toEqual(first.record);
    });

    it('takes over an expired lease, keeping the run id (resumed)', async () => {
      const runs = store();
      const request = aClaim();
      await runs.claim(request);
      const takeover = await runs.claim({
        ...request,
        runId: randomUUID(),
        now: later(request.now, request.leaseMs + 1),
      });
      expect(takeover).toMatchObject({ outcome: 'claimed', resumed: true });
      expect(takeover.record).toMatchObject({ runId: request.runId, attempt: 2, status: 'RUNNING' });
    });

    it('takes over a FAILED run at once, and starts a new run id when the config hash changed', async () => {
      const runs = store();
      const request = aClaim();
      const first = await runs.claim(request);
      await runs.fail(first.record, { kind: 'moz', message: 'HTTP 500' }, later(request.now, 10));
      expect(await runs.get(request.campaignId, request.runDate)).toMatchObject({
        status: 'FAILED',
        error: { kind: 'moz', message: 'HTTP 500' },
      });

      const resumed = await runs.claim({ ...request, runId: randomUUID(), now: later(request.now, 20) });
      expect(resumed).toMatchObject({ outcome: 'claimed', resumed: true });
      expect(resumed.record).toMatchObject({ runId: request.runId, attempt: 2, status: 'RUNNING' });
      expect(resumed.record.error).toBeUndefined();
      expect(resumed.record.finishedAt).toBeUndefined();

      await runs.fail(resumed.record, { kind: 'moz', message: 'again' }, later(request.now, 30));
      const newRunId = randomUUID();
      const restarted = await runs.claim({
        ...request,
        runId: newRunId,
        configHash: 'hash-2',
        now: later(request.now, 40),
      });
      expect(restarted).toMatchObject({ outcome: 'claimed', resumed: false });
      expect(restarted.record).toMatchObject({ runId: newRunId, configHash: 'hash-2', attempt: 3 });
    });

    it('release gives the lease up to the next delivery; a stale owner can no longer release or fail', async () => {
      const runs = store();
      const request = aClaim();
      const first = await runs.claim(request);
      await runs.release(first.record, later(request.now, 5_000));
      const next = await runs.claim({ ...request, runId: randomUUID(), now: later(request.now, 5_001) });
      expect(next).toMatchObject({ outcome: 'claimed', resumed: true, record: { attempt: 2 } });

      await runs.release(first.record, later(request.now, 6_000));
      await runs.fail(first.record, { kind: 'stale', message: 'late' }, later(request.now, 6_000));
      expect(await runs.get(request.campaignId, request.runDate)).toEqual(next.record);
    });

    it('commits: SUCCEEDED + pointer, then duplicates are done; commit is idempotent', async () => {
      const runs = store();
      const request = aClaim();
      const { record } = await runs.claim(request);
      const committedAt = later(request.now, 30_000);
      await runs.commit({
        record,
        summary: aSummary(),
        pointer: pointerFor(record),
        expectedLatestRunId: null,
        now: committedAt,
      });

      const committed = await runs.get(request.campaignId, request.runDate);
      expect(committed).toMatchObject({
        status: 'SUCCEEDED',
        finishedAt: committedAt.toISOString(),
        summary: aSummary(),
      });
      expect(await runs.latest(request.campaignId)).toEqual(pointerFor(record));

      await runs.commit({
        record,
        summary: aSummary({ gapSize: 999 }),
        pointer: pointerFor(record),
        expectedLatestRunId: null,
        now: later(committedAt, 1_000),
      });
      expect(await runs.get(request.campaignId, request.runDate)).toMatchObject({
        status: 'SUCCEEDED',
        finishedAt: committedAt.toISOString(),
        summary: aSummary(),
      });

      const duplicate = await runs.claim({
        ...request,
        runId: randomUUID(),
        now: later(request.now, 3_600_000),
      });
      expect(duplicate.outcome).toBe('done');
    });

    it('force starts a SUCCEEDED run over with a new run id; the old owner then cannot commit', async () => {
      const runs = store();
      const request = aClaim();
      const { record } = await runs.claim(request);
      await runs.commit({
        record,
        summary: aSummary(),
        pointer: pointerFor(record),
        expectedLatestRunId: null,
        now: later(request.now, 1_000),
      });

      const forcedId = randomUUID();
      const forced = await runs.claim({
        ...request,
        runId: forcedId,
        now: later(request.now, 2_000),
        force: true,
      });
      expect(forced).toMatchObject({
        outcome: 'claimed',
        resumed: false,
        record: { runId: forcedId, attempt: 2 },
      });
      expect(forced.record.summary).toBeUndefined();

      await expect(
        runs.commit({
          record,
          summary: aSummary(),
          pointer: pointerFor(record),
          expectedLatestRunId: record.runId,
          now: later(request.now, 3_000),
        }),
      ).rejects.toThrow(RunOwnershipLostError);
      await runs.commit({
        record: forced.record,
        summary: aSummary(),
        pointer: pointerFor(forced.record),
        expectedLatestRunId: record.runId,
        now: later(request.now, 4_000),
      });
      expect((await runs.latest(request.campaignId))?.runId).toBe(forcedId);
    });

    it('keeps the chain in date order: an older run, or one chained to a stale pointer, cannot commit', async () => {
      const runs = store();
      const march = aClaim({ runDate: '2026-03-01' });
      const february = { ...march, runDate: '2026-02-01', runId: randomUUID() };
      const marchRun = (await runs.claim(march)).record;
      const februaryRun = (await runs.claim(february)).record;

      await runs.commit({
        record: marchRun,
        summary: aSummary(),
        pointer: pointerFor(marchRun),
        expectedLatestRunId: null,
        now: later(march.now, 1_000),
      });
      await expect(
        runs.commit({
          record: februaryRun,
          summary: aSummary(),
          pointer: pointerFor(februaryRun),
          expectedLatestRunId: null,
          now: later(march.now, 2_000),
        }),
      ).rejects.toThrow(ChainConflictError);
      await expect(
        runs.commit({
          record: februaryRun,
          summary: aSummary(),
          pointer: pointerFor(februaryRun),
          expectedLatestRunId: marchRun.runId,
          now: later(march.now, 2_000),
        }),
      ).rejects.toThrow(ChainConflictError);

      expect(await runs.latest(march.campaignId)).toEqual(pointerFor(marchRun));
      expect((await runs.get(march.campaignId, '2026-02-01'))?.status).toBe('RUNNING');

      const listed = await runs.list(march.campaignId);
      expect(listed.map((run) => run.runDate)).toEqual(['2026-03-01', '2026-02-01']);
      expect((await runs.list(march.campaignId, 1)).map((run) => run.runDate)).toEqual(['2026-03-01']);
      expect(await runs.latest('no-such-campaign')).toBeUndefined();
    });

    it('lets exactly one of five concurrent claims win', async () => {
      const runs = store();
      const base = aClaim();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => runs.claim({ ...base, runId: randomUUID() })),
      );
      const outcomes = results.map((result) => result.outcome);
      expect(outcomes.filter((outcome) => outcome === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'busy')).toHaveLength(4);
      const winner = results.find((result) => result.outcome === 'claimed');
      expect((await runs.get(base.campaignId, base.runDate))?.runId).toBe(winner?.record.runId);
    });
  });

  describe('S3 object store', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);

    it('writes once with ifNoneMatch: a second write answers exists and leaves the bytes alone', async () => {
      const lake = createS3ObjectStore({ s3: stack.clients.s3, bucket: stack.names.bucket });
      const key = `runs/campaign_id=a/run_date=2026-03-01/${randomUUID()}.json`;
      expect(
        await lake.put(key, bytes('first'), { ifNoneMatch: true, contentType: 'application/json' }),
      ).toBe('created');
      expect(await lake.put(key, bytes('second'), { ifNoneMatch: true })).toBe('exists');
      expect(new TextDecoder().decode(await lake.get(key))).toBe('first');

      expect(await lake.put(key, bytes('overwritten'))).toBe('created');
      expect(new TextDecoder().decode(await lake.get(key))).toBe('overwritten');
      expect(await lake.get(`${key}.missing`)).toBeUndefined();
    });

    it('uploads a 9 MiB body as a multipart upload, byte for byte', async () => {
      const lake = createS3ObjectStore({ s3: stack.clients.s3, bucket: stack.names.bucket });
      const key = `prospects/big-${randomUUID()}.parquet`;
      const body = new Uint8Array(9 * MiB);
      for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) % 251;

      expect(await lake.put(key, body, { ifNoneMatch: true })).toBe('created');
      const head = await stack.clients.s3.send(
        new HeadObjectCommand({ Bucket: stack.names.bucket, Key: key }),
      );
      expect(head.ETag).toMatch(/-2"$/);
      expect(Buffer.from((await lake.get(key)) ?? []).equals(Buffer.from(body))).toBe(true);

      // The write-once guard holds for multipart too (If-None-Match on CompleteMultipartUpload).
      expect(await lake.put(key, new Uint8Array(9 * MiB).fill(7), { ifNoneMatch: true })).toBe('exists');
      expect(Buffer.from((await lake.get(key)) ?? []).equals(Buffer.from(body))).toBe(true);
    });

    it('streams a body in chunks (multipart past 8 MiB, one PutObject below), write-once', async () => {
      const lake = createS3ObjectStore({ s3: stack.clients.s3, bucket: stack.names.bucket });
      const chunks = (count: number, fill: number) =>
        (async function* () {
          for (let i = 0; i < count; i++) yield new Uint8Array(MiB).fill((fill + i) % 251);
        })();
      const big = `prospects/streamed-${randomUUID()}.parquet`;
      expect(await lake.putStream?.(big, chunks(9, 1), { ifNoneMatch: true })).toBe('created');
      const head = await stack.clients.s3.send(
        new HeadObjectCommand({ Bucket: stack.names.bucket, Key: big }),
      );
      expect(head.ETag).toMatch(/-2"$/);
      const stored = Buffer.from((await lake.get(big)) ?? []);
      expect(stored.length).toBe(9 * MiB);
      expect(stored[8 * MiB]).toBe(9);
      expect(await lake.putStream?.(big, chunks(9, 5), { ifNoneMatch: true })).toBe('exists');
      expect(Buffer.from((await lake.get(big)) ?? []).equals(stored)).toBe(true);

      const small = `changes/streamed-${randomUUID()}.parquet`;
      expect(await lake.putStream?.(small, chunks(1, 3), { ifNoneMatch: true })).toBe('created');
      expect(await lake.putStream?.(small, chunks(1, 4), { ifNoneMatch: true })).toBe('exists');
      expect((await lake.get(small))?.[0]).toBe(3);
    });

    // moto takes ~10 ms per PutObject, so 1,000+ objects would cost 10 s: small pages exercise the same paths.
    it('lists keys under a prefix across pages, sorted, and deletes them in batches', async () => {
      const lake = createS3ObjectStore({
        s3: stack.clients.s3,
        bucket: stack.names.bucket,
        listPageSize: 10,
        deleteBatchSize: 10,
      });
      const prefix = `staging/${randomUUID()}/`;
      const keys = Array.from({ length: 25 }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
      await Promise.all(
        [...keys]
          .reverse()
          .map((key) =>
            stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.names.bucket, Key: key, Body: 'x' })),
          ),
      );
      await lake.put(`${prefix.slice(0, -1)}-sibling`, bytes('not under the prefix'));

      const send = vi.spyOn(stack.clients.s3, 'send');
      expect(await lake.list(prefix)).toEqual(keys);
      expect(send).toHaveBeenCalledTimes(3);
      send.mockClear();

      await lake.delete(keys);
      expect(send).toHaveBeenCalledTimes(3);
      send.mockRestore();
      expect(await lake.list(prefix)).toEqual([]);
      expect(await lake.list(`${prefix.slice(0, -1)}-`)).toHaveLength(1);
    });

    it('lists with the default page size', async () => {
      const lake = createS3ObjectStore({ s3: stack.clients.s3, bucket: stack.names.bucket });
      const prefix = `changes/${randomUUID()}/`;
      for (const name of ['c', 'a', 'e', 'b', 'd']) await lake.put(`${prefix}${name}`, bytes(name));
      expect(await lake.list(prefix)).toEqual(['a', 'b', 'c', 'd', 'e'].map((name) => `${prefix}${name}`));
      await lake.delete([]);
    });
  });

  describe('Secrets Manager source', () => {
    async function secretWith(value: string | undefined): Promise<string> {
      const secretId = `moz-${randomUUID()}`;
      await stack.clients.secrets.send(
        new CreateSecretCommand({ Name: secretId, ...(value === undefined ? {} : { SecretString: value }) }),
      );
      return secretId;
    }

    it('reads a token secret and a legacy accessId/secretKey secret', async () => {
      const tokenSource = createSecretsManagerSource({
        client: stack.clients.secrets,
        secretId: await secretWith('{"token":"tok-123"}'),
      });
      expect(await tokenSource.read()).toEqual({ kind: 'token', token: 'tok-123' });
      expect(tokenSource.description).toMatch(/^Secrets Manager secret moz-/);

      const basicSource = createSecretsManagerSource({
        client: stack.clients.secrets,
        secretId: await secretWith('{"accessId":"mozscape-abc","secretKey":"s3cr3t"}'),
      });
      expect(await basicSource.read()).toEqual({
        kind: 'basic',
        accessId: 'mozscape-abc',
        secretKey: 's3cr3t',
      });
    });

    it('caches for the TTL, and refresh() re-reads at once', async () => {
      const secretId = await secretWith('{"token":"v1"}');
      let time = 0;
      const source = createSecretsManagerSource({
        client: stack.clients.secrets,
        secretId,
        ttlMs: 60_000,
        now: () => time,
      });
      const send = vi.spyOn(stack.clients.secrets, 'send');
      expect(await source.read()).toEqual({ kind: 'token', token: 'v1' });
      await stack.clients.secrets.send(
        new PutSecretValueCommand({ SecretId: secretId, SecretString: '{"token":"v2"}' }),
      );

      time = 59_999;
      expect(await source.read()).toEqual({ kind: 'token', token: 'v1' });
      time = 60_000;
      expect(await source.read()).toEqual({ kind: 'token', token: 'v2' });

      await stack.clients.secrets.send(
        new PutSecretValueCommand({ SecretId: secretId, SecretString: '{"token":"v3"}' }),
      );
      expect(await source.refresh()).toEqual({ kind: 'token', token: 'v3' });
      expect(await source.read()).toEqual({ kind: 'token', token: 'v3' });
      // 3 reads of the secret + 2 puts by the test.
      expect(send.mock.calls.length).toBe(5);
      send.mockRestore();
    });

    it.each([
      ['not JSON', 'tok-SECRET-VALUE', /is not valid JSON/],
      ['half a key pair', '{"accessId":"SECRET-VALUE"}', /"accessId" and "secretKey" must be set together/],
      ['an empty token', '{"token":"  "}', /token: "token" must not be empty/],
      ['a JSON string', '"SECRET-VALUE"', /must be a JSON object/],
    ])('rejects %s, naming the secret but never the value', async (_label, value, problem) => {
      const secretId = await secretWith(value);
      const source = createSecretsManagerSource({ client: stack.clients.secrets, secretId });
      const error = await source.read().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain(secretId);
      expect(message).toMatch(problem);
      expect(message).not.toContain('SECRET-VALUE');
    });

    it('explains how to fill a secret that has no value yet', async () => {
      const source = createSecretsManagerSource({
        client: stack.clients.secrets,
        secretId: await secretWith(undefined),
      });
      await expect(source.read()).rejects.toThrow(
        /^Moz secret moz-[\w-]+ has no value yet: put \{"token":"\.\.\."\} in it \(see README: Set the Moz secret\)$/,
      );
    });

    it('names a secret that does not exist', async () => {
      const source = createSecretsManagerSource({
        client: stack.clients.secrets,
        secretId: 'moz-does-not-exist',
      });
      await expect(source.read()).rejects.toThrow(/moz-does-not-exist/);
    });
  });

  describe('SQS queue', () => {
    it('sends 23 run messages in batches of 10 and they all arrive', async () => {
      const queue = createSqsQueue({ sqs: stack.clients.sqs, queueUrl: stack.queueUrl });
      const messages: RunMessage[] = Array.from({ length: 23 }, (_, i) => ({
        campaignId: `campaign-${i}`,
        runDate: '2026-03-01',
      }));
      const send = vi.spyOn(stack.clients.sqs, 'send');
      await queue.send(messages);
      expect(send.mock.calls.length).toBe(3);
      send.mockRestore();

      const received: unknown[] = [];
      for (let round = 0; round < 20 && received.length < messages.length; round++) {
        const { Messages = [] } = await stack.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: stack.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        received.push(...Messages.map((message) => JSON.parse(message.Body ?? 'null')));
        if (Messages.length > 0) {
          await stack.clients.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: stack.queueUrl,
              Entries: Messages.map((message, i) => ({
                Id: String(i),
                ReceiptHandle: message.ReceiptHandle,
              })),
            }),
          );
        }
      }
      const byId = (a: unknown, b: unknown) =>
        String((a as RunMessage).campaignId).localeCompare(String((b as RunMessage).campaignId));
      expect(received.sort(byId)).toEqual([...messages].sort(byId));
    });

    it('refuses a malformed message before sending anything', async () => {
      const queue = createSqsQueue({ sqs: stack.clients.sqs, queueUrl: stack.queueUrl });
      await expect(queue.send([{ campaignId: 'x', runDate: 'March' }])).rejects.toThrow();
    });
  });

  describe('DynamoDB rate gate', () => {
    /**
     * Runs `gates` gates of one schedule at once, each writing `writes` times through reserve and its
     * permit, and returns the instant of every allowed write as the gate itself stamped it (its clock
     * read through a probe: the last reading a permit took is its write's stamp).
     */
    async function writeThroughGates(options: { requests: number; gates: number; writes: number }) {
      const name = `gate-${randomUUID()}`;
      const stamps: number[] = [];
      await Promise.all(
        Array.from({ length: options.gates }, async () => {
          let lastReading = 0;
          const gate = createDynamoRateGate({
            doc: stack.clients.doc,
            tableName: stack.names.tableName,
            name,
            requests: options.requests,
            intervalMs: 1_000,
            now: () => {
              lastReading = performance.timeOrigin + performance.now();
              return lastReading;
            },
          });
          for (let written = 0, rounds = 0; written < options.writes && rounds < 200; rounds++) {
            const permit = await (gate.reserve?.() ?? Promise.reject(new Error('no reserve')));
            // Refused only when this process was too late for its slot (a loaded machine).
            if (permit.write()) {
              stamps.push(lastReading);
              written++;
            }
          }
        }),
      );
      return stamps;
    }

    const minimumGap = (times: number[]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return Math.min(...sorted.slice(1).map((at, i) => at - (sorted[i] ?? at)));
    };

    it('keeps two gates sharing one schedule at the combined rate', async () => {
      const started = performance.now();
      const stamps = await writeThroughGates({ requests: 10, gates: 2, writes: 10 });
      // Every write is at least the 100 ms spacing after the one before (slots 102 ms apart, a write
      // at most 2 ms into its slot), so 20 requests take at least 19 spacings. How close to the bound
      // it gets is a bench figure.
      expect(stamps).toHaveLength(20);
      expect(minimumGap(stamps)).toBeGreaterThanOrEqual(100);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1_900);
    });

    it('reserves a slot with one atomic update, never a read', async () => {
      const sent: string[] = [];
      const doc = {
        send: (command: { constructor: { name: string } }) => {
          sent.push(command.constructor.name);
          return stack.clients.doc.send(command as Parameters<typeof stack.clients.doc.send>[0]);
        },
      } as unknown as typeof stack.clients.doc;
      // A clock whose sleeps are exact: no slot is missed, so every call is a reservation.
      const { gate } = exactClockGate(doc, { requests: 50, intervalMs: 1_000 });
      for (let i = 0; i < 12; i++) await gate.acquire();
      expect(sent).toEqual(Array(12).fill('UpdateCommand'));
    });

    it("runs the caller's preparation shortly before a far slot, never inside the slot, and a failed one costs no slot", async () => {
      // Free tier: 1 request per 10 s. The first slot is near (no preparation), the next ones 10 s
      // away: each is prepared 500 ms before it, once, and a preparation that fails still gets its slot.
      const { gate, clock } = exactClockGate(stack.clients.doc, { requests: 1, intervalMs: 10_000 });
      const prepared: number[] = [];
      const slots: number[] = [];
      let fail = false;
      const prepare = {
        aheadMs: 500,
        run: async () => {
          prepared.push(clock.time);
          if (fail) throw new Error('could not connect');
        },
      };
      for (let i = 0; i < 3; i++) {
        fail = i === 2;
        const permit = await (gate.reserve?.(undefined, prepare) ?? Promise.reject(new Error('no reserve')));
        expect(permit.write()).toBe(true);
        slots.push(clock.time);
      }
      expect(prepared).toHaveLength(2);
      expect(prepared.map((at, index) => (slots[index + 1] ?? 0) - at)).toEqual([500, 500]);
    });

    it('four runners sharing the schedule never write closer than the spacing', async () => {
      const stamps = await writeThroughGates({ requests: 20, gates: 4, writes: 6 });
      expect(stamps).toHaveLength(24);
      expect(minimumGap(stamps)).toBeGreaterThanOrEqual(50);
    });

    it('a holder held up for 4 ms between its release and its write still writes in its slot', async () => {
      // A runner's process is descheduled for a few ms now and then on a busy machine, between its
      // timer and undici's write: the default lead before the slot absorbs that. The clock moves a
      // microsecond per reading, so the permit's wait for its slot ends.
      const clock = { time: 3_000_000 };
      const gate = tickingGate(stack.clients.doc, clock);
      for (let i = 0; i < 3; i++) {
        const permit = await (gate.reserve?.() ?? Promise.reject(new Error('no reserve')));
        clock.time += 4; // held up
        expect(permit.write()).toBe(true);
      }
    });

    it('books far enough ahead that a slow booking answer still leaves the whole lead before the slot', async () => {
      // Each DynamoDB call takes 16 ms (more than the first guess of 10): the booking's answer must
      // still arrive a whole lead before its slot, so a 5 ms hold-up after it costs no slot.
      const clock = { time: 4_000_000 };
      const doc = {
        send: async (command: unknown) => {
          const answer = await stack.clients.doc.send(
            command as Parameters<typeof stack.clients.doc.send>[0],
          );
          clock.time += 16;
          return answer;
        },
      } as unknown as typeof stack.clients.doc;
      const gate = tickingGate(doc, clock);
      for (let i = 0; i < 3; i++) {
        const permit = await (gate.reserve?.() ?? Promise.reject(new Error('no reserve')));
        clock.time += 5; // held up
        expect(permit.write()).toBe(true);
      }
    });

    /**
     * A gate at 20/s on a manual clock that moves a microsecond per reading (so a permit's wait for its
     * slot ends) and exactly as far as each sleep asks.
     */
    /** A gate of its own schedule on a clock whose sleeps are exact (so no slot is ever missed). */
    function exactClockGate(doc: typeof stack.clients.doc, rate: { requests: number; intervalMs: number }) {
      const clock = { time: 2_000_000 };
      const gate = createDynamoRateGate({
        doc,
        tableName: stack.names.tableName,
        name: `gate-${randomUUID()}`,
        ...rate,
        now: () => clock.time,
        sleep: async (ms) => {
          clock.time += ms;
        },
      });
      return { gate, clock };
    }

    function tickingGate(doc: typeof stack.clients.doc, clock: { time: number }) {
      return createDynamoRateGate({
        doc,
        tableName: stack.names.tableName,
        name: `gate-${randomUUID()}`,
        requests: 20,
        intervalMs: 1_000,
        releaseLeadMs: RELEASE_LEAD_MS,
        now: () => {
          clock.time += 0.001;
          return clock.time;
        },
        sleep: async (ms) => {
          clock.time += ms;
        },
      });
    }

    /** A gate on a clock whose sleeps are exact, except the oversleeps given in turn. */
    function lateGate(name: string, oversleeps: number[], clock = { time: 1_000_000 }) {
      const gate = createDynamoRateGate({
        doc: stack.clients.doc,
        tableName: stack.names.tableName,
        name,
        requests: 10,
        intervalMs: 1_000,
        safetyMargin: 0.02,
        now: () => clock.time,
        sleep: async (ms) => {
          clock.time += ms + (oversleeps.shift() ?? 0);
        },
      });
      return { gate, clock };
    }
    const nextSlotOf = async (name: string) =>
      (
        await stack.clients.doc.send(
          new GetCommand({ TableName: stack.names.tableName, Key: rateGateKey(name) }),
        )
      ).Item?.nextSlot;

    it('a holder too late for its slot, with nobody booked after it, takes the schedule back from now', async () => {
      const name = `gate-${randomUUID()}`;
      // The first sleep (towards slot 2) oversleeps by 60 ms; every other one is exact.
      const { gate, clock } = lateGate(name, [0, 60]);
      const grants: number[] = [];
      for (let i = 0; i < 3; i++) {
        await gate.acquire();
        grants.push(clock.time - 1_000_000);
      }
      // Slots are 102 ms apart (booked a round trip ahead, at +20). The second caller was ready at +182
      // for its +122 slot: nobody had booked after it, so it restarted the schedule at +182 rather
      // than lose a whole slot (+224 before); the third follows 102 ms later.
      expect(grants).toEqual([20, 182, 284]);
      expect(await nextSlotOf(name)).toBe(1_000_386);
    });

    it('a late holder books behind the others when someone booked after it, never crowding them', async () => {
      const name = `gate-${randomUUID()}`;
      const clock = { time: 1_000_000 };
      const late = lateGate(name, [], clock).gate;
      const other = lateGate(name, [], clock).gate;
      const first = await (late.reserve?.() ?? Promise.reject(new Error('no reserve'))); // slot +20
      const second = await (other.reserve?.() ?? Promise.reject(new Error('no reserve'))); // slot +122, asleep till then
      expect(clock.time - 1_000_000).toBe(122);
      // The first holder only now gets to write: 102 ms late, its write is refused (nothing is sent).
      expect(first.write()).toBe(false);
      expect(second.write()).toBe(true);
      // It may not take the schedule back (version moved on): the failed condition tells it the real
      // nextSlot, so it books +224 at once, behind the second holder.
      await late.acquire();
      expect(clock.time - 1_000_000).toBe(224);
    });

    it('a write outside its slot is refused, and a pause that came since refuses it too', async () => {
      const name = `gate-${randomUUID()}`;
      const { gate, clock } = lateGate(name, []);
      const permit = await (gate.reserve?.() ?? Promise.reject(new Error('no reserve')));
      clock.time += 3; // later than the 2 ms grace (2 % of 100 ms)
      expect(permit.write()).toBe(false);
      expect(permit.write()).toBe(false);
      const paused = await (gate.reserve?.() ?? Promise.reject(new Error('no reserve')));
      gate.pause(5_000);
      expect(paused.write()).toBe(false);
      await gate.acquire();
      expect(clock.time).toBeGreaterThanOrEqual(1_000_000 + 3 + 5_000);
    });

    it('refuses a safety margin above 2 %', () => {
      expect(() =>
        createDynamoRateGate({
          doc: stack.clients.doc,
          tableName: stack.names.tableName,
          name: 'gate',
          requests: 1,
          intervalMs: 1_000,
          safetyMargin: 0.05,
        }),
      ).toThrow(RangeError);
    });

    it('a pause on one gate holds back every gate sharing the schedule', async () => {
      const options = {
        doc: stack.clients.doc,
        tableName: stack.names.tableName,
        name: `gate-${randomUUID()}`,
        requests: 10,
        intervalMs: 1_000,
      };
      const [a, b] = [createDynamoRateGate(options), createDynamoRateGate(options)];
      const startedAt = performance.now();
      a.pause(400);
      await a.acquire();
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(400 - 1);
      await b.acquire();
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(500 - 1);
    });

    it('rejects with the abort reason while waiting for a slot', async () => {
      const gate = createDynamoRateGate({
        doc: stack.clients.doc,
        tableName: stack.names.tableName,
        name: `gate-${randomUUID()}`,
        requests: 1,
        intervalMs: 10_000,
      });
      await gate.acquire();
      const controller = new AbortController();
      const waiting = gate.acquire(controller.signal);
      setTimeout(() => controller.abort(new Error('deadline')), 100);
      await expect(waiting).rejects.toThrow('deadline');
    });
  });
});
