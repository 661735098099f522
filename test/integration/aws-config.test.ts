import { describe, expect, it } from 'vitest';
import { AwsConfigError, awsConfigFromEnv } from '#shared/adapters/aws/config.ts';

const deployed = {
  LINKGAP_TABLE: 'linkgap-table',
  LINKGAP_BUCKET: 'linkgap-lake',
  LINKGAP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/linkgap-runs',
  MOZ_SECRET_ID: 'linkgap/moz',
};

describe('Lambda environment (config.ts)', () => {
  it('applies the defaults', () => {
    expect(awsConfigFromEnv(deployed)).toEqual({
      tableName: 'linkgap-table',
      bucket: 'linkgap-lake',
      queueUrl: deployed.LINKGAP_QUEUE_URL,
      mozSecretId: 'linkgap/moz',
      mozBaseUrl: 'https://lsapi.seomoz.com',
      rateGate: { name: 'moz', requests: 1, intervalMs: 10_000 },
    });
  });

  it('reads the optional settings, treating blanks as unset', () => {
    const config = awsConfigFromEnv({
      ...deployed,
      MOZ_API_BASE_URL: 'http://127.0.0.1:4010',
      MOZ_RATE_REQUESTS: '3',
      MOZ_RATE_INTERVAL_MS: '1000',
      LINKGAP_RATE_GATE_NAME: ' ',
    });
    expect(config.mozBaseUrl).toBe('http://127.0.0.1:4010');
    expect(config.rateGate).toEqual({ name: 'moz', requests: 3, intervalMs: 1_000 });
  });

  it.each([
    ['LINKGAP_TABLE', { LINKGAP_TABLE: undefined }, 'LINKGAP_TABLE is not set'],
    ['LINKGAP_BUCKET', { LINKGAP_BUCKET: '' }, 'LINKGAP_BUCKET is not set'],
    ['LINKGAP_QUEUE_URL', { LINKGAP_QUEUE_URL: undefined }, 'LINKGAP_QUEUE_URL is not set'],
    ['MOZ_SECRET_ID', { MOZ_SECRET_ID: undefined }, 'MOZ_SECRET_ID is not set'],
    ['MOZ_RATE_REQUESTS', { MOZ_RATE_REQUESTS: 'lots' }, 'MOZ_RATE_REQUESTS must be a positive integer'],
    ['MOZ_RATE_INTERVAL_MS', { MOZ_RATE_INTERVAL_MS: '-1' }, 'MOZ_RATE_INTERVAL_MS'],
    ['MOZ_API_BASE_URL', { MOZ_API_BASE_URL: 'ftp://x' }, 'MOZ_API_BASE_URL must be an http(s) URL'],
  ])('names %s when it is missing or bad', (_name, change, message) => {
    expect(() => awsConfigFromEnv({ ...deployed, ...change })).toThrow(AwsConfigError);
    expect(() => awsConfigFromEnv({ ...deployed, ...change })).toThrow(message);
  });

  it('lists every missing variable at once', () => {
    expect(() => awsConfigFromEnv({})).toThrow(
      'invalid Lambda environment: LINKGAP_TABLE is not set; LINKGAP_BUCKET is not set; LINKGAP_QUEUE_URL is not set; MOZ_SECRET_ID is not set',
    );
  });
});
