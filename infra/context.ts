import { Duration, Size } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LinkgapStackProps } from './linkgap-stack.ts';

/**
 * Stack props read from CDK context, so `npx cdk deploy -c alarmEmail=me@example.com` works
 * without editing code. Values from `-c` arrive as strings; values from cdk.json may be numbers.
 *
 * | context key               | prop                     |
 * |---------------------------|--------------------------|
 * | stackName                 | (the stack's name)       |
 * | namePrefix                | namePrefix               |
 * | scheduleTimeZone          | scheduleTimeZone         |
 * | scheduleExpression        | scheduleExpression       |
 * | alarmEmail                | alarmEmail               |
 * | digestEmail               | digestEmail              |
 * | existingMozSecretName     | existingMozSecretName    |
 * | mozRateRequests           | mozRateRequests          |
 * | mozRateIntervalMs         | mozRateIntervalMs        |
 * | runnerConcurrency         | runnerConcurrency        |
 * | athenaBytesScannedCutoff  | athenaBytesScannedCutoff (bytes) |
 * | lakeRetentionDays         | lakeRetention (days)     |
 */
export function propsFromContext(scope: Construct): LinkgapStackProps & { stackName?: string } {
  const text = (key: string): string | undefined => {
    const value: unknown = scope.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string')
      throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    return value;
  };
  const integer = (key: string): number | undefined => {
    const value: unknown = scope.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isSafeInteger(n))
      throw new Error(`context ${key} must be an integer, got ${JSON.stringify(value)}`);
    return n;
  };
  const cutoffBytes = integer('athenaBytesScannedCutoff');
  const lakeRetentionDays = integer('lakeRetentionDays');
  return {
    stackName: text('stackName'),
    namePrefix: text('namePrefix'),
    scheduleTimeZone: text('scheduleTimeZone'),
    scheduleExpression: text('scheduleExpression'),
    alarmEmail: text('alarmEmail'),
    digestEmail: text('digestEmail'),
    existingMozSecretName: text('existingMozSecretName'),
    mozRateRequests: integer('mozRateRequests'),
    mozRateIntervalMs: integer('mozRateIntervalMs'),
    runnerConcurrency: integer('runnerConcurrency'),
    athenaBytesScannedCutoff: cutoffBytes === undefined ? undefined : Size.bytes(cutoffBytes),
    lakeRetention: lakeRetentionDays === undefined ? undefined : Duration.days(lakeRetentionDays),
  };
}
