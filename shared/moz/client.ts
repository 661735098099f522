import { Agent, type Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  normalizeTarget,
  type SourceScope,
  type Target,
  TargetError,
  type TargetScope,
} from '#domain/targets.ts';
import { MozBadRequestError, MozDeadlineError, type MozError, MozResponseFormatError } from './errors.ts';
import { type AttemptOutcome, attempt } from './http.ts';
import { type RateGate, unlimitedRateGate } from './rate-gate.ts';
import {
  INTERSECT_ROW_WEIGHT,
  IntersectQuery,
  type IntersectRow,
  LINK_STATUS_ROW_WEIGHT,
  MAX_INTERSECT_LIMIT,
  MAX_LINK_STATUS_SOURCES,
  type MozCredentials,
  type RawIntersectRequest,
  RawIntersectResponse,
  RawLinkStatusResponse,
  RawUsageDataResponse,
  toIntersectRow,
} from './types.ts';

export type MozLogEvent = { level: 'debug' | 'info' | 'warn'; msg: string; [k: string]: unknown };

export interface MozClientConfig {
  /** e.g. 'https://lsapi.seomoz.com' (no /v2; a trailing slash or /v2 is tolerated). */
  baseUrl: string;
  /** Called for every logical request; callers cache (Secrets Manager costs money per read). */
  credentials: () => Promise<MozCredentials>;
  /**
   * Called once per request after a 401/403 (the secret may have been rotated), then the request is
   * retried once with what it returns. It should also refresh the cache behind `credentials`.
   */
  refreshCredentials?: () => Promise<MozCredentials>;
  /** Human description of where the credentials live, for auth errors, e.g. "Secrets Manager secret linkgap/moz". */
  credentialSource?: string;
  rateGate?: RateGate;
  /** HTTP attempts per request, default 6. */
  maxAttempts?: number;
  /** Backoff base, default 1000: full jitter, exponential, capped at maxDelayMs (default 60000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt, headers + body, default 30000. */
  timeoutMs?: number;
  /** Epoch ms after which no new attempt or backoff may start (Lambda remaining time). */
  deadline?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Default: one keep-alive undici Agent per client, closed by close(). */
  dispatcher?: Dispatcher;
  /** Never receives secrets. */
  log?: (event: MozLogEvent) => void;
  userAgent?: string;
}

export interface IntersectPage {
  rows: IntersectRow[];
  nextToken: string | null;
  /** Weighted rows the server metered for this page: 5 × rows returned (duplicates included). */
  rowsConsumed: number;
  attempts: number;
}

export interface IntersectResult {
  /** Deduplicated by `source` across pages, first occurrence kept, in API order. */
  rows: IntersectRow[];
  pages: number;
  rowsConsumed: number;
  /** The budget stopped paging while Moz still had rows; resume with `nextToken`. */
  truncated: boolean;
  nextToken: string | null;
}

export interface LinkStatusResult {
  /** Aligned with the checked prefix of `sources` (shorter than `sources` when truncated). */
  exists: boolean[];
  checked: number;
  rowsConsumed: number;
  truncated: boolean;
}

export interface MozClientStats {
  /** HTTP attempts sent. */
  requests: number;
  /** Attempts after the first for the same request. */
  retries: number;
  rowsConsumed: number;
  /**
   * Upper bound on weighted rows Moz may have metered for attempts whose answer we never used:
   * bad bodies after 2xx, timeouts, connections dropped after the request was sent.
   */
  rowsPossiblyMeteredOnFailures: number;
  /** 429 answers received (quota 429s excluded). */
  rateLimited: number;
}

export interface MozClient {
  intersectPage(
    query: IntersectQuery,
    opts: { limit: number; nextToken?: string | null },
  ): Promise<IntersectPage>;
  linkIntersect(
    query: IntersectQuery,
    opts?: {
      /** Weighted row budget for this call (5 per intersect row). */
      maxRows?: number;
      /** ≤ 50, default 50. */
      pageSize?: number;
      startToken?: string | null;
      /** Awaited before the next page is requested: the place to checkpoint. */
      onPage?: (
        page: IntersectPage,
        progress: { pages: number; rowsConsumed: number },
      ) => Promise<void> | void;
    },
  ): Promise<IntersectResult>;
  linkStatus(
    req: { target: string; targetScope: TargetScope; sourceScope: TargetScope; sources: string[] },
    opts?: {
      maxRows?: number;
      onBatch?: (batch: {
        sources: string[];
        exists: boolean[];
        rowsConsumed: number;
      }) => Promise<void> | void;
    },
  ): Promise<LinkStatusResult>;
  usageData(window?: { start?: Date; end?: Date }): Promise<{ rowsConsumed: number }>;
  stats(): MozClientStats;
  close(): Promise<void>;
}

