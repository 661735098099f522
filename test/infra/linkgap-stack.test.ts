import { App, Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { PIPELINE_PREFIXES } from '../../infra/constructs/lake-storage.ts';
import { propsFromContext } from '../../infra/context.ts';
import { LinkgapStack } from '../../infra/linkgap-stack.ts';
import { logicalId, removeSynthOutputs, synthLinkgap, templateOf, tempOutdir } from './synth.ts';

afterAll(removeSynthOutputs);

const { template } = synthLinkgap();

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

function functionNamed(prefix: string) {
  const id = logicalId(template, 'AWS::Lambda::Function', prefix);
  const props = template.findResources('AWS::Lambda::Function')[id]?.Properties;
  return { id, props };
}

function policyStatementsOfRole(rolePrefix: string): Statement[] {
  const roleId = logicalId(template, 'AWS::IAM::Role', rolePrefix);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('functions', () => {
  it.each([
    ['Dispatcher', 256, 60],
    ['Runner', 1024, 900],
  ])('%s runs Node.js >= 22 on arm64 with %i MB and a %i s timeout', (name, memory, timeout) => {
    const { props } = functionNamed(name);
    const version = Number(/^nodejs(\d+)\.x$/.exec(props.Runtime)?.[1]);
    expect(version).toBeGreaterThanOrEqual(22);
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.MemorySize).toBe(memory);
    expect(props.Timeout).toBe(timeout);
    expect(props.Handler).toBe('index.handler');
  });

  it('logs to an explicit log group kept for a year, through a role without managed policies', () => {
    for (const name of ['Dispatcher', 'Runner']) {
      const { props } = functionNamed(name);
      const logGroupId = logicalId(template, 'AWS::Logs::LogGroup', `${name}Logs`);
      expect(props.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
      template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365 } });
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('gives the dispatcher its table and queue, and the runner everything it needs', () => {
    const dispatcherEnv = functionNamed('Dispatcher').props.Environment.Variables;
    expect(dispatcherEnv).toMatchObject({
      LINKGAP_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::GlobalTable', 'Table') },
      LINKGAP_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'RunQueue') },
      POWERTOOLS_SERVICE_NAME: 'linkgap-dispatcher',
      POWERTOOLS_METRICS_NAMESPACE: 'Linkgap',
    });
    const runnerEnv = functionNamed('Runner').props.Environment.Variables;
    expect(runnerEnv).toMatchObject({
      LINKGAP_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::GlobalTable', 'Table') },
      LINKGAP_BUCKET: { Ref: logicalId(template, 'AWS::S3::Bucket', 'LakeBucket') },
      LINKGAP_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'RunQueue') },
      MOZ_SECRET_ID: 'linkgap/moz',
      MOZ_API_BASE_URL: 'https://lsapi.seomoz.com',
      MOZ_RATE_REQUESTS: '1',
      MOZ_RATE_INTERVAL_MS: '10000',
      LINKGAP_RATE_GATE_NAME: 'moz',
      POWERTOOLS_SERVICE_NAME: 'linkgap-runner',
      POWERTOOLS_METRICS_NAMESPACE: 'Linkgap',
    });
  });
});

describe('run queue and event source', () => {
  it('redrives to the DLQ after 5 receives and hides a message for 6x the runner timeout', () => {
    const runQueue = onlyMatching('AWS::SQS::Queue', 'RunQueue');
    const runnerTimeout = functionNamed('Runner').props.Timeout as number;
    expect(runQueue.VisibilityTimeout).toBe(6 * runnerTimeout);
    expect(runQueue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'RunDlq'), 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(onlyMatching('AWS::SQS::Queue', 'RunDlq').MessageRetentionPeriod).toBe(
      Duration.days(14).toSeconds(),
    );
  });

  it('feeds the runner one message at a time, with partial failures and a concurrency cap', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionNamed('Runner').id },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'RunQueue'), 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    // No reserved concurrency: SQS throttles would count toward maxReceiveCount.
    expect(functionNamed('Runner').props.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('refuses a runner concurrency SQS cannot honour', () => {
    const app = new App({ outdir: tempOutdir(), context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new LinkgapStack(app, 'Bad', { runnerConcurrency: 1 })).toThrow(/2 to 1000/);
  });
});

describe('schedule', () => {
  it('invokes the dispatcher daily at 06:00 UTC with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [functionNamed('Dispatcher').id, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 6 * 3600 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'SchedulerDlq'), 'Arn'] },
        },
      }),
    });
  });

  it('takes the expression and time zone from props', () => {
    const custom = synthLinkgap({
      scheduleExpression: 'cron(30 4 * * ? *)',
      scheduleTimeZone: 'Europe/Berlin',
    });
    custom.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 4 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });
});

