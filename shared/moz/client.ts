import type { Dispatcher } from 'undici';
import type * as z from 'zod';
import type { CallCost } from '#domain/call-cost.ts';
import {
  normalizeTarget,
  type SourceScope,
  type Target,
  TargetError,
  type TargetScope,
} from '#domain/targets.ts';
import { type Caller, call, createCaller, type Parsed, parseWith } from './call.ts';
import { MozBadRequestError } from './errors.ts';
import type { RateGate } from './rate-gate.ts';
import { admitRow } from './rows.ts';
import {
  INTERSECT_ROW_WEIGHT,
  IntersectQuery,
  type IntersectRow,
  LINK_STATUS_ROW_WEIGHT,
  type LinkStatusRequest,
  MAX_INTERSECT_LIMIT,
  MAX_LINK_STATUS_BATCH,
  type MozCredentials,
  type RawIntersectRequest,
  RawIntersectResponse,
  RawLinkStatusResponse,
  RawUsageDataResponse,
} from './types.ts';

export { backoffDelay } from './call.ts';

export type MozLogEvent = { level: 'debug' | 'info' | 'warn'; msg: string; [k: string]: unknown };

export interface MozClientConfig {
  /** e.g. 'https://lsapi.seomoz.com' (no /v2; a trailing slash or /v2 is tolerated; no user:password@). */
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
  /**
   * Backoff base, default 1000: full jitter, exponential, capped at maxDelayMs (default and most
   * 60000: no wait, Retry-After included, is ever longer than a minute).
   */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt, headers + body, default 30000. */
  timeoutMs?: number;
  /**
   * While an attempt waits for its answer, a `moz answer still awaited` info event is logged every
   * this many ms (default 10000) with how long so far and the status once headers came.
   */
  slowAnswerNoticeMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Default: one keep-alive undici Agent per client, closed by close(). */
  dispatcher?: Dispatcher;
  /** Never receives secrets. */
  log?: (event: MozLogEvent) => void;
  userAgent?: string;
}

export interface CallOptions {
  /** Epoch ms; no new attempt or backoff may start after it (MozDeadlineError instead). */
  deadline?: number | undefined;
  /**
   * The caller's interrupt (ctrl-C, SIGTERM): once aborted, nothing new is sent and no wait goes on
   * (MozInterruptedError); the request in flight may still answer for a few seconds (call.ts).
   */
  signal?: AbortSignal | undefined;
}

export interface IntersectPage {
  /** The rows the lake contract accepts, in API order (duplicates across pages are the caller's concern). */
  rows: IntersectRow[];
  nextToken: string | null;
  /** This call's cost; rowsConsumed counts every row the server returned (5 each), dropped ones too. */
  cost: CallCost;
  /** Rows refused at the boundary because a value is outside the lake contract (see rows.ts); logged. */
  droppedRows: number;
}

export interface LinkStatusResult {
  /** Aligned with the request's `sources`. */
  exists: boolean[];
  /** This call's cost; rowsConsumed is 2 per source. */
  cost: CallCost;
}

/** Running totals over every call of this client, failed ones included. */
export interface MozClientStats extends CallCost {
  /** 429 answers received (quota 429s excluded). */
  rateLimited: number;
  /** Intersect rows dropped at the boundary. */
  droppedRows: number;
}

export interface MozClient {
  /** One Link Intersect page: one logical request, retried as configured. */
  intersectPage(
    query: IntersectQuery,
    opts: { limit: number; nextToken?: string | null } & CallOptions,
  ): Promise<IntersectPage>;
  /** One Link Status request for 1 to 50 sources (MAX_LINK_STATUS_BATCH); more is refused unsent. */
  linkStatus(req: LinkStatusRequest, opts?: CallOptions): Promise<LinkStatusResult>;
  usageData(window?: { start?: Date; end?: Date }): Promise<{ rowsConsumed: number }>;
  stats(): MozClientStats;
  close(): Promise<void>;
}

export function createMozClient(config: MozClientConfig): MozClient {
  const ownDispatcher = config.dispatcher === undefined;
  const caller = createCaller(config);

  return {
    intersectPage: (query, opts) => intersectPage(caller, query, opts),
    linkStatus: (req, opts) => linkStatus(caller, req, opts),
    async usageData(window = {}) {
      const body: Record<string, string> = {};
      if (window.start !== undefined) body.start = String(Math.floor(window.start.getTime() / 1000));
      if (window.end !== undefined) body.end = String(Math.floor(window.end.getTime() / 1000));
      const { value } = await call(caller, {
        endpoint: '/v2/usage_data',
        body,
        parse: (json) => parseWith(RawUsageDataResponse, json),
        weightedLimit: 0,
        meter: () => 0,
      });
      return { rowsConsumed: value.rows_consumed };
    },
    stats: () => ({ ...caller.totals }),
    async close() {
      if (ownDispatcher) await caller.settings.dispatcher.close();
    },
  };
}

