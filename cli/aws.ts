/**
 * Where `--aws` commands find the deployed stack: every name comes from a flag or an environment
 * variable, and the error for a missing one says which stack output holds it. SDK clients use the
 * default credential chain and region (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL for moto).
 */
import { type AwsClients, createAwsClients } from '#adapters/aws/clients.ts';
import { UsageError } from './errors.ts';

/** The stack outputs (`aws cloudformation describe-stacks`) and the variables that carry them. */
export const AWS_SETTINGS = {
  table: { flag: '--table', variable: 'LINKGAP_TABLE', output: 'TableName' },
  bucket: { flag: '--bucket', variable: 'LINKGAP_BUCKET', output: 'LakeBucketName' },
  workgroup: { flag: '--workgroup', variable: 'LINKGAP_WORKGROUP', output: 'AthenaWorkGroupName' },
  database: { flag: '--database', variable: 'LINKGAP_DATABASE', output: 'GlueDatabaseName' },
} as const;
export type AwsSetting = keyof typeof AWS_SETTINGS;

/** The `aws` command that prints one stack output, for error messages and docs. */
export function describeStacksHint(output: string, stackName = 'Linkgap'): string {
  return `aws cloudformation describe-stacks --stack-name ${stackName} --query "Stacks[0].Outputs[?OutputKey=='${output}'].OutputValue" --output text`;
}

/** The flag value, else the environment variable, else a UsageError naming both and the stack output. */
export function awsSetting(
  setting: AwsSetting,
  flagValue: string | undefined,
  env: Record<string, string | undefined>,
): string {
  const { flag, variable, output } = AWS_SETTINGS[setting];
  const value = flagValue?.trim() || env[variable]?.trim();
  if (value) return value;
  throw new UsageError(
    `--aws needs the stack's ${output}: pass ${flag} <name> or set ${variable} (${describeStacksHint(output)})`,
  );
}

/**
 * SDK clients for one command, from the default configuration (read when built, so tests that stub
 * AWS_ENDPOINT_URL see moto). `close` releases their sockets so the process can exit.
 */
export function openAwsClients(): AwsClients & { close(): void } {
  const clients = createAwsClients();
  return {
    ...clients,
    close() {
      clients.doc.destroy();
      clients.s3.destroy();
      clients.secrets.destroy();
      clients.sqs.destroy();
      clients.athena.destroy();
    },
  };
}
