import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { lazySchema } from '#domain/lazy-schema.ts';
import type { MozCredentials, SecretSource } from '#shared/ports.ts';

export interface SecretsManagerSourceOptions {
  client: SecretsManagerClient;
  /** Name or ARN of the secret holding the Moz credentials. */
  secretId: string;
  /** How long a read value is reused by this container. @default 5 minutes */
  ttlMs?: number;
  now?: () => number;
}

/** The Moz secret is missing, empty or malformed. Names the secret and the problem, never the value. */
export class MozSecretError extends Error {
  override name = 'MozSecretError';
}

const nonEmpty = (field: string) => z.string().trim().min(1, `"${field}" must not be empty`);

/**
 * `{"token": "..."}` (API token) or `{"accessId": "...", "secretKey": "..."}` (legacy Basic auth).
 * Built on first use: only an invocation that calls Moz reads the secret.
 */
const MozSecretJson = lazySchema(() =>
  z
    .object(
      {
        token: nonEmpty('token').optional(),
        accessId: nonEmpty('accessId').optional(),
        secretKey: nonEmpty('secretKey').optional(),
      },
      { error: 'must be a JSON object' },
    )
    .transform((secret, ctx): MozCredentials => {
      if (secret.token !== undefined) return { kind: 'token', token: secret.token };
      if (secret.accessId !== undefined && secret.secretKey !== undefined) {
        return { kind: 'basic', accessId: secret.accessId, secretKey: secret.secretKey };
      }
      ctx.addIssue({
        code: 'custom',
        message:
          secret.accessId !== undefined || secret.secretKey !== undefined
            ? '"accessId" and "secretKey" must be set together'
            : 'needs "token", or "accessId" and "secretKey"',
      });
      return z.NEVER;
    }),
);

/**
 * Moz credentials from one Secrets Manager secret, cached per container for `ttlMs` (GetSecretValue
 * costs money and latency). `refresh()` re-reads once, for a 401/403 after a rotation. Concurrent
 * reads share one request.
 */
export function createSecretsManagerSource(options: SecretsManagerSourceOptions): SecretSource {
  const { client, secretId } = options;
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const noValueYet = () =>
    new MozSecretError(
      `Moz secret ${secretId} has no value yet: put {"token":"..."} in it (see README: Set the Moz secret)`,
    );

  let cached: { credentials: MozCredentials; expiresAt: number } | undefined;
  let inFlight: Promise<MozCredentials> | undefined;

  async function fetchCredentials(): Promise<MozCredentials> {
    let secretString: string | undefined;
    try {
      const response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      secretString = response.SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      // A secret created without a value has no AWSCURRENT version: GetSecretValue says "not found".
      if (name === 'ResourceNotFoundException' && /value/i.test(String((error as Error).message))) {
        throw noValueYet();
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new MozSecretError(`could not read Moz secret ${secretId}: ${name}: ${message}`, {
        cause: error,
      });
    }
    if (secretString === undefined || secretString.trim() === '') throw noValueYet();

    let json: unknown;
    try {
      json = JSON.parse(secretString);
    } catch {
      // The SyntaxError quotes the input, so it must not travel on.
      throw new MozSecretError(
        `Moz secret ${secretId} is not valid JSON: put {"token":"..."} or {"accessId":"...","secretKey":"..."} in it`,
      );
    }
    const parsed = MozSecretJson.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
        .join('; ');
      throw new MozSecretError(`Moz secret ${secretId} is malformed: ${problems}`);
    }
    return parsed.data;
  }

  function load(): Promise<MozCredentials> {
    inFlight ??= fetchCredentials()
      .then((credentials) => {
        cached = { credentials, expiresAt: now() + ttlMs };
        return credentials;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    description: `Secrets Manager secret ${secretId}`,
    async read() {
      if (cached !== undefined && now() < cached.expiresAt) return cached.credentials;
      return load();
    },
    async refresh() {
      cached = undefined;
      return load();
    },
  };
}
