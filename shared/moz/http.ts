import { Buffer } from 'node:buffer';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import {
  MozAuthError,
  MozBadRequestError,
  type MozError,
  MozNetworkError,
  MozQuotaExhaustedError,
  MozRateLimitedError,
  MozResponseFormatError,
  MozServerError,
  MozTimeoutError,
} from './errors.ts';
import type { MozCredentials } from './types.ts';
import { RawErrorBody } from './types.ts';

/*
 * One HTTP attempt against a v2 endpoint, classified. No retries here: the client's loop decides.
 * Nothing in this file puts request headers into a message; server text is redacted against the
 * credentials in use before it is quoted.
 */

export type AttemptOutcome =
  | { ok: true; status: number; json: unknown }
  | {
      ok: false;
      error: MozError;
      /** Worth another attempt (429 that is not a quota, 5xx, network, timeout, bad 2xx body). */
      retry: boolean;
      /** 401/403 that is not a quota: a refreshed secret might help. */
      credentialsRejected: boolean;
      /** The server may have done (and metered) work whose answer we never got. */
      possiblyMetered: boolean;
      rateLimited: boolean;
      retryAfterMs?: number;
    };

export interface AttemptRequest {
  dispatcher: Dispatcher;
  url: string;
  endpoint: string;
  body: unknown;
  credentials: MozCredentials;
  credentialSource: string;
  timeoutMs: number;
  userAgent: string;
  now: () => number;
}

export function authHeader(credentials: MozCredentials): Record<string, string> {
  if (credentials.kind === 'token') return { 'x-moz-token': credentials.token };
  const pair = Buffer.from(`${credentials.accessId}:${credentials.secretKey}`, 'utf8').toString('base64');
  return { authorization: `Basic ${pair}` };
}

/** Every string that must never appear in a message derived from this credential. */
export function secretsOf(credentials: MozCredentials): string[] {
  if (credentials.kind === 'token') return [credentials.token];
  const pair = `${credentials.accessId}:${credentials.secretKey}`;
  return [credentials.secretKey, credentials.accessId, pair, Buffer.from(pair, 'utf8').toString('base64')];
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole. Very short values are
  // skipped: replacing them would mangle ordinary words and they are not real secrets anyway.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  // Credentials we were not told about (e.g. an echoed header): a Basic value that decodes to
  // "id:secret", or a long Bearer value.
  return out
    .replace(/\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})/g, (match, value: string) =>
      Buffer.from(value, 'base64').toString('utf8').includes(':') ? 'Basic [redacted]' : match,
    )
    .replace(/\bBearer\s+[A-Za-z0-9+/=._-]{16,}/g, 'Bearer [redacted]');
}

export async function attempt(req: AttemptRequest): Promise<AttemptOutcome> {
  const secrets = secretsOf(req.credentials);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  let status: number | undefined;
  try {
    const response = await request(req.url, {
      dispatcher: req.dispatcher,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': req.userAgent,
        ...authHeader(req.credentials),
      },
      body: JSON.stringify(req.body),
      signal: controller.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    status = response.statusCode;
    const text = await response.body.text();
    return classify(req, response.statusCode, response.headers, text, secrets);
  } catch (error) {
    return transportFailure(req, error, timedOut, status);
  } finally {
    clearTimeout(timer);
  }
}

function classify(
  req: AttemptRequest,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  secrets: readonly string[],
): AttemptOutcome {
  const where = `Moz ${req.endpoint}`;
  const opts = { status, endpoint: req.endpoint };
  if (status >= 200 && status < 300) {
    const parsed = parseJson(text);
    if (parsed.ok) return { ok: true, status, json: parsed.value };
    const what = looksLikeHtml(text, headers) ? 'an HTML page' : 'invalid JSON';
    return failure(
      new MozResponseFormatError(`${where} answered HTTP ${status} with ${what} instead of JSON`, opts),
      {
        retry: true,
        possiblyMetered: true,
      },
    );
  }

  const serverMessage = redact(errorMessageOf(text, headers), secrets);
  const quoted = serverMessage === '' ? '' : `: ${serverMessage}`;
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), req.now());
  const withRetryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };

  if ((status === 403 || status === 429) && isQuotaMessage(serverMessage)) {
    return failure(
      new MozQuotaExhaustedError(`${where}: the plan's row quota is used up (HTTP ${status})${quoted}`, opts),
      { retry: false },
    );
  }
  if (status === 401 || status === 403) {
    return failure(
      new MozAuthError(
        `${where} rejected the credentials (HTTP ${status}) from ${req.credentialSource}; ` +
          `check or rotate that secret${quoted}`,
        req.credentialSource,
        opts,
      ),
      { retry: false, credentialsRejected: true },
    );
  }
  if (status === 429) {
    return failure(
      new MozRateLimitedError(`${where} rate-limited the request (HTTP 429)${quoted}`, {
        ...opts,
        ...withRetryAfter,
      }),
      { retry: true, rateLimited: true, ...withRetryAfter },
    );
  }
  if (status >= 500) {
    return failure(new MozServerError(`${where} failed with HTTP ${status}${quoted}`, opts), {
      retry: true,
      ...withRetryAfter,
    });
  }
  if (status === 408) {
    return failure(new MozTimeoutError(`${where} answered HTTP 408 (request timeout)`, req.timeoutMs, opts), {
      retry: true,
    });
  }
  // 400 and every other 4xx: the request itself is wrong; repeating it cannot help.
  return failure(
    new MozBadRequestError(`${where} refused the request (HTTP ${status})${quoted}`, serverMessage, opts),
    { retry: false },
  );
}