async function intersectPage(
  caller: Caller,
  query: IntersectQuery,
  opts: { limit: number; nextToken?: string | null } & CallOptions,
): Promise<IntersectPage> {
  const endpoint = '/v2/link_intersect';
  const limit = Math.floor(opts.limit);
  if (!(limit >= 1 && limit <= MAX_INTERSECT_LIMIT)) {
    throw invalid(endpoint, `limit must be an integer from 1 to ${MAX_INTERSECT_LIMIT} (got ${opts.limit})`);
  }
  const { value, cost } = await call(
    caller,
    {
      endpoint,
      body: intersectBody(query, limit, opts.nextToken ?? null),
      parse: intersectParser(limit),
      weightedLimit: limit * INTERSECT_ROW_WEIGHT,
      meter: (response) => rowsOf(response).length * INTERSECT_ROW_WEIGHT,
    },
    { deadline: opts.deadline, signal: opts.signal },
  );
  const { rows, dropped } = admitRows(rowsOf(value), query.positiveTargets.length);
  if (dropped.length > 0) {
    caller.totals.droppedRows += dropped.length;
    caller.settings.log({
      level: 'warn',
      msg: 'moz rows dropped: values outside the lake contract',
      endpoint,
      dropped,
    });
  }
  const token = value.next_token;
  return {
    rows,
    nextToken: token === undefined || token === null || token === '' ? null : token,
    cost,
    droppedRows: dropped.length,
  };
}

async function linkStatus(
  caller: Caller,
  req: LinkStatusRequest,
  opts: CallOptions = {},
): Promise<LinkStatusResult> {
  const endpoint = '/v2/link_status';
  const count = req.sources.length;
  if (count < 1 || count > MAX_LINK_STATUS_BATCH) {
    throw invalid(endpoint, `sources must hold 1 to ${MAX_LINK_STATUS_BATCH} entries (got ${count})`);
  }
  const target = normalizeOrThrow(endpoint, req.target, req.targetScope, 'target');
  const sources = req.sources.map((source) => normalizeSource(source, req.sourceScope));
  const { value, cost } = await call(
    caller,
    {
      endpoint,
      body: { target, sources, source_scope: req.sourceScope, target_scope: req.targetScope },
      parse: (json) => {
        const parsed = parseWith(RawLinkStatusResponse, json);
        if (!parsed.ok || parsed.value.exists.length === count) return parsed;
        return {
          ok: false,
          path: '',
          message: `returned ${parsed.value.exists.length} answers for ${count} sources`,
        };
      },
      weightedLimit: count * LINK_STATUS_ROW_WEIGHT,
      meter: (response) => response.exists.length * LINK_STATUS_ROW_WEIGHT,
    },
    { deadline: opts.deadline, signal: opts.signal },
  );
  return { exists: [...value.exists], cost };
}

type RawIntersectBody = z.infer<typeof RawIntersectResponse>;

function rowsOf(response: RawIntersectBody) {
  return response.results ?? response.link_intersects ?? [];
}

function intersectParser(limit: number): (json: unknown) => Parsed<RawIntersectBody> {
  return (json) => {
    const parsed = parseWith(RawIntersectResponse, json);
    if (!parsed.ok) return parsed;
    const count = rowsOf(parsed.value).length;
    return count > limit
      ? { ok: false, path: '', message: `returned ${count} rows for limit ${limit}` }
      : parsed;
  };
}

/** The rows the lake contract accepts, and why each other row was dropped (our words, never its text). */
function admitRows(
  raw: ReturnType<typeof rowsOf>,
  positiveTargets: number,
): { rows: IntersectRow[]; dropped: { index: number; reason: string }[] } {
  const rows: IntersectRow[] = [];
  const dropped: { index: number; reason: string }[] = [];
  raw.forEach((candidate, index) => {
    const admission = admitRow(candidate, positiveTargets);
    if (admission.ok) rows.push(admission.row);
    else dropped.push({ index, reason: admission.reason });
  });
  return { rows, dropped };
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
