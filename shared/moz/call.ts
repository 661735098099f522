import { Agent, type Dispatcher } from 'undici';
import type * as z from 'zod';
import { addCost, type CallCost, NO_COST } from '#domain/call-cost.ts';
import type { MozClientConfig, MozClientStats, MozLogEvent } from './client.ts';
import { clientBaseUrl } from './config.ts';
import { MozDeadlineError, MozError, MozInterruptedError, MozResponseFormatError } from './errors.ts';
import {
  type AttemptOutcome,
  ensureConnection,
  MAX_WAIT_MS,
  NOT_SENT,
  type NotSent,
  redactedAttempt,
} from './http.ts';
import {
  type RateGate,
  type RatePermit,
  RateSlotMissedError,
  realSleep,
  reserveSlot,
  type SlotPreparation,
  unlimitedRateGate,
} from './rate-gate.ts';
import type { MozCredentials } from './types.ts';

/*
 * One logical Moz request: attempts, retries with backoff, credential refresh, the caller's deadline,
 * and what it all cost. Every wait is at most MAX_WAIT_MS (a minute); attempts are at most maxAttempts
 * (plus one after a credential refresh).
 */

/** What one logical request sends and how its 2xx answer is read and metered. */
export interface CallSpec<T> {
  endpoint: string;
  body: unknown;
  /** Reads a 2xx JSON body; a problem is a retryable format failure naming `path`. */
  parse: (json: unknown) => Parsed<T>;
  /** Most weighted rows one attempt can meter (for rowsPossiblyMeteredOnFailures). */
  weightedLimit: number;
  /** Weighted rows Moz metered for an answer. */
  meter: (value: T) => number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; path: string; message: string };
type Failure = AttemptOutcome & { ok: false };
type Outcome<T> = Failure | { ok: true; status: number; value: T };
type Tally = { requests: number; retries: number; rowsPossiblyMeteredOnFailures: number };

interface CallerSettings {
  baseUrl: string;
  credentials: () => Promise<MozCredentials>;
  refreshCredentials: (() => Promise<MozCredentials>) | undefined;
  credentialSource: string;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  userAgent: string;
  now: () => number;
  /** An injected sleep may ignore `signal`: the caller races it against the interrupt anyway. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  gate: RateGate;
  log: (event: MozLogEvent) => void;
  dispatcher: Dispatcher;
  slowAnswerNoticeMs: number;
}

/** The log event a request still waiting for its answer sends, every `slowAnswerNoticeMs`. */
const SLOW_ANSWER_MSG = 'moz answer still awaited';

/** The settings every call uses, and the client's running totals. */
export interface Caller {
  readonly settings: CallerSettings;
  totals: MozClientStats;
}

export function createCaller(config: MozClientConfig): Caller {
  // Node timers overflow (and fire at once, with a warning) past 2^31 - 1 ms.
  const timeoutMs = Math.min(config.timeoutMs ?? 30_000, 2 ** 31 - 1);
  const dispatcher =
    config.dispatcher ??
    new Agent({
      keepAliveTimeout: 10_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connections: 8,
    });
  return {
    settings: {
      baseUrl: clientBaseUrl(config.baseUrl),
      credentials: config.credentials,
      refreshCredentials: config.refreshCredentials,
      credentialSource: config.credentialSource ?? 'the configured Moz credentials',
      maxAttempts: Math.max(1, Math.floor(config.maxAttempts ?? 6)),
      baseDelayMs: config.baseDelayMs ?? 1000,
      maxDelayMs: Math.min(config.maxDelayMs ?? MAX_WAIT_MS, MAX_WAIT_MS),
      timeoutMs,
      userAgent: config.userAgent ?? 'linkgap/0.1 (+moz-links-v2-client)',
      now: config.now ?? Date.now,
      sleep: config.sleep ?? realSleep,
      random: config.random ?? Math.random,
      gate: config.rateGate ?? unlimitedRateGate,
      log: config.log ?? (() => {}),
      dispatcher,
      slowAnswerNoticeMs: config.slowAnswerNoticeMs ?? 10_000,
    },
    totals: { ...NO_COST, rateLimited: 0, droppedRows: 0 },
  };
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base × 2^(attempt-1))]. */
export function backoffDelay(
  attemptNumber: number,
  baseMs: number,
  capMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attemptNumber - 1));
  return Math.floor(random() * ceiling);
}