const DEFAULTS = {
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  timeoutMs: 30_000,
  credentialSource: 'the configured Moz credentials',
  userAgent: 'linkgap/0.1 (+moz-links-v2-client)',
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

export function createMozClient(config: MozClientConfig): MozClient {
  const baseUrl = config.baseUrl.trim().replace(/\/+$/, '').replace(/\/v2$/, '');
  const maxAttempts = Math.max(1, Math.floor(config.maxAttempts ?? DEFAULTS.maxAttempts));
  const baseDelayMs = config.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const maxDelayMs = config.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const timeoutMs = config.timeoutMs ?? DEFAULTS.timeoutMs;
  const credentialSource = config.credentialSource ?? DEFAULTS.credentialSource;
  const userAgent = config.userAgent ?? DEFAULTS.userAgent;
  const now = config.now ?? Date.now;
  const sleep = config.sleep ?? realSleep;
  const random = config.random ?? Math.random;
  const gate = config.rateGate ?? unlimitedRateGate;
  const log = config.log ?? (() => {});
  const ownDispatcher = config.dispatcher === undefined;
  const dispatcher =
    config.dispatcher ??
    new Agent({
      keepAliveTimeout: 10_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connections: 8,
    });

  const counters: MozClientStats = {
    requests: 0,
    retries: 0,
    rowsConsumed: 0,
    rowsPossiblyMeteredOnFailures: 0,
    rateLimited: 0,
  };

  function deadlineReached(
    lastError: MozError | undefined,
    endpoint: string,
    attempts: number,
    waitMs = 0,
  ): void {
    if (config.deadline === undefined) return;
    const deadline = config.deadline();
    if (now() + waitMs < deadline) return;
    const why = lastError ? `after ${lastError.name} (${lastError.message})` : 'before the first attempt';
    throw new MozDeadlineError(
      `Moz ${endpoint}: no time left before the deadline to try again ${why}`,
      lastError,
      {
        endpoint,
        attempts,
      },
    );
  }

  /**
   * Sends one logical request with retries and parses the 2xx body with `schema`.
   * `weightedLimit` is the most rows the request can meter (for rowsPossiblyMeteredOnFailures).
   */
  async function call<S extends z.ZodType>(
    endpoint: string,
    body: unknown,
    schema: S,
    weightedLimit: number,
    check?: (value: z.infer<S>) => string | undefined,
  ): Promise<{ value: z.infer<S>; attempts: number }> {
    let credentials = await config.credentials();
    let refreshed = false;
    let attempts = 0;
    let lastError: MozError | undefined;
    while (true) {
      deadlineReached(lastError, endpoint, attempts);
      await gate.acquire();
      deadlineReached(lastError, endpoint, attempts);
      attempts += 1;
      counters.requests += 1;
      if (attempts > 1) counters.retries += 1;
      const outcome = parseOutcome(
        await attempt({
          dispatcher,
          url: `${baseUrl}${endpoint}`,
          endpoint,
          body,
          credentials,
          credentialSource,
          timeoutMs,
          userAgent,
          now,
        }),
        schema,
        endpoint,
        check,
      );
      if (outcome.ok) {
        log({ level: 'debug', msg: 'moz request succeeded', endpoint, attempts, status: outcome.status });
        return { value: outcome.value, attempts };
      }
      const error = outcome.error;
      error.attempts = attempts;
      lastError = error;
      if (outcome.rateLimited) counters.rateLimited += 1;
      if (outcome.possiblyMetered) counters.rowsPossiblyMeteredOnFailures += weightedLimit;

      if (outcome.credentialsRejected && config.refreshCredentials !== undefined && !refreshed) {
        refreshed = true;
        log({
          level: 'warn',
          msg: 'moz credentials rejected; refreshing once',
          endpoint,
          status: error.status,
        });
        credentials = await config.refreshCredentials();
        continue;
      }
      if (!outcome.retry || attempts >= maxAttempts) {
        log({
          level: 'warn',
          msg: 'moz request failed',
          endpoint,
          attempts,
          code: error.code,
          status: error.status,
        });
        throw error;
      }
      let delayMs = backoffDelay(attempts, baseDelayMs, maxDelayMs, random);
      if (outcome.retryAfterMs !== undefined) {
        delayMs = Math.max(delayMs, outcome.retryAfterMs);
        gate.pause(outcome.retryAfterMs);
      } else if (outcome.rateLimited) {
        gate.pause(delayMs);
      }
      deadlineReached(lastError, endpoint, attempts, delayMs);
      log({
        level: 'warn',
        msg: 'moz request failed; retrying',
        endpoint,
        attempts,
        code: error.code,
        status: error.status,
        delayMs,
        retryAfterMs: outcome.retryAfterMs,
      });
      await sleep(delayMs);
    }
  }

  async function intersectPage(
    query: IntersectQuery,
    opts: { limit: number; nextToken?: string | null },
  ): Promise<IntersectPage> {
    const limit = Math.floor(opts.limit);
    if (!(limit >= 1 && limit <= MAX_INTERSECT_LIMIT)) {
      throw invalid(
        '/v2/link_intersect',
        `limit must be an integer from 1 to ${MAX_INTERSECT_LIMIT} (got ${opts.limit})`,
      );
    }
    const body = intersectBody(query, limit, opts.nextToken ?? null);
    const { value, attempts } = await call(
      '/v2/link_intersect',
      body,
      RawIntersectResponse,
      limit * INTERSECT_ROW_WEIGHT,
      (response) => {
        const count = (response.results ?? response.link_intersects ?? []).length;
        return count > limit ? `returned ${count} rows for limit ${limit}` : undefined;
      },
    );
    const rawRows = value.results ?? value.link_intersects ?? [];
    const rowsConsumed = rawRows.length * INTERSECT_ROW_WEIGHT;
    counters.rowsConsumed += rowsConsumed;
    const token = value.next_token;
    return {
      rows: rawRows.map(toIntersectRow),
      nextToken: token === undefined || token === null || token === '' ? null : token,
      rowsConsumed,
      attempts,
    };
  }

  const client: MozClient = {
    intersectPage,

    async linkIntersect(query, opts = {}) {
      const maxRows = opts.maxRows ?? Number.POSITIVE_INFINITY;
      const pageSize = Math.min(
        MAX_INTERSECT_LIMIT,
        Math.max(1, Math.floor(opts.pageSize ?? MAX_INTERSECT_LIMIT)),
      );
      const rows: IntersectRow[] = [];
      const seenSources = new Set<string>();
      const seenTokens = new Set<string>();
      let token = opts.startToken ?? null;
      let pages = 0;
      let rowsConsumed = 0;
      while (true) {
        const limit = Math.min(pageSize, Math.floor((maxRows - rowsConsumed) / INTERSECT_ROW_WEIGHT));
        if (limit <= 0) {
          log({ level: 'info', msg: 'moz intersect stopped by row budget', pages, rowsConsumed, maxRows });
          return { rows, pages, rowsConsumed, truncated: true, nextToken: token };
        }
        if (token !== null) seenTokens.add(token);
        const page = await intersectPage(query, { limit, nextToken: token });
        pages += 1;
        rowsConsumed += page.rowsConsumed;
        for (const row of page.rows) {
          if (seenSources.has(row.source)) continue;
          seenSources.add(row.source);
          rows.push(row);
        }
        await opts.onPage?.(page, { pages, rowsConsumed });
        if (page.nextToken === null) return { rows, pages, rowsConsumed, truncated: false, nextToken: null };
        if (seenTokens.has(page.nextToken)) {
          // A cursor that points back at a page already fetched would page (and spend) forever.
          throw new MozResponseFormatError(
            'Moz /v2/link_intersect returned a next_token it had already returned',
            {
              endpoint: '/v2/link_intersect',
              path: 'next_token',
            },
          );
        }
        token = page.nextToken;
      }
    },

    async linkStatus(req, opts = {}) {
      const endpoint = '/v2/link_status';
      const target = normalizeOrThrow(endpoint, req.target, req.targetScope, 'target');
      const sources = req.sources.map((source) => normalizeSource(source, req.sourceScope));
      const maxRows = opts.maxRows ?? Number.POSITIVE_INFINITY;
      const exists: boolean[] = [];
      let rowsConsumed = 0;
      while (exists.length < sources.length) {
        const affordable = Math.floor((maxRows - rowsConsumed) / LINK_STATUS_ROW_WEIGHT);
        const size = Math.min(MAX_LINK_STATUS_SOURCES, sources.length - exists.length, affordable);
        if (size <= 0) {
          log({
            level: 'info',
            msg: 'moz link_status stopped by row budget',
            checked: exists.length,
            maxRows,
          });
          return { exists, checked: exists.length, rowsConsumed, truncated: true };
        }
        const batch = sources.slice(exists.length, exists.length + size);
        const { value } = await call(
          endpoint,
          { target, sources: batch, source_scope: req.sourceScope, target_scope: req.targetScope },
          RawLinkStatusResponse,
          batch.length * LINK_STATUS_ROW_WEIGHT,
          (response) =>
            response.exists.length === batch.length
              ? undefined
              : `returned ${response.exists.length} answers for ${batch.length} sources`,
        );
        const batchRows = value.exists.length * LINK_STATUS_ROW_WEIGHT;
        rowsConsumed += batchRows;
        counters.rowsConsumed += batchRows;
        exists.push(...value.exists);
        await opts.onBatch?.({
          sources: req.sources.slice(exists.length - batch.length, exists.length),
          exists: [...value.exists],
          rowsConsumed: batchRows,
        });
      }
      return { exists, checked: exists.length, rowsConsumed, truncated: false };
    },

    async usageData(window = {}) {
      const body: Record<string, string> = {};
      if (window.start !== undefined) body.start = String(Math.floor(window.start.getTime() / 1000));
      if (window.end !== undefined) body.end = String(Math.floor(window.end.getTime() / 1000));
      const { value } = await call('/v2/usage_data', body, RawUsageDataResponse, 0);
      return { rowsConsumed: value.rows_consumed };
    },

    stats: () => ({ ...counters }),

    async close() {
      if (ownDispatcher) await dispatcher.close();
    },
  };
  return client;
}

/** Turns a 2xx JSON body into the parsed value, or a retryable format failure naming the zod path. */
function parseOutcome<S extends z.ZodType>(
  outcome: AttemptOutcome,
  schema: S,
  endpoint: string,
  check: ((value: z.infer<S>) => string | undefined) | undefined,
): (AttemptOutcome & { ok: false }) | { ok: true; status: number; value: z.infer<S> } {
  if (!outcome.ok) return outcome;
  const parsed = schema.safeParse(outcome.json);
  let problem: { message: string; path: string } | undefined;
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.map(String).join('.') : '';
    problem = {
      path,
      message: `${path === '' ? '(root)' : path}: ${issue?.message ?? 'does not match the schema'}`,
    };
  } else {
    const complaint = check?.(parsed.data);
    if (complaint === undefined) return { ok: true, status: outcome.status, value: parsed.data };
    problem = { path: '', message: complaint };
  }
  return {
    ok: false,
    error: new MozResponseFormatError(
      `Moz ${endpoint} answered with an unexpected body: ${problem.message}`,
      {
        endpoint,
        status: outcome.status,
        path: problem.path,
      },
    ),
    retry: true,
    credentialsRejected: false,
    possiblyMetered: true,
    rateLimited: false,
  };
}