describe('encryption and TLS on every store', () => {
  it('encrypts, blocks public access to and requires TLS on every bucket', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(
        bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
      ).toEqual({ SSEAlgorithm: 'AES256' });
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.DeletionPolicy).toBe('Retain');
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('versions the lake, logs its access, expires staging/ after 7 days and old versions after 30', () => {
    const lake = onlyMatching('AWS::S3::Bucket', 'LakeBucket');
    expect(lake.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(lake.LoggingConfiguration).toMatchObject({
      DestinationBucketName: { Ref: logicalId(template, 'AWS::S3::Bucket', 'LakeAccessLogs') },
    });
    const rules = (lake.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({ Prefix: 'staging/', ExpirationInDays: 7, Status: 'Enabled' }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
    );
    // Committed snapshots never expire unless lakeRetention says so.
    expect(rules.filter((rule) => rule.Prefix !== 'staging/' && 'ExpirationInDays' in rule)).toEqual([]);
    const accessLogs = onlyMatching('AWS::S3::Bucket', 'LakeAccessLogs');
    expect(accessLogs.LifecycleConfiguration).toMatchObject({
      Rules: [expect.objectContaining({ ExpirationInDays: 90 })],
    });
    const results = onlyMatching('AWS::S3::Bucket', 'LakeAthenaResults');
    expect(results.LifecycleConfiguration).toMatchObject({
      Rules: [expect.objectContaining({ ExpirationInDays: 30 })],
    });
  });

  it('expires committed prefixes when lakeRetention is set', () => {
    const { template: retained } = synthLinkgap({ lakeRetention: Duration.days(730) });
    const lake = Object.entries(retained.findResources('AWS::S3::Bucket')).find(([id]) =>
      id.startsWith('LakeBucket'),
    );
    const rules = lake?.[1].Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    for (const prefix of ['prospects/', 'changes/', 'runs/', 'state/']) {
      expect(rules).toContainEqual(expect.objectContaining({ Prefix: prefix, ExpirationInDays: 730 }));
    }
  });

  it('encrypts every queue and denies non-TLS access to it', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(3);
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('keeps one on-demand table with PITR, KMS encryption, TTL and gsi1, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      }),
    });
  });

  it('encrypts the alarm topic with a rotated key CloudWatch may use, and requires TLS', () => {
    const keyId = logicalId(template, 'AWS::KMS::Key', 'OpsTopicKey');
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('Moz secret', () => {
  it('creates linkgap/moz holding an empty token placeholder, retained', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ Name: 'linkgap/moz', SecretString: '{"token":""}' }),
    });
  });

  it('uses an existing secret by name instead of creating one', () => {
    const { template: reused } = synthLinkgap({ existingMozSecretName: 'team/moz-token' });
    reused.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const runner = Object.entries(reused.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('Runner'),
    );
    expect(runner?.[1].Properties.Environment.Variables.MOZ_SECRET_ID).toBe('team/moz-token');
    expect(JSON.stringify(reused.findResources('AWS::IAM::Policy'))).toContain(
      ':secret:team/moz-token-??????',
    );
  });
});

describe('least privilege', () => {
  const runner = policyStatementsOfRole('RunnerRole');
  const dispatcher = policyStatementsOfRole('DispatcherRole');
  const lakeArn = { 'Fn::GetAtt': [logicalId(template, 'AWS::S3::Bucket', 'LakeBucket'), 'Arn'] };

  it('never grants a wildcard action', () => {
    for (const statement of [...runner, ...dispatcher]) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
    }
  });

  it('lets the runner touch lake objects only under the prefixes it owns, and delete only its checkpoints', () => {
    const s3Statements = runner.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    const deletes = s3Statements.filter((s) => actionsOf(s).includes('s3:DeleteObject'));
    expect(deletes).toEqual([
      expect.objectContaining({
        Action: 's3:DeleteObject',
        Resource: { 'Fn::Join': ['', [lakeArn, '/staging/*']] },
      }),
    ]);
    // reports/ (write + presign) is granted by DigestDelivery; digest-delivery.test.ts checks it.
    const objectStatements = s3Statements.filter(
      (s) =>
        !actionsOf(s).includes('s3:ListBucket') &&
        !actionsOf(s).includes('s3:DeleteObject') &&
        (s as { Sid?: string }).Sid !== 'LakeReports',
    );
    const objectResources = objectStatements.flatMap(resourcesOf);
    expect(objectResources).toEqual(
      PIPELINE_PREFIXES.map((prefix) => ({ 'Fn::Join': ['', [lakeArn, `/${prefix}/*`]] })),
    );
    expect(PIPELINE_PREFIXES).toEqual(['prospects', 'changes', 'runs', 'reviews', 'staging', 'state']);
    expect(objectStatements.flatMap(actionsOf)).not.toContain('s3:DeleteObject');
    const listing = s3Statements.filter((s) => actionsOf(s).includes('s3:ListBucket'));
    expect(listing).toEqual([
      // Unconditional, so a missing key is a 404 (NoSuchKey), not a 403.
      { Sid: 'LakeListing', Effect: 'Allow', Action: 's3:ListBucket', Resource: lakeArn },
    ]);
  });

  it('lets the runner read only its secret', () => {
    const secretId = logicalId(template, 'AWS::SecretsManager::Secret', 'MozSecret');
    // Webhook secrets under linkgap/webhook/ are granted by DigestDelivery (digest-delivery.test.ts).
    const secretStatements = runner.filter(
      (s) =>
        actionsOf(s).some((a) => a.startsWith('secretsmanager:')) &&
        (s as { Sid?: string }).Sid !== 'DigestWebhookSecrets',
    );
    expect(secretStatements).toEqual([
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: secretId },
      }),
    ]);
    expect(JSON.stringify(dispatcher)).not.toContain('secretsmanager:');
  });

  it('lets the dispatcher read the table and send to the run queue, nothing else', () => {
    const actions = dispatcher.flatMap(actionsOf);
    expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
    expect(actions).toContain('sqs:SendMessage');
    const runQueueArn = { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'RunQueue'), 'Arn'] };
    for (const statement of dispatcher.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))) {
      expect(statement.Resource).toEqual(runQueueArn);
    }
  });

  it('lets the runner write the table and re-queue continuations', () => {
    const actions = runner.flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:SendMessage']),
    );
  });
});

