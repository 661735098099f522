import * as z from 'zod';
import { lazySchema } from '#domain/lazy-schema.ts';
import { blankToUndefined, httpUrlVariable, parseEnv } from '#shared/env.ts';
import type { MozCredentials } from './types.ts';

/**
 * Moz settings read from an env-like record that the composition root passes in
 * (shared/moz itself never reads process.env). Parse once per cold start.
 */

/** The Moz Links API; point MOZ_API_BASE_URL elsewhere only for a stand-in. */
export const DEFAULT_MOZ_BASE_URL = 'https://lsapi.seomoz.com';
/** The Moz free tier: 1 request per 10 s, for the whole account. */
export const DEFAULT_MOZ_RATE = { requests: 1, intervalMs: 10_000 } as const;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const MozEnv = lazySchema(() =>
  z
    .object({
      MOZ_API_BASE_URL: httpUrlVariable('MOZ_API_BASE_URL', DEFAULT_MOZ_BASE_URL),
      MOZ_TOKEN: z.preprocess(blankToUndefined, z.string().optional()),
      MOZ_ACCESS_ID: z.preprocess(blankToUndefined, z.string().optional()),
      MOZ_SECRET_KEY: z.preprocess(blankToUndefined, z.string().optional()),
      /** Free tier: 1 request per 10 s. */
      MOZ_REQUESTS_PER_INTERVAL: z.preprocess(blankToUndefined, positiveInt(DEFAULT_MOZ_RATE.requests)),
      MOZ_INTERVAL_MS: z.preprocess(
        blankToUndefined,
        z.coerce.number().int().min(0).default(DEFAULT_MOZ_RATE.intervalMs),
      ),
      MOZ_TIMEOUT_MS: z.preprocess(blankToUndefined, positiveInt(30_000)),
      MOZ_MAX_ATTEMPTS: z.preprocess(blankToUndefined, positiveInt(6)),
    })
    .superRefine((env, ctx) => {
      // Values are never echoed: the issue only names the variable.
      if ((env.MOZ_ACCESS_ID === undefined) !== (env.MOZ_SECRET_KEY === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [env.MOZ_ACCESS_ID === undefined ? 'MOZ_ACCESS_ID' : 'MOZ_SECRET_KEY'],
          message: 'MOZ_ACCESS_ID and MOZ_SECRET_KEY must be set together',
        });
      }
    }),
);

export interface MozConfig {
  baseUrl: string;
  /** The base URL safe to record and display (manifests' moz_base_url, logs): no userinfo, no query. */
  publicBaseUrl: string;
  /** Present when the env holds credentials; otherwise they come from elsewhere (Secrets Manager). */
  credentials: MozCredentials | undefined;
  rateLimit: { requests: number; intervalMs: number };
  timeoutMs: number;
  maxAttempts: number;
}

export class MozConfigError extends Error {
  override name = 'MozConfigError';
}

/** Parses a passed env record. MOZ_TOKEN wins over MOZ_ACCESS_ID + MOZ_SECRET_KEY when both are set. */
export function mozConfigFromEnv(env: Record<string, string | undefined>): MozConfig {
  const e = parseEnv(MozEnv, env, (detail) => new MozConfigError(`invalid Moz configuration: ${detail}`));
  let credentials: MozCredentials | undefined;
  if (e.MOZ_TOKEN !== undefined) credentials = { kind: 'token', token: e.MOZ_TOKEN };
  else if (e.MOZ_ACCESS_ID !== undefined && e.MOZ_SECRET_KEY !== undefined) {
    credentials = { kind: 'basic', accessId: e.MOZ_ACCESS_ID, secretKey: e.MOZ_SECRET_KEY };
  }
  const baseUrl = clientBaseUrl(e.MOZ_API_BASE_URL);
  return {
    baseUrl,
    publicBaseUrl: publicBaseUrl(baseUrl),
    credentials,
    rateLimit: { requests: e.MOZ_REQUESTS_PER_INTERVAL, intervalMs: e.MOZ_INTERVAL_MS },
    timeoutMs: e.MOZ_TIMEOUT_MS,
    maxAttempts: e.MOZ_MAX_ATTEMPTS,
  };
}

/**
 * The base URL the client sends to: trimmed, without a trailing slash or `/v2`. A user name or password
 * in it is refused rather than stripped (stripping would silently drop credentials someone meant to
 * use, and they would end up in manifests and logs); so are a query string and a fragment. The message
 * never repeats the URL, which may hold a password.
 */
export function clientBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new MozConfigError('invalid Moz configuration: MOZ_API_BASE_URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new MozConfigError('invalid Moz configuration: MOZ_API_BASE_URL must be an http(s) URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new MozConfigError(
      'invalid Moz configuration: MOZ_API_BASE_URL must not contain a user name or password; ' +
        'put the API token in MOZ_TOKEN (or MOZ_ACCESS_ID + MOZ_SECRET_KEY, or the Secrets Manager secret)',
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new MozConfigError(
      'invalid Moz configuration: MOZ_API_BASE_URL must not have a query string or fragment',
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '').replace(/\/v2$/, '');
}

/**
 * A base URL safe to record or show: userinfo, query string and fragment removed, whatever the input.
 * Something that is not a URL at all comes back as a fixed placeholder, never echoed.
 */
export function publicBaseUrl(raw: string): string {
  try {
    const url = new URL(raw.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return '(not an http(s) URL)';
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  } catch {
    return '(not a URL)';
  }
}