function invalid(endpoint: string, message: string): MozBadRequestError {
  return new MozBadRequestError(`Moz ${endpoint} request not sent: ${message}`, message, { endpoint });
}

function normalizeOrThrow(endpoint: string, raw: string, scope: TargetScope, what: string): string {
  try {
    return normalizeTarget(raw, scope);
  } catch (error) {
    if (error instanceof TargetError) throw invalid(endpoint, `${what} "${clip(raw)}" ${error.message}`);
    throw error;
  }
}

/** Sources usually come from Moz itself (already canonical); normalize when possible, never refuse. */
function normalizeSource(raw: string, scope: TargetScope): string {
  try {
    return normalizeTarget(raw, scope);
  } catch {
    return raw.trim();
  }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Builds the v2 body exactly as Moz documents it; optional fields are omitted, never null. */
export function intersectBody(
  query: IntersectQuery,
  limit: number,
  nextToken: string | null,
): RawIntersectRequest {
  const endpoint = '/v2/link_intersect';
  const parsed = IntersectQuery.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(endpoint, `${issue?.path.join('.') ?? 'query'}: ${issue?.message ?? 'invalid query'}`);
  }
  const q = parsed.data;
  const wire = (t: Target) => ({
    target: normalizeOrThrow(endpoint, t.target, t.scope, 'target'),
    scope: t.scope,
  });
  // Key order follows Moz's documented request syntax, which makes captured bodies easy to compare.
  const body: RawIntersectRequest = {
    positive_targets: q.positiveTargets.map(wire),
    ...(q.negativeTargets.length > 0 ? { negative_targets: q.negativeTargets.map(wire) } : {}),
    ...(q.minMatchingTargets !== undefined ? { min_matching_targets: q.minMatchingTargets } : {}),
    source_scope: q.sourceScope satisfies SourceScope,
    ...(q.sort !== undefined ? { sort: q.sort } : {}),
    limit,
    ...(nextToken !== null && nextToken !== '' ? { next_token: nextToken } : {}),
  };
  return body;
}
