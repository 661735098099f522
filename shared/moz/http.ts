import { Buffer } from 'node:buffer';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import {
  MozAuthError,
  MozBadRequestError,
  type MozError,
  MozInterruptedError,
  MozNetworkError,
  MozQuotaExhaustedError,
  MozRateLimitedError,
  MozResponseFormatError,
  MozServerError,
  MozTimeoutError,
} from './errors.ts';
import { clip as clipTo, withoutControlCharacters } from './text.ts';
import type { MozCredentials } from './types.ts';
import { RawErrorBody } from './types.ts';

/** Most bytes read from a 2xx body: a page of 50 rows is a few KB; a bigger body is refused as malformed. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** Most bytes read from an error body: only its first sentence is ever quoted. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * Longest wait a server can ask for (Retry-After, in seconds or as an HTTP date): one minute. A day, or
 * a date years away, would hang the run (and overflow Node's 2^31 ms timers); the client waits at most
 * this long, and fails cleanly with the server's error once its attempts are spent.
 */
export const MAX_WAIT_MS = 60_000;
/**
 * How long a request in flight may still take after an interrupt before it is abandoned. A healthy
 * Moz answers a page in a second or two, so every answer that is really coming arrives and its page
 * is saved; past this the server is not answering, and waiting out the full timeout would only keep
 * the person who pressed ctrl-C waiting.
 */
export const INTERRUPT_GRACE_MS = 5_000;

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
      /** The server's Retry-After, capped at {@link MAX_WAIT_MS}. */
      retryAfterMs?: number;
      /** What the server asked for, when the cap cut it short (said to people, never waited). */
      retryAfterAskedMs?: number;
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
  /**
   * Asked right before the request is written to the socket (each time, if undici writes it again):
   * false refuses the write, and the attempt ends as {@link NOT_SENT} with nothing sent.
   */
  onWrite?: () => boolean;
  /**
   * The caller's interrupt: once aborted, the request in flight has `interruptGraceMs` (default
   * {@link INTERRUPT_GRACE_MS}) left to answer, then it is abandoned (a {@link MozInterruptedError}).
   */
  signal?: AbortSignal;
  interruptGraceMs?: number;
  /**
   * Told every `slowAnswerNoticeMs` while the answer is awaited: how long so far, and its HTTP status
   * once the headers came (the body has not finished). People are told a long wait, not left guessing.
   */
  onSlowAnswer?: (waiting: { elapsedMs: number; status: number | undefined }) => void;
  slowAnswerNoticeMs?: number;
}

/** The attempt's write was refused (its rate-gate slot had passed): no byte reached the server. */
export const NOT_SENT: unique symbol = Symbol('not sent');
export type NotSent = typeof NOT_SENT;

export function authHeader(credentials: MozCredentials): Record<string, string> {
  if (credentials.kind === 'token') return { 'x-moz-token': credentials.token };
  const pair = Buffer.from(`${credentials.accessId}:${credentials.secretKey}`, 'utf8').toString('base64');
  return { authorization: `Basic ${pair}` };
}

/**
 * Every string that must never appear in a message derived from this credential: each secret and its
 * base64 and base64url forms (also as part of a longer encoded value). {@link redact} matches each of
 * them with every character in any of its escaped spellings (percent, JSON, HTML character references).
 */
export function secretsOf(credentials: MozCredentials): string[] {
  const raw =
    credentials.kind === 'token'
      ? [credentials.token]
      : [
          credentials.secretKey,
          credentials.accessId,
          `${credentials.accessId}:${credentials.secretKey}`,
          // The Basic header value is itself a secret a server may echo (and encode again).
          Buffer.from(`${credentials.accessId}:${credentials.secretKey}`, 'utf8').toString('base64'),
        ];
  return [...new Set(raw.flatMap(encodingsOf))];
}

function encodingsOf(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [secret, bytes.toString('base64'), bytes.toString('base64url')];
  // Inside a longer base64 value (e.g. an echoed "x-moz-token: ..." header line) the secret starts at
  // any byte offset mod 3; each offset has its own run of characters that depends on the secret alone.
  for (let skip = 0; skip < 3; skip += 1) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole < 6) continue;
    const aligned = bytes.subarray(skip, skip + whole);
    forms.push(aligned.toString('base64'), aligned.toString('base64url'));
  }
  return forms;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole. Very short values are
  // skipped: replacing them would mangle ordinary words and they are not real secrets anyway.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 6) out = out.replace(spelledAnyWay(secret), '[redacted]');
  }
  // Credentials we were not told about (e.g. an echoed header): a Basic value that decodes to
  // "id:secret", a long Bearer value, an x-moz-token header or field.
  return out
    .replace(/\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})/g, (match, value: string) =>
      Buffer.from(value, 'base64').toString('utf8').includes(':') ? 'Basic [redacted]' : match,
    )
    .replace(/\bBearer\s+[A-Za-z0-9+/=._-]{16,}/g, 'Bearer [redacted]')
    .replace(/(x-moz-token\\?["']?\s*[:=]\s*\\?["']?)[^\s"'\\,;<>&]{6,}/gi, '$1[redacted]');
}

