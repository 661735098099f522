/**
 * Option parsers more than one command uses; each turns bad input into a one-line UsageError. The
 * `--aws` commands find the deployed stack here too: every name comes from a flag or an environment
 * variable, and the error for a missing one says which stack output holds it.
 */
import { DEFAULT_STACK_NAME } from '../infra/names.ts';
import { UsageError } from './errors.ts';

/** Today's date in UTC, YYYY-MM-DD: the default run date. */
export const todayUtc = (now: Date = new Date()) => now.toISOString().slice(0, 10);

/**
 * A YYYY-MM-DD option that is a real calendar day (2026-02-30 is not), and with `notAfter` not
 * later than that day. Every refusal names the option.
 */
export function parseDateOption(value: string, name: string, options: { notAfter?: string } = {}): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new UsageError(`${name} must be a date like 2026-11-01, got ${JSON.stringify(value.slice(0, 40))}`);
  const parsed = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value)
    throw new UsageError(`${name} ${value} is not a calendar date`);
  if (options.notAfter !== undefined && value > options.notAfter)
    throw new UsageError(`${name} ${value} is in the future (today is ${options.notAfter}, UTC)`);
  return value;
}

/**
 * A whole-number option from `min` to `max`, written as digits (Number() alone would take 1e1 or
 * 0x10). The refusal names the option, the range and what was given.
 */
export function parseWholeNumberOption(
  value: string,
  name: string,
  range: { min: number; max: number },
): number {
  const parsed = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= range.min && parsed <= range.max))
    throw new UsageError(
      `${name} must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(value.slice(0, 40))}`,
    );
  return parsed;
}

/** The stack outputs (`aws cloudformation describe-stacks`) and the variables that carry them. */
const AWS_SETTINGS = {
  table: { flag: '--table', variable: 'LINKGAP_TABLE', output: 'TableName', what: 'DynamoDB table' },
  bucket: { flag: '--bucket', variable: 'LINKGAP_BUCKET', output: 'LakeBucketName', what: 'S3 lake bucket' },
  workgroup: {
    flag: '--workgroup',
    variable: 'LINKGAP_WORKGROUP',
    output: 'AthenaWorkGroupName',
    what: 'Athena workgroup',
  },
  database: {
    flag: '--database',
    variable: 'LINKGAP_DATABASE',
    output: 'GlueDatabaseName',
    what: 'Glue database',
  },
} as const;
export type AwsSetting = keyof typeof AWS_SETTINGS;

/** The `aws` command that prints one stack output, for the error of a missing setting. */
function describeStacksHint(output: string): string {
  return `aws cloudformation describe-stacks --stack-name ${DEFAULT_STACK_NAME} --query "Stacks[0].Outputs[?OutputKey=='${output}'].OutputValue" --output text`;
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

/** The option that names a stack setting, as `command.option(...stackOption('table'))` declares it. */
export function stackOption(setting: AwsSetting): [flags: string, description: string] {
  const { flag, variable, output, what } = AWS_SETTINGS[setting];
  return [`${flag} <name>`, `${what} (default: $${variable}; stack output ${output})`];
}
