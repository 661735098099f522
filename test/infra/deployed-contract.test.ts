import { afterAll, describe, expect, it } from 'vitest';
import { AwsEnv, awsConfigFromEnv, LAMBDA_ENV_VARIABLES, lambdaEnvironment } from '#adapters/aws/config.ts';
import { RUNNER_GLIBC_TUNABLES } from '../../infra/process-settings.ts';
import { removeSynthOutputs, synthLinkgap } from './synth.ts';

afterAll(removeSynthOutputs);

const { template } = synthLinkgap({ mozRateRequests: 2, mozRateIntervalMs: 20_000 });

/** Each function's environment, with CloudFormation references replaced by a URL-shaped stand-in. */
function deployedEnvironment(prefix: string): Record<string, string> {
  const entry = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
    id.startsWith(prefix),
  );
  const variables = entry?.[1].Properties.Environment.Variables as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : `https://resolved.example/${name}`,
    ]),
  );
}

describe('the environment the stack writes is the one the handlers read', () => {
  it.each(['Dispatcher', 'Runner'])('%s gets only variables the adapters know', (fn) => {
    const known = new Set<string>([...Object.values(LAMBDA_ENV_VARIABLES), 'NODE_OPTIONS', 'GLIBC_TUNABLES']);
    expect(Object.keys(deployedEnvironment(fn)).filter((name) => !known.has(name))).toEqual([]);
  });

  it('runs the runner with the malloc settings bench/scale.ts measures it with (and the dispatcher without)', () => {
    expect(deployedEnvironment('Runner')).toMatchObject({
      GLIBC_TUNABLES: RUNNER_GLIBC_TUNABLES,
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(deployedEnvironment('Dispatcher')).not.toHaveProperty('GLIBC_TUNABLES');
  });

  it("parses the runner's environment into the settings the stack was given", () => {
    const config = awsConfigFromEnv(deployedEnvironment('Runner'));
    expect(config).toMatchObject({
      mozSecretId: 'linkgap/moz',
      mozBaseUrl: 'https://lsapi.seomoz.com',
      rateGate: { name: 'moz', requests: 2, intervalMs: 20_000 },
    });
  });

  it("parses the dispatcher's table and queue", () => {
    const dispatcherEnv = AwsEnv.pick({ LINKGAP_TABLE: true, LINKGAP_QUEUE_URL: true });
    expect(dispatcherEnv.safeParse(deployedEnvironment('Dispatcher')).success).toBe(true);
    expect(deployedEnvironment('Dispatcher')).toMatchObject({ LINKGAP_TIME_ZONE: 'UTC' });
  });

  it('writes each setting under its variable, stringified, and leaves unset ones out', () => {
    expect(lambdaEnvironment({ tableName: 'T', rateRequests: 3, bucket: undefined })).toEqual({
      LINKGAP_TABLE: 'T',
      MOZ_RATE_REQUESTS: '3',
    });
  });
});

describe('deployed resources keep their logical ids', () => {
  // A changed logical id makes CloudFormation replace the resource: a new, empty table or bucket
  // (the retained one is orphaned), lost queue messages, or a failed deploy for a fixed name.
  it.each([
    ['AWS::DynamoDB::GlobalTable', 'TableCD117FA1'],
    ['AWS::S3::Bucket', 'LakeBucketB1D32E10'],
    ['AWS::S3::Bucket', 'LakeAccessLogs4431AB8D'],
    ['AWS::S3::Bucket', 'LakeAthenaResultsEBC66BDA'],
    ['AWS::SecretsManager::Secret', 'MozSecretB5F420DB'],
    ['AWS::SQS::Queue', 'RunQueue294CC30B'],
    ['AWS::SQS::Queue', 'RunDlq24BA3FC0'],
    ['AWS::SQS::Queue', 'SchedulerDlqBE0A9ADA'],
    ['AWS::Glue::Database', 'CatalogDatabaseE63956BB'],
    ['AWS::Athena::WorkGroup', 'QueriesWorkGroup8009DE2E'],
    ['AWS::Scheduler::Schedule', 'DailyDispatch518AC23A'],
  ])('%s %s', (type, id) => {
    expect(Object.keys(template.findResources(type))).toContain(id);
  });
});
