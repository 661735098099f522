import * as z from 'zod';
import { builtSchema, lazySchema } from '#domain/lazy-schema.ts';
import { DEFAULT_MOZ_BASE_URL, DEFAULT_MOZ_RATE } from '#moz/config.ts';
import { blankToUndefined, httpUrlVariable, parseEnv, requiredVariable } from '#shared/env.ts';

/**
 * The contract between the CDK stack and the Lambda handlers, written once: each setting a function
 * is deployed with, under the environment variable that carries it. The stack writes variables
 * only through {@link lambdaEnvironment}; the handlers read them through {@link AwsEnv}.
 */
export const LAMBDA_ENV_VARIABLES = {
  tableName: 'LINKGAP_TABLE',
  bucket: 'LINKGAP_BUCKET',
  queueUrl: 'LINKGAP_QUEUE_URL',
  mozSecretId: 'MOZ_SECRET_ID',
  mozBaseUrl: 'MOZ_API_BASE_URL',
  rateRequests: 'MOZ_RATE_REQUESTS',
  rateIntervalMs: 'MOZ_RATE_INTERVAL_MS',
  rateGateName: 'LINKGAP_RATE_GATE_NAME',
  /** The SNS topic each committed run's digest is published to (optional: no digest without it). */
  digestTopicArn: 'LINKGAP_DIGEST_TOPIC_ARN',
  /** The dispatcher's calendar time zone (dispatcherConfigFromEnv). */
  timeZone: 'LINKGAP_TIME_ZONE',
  /** Read by Powertools itself (logger service name, metrics namespace). */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

export type LambdaSetting = keyof typeof LAMBDA_ENV_VARIABLES;

export { DEFAULT_MOZ_BASE_URL, DEFAULT_MOZ_RATE } from '#moz/config.ts';

/**
 * The environment of a function: each setting given, under the variable its handler reads.
 * Settings left undefined are left out, so the handler's default applies.
 */
export function lambdaEnvironment(
  settings: Partial<Record<LambdaSetting, string | number | undefined>>,
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [setting, value] of Object.entries(settings)) {
    if (value !== undefined) variables[LAMBDA_ENV_VARIABLES[setting as LambdaSetting]] = String(value);
  }
  return variables;
}

const V = LAMBDA_ENV_VARIABLES;

/** The environment the Lambda functions are deployed with (set by the CDK stack). */
export const AwsEnv = lazySchema(() =>
  z.object({
    [V.tableName]: requiredVariable(V.tableName),
    [V.bucket]: requiredVariable(V.bucket),
    [V.queueUrl]: httpUrlVariable(V.queueUrl),
    [V.mozSecretId]: requiredVariable(V.mozSecretId),
    [V.mozBaseUrl]: httpUrlVariable(V.mozBaseUrl, DEFAULT_MOZ_BASE_URL),
    /** Requests per interval for the whole Moz account, shared by every runner (free tier: 1 per 10 s). */
    [V.rateRequests]: z.preprocess(
      blankToUndefined,
      z.coerce
        .number({ error: `${V.rateRequests} must be a positive integer` })
        .int()
        .positive()
        .default(DEFAULT_MOZ_RATE.requests),
    ),
    [V.rateIntervalMs]: z.preprocess(
      blankToUndefined,
      z.coerce
        .number({ error: `${V.rateIntervalMs} must be a whole number of milliseconds` })
        .int()
        .min(0)
        .default(DEFAULT_MOZ_RATE.intervalMs),
    ),
    [V.rateGateName]: z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(
          /^[A-Za-z0-9._-]{1,64}$/,
          `${V.rateGateName} must be 1-64 letters, digits, dots, dashes or underscores`,
        )
        .default('moz'),
    ),
    [V.digestTopicArn]: z.preprocess(blankToUndefined, z.string().optional()),
  }),
);

export interface AwsConfig {
  tableName: string;
  bucket: string;
  queueUrl: string;
  mozSecretId: string;
  mozBaseUrl: string;
  rateGate: { name: string; requests: number; intervalMs: number };
  digestTopicArn?: string;
}

export class AwsConfigError extends Error {
  override name = 'AwsConfigError';
}

/**
 * Parses the Lambda environment (once per cold start, in the composition root). The error names
 * each bad or missing variable; values are never echoed.
 */
export function awsConfigFromEnv(env: Record<string, string | undefined>): AwsConfig {
  const e = parseEnv(AwsEnv, env, (detail) => new AwsConfigError(`invalid Lambda environment: ${detail}`));
  return {
    tableName: e.LINKGAP_TABLE,
    bucket: e.LINKGAP_BUCKET,
    queueUrl: e.LINKGAP_QUEUE_URL,
    mozSecretId: e.MOZ_SECRET_ID,
    mozBaseUrl: e.MOZ_API_BASE_URL,
    rateGate: {
      name: e.LINKGAP_RATE_GATE_NAME,
      requests: e.MOZ_RATE_REQUESTS,
      intervalMs: e.MOZ_RATE_INTERVAL_MS,
    },
    ...(e.LINKGAP_DIGEST_TOPIC_ARN === undefined ? {} : { digestTopicArn: e.LINKGAP_DIGEST_TOPIC_ARN }),
  };
}

const TimeZone = lazySchema(() =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .default('UTC')
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en-CA', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, `${V.timeZone} must be an IANA time zone such as Europe/Berlin`),
  ),
);

/** What the dispatcher is deployed with: the table, the run queue and its calendar's time zone. */
const DispatcherEnv = lazySchema(() =>
  AwsEnv.pick({ [V.tableName]: true, [V.queueUrl]: true }).extend({
    [V.timeZone]: builtSchema(TimeZone),
  }),
);

export interface DispatcherConfig {
  tableName: string;
  queueUrl: string;
  timeZone: string;
}

export function dispatcherConfigFromEnv(env: Record<string, string | undefined>): DispatcherConfig {
  const e = parseEnv(
    DispatcherEnv,
    env,
    (detail) => new AwsConfigError(`invalid Lambda environment: ${detail}`),
  );
  return { tableName: e.LINKGAP_TABLE, queueUrl: e.LINKGAP_QUEUE_URL, timeZone: e.LINKGAP_TIME_ZONE };
}
