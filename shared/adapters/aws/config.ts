import { z } from 'zod';

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const required = (name: string) =>
  z.preprocess(
    blankToUndefined,
    z.string({
      error: (issue) => (issue.input === undefined ? `${name} is not set` : `${name} must be a string`),
    }),
  );

/** The environment the Lambda functions are deployed with (set by the CDK stack). */
export const AwsEnv = z.object({
  LINKGAP_TABLE: required('LINKGAP_TABLE'),
  LINKGAP_BUCKET: required('LINKGAP_BUCKET'),
  LINKGAP_QUEUE_URL: z.preprocess(
    blankToUndefined,
    z.url({
      protocol: /^https?$/,
      error: (issue) =>
        issue.input === undefined
          ? 'LINKGAP_QUEUE_URL is not set'
          : 'LINKGAP_QUEUE_URL must be an http(s) URL',
    }),
  ),
  MOZ_SECRET_ID: required('MOZ_SECRET_ID'),
  MOZ_API_BASE_URL: z.preprocess(
    blankToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'MOZ_API_BASE_URL must be an http(s) URL' })
      .default('https://lsapi.seomoz.com'),
  ),
  /** Requests per interval for the whole Moz account, shared by every runner (free tier: 1 per 10 s). */
  MOZ_RATE_REQUESTS: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: 'MOZ_RATE_REQUESTS must be a positive integer' }).int().positive().default(1),
  ),
  MOZ_RATE_INTERVAL_MS: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'MOZ_RATE_INTERVAL_MS must be a whole number of milliseconds' })
      .int()
      .min(0)
      .default(10_000),
  ),
  LINKGAP_RATE_GATE_NAME: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(
        /^[A-Za-z0-9._-]{1,64}$/,
        'LINKGAP_RATE_GATE_NAME must be 1-64 letters, digits, dots, dashes or underscores',
      )
      .default('moz'),
  ),
});

export interface AwsConfig {
  tableName: string;
  bucket: string;
  queueUrl: string;
  mozSecretId: string;
  mozBaseUrl: string;
  rateGate: { name: string; requests: number; intervalMs: number };
}

export class AwsConfigError extends Error {
  override name = 'AwsConfigError';
}

/**
 * Parses the Lambda environment (once per cold start, in the composition root). The error names
 * each bad or missing variable; values are never echoed.
 */
export function awsConfigFromEnv(env: Record<string, string | undefined>): AwsConfig {
  const parsed = AwsEnv.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => {
        const variable = issue.path.join('.');
        return issue.message.includes(variable) ? issue.message : `${variable || '(env)'}: ${issue.message}`;
      })
      .join('; ');
    throw new AwsConfigError(`invalid Lambda environment: ${detail}`);
  }
  const e = parsed.data;
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
  };
}