describe('alarms', () => {
  it('alarms on both DLQs and on function errors, each saying what it means and what to do', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms).toHaveLength(6); // + DigestPublishFailed, ReportPublishFailed (digest-delivery.test.ts)
    const topicRef = { Ref: logicalId(template, 'AWS::SNS::Topic', 'OpsTopic') };
    for (const alarm of alarms) {
      expect(alarm.AlarmDescription.length).toBeGreaterThan(80);
      expect(alarm.AlarmDescription).toContain('What to do:');
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.Threshold).toBe(0);
      expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
    }
    const watched = alarms.map((a) => `${a.Namespace}/${a.MetricName}/${JSON.stringify(a.Dimensions)}`);
    for (const queue of ['RunDlq', 'SchedulerDlq']) {
      const queueName = { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', queue), 'QueueName'] };
      expect(watched).toContain(
        `AWS/SQS/ApproximateNumberOfMessagesVisible/${JSON.stringify([{ Name: 'QueueName', Value: queueName }])}`,
      );
    }
    for (const fn of ['Runner', 'Dispatcher']) {
      const alarm = alarms.find(
        (a) =>
          JSON.stringify(a.Dimensions) ===
          JSON.stringify([{ Name: 'FunctionName', Value: { Ref: functionNamed(fn).id } }]),
      );
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Period: 3600,
        Statistic: 'Sum',
      });
    }
  });

  it('subscribes the alarm email when one is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const { template: withEmail } = synthLinkgap({ alarmEmail: 'ops@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('outputs and context', () => {
  it.each([
    'TableName',
    'LakeBucketName',
    'MozSecretName',
    'MozSecretArn',
    'RunQueueUrl',
    'GlueDatabaseName',
    'AthenaWorkGroupName',
    'AlarmTopicArn',
    'DispatcherFunctionName',
    'RunnerFunctionName',
  ])('outputs %s', (name) => {
    template.hasOutput(name, { Value: Match.anyValue(), Description: Match.stringLikeRegexp('.+') });
  });

  it('reads props from CDK context (-c key=value arrives as a string)', () => {
    const app = new App({
      outdir: tempOutdir(),
      context: {
        'aws:cdk:bundling-stacks': [],
        alarmEmail: 'ops@example.com',
        runnerConcurrency: '3',
        mozRateIntervalMs: '20000',
        scheduleTimeZone: 'America/New_York',
      },
    });
    const stack = new LinkgapStack(app, 'FromContext', propsFromContext(app));
    const fromContext = templateOf(stack);
    fromContext.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    fromContext.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: 'ops@example.com' });
    fromContext.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpressionTimezone: 'America/New_York',
    });
    fromContext.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MOZ_RATE_INTERVAL_MS: '20000' }) },
    });
  });

  it('rejects context that is not a number where one is needed', () => {
    const app = new App({ outdir: tempOutdir(), context: { runnerConcurrency: 'two' } });
    expect(() => propsFromContext(app)).toThrow(/runnerConcurrency must be an integer/);
  });
});

/** The properties of the resource of `type` whose logical id starts with `prefix` (CloudFormation JSON). */
function onlyMatching(type: string, prefix: string) {
  const id = logicalId(template, type, prefix);
  return template.findResources(type)[id]?.Properties;
}