/** What bounds one call: the caller's deadline, and its interrupt (ctrl-C, SIGTERM). */
export interface CallLimits {
  /** Epoch ms; no new attempt or backoff may start after it. */
  deadline?: number | undefined;
  /**
   * Once aborted, no attempt, retry wait or rate-limit wait starts, and one in progress ends at once
   * (MozInterruptedError). The request in flight may still answer, within INTERRUPT_GRACE_MS: that
   * answer is returned (its page was paid for), a failure is not retried.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Sends one logical request with retries; returns the parsed answer and what the call cost. A failure
 * is thrown as the MozError it is, with `cost` set: a failed call still sent requests.
 */
export async function call<T>(
  caller: Caller,
  spec: CallSpec<T>,
  limits: CallLimits = {},
): Promise<{ value: T; cost: CallCost }> {
  const { deadline, signal } = limits;
  const { settings } = caller;
  const tally: Tally = { requests: 0, retries: 0, rowsPossiblyMeteredOnFailures: 0 };
  const record = (rowsConsumed: number): CallCost => {
    const cost = { ...tally, rowsConsumed };
    caller.totals = { ...caller.totals, ...addCost(caller.totals, cost) };
    return cost;
  };
  let credentials = await settings.credentials();
  let refreshed = false;
  let lastError: MozError | undefined;
  try {
    // Bounded: every pass sends one attempt, and waitBeforeRetry throws once maxAttempts are spent.
    while (true) {
      ensureNotInterrupted(spec.endpoint, signal, lastError);
      ensureTimeLeft(settings, spec.endpoint, deadline, lastError);
      const outcome = await sendInSlot(caller, spec, credentials, tally, limits, lastError);
      if (outcome.ok) {
        settings.log({
          level: 'debug',
          msg: 'moz request succeeded',
          endpoint: spec.endpoint,
          attempts: tally.requests,
        });
        return { value: outcome.value, cost: record(spec.meter(outcome.value)) };
      }
      if (outcome.error instanceof MozInterruptedError) throw outcome.error;
      lastError = outcome.error;
      ensureNotInterrupted(spec.endpoint, signal, lastError);
      if (outcome.credentialsRejected && settings.refreshCredentials !== undefined && !refreshed) {
        refreshed = true;
        settings.log({
          level: 'warn',
          msg: 'moz credentials rejected; refreshing once',
          endpoint: spec.endpoint,
        });
        credentials = await settings.refreshCredentials();
        continue;
      }
      await waitBeforeRetry(settings, spec.endpoint, outcome, limits);
    }
  } catch (error) {
    const cost = record(0);
    if (error instanceof MozError) error.cost = cost;
    throw error;
  }
}

function ensureTimeLeft(
  settings: CallerSettings,
  endpoint: string,
  deadline: number | undefined,
  lastError: MozError | undefined,
  waitMs = 0,
): void {
  if (deadline === undefined || settings.now() + waitMs < deadline) return;
  const why = lastError ? `after ${lastError.name} (${lastError.message})` : 'before the first attempt';
  throw new MozDeadlineError(
    `Moz ${endpoint}: no time left before the deadline to try again ${why}`,
    lastError,
    {
      endpoint,
      attempts: lastError?.attempts ?? 0,
    },
  );
}

function ensureNotInterrupted(
  endpoint: string,
  signal: AbortSignal | undefined,
  lastError: MozError | undefined,
): void {
  if (signal?.aborted) throw interruptedError(endpoint, signal, lastError);
}

function interruptedError(
  endpoint: string,
  signal: AbortSignal,
  lastError: MozError | undefined,
): MozInterruptedError {
  const by = typeof signal.reason === 'string' ? ` by ${signal.reason}` : '';
  const after = lastError ? ` after ${lastError.name} (${lastError.message})` : '';
  return new MozInterruptedError(
    `Moz ${endpoint}: interrupted${by}${after}; no further attempt was made`,
    lastError,
    { endpoint, attempts: lastError?.attempts ?? 0 },
  );
}

/** Sleeps `ms`, or less: an interrupt ends the wait at once, whether or not the sleep heeds it. */
async function interruptibleSleep(
  settings: CallerSettings,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal === undefined) return settings.sleep(ms);
  if (signal.aborted) return;
  let onAbort = () => {};
  const interrupted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([settings.sleep(ms, signal), interrupted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Slots one attempt may miss in a row (its write refused by the gate, nothing sent) before the call
 * fails: each miss means the process was not running at its slot, so a long run of them means the
 * machine is too busy to keep to the rate limit.
 */
export const MAX_MISSED_SLOTS = 20;

/**
 * How long before its slot the client makes sure its connection is up (when the wait is longer): room
 * for a slow handshake (DNS, TCP and TLS across continents), and short against servers' idle timeouts
 * (seconds), so the connection it finds or opens there is still up at the slot.
 */
export const RECONNECT_AHEAD_MS = 500;

/**
 * One attempt in a slot of the rate gate. The gate is asked right before the request is written to
 * the socket; when the slot has passed by then, nothing is written, and the attempt books another
 * slot: a missed slot is not an attempt (no retry spent, nothing counted, nothing metered). A slot
 * nothing was written in for another reason (no time left, a failed connection) is handed back.
 */
async function sendInSlot<T>(
  caller: Caller,
  spec: CallSpec<T>,
  credentials: MozCredentials,
  tally: Tally,
  limits: CallLimits,
  lastError: MozError | undefined,
): Promise<Outcome<T>> {
  const { settings } = caller;
  const { deadline, signal } = limits;
  const url = `${settings.baseUrl}${spec.endpoint}`;
  // A handshake inside the slot would make the write miss it: connect before booking, and again
  // shortly before the slot if the wait for it outlived the connection.
  const connect: SlotPreparation = {
    aheadMs: RECONNECT_AHEAD_MS,
    run: () => ensureConnection(settings.dispatcher, url, settings.timeoutMs, signal),
  };
  for (let missed = 0; missed < MAX_MISSED_SLOTS; missed++) {
    await connect.run();
    ensureNotInterrupted(spec.endpoint, signal, lastError);
    const permit = await reserveSlot(settings.gate, signal, connect).catch((error: unknown) => {
      // The gate ends a wait for a slot with the signal's reason: said as the interrupt it is.
      if (signal?.aborted) throw interruptedError(spec.endpoint, signal, lastError);
      throw error;
    });
    try {
      ensureNotInterrupted(spec.endpoint, signal, lastError);
      ensureTimeLeft(settings, spec.endpoint, deadline, lastError);
      const outcome = await sendOnce(caller, spec, credentials, tally, permit, signal);
      if (outcome !== NOT_SENT) return outcome;
      settings.log({
        level: 'debug',
        msg: 'moz request missed its rate slot; booking another',
        endpoint: spec.endpoint,
      });
    } finally {
      permit.unused(); // a no-op once the gate answered the write
    }
  }
  throw new RateSlotMissedError(
    `Moz ${spec.endpoint}: the request missed its rate-limit slot ${MAX_MISSED_SLOTS} times in a row (the process was not running on time); nothing was sent`,
  );
}

/** One HTTP attempt, counted in `tally` once something was written, with its 2xx body parsed. */
async function sendOnce<T>(
  caller: Caller,
  spec: CallSpec<T>,
  credentials: MozCredentials,
  tally: Tally,
  permit: RatePermit,
  signal: AbortSignal | undefined,
): Promise<Outcome<T> | NotSent> {
  const { settings } = caller;
  const outcome = await redactedAttempt({
    dispatcher: settings.dispatcher,
    url: `${settings.baseUrl}${spec.endpoint}`,
    endpoint: spec.endpoint,
    body: spec.body,
    credentials,
    credentialSource: settings.credentialSource,
    timeoutMs: settings.timeoutMs,
    userAgent: settings.userAgent,
    now: settings.now,
    onWrite: () => permit.write(),
    signal,
    slowAnswerNoticeMs: settings.slowAnswerNoticeMs,
    onSlowAnswer: ({ elapsedMs, status }) =>
      settings.log({
        level: 'info',
        msg: SLOW_ANSWER_MSG,
        endpoint: spec.endpoint,
        elapsedMs: Math.round(elapsedMs),
        status,
        timeoutMs: settings.timeoutMs,
      }),
  });
  if (outcome === NOT_SENT) return outcome;
  tally.requests += 1;
  if (tally.requests > 1) tally.retries += 1;
  const result = outcome.ok ? parsedOutcome(spec, outcome) : outcome;
  if (!result.ok) {
    result.error.attempts = tally.requests;
    if (result.rateLimited) caller.totals.rateLimited += 1;
    if (result.possiblyMetered) tally.rowsPossiblyMeteredOnFailures += spec.weightedLimit;
  }
  return result;
}

/** Throws the failure when it is final; otherwise waits (at most a minute) before the next attempt. */
async function waitBeforeRetry(
  settings: CallerSettings,
  endpoint: string,
  failure: Failure,
  limits: CallLimits,
): Promise<void> {
  const { error } = failure;
  const attempts = error.attempts ?? 1;
  const about = { endpoint, attempts, code: error.code, status: error.status };
  if (!failure.retry || attempts >= settings.maxAttempts) {
    settings.log({ level: 'warn', msg: 'moz request failed', ...about });
    throw error;
  }
  let delayMs = backoffDelay(attempts, settings.baseDelayMs, settings.maxDelayMs, settings.random);
  if (failure.retryAfterMs !== undefined) {
    delayMs = Math.max(delayMs, failure.retryAfterMs);
    settings.gate.pause(failure.retryAfterMs);
  } else if (failure.rateLimited) {
    settings.gate.pause(delayMs);
  }
  ensureTimeLeft(settings, endpoint, limits.deadline, error, delayMs);
  settings.log({
    level: 'warn',
    msg: 'moz request failed; retrying',
    ...about,
    delayMs,
    retryAfterMs: failure.retryAfterMs,
    retryAfterAskedMs: failure.retryAfterAskedMs,
  });
  await interruptibleSleep(settings, delayMs, limits.signal);
}

export function parseWith<S extends z.ZodType>(schema: S, json: unknown): Parsed<z.infer<S>> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue ? issue.path.map(String).join('.') : '';
  const where = path === '' ? '(root)' : path;
  return { ok: false, path, message: `${where}: ${issue?.message ?? 'does not match the schema'}` };
}

/** A 2xx answer parsed, or a retryable format failure naming the zod path. */
function parsedOutcome<T>(spec: CallSpec<T>, outcome: AttemptOutcome & { ok: true }): Outcome<T> {
  const parsed = spec.parse(outcome.json);
  if (parsed.ok) return { ok: true, status: outcome.status, value: parsed.value };
  const error = new MozResponseFormatError(
    `Moz ${spec.endpoint} answered with an unexpected body: ${parsed.message}`,
    { endpoint: spec.endpoint, status: outcome.status, path: parsed.path },
  );
  return {
    ok: false,
    error,
    retry: true,
    credentialsRejected: false,
    possiblyMetered: true,
    rateLimited: false,
  };
}