function transportFailure(
  req: AttemptRequest,
  error: unknown,
  timedOut: boolean,
  status: number | undefined,
): AttemptOutcome {
  const where = `Moz ${req.endpoint}`;
  // Once the request reached the server and no definite non-2xx answer came back, the server may
  // have done (and metered) the work: a timeout, a reset mid-response, a body cut short after 2xx.
  const code = errorCode(error);
  const neverReachedServer = code !== undefined && CONNECT_PHASE_CODES.has(code);
  const possiblyMetered = !neverReachedServer && (status === undefined || (status >= 200 && status < 300));
  const opts = status === undefined ? { endpoint: req.endpoint } : { endpoint: req.endpoint, status };
  if (
    timedOut ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT'
  ) {
    return failure(
      new MozTimeoutError(`${where} did not answer within ${req.timeoutMs} ms`, req.timeoutMs, opts),
      { retry: true, possiblyMetered },
    );
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return failure(new MozTimeoutError(`${where}: connecting timed out`, req.timeoutMs, opts), {
      retry: true,
    });
  }
  if (code !== undefined && !NOT_RETRYABLE_CODES.has(code)) {
    // Only the code and undici's own short message are kept: never the raw error object.
    const detail = error instanceof Error ? ` (${error.message.slice(0, 200)})` : '';
    return failure(
      new MozNetworkError(`${where}: connection failed: ${code}${detail}`, { ...opts, networkCode: code }),
      { retry: true, possiblyMetered },
    );
  }
  throw error;
}

const CONNECT_PHASE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const NOT_RETRYABLE_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_INVALID_RETURN_VALUE',
]);

function failure(
  error: MozError,
  flags: {
    retry: boolean;
    credentialsRejected?: boolean;
    possiblyMetered?: boolean;
    rateLimited?: boolean;
    retryAfterMs?: number;
  },
): AttemptOutcome {
  return {
    ok: false,
    error,
    retry: flags.retry,
    credentialsRejected: flags.credentialsRejected ?? false,
    possiblyMetered: flags.possiblyMetered ?? false,
    rateLimited: flags.rateLimited ?? false,
    ...(flags.retryAfterMs === undefined ? {} : { retryAfterMs: flags.retryAfterMs }),
  };
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // fetch-style wrapping: the socket error is the cause.
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined || cause === error ? undefined : errorCode(cause);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function looksLikeHtml(text: string, headers: Record<string, string | string[] | undefined>): boolean {
  return /html/i.test(headerValue(headers, 'content-type') ?? '') || /^\s*</.test(text);
}

const MAX_MESSAGE_LENGTH = 500;

/** The server's explanation from any of the plausible error body shapes; '' when there is none. */
export function errorMessageOf(
  text: string,
  headers: Record<string, string | string[] | undefined> = {},
): string {
  const parsed = parseJson(text);
  if (parsed.ok) {
    const body = RawErrorBody.safeParse(parsed.value);
    if (body.success) {
      const { message, error_message: errorMessage, error } = body.data;
      const nested =
        typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
      for (const candidate of [message, errorMessage, nested, error]) {
        if (typeof candidate === 'string' && candidate.trim() !== '') return clip(candidate.trim());
      }
    }
    return '';
  }
  if (looksLikeHtml(text, headers)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return title ? clip(`HTML page "${title}"`) : 'an HTML page';
  }
  return clip(text.trim());
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_MESSAGE_LENGTH ? `${oneLine.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : oneLine;
}

/**
 * Moz's plan quota (rows per month) vs. its request rate limit. Both can come back as 429 (or 403), so the
 * message decides: a quota is about rows / the month / the plan; a rate limit is about request pace.
 */
export function isQuotaMessage(message: string): boolean {
  if (
    /quota|allotment|allowance|billing period|monthly|(per|this|for the) month|out of rows/i.test(message)
  ) {
    return true;
  }
  if (/rate[ -]?limit|too many requests|throttl|slow down|per (second|minute)/i.test(message)) return false;
  return /\brows?\b.{0,40}\b(limit|exceeded|exhausted|reached|used up)|\b(limit|exceeded|exhausted)\b.{0,40}\brows?\b/i.test(
    message,
  );
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
