/**
 * Helpers for suites that talk to the shared moto_server started by test/support/global-setup.ts.
 *
 * Test files run in parallel workers against ONE moto, so never reset it from a suite that shares
 * it: give each file its own resources with {@link uniqueStackNames} / {@link createTestStack}.
 *
 * ```ts
 * const moto = useMoto();
 * describeAws('runner against moto', () => {
 *   let stack: TestStack;
 *   beforeAll(async () => { stack = await createTestStack(moto); });
 *   it('...', async () => { ... stack.clients.doc ... stack.names.tableName ... });
 * });
 * ```
 */
import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, inject, vi } from 'vitest';
import { type AwsClients, createAwsClients } from '#shared/adapters/aws/clients.ts';
import { TABLE_KEYS } from '#shared/adapters/aws/table.ts';

export interface Moto {
  /** False when moto_server is not installed: AWS suites skip (global-setup printed a warning). */
  available: boolean;
  /** Base URL of the shared moto_server ('' when unavailable). */
  endpoint: string;
  /** POST /moto-api/reset: wipes ALL state, for every file. Only for a suite that owns its own moto. */
  reset(): Promise<void>;
}

export function useMoto(): Moto {
  const endpoint = inject('motoEndpoint');
  return {
    available: endpoint !== null,
    endpoint: endpoint ?? '',
    async reset() {
      if (endpoint === null) throw new Error('moto_server is not available');
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
  };
}

/** `describe` that skips when moto_server is not installed. */
export const describeAws: typeof describe = describe.skipIf(
  inject('motoEndpoint') === null,
) as typeof describe;

/** The environment a test needs for SDK clients to reach moto (default config, no code changes). */
export function awsTestEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    // Keep a developer's ~/.aws files out of the picture.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/**
 * Points the AWS SDK at moto via `vi.stubEnv` (undo with `vi.unstubAllEnvs()`, or vitest's
 * `unstubEnvs` option). Build SDK clients AFTER calling it: they read the env when constructed.
 */
export function stubAwsEnv(moto: Pick<Moto, 'endpoint'>): void {
  for (const [name, value] of Object.entries(awsTestEnv(moto.endpoint))) vi.stubEnv(name, value);
}

export interface TestStackNames {
  tableName: string;
  bucket: string;
  queueName: string;
  deadLetterQueueName: string;
  secretId: string;
}

/** Resource names unique to this call, so parallel test files never collide on the shared moto. */
export function uniqueStackNames(prefix = 'linkgap'): TestStackNames {
  const suffix = randomBytes(4).toString('hex');
  const base = `${prefix}-${suffix}`.toLowerCase();
  return {
    tableName: `${base}-table`,
    bucket: `${base}-lake`,
    queueName: `${base}-runs`,
    deadLetterQueueName: `${base}-runs-dlq`,
    secretId: `${base}/moz`,
  };
}

export interface TestStack {
  names: TestStackNames;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Clients built with default config after {@link stubAwsEnv}, as the Lambda composition root does. */
  clients: AwsClients;
  /** The Lambda env (config.ts) for this stack, e.g. for `vi.stubEnv` in handler tests. */
  lambdaEnv: Record<string, string>;
}

export interface CreateTestStackOptions {
  names?: TestStackNames;
  /** SecretString of the Moz secret; `null` creates the secret without a value. @default a token */
  secretValue?: string | null;
  /** SQS redrive: receives before a message goes to the DLQ. @default 3 */
  maxReceiveCount?: number;
  /** SQS visibility timeout. @default 30 */
  visibilityTimeoutSeconds?: number;
}

/**
 * Creates the table, lake bucket, run queue (+ DLQ) and Moz secret the CDK stack creates, with the
 * same table layout (table.ts), on moto. Also stubs the AWS env (see {@link stubAwsEnv}).
 */
export async function createTestStack(moto: Moto, options: CreateTestStackOptions = {}): Promise<TestStack> {
  if (!moto.available) throw new Error('moto_server is not available: wrap the suite in describeAws');
  stubAwsEnv(moto);
  const names = options.names ?? uniqueStackNames();
  const clients = createAwsClients();

  const dynamo = new DynamoDBClient({});
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: names.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi1.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi1.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE_KEYS.gsi1.indexName,
            KeySchema: [
              { AttributeName: TABLE_KEYS.gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE_KEYS.gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName: names.tableName });
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: names.tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
      }),
    );
  } finally {
    dynamo.destroy();
  }

  await clients.s3.send(new CreateBucketCommand({ Bucket: names.bucket }));

  const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: names.deadLetterQueueName }));
  if (dlq.QueueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl for the DLQ');
  const dlqAttributes = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: names.queueName,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? 3,
        }),
      },
    }),
  );
  if (queue.QueueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl');

  const secretValue =
    options.secretValue === undefined ? JSON.stringify({ token: 'test-token' }) : options.secretValue;
  await clients.secrets.send(
    new CreateSecretCommand({
      Name: names.secretId,
      ...(secretValue === null ? {} : { SecretString: secretValue }),
    }),
  );

  return {
    names,
    queueUrl: queue.QueueUrl,
    deadLetterQueueUrl: dlq.QueueUrl,
    clients,
    lambdaEnv: {
      ...awsTestEnv(moto.endpoint),
      LINKGAP_TABLE: names.tableName,
      LINKGAP_BUCKET: names.bucket,
      LINKGAP_QUEUE_URL: queue.QueueUrl,
      MOZ_SECRET_ID: names.secretId,
    },
  };
}
