import type { CallCost } from '#domain/call-cost.ts';

/**
 * Typed failures of the Moz client. Every message is built from the endpoint, the HTTP status and the
 * server's (redacted) message: never from request headers, so no token, secret key or Authorization
 * header can reach a log line or an error report.
 *
 * `retryable` answers "could the same call succeed later?" (for the queue / next delivery), not
 * "did the client retry?": the client has already retried what it could before throwing.
 */

export type MozErrorCode =
  | 'bad_request'
  | 'auth'
  | 'quota_exhausted'
  | 'rate_limited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'response_format'
  | 'deadline'
  | 'interrupted';

export interface MozErrorOptions {
  status?: number;
  endpoint?: string;
  attempts?: number;
  cause?: unknown;
}

export class MozError extends Error {
  override name = 'MozError';
  readonly code: MozErrorCode;
  readonly status?: number;
  readonly retryable: boolean;
  /** The API path that failed, e.g. `/v2/link_intersect`. */
  readonly endpoint?: string;
  /** How many HTTP attempts were made before giving up (set by the client's retry loop). */
  attempts?: number;
  /** What the failed call still cost (requests, retries, rows possibly metered); set by the client. */
  cost?: CallCost;

  constructor(code: MozErrorCode, retryable: boolean, message: string, options: MozErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = retryable;
    if (options.status !== undefined) this.status = options.status;
    if (options.endpoint !== undefined) this.endpoint = options.endpoint;
    if (options.attempts !== undefined) this.attempts = options.attempts;
  }

  /** A plain, secret-free record for structured logs. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      endpoint: this.endpoint,
      attempts: this.attempts,
      cost: this.cost,
    };
  }
}

/** 400: the request is wrong (or was refused before sending). Carries the server's message. */
export class MozBadRequestError extends MozError {
  override name = 'MozBadRequestError';
  /** The server's own message (redacted), or the local validation message. */
  readonly serverMessage: string;
  constructor(message: string, serverMessage: string, options: MozErrorOptions = {}) {
    super('bad_request', false, message, options);
    this.serverMessage = serverMessage;
  }
}

/** 401/403: Moz rejected the credentials. The message names where they came from. */
export class MozAuthError extends MozError {
  override name = 'MozAuthError';
  readonly credentialSource: string;
  constructor(message: string, credentialSource: string, options: MozErrorOptions = {}) {
    super('auth', false, message, options);
    this.credentialSource = credentialSource;
  }
}

/** 403/429 whose body says the plan's row quota for the period is used up. Never retried. */
export class MozQuotaExhaustedError extends MozError {
  override name = 'MozQuotaExhaustedError';
  constructor(message: string, options: MozErrorOptions = {}) {
    super('quota_exhausted', false, message, options);
  }
}

/** 429 on every attempt. */
export class MozRateLimitedError extends MozError {
  override name = 'MozRateLimitedError';
  /** The last Retry-After the server sent, in ms (when it sent one). */
  readonly retryAfterMs?: number;
  constructor(message: string, options: MozErrorOptions & { retryAfterMs?: number } = {}) {
    super('rate_limited', true, message, options);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx on every attempt. */
export class MozServerError extends MozError {
  override name = 'MozServerError';
  constructor(message: string, options: MozErrorOptions = {}) {
    super('server', true, message, options);
  }
}

/** The connection failed or was dropped (ECONNRESET, socket closed, UND_ERR_SOCKET, ...). */
export class MozNetworkError extends MozError {
  override name = 'MozNetworkError';
  /** The underlying error code, e.g. `ECONNRESET` or `UND_ERR_SOCKET`. */
  readonly networkCode?: string;
  constructor(message: string, options: MozErrorOptions & { networkCode?: string } = {}) {
    super('network', true, message, options);
    if (options.networkCode !== undefined) this.networkCode = options.networkCode;
  }
}

/** No response (headers and body) within the configured timeout. */
export class MozTimeoutError extends MozError {
  override name = 'MozTimeoutError';
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options: MozErrorOptions = {}) {
    super('timeout', true, message, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The response was not the JSON we expect: invalid JSON, an HTML page, or a schema mismatch. */
export class MozResponseFormatError extends MozError {
  override name = 'MozResponseFormatError';
  /** The zod issue path when the JSON did not match the schema, e.g. `results.3.domain_authority`. */
  readonly path?: string;
  constructor(message: string, options: MozErrorOptions & { path?: string } = {}) {
    super('response_format', true, message, options);
    if (options.path !== undefined) this.path = options.path;
  }
}

/** There was no time left before the caller's deadline to start another attempt or backoff. */
export class MozDeadlineError extends MozError {
  override name = 'MozDeadlineError';
  /** The failure that made the client want to retry, when there was one. */
  readonly lastCause?: MozError;
  constructor(message: string, lastCause: MozError | undefined, options: MozErrorOptions = {}) {
    super('deadline', true, message, { ...options, cause: lastCause });
    if (lastCause !== undefined) this.lastCause = lastCause;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), lastCause: this.lastCause?.toJSON() };
  }
}

/**
 * The caller's signal (ctrl-C, SIGTERM) stopped the call: no attempt and no wait started after it, and a
 * request in flight that did not answer within INTERRUPT_GRACE_MS (http.ts) of it was abandoned. The run
 * pauses as at any safe point; `retryable`: the same call succeeds when the run is resumed.
 */
export class MozInterruptedError extends MozError {
  override name = 'MozInterruptedError';
  /** The failure the call was about to retry after, when there was one. */
  readonly lastCause?: MozError;
  constructor(message: string, lastCause: MozError | undefined, options: MozErrorOptions = {}) {
    super('interrupted', true, message, { ...options, cause: lastCause });
    if (lastCause !== undefined) this.lastCause = lastCause;
  }
}

export function isMozError(error: unknown): error is MozError {
  return error instanceof MozError;
}