/**
 * A pattern matching `secret` with each character written as itself or in any escaped spelling a server
 * may echo it in, mixed freely: percent-encoded (either case), a JSON escape (`\u002d`, `\/`), an HTML
 * numeric character reference (decimal or hex, leading zeros, with or without `;`) or a named one
 * (`&amp;`, `&sol;`, ...). A list of whole-secret encodings missed mixes like `sekret&#45;XYZ`.
 */
function spelledAnyWay(secret: string): RegExp {
  return new RegExp([...secret].map((char) => `(?:${spellingsOf(char).join('|')})`).join(''), 'g');
}

function spellingsOf(char: string): string[] {
  const code = char.codePointAt(0) ?? 0;
  const percent = [...Buffer.from(char, 'utf8')].map(
    (byte) => `%${anyCaseHex(byte.toString(16).padStart(2, '0'))}`,
  );
  const json = code <= 0xffff ? [`\\\\u${anyCaseHex(code.toString(16).padStart(4, '0'))}`] : [];
  const jsonShort = char === '/' || char === '"' || char === '\\' ? [`\\\\${escapeRegExp(char)}`] : [];
  return [
    escapeRegExp(char),
    percent.join(''),
    ...json,
    ...jsonShort,
    `&#0*${code};?`,
    `&#[xX]0*${anyCaseHex(code.toString(16))};?`,
    ...(NAMED_REFERENCES[char] ?? []).map((name) => `&${name};?`),
  ];
}

/** HTML's named character references for the ASCII punctuation a secret may contain. */
const NAMED_REFERENCES: Readonly<Record<string, readonly string[]>> = {
  '&': ['amp', 'AMP'],
  '<': ['lt', 'LT'],
  '>': ['gt', 'GT'],
  '"': ['quot', 'QUOT'],
  "'": ['apos'],
  '!': ['excl'],
  '#': ['num'],
  $: ['dollar'],
  '%': ['percnt'],
  '(': ['lpar'],
  ')': ['rpar'],
  '*': ['ast', 'midast'],
  '+': ['plus'],
  ',': ['comma'],
  '.': ['period'],
  '/': ['sol'],
  ':': ['colon'],
  ';': ['semi'],
  '=': ['equals'],
  '?': ['quest'],
  '@': ['commat'],
  '[': ['lsqb', 'lbrack'],
  '\\': ['bsol'],
  ']': ['rsqb', 'rbrack'],
  '^': ['Hat'],
  _: ['lowbar', 'UnderBar'],
  '`': ['grave', 'DiacriticalGrave'],
  '{': ['lcub', 'lbrace'],
  '|': ['verbar', 'vert', 'VerticalLine'],
  '}': ['rcub', 'rbrace'],
};

function anyCaseHex(hex: string): string {
  return [...hex]
    .map((digit) => (/[a-f]/i.test(digit) ? `[${digit.toLowerCase()}${digit.toUpperCase()}]` : digit))
    .join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** One HTTP attempt. Its error messages may still quote a secret: callers go through {@link redactedAttempt}. */
async function attempt(req: AttemptRequest, secrets: readonly string[]): Promise<AttemptOutcome | NotSent> {
  const controller = new AbortController();
  const onWrite = req.onWrite;
  let refused = false;
  let timedOut = false;
  let abandoned = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const stopAbandoning = abandonAfterInterrupt(req, () => {
    abandoned = true;
    controller.abort();
  });
  let status: number | undefined;
  const stopNotices = noticeSlowAnswer(req, () => status);
  try {
    const response = await request(req.url, {
      dispatcher: onWrite
        ? req.dispatcher.compose(
            checkingWrites(() => {
              refused = !onWrite();
              return !refused;
            }),
          )
        : req.dispatcher,
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
    const isSuccess = status >= 200 && status < 300;
    const body = await readCapped(response, isSuccess ? MAX_RESPONSE_BYTES : MAX_ERROR_BODY_BYTES);
    if (body.overflow && isSuccess) return oversizedBody(req, status);
    return classify(req, status, response.headers, body.text, secrets);
  } catch (error) {
    if (refused) return NOT_SENT;
    if (abandoned && !timedOut) return abandonedAnswer(req, status);
    return transportFailure(req, error, timedOut, status);
  } finally {
    clearTimeout(timer);
    stopAbandoning();
    stopNotices();
  }
}

/** Calls `req.onSlowAnswer` every `req.slowAnswerNoticeMs` until the returned clean-up is called. */
function noticeSlowAnswer(req: AttemptRequest, statusSoFar: () => number | undefined): () => void {
  const { onSlowAnswer, slowAnswerNoticeMs } = req;
  if (onSlowAnswer === undefined || slowAnswerNoticeMs === undefined || !(slowAnswerNoticeMs > 0)) {
    return () => {};
  }
  const startedAt = performance.now();
  const notice = setInterval(() => {
    onSlowAnswer({ elapsedMs: performance.now() - startedAt, status: statusSoFar() });
  }, slowAnswerNoticeMs);
  return () => clearInterval(notice);
}

/**
 * Calls `abandon` once `req.signal` has been aborted for `req.interruptGraceMs`; returns the clean-up.
 * The request in flight is not cut off at the interrupt itself: its answer, when it comes, is a page
 * paid for that the run saves.
 */
function abandonAfterInterrupt(req: AttemptRequest, abandon: () => void): () => void {
  const { signal } = req;
  if (signal === undefined) return () => {};
  let grace: NodeJS.Timeout | undefined;
  const onInterrupt = () => {
    grace = setTimeout(abandon, req.interruptGraceMs ?? INTERRUPT_GRACE_MS);
  };
  if (signal.aborted) onInterrupt();
  else signal.addEventListener('abort', onInterrupt, { once: true });
  return () => {
    signal.removeEventListener('abort', onInterrupt);
    clearTimeout(grace);
  };
}

/** The request in flight was given up on after an interrupt; the server may have done the work. */
function abandonedAnswer(req: AttemptRequest, status: number | undefined): AttemptOutcome {
  const grace = req.interruptGraceMs ?? INTERRUPT_GRACE_MS;
  const what = status === undefined ? 'had not answered' : `had not finished its HTTP ${status} answer`;
  return failure(
    new MozInterruptedError(
      `Moz ${req.endpoint} ${what} ${Math.round(grace / 1000)} s after the interrupt; the request was abandoned`,
      undefined,
      status === undefined ? { endpoint: req.endpoint } : { endpoint: req.endpoint, status },
    ),
    { retry: false, possiblyMetered: status === undefined || (status >= 200 && status < 300) },
  );
}

/** Thrown from `onRequestStart` to stop a request before undici writes it. */
class WriteRefusedError extends Error {
  override name = 'WriteRefusedError';
}

/**
 * An undici interceptor that asks `mayWrite` from `onRequestStart`, which undici calls synchronously
 * right before it writes the request to the socket (once a connection is ready). On "no" it throws:
 * undici then fails the request before writing a byte and keeps the connection for the next request.
 * (`controller.abort` would destroy the socket, so the next attempt would pay a new handshake and
 * likely miss its slot again.) Everything else is passed through unchanged.
 */
function checkingWrites(mayWrite: () => boolean): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) =>
    dispatch(options, {
      onRequestStart(controller, context) {
        if (!mayWrite()) throw new WriteRefusedError('the rate gate refused the write: its slot had passed');
        handler.onRequestStart?.(controller, context);
      },
      onRequestUpgrade: (controller, statusCode, headers, socket) =>
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) =>
        handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    });
}

/**
 * Whether `dispatcher` has no idle connection to `origin`, as far as it tells (an undici Agent reports
 * per-origin pool stats; another dispatcher reports nothing, and is left as it is).
 */
function lacksIdleConnection(dispatcher: Dispatcher, origin: string): boolean {
  const stats = (dispatcher as { stats?: Record<string, { free?: unknown } | undefined> }).stats;
  if (stats === undefined || stats === null || typeof stats !== 'object') return false;
  const pool = stats[origin];
  return pool === undefined || pool.free === 0;
}

/**
 * Makes sure `dispatcher` has a connection up to `url`'s origin, writing nothing: a request refused in
 * `onRequestStart` (which undici calls once the connection is up) leaves the connection in the pool
 * for the next request. The rate-gated client calls it before booking a slot, so a new connection's
 * handshake is not paid inside the slot (it made the first write of every runner miss its slot).
 * Bounded by `timeoutMs` and `interrupt`; a failure to connect is left for the real attempt to meet
 * and report.
 */
export async function ensureConnection(
  dispatcher: Dispatcher,
  url: string,
  timeoutMs: number,
  interrupt?: AbortSignal,
): Promise<void> {
  const { origin } = new URL(url);
  if (!lacksIdleConnection(dispatcher, origin)) return;
  // A connection whose response was just read is handed back to the pool a turn later.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (!lacksIdleConnection(dispatcher, origin)) return;
  // An interrupt ends the connecting at once: nothing was sent, so nothing is lost. (AbortSignal.any
  // would say this in one line, but it is missing from the earliest Node 20 releases.)
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const onInterrupt = () => stop.abort();
  if (interrupt?.aborted) stop.abort();
  interrupt?.addEventListener('abort', onInterrupt, { once: true });
  try {
    await request(url, {
      dispatcher: dispatcher.compose(checkingWrites(() => false)),
      method: 'GET',
      signal: stop.signal,
    });
  } catch {
    // Refused as intended (the connection is up), or it could not connect: the attempt will see.
  } finally {
    clearTimeout(timer);
    interrupt?.removeEventListener('abort', onInterrupt);
  }
}

/** Attempt outcomes never quote a secret, whatever the server or the network put in the text. */
export async function redactedAttempt(req: AttemptRequest): Promise<AttemptOutcome | NotSent> {
  const secrets = secretsOf(req.credentials);
  const outcome = await attempt(req, secrets);
  if (outcome === NOT_SENT) return outcome;
  if (!outcome.ok) outcome.error.message = redact(outcome.error.message, secrets);
  return outcome;
}

/**
 * The body as text, reading at most `maxBytes`. Past the cap the stream is destroyed, which closes
 * the connection, so a body that never ends costs `maxBytes` of memory and no more.
 */
async function readCapped(
  response: Dispatcher.ResponseData,
  maxBytes: number,
): Promise<{ text: string; overflow: boolean }> {
  const declared = Number(headerValue(response.headers, 'content-length'));
  if (declared > maxBytes) {
    response.body.destroy();
    return { text: '', overflow: true };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    const room = maxBytes - size;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    // Leaving the loop destroys the stream.
    if (chunk.length > room) return { text: Buffer.concat(chunks).toString('utf8'), overflow: true };
  }
  return { text: Buffer.concat(chunks).toString('utf8'), overflow: false };
}

function oversizedBody(req: AttemptRequest, status: number): AttemptOutcome {
  const cap = `${MAX_RESPONSE_BYTES / (1024 * 1024)} MiB`;
  return failure(
    new MozResponseFormatError(
      `Moz ${req.endpoint} answered HTTP ${status} with a body over the ${cap} response size cap ` +
        '(a page of rows is a few KB); the rest was not read',
      { status, endpoint: req.endpoint },
    ),
    { retry: true, possiblyMetered: true },
  );
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

  // Redacted before it is cut to length, so a cut can never leave part of a secret behind.
  const serverMessage = redact(errorMessageOf(redact(text, secrets), headers), secrets);
  const quoted = serverMessage === '' ? '' : `: ${serverMessage}`;
  const askedMs = retryAfterAskedMs(headerValue(headers, 'retry-after'), req.now());
  const retryAfterMs = askedMs === undefined ? undefined : Math.min(MAX_WAIT_MS, askedMs);
  const withRetryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  const withAsked = askedMs !== undefined && askedMs > MAX_WAIT_MS ? { retryAfterAskedMs: askedMs } : {};

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
      { retry: true, rateLimited: true, ...withRetryAfter, ...withAsked },
    );
  }
  if (status >= 500) {
    return failure(new MozServerError(`${where} failed with HTTP ${status}${quoted}`, opts), {
      retry: true,
      ...withRetryAfter,
      ...withAsked,
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
    // Headers came and the body did not finish: a different problem from silence (a slow or stuck
    // body, often a proxy), and worth saying as such.
    const what =
      status === undefined ? 'did not answer' : `answered HTTP ${status} but did not finish the body`;
    return failure(new MozTimeoutError(`${where} ${what} within ${req.timeoutMs} ms`, req.timeoutMs, opts), {
      retry: true,
      possiblyMetered,
    });
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
    retryAfterAskedMs?: number;
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
    ...(flags.retryAfterAskedMs === undefined ? {} : { retryAfterAskedMs: flags.retryAfterAskedMs }),
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

/** One short line without escape sequences: server text ends up in terminals and logs. */
function clip(text: string): string {
  return clipTo(withoutControlCharacters(text).replace(/\s+/g, ' ').trim(), MAX_MESSAGE_LENGTH);
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

/**
 * Retry-After as delta-seconds or an HTTP date, capped at {@link MAX_WAIT_MS}; undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const asked = retryAfterAskedMs(value, nowMs);
  return asked === undefined ? undefined : Math.min(MAX_WAIT_MS, asked);
}

/** Retry-After as the server meant it (not capped: only to say what it asked for); never negative. */
export function retryAfterAskedMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - nowMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.round(Math.max(0, ms));
}
