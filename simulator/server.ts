// A local HTTP stand-in for https://lsapi.seomoz.com/v2 (see
// shared/reference/moz-api.md, sections 1-5 and 9, and DESIGN.md section 6).
//
// Request pipeline, in order:
//   1. route: unknown path → 404, non-POST → 405 (neither is rate limited or metered)
//   2. rate limit (token bucket) → 429 + Retry-After, before auth and any work
//   3. pre-work faults: burst429, 5xx, 502 HTML (never metered); then the slow delay
//   4. auth (x-moz-token or Basic) → 401
//   5. JSON parse → 400, validation → 400 naming the field
//   6. work, then monthly row quota → quotaStatus
//   7. post-work faults: dropped socket or malformed JSON (metered only with meterFaulted)
//   8. metering (5 × intersect rows, 2 × link_status sources) and the response
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FaultDecision, FaultInjector, type FaultSpec, type SimRoute } from './faults.ts';
import {
  createGroundTruth,
  createLinkGraph,
  type GroundTruth,
  type IntersectRowOut,
  isMonth,
  type LinkGraph,
  queryFingerprint,
} from './graph.ts';
import { type RateLimit, TokenBucket } from './rate-limit.ts';
import { mintToken, readToken } from './token.ts';
import {
  intersectRequestSchema,
  linkStatusRequestSchema,
  parseOrThrow,
  RequestValidationError,
  usageRequestSchema,
} from './validate.ts';

export type { FaultSpec, SimRoute } from './faults.ts';
export type { GroundTruth, IntersectRowOut, SourcePageOut } from './graph.ts';

export interface SimulatorOptions {
  /** Default 0 (a free port); always binds 127.0.0.1. */
  port?: number;
  /** Accepted x-moz-token, default 'dev-token'. */
  token?: string;
  /** Basic auth username (Legacy Access ID), default 'dev-access-id'. */
  accessId?: string;
  /** Basic auth password, default 'dev-secret-key'. */
  secretKey?: string;
  /** Graph seed, default 'linkgap'. */
  seed?: string | number;
  /** Simulated month 'YYYY-MM', default '2026-01'. */
  month?: string;
  /** Default null = unlimited. */
  rateLimit?: RateLimit | null;
  /** Weighted rows allowed per simulated month; null = unlimited. */
  rowQuota?: number | null;
  /** Status when the quota is exhausted, default 403. */
  quotaStatus?: 403 | 429;
  /** Candidate source root domains, default 20000. */
  universeSize?: number;
  /** 'message' → {"message": "..."} (default); 'error_message' → {"status":"400","error_message":"..."}. */
  errorStyle?: 'message' | 'error_message';
  /** How the last page signals the end: 'absent' (default), 'empty' ("") or 'null'. */
  lastPageToken?: 'absent' | 'empty' | 'null';
}

export interface RecordedRequest {
  route: SimRoute | 'unknown';
  /** 0 when the socket was dropped without a response. */
  status: number;
  /** tokenFingerprint() of the x-moz-token header, never the token itself. */
  credentialFingerprint: string | null;
  /** The `next_token` a link_intersect request carried (null for a first page or another route). */
  nextToken: string | null;
  rowsReturned: number;
  rowsMetered: number;
  fault: string | null;
  auth: 'token' | 'basic' | 'none' | 'bad';
}

interface RouteStats {
  requests: number;
  rowsConsumed: number;
  statuses: Record<string, number>;
}

export interface MozSimulator {
  /** 'http://127.0.0.1:PORT' without a trailing slash. */
  readonly baseUrl: string;
  month: string;
  setMonth(month: string): void;
  setRateLimit(limit: SimulatorOptions['rateLimit']): void;
  setRowQuota(quota: number | null): void;
  faults: { set(route: SimRoute | '*', spec: FaultSpec): void; clear(): void };
  stats(): {
    requests: number;
    rowsConsumed: number;
    rateLimited: number;
    byRoute: Record<SimRoute, RouteStats>;
  };
  readonly log: readonly RecordedRequest[];
  /** Zeroes counters, usage and the log (not the graph, faults or month). */
  resetUsage(): void;
  truth: GroundTruth;
  close(): Promise<void>;
}

const ROUTES: Record<string, SimRoute> = {
  '/v2/link_intersect': 'link_intersect',
  '/v2/link_status': 'link_status',
  '/v2/usage_data': 'usage_data',
};
const INTERSECT_ROW_WEIGHT = 5;
const LINK_STATUS_ROW_WEIGHT = 2;
const MAX_BODY_BYTES = 1_000_000;

function nextTokenOf(body: string | null): string | null {
  if (body === null) return null;
  try {
    const parsed: unknown = JSON.parse(body);
    const token = (parsed as { next_token?: unknown } | null)?.next_token;
    return typeof token === 'string' ? token : null;
  } catch {
    return null;
  }
}

/** A stable, non-reversible label for a credential, for logs and assertions. */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

interface Reply {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
  rowsReturned?: number;
  rowsMetered?: number;
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function emptyRouteStats(): Record<SimRoute, RouteStats> {
  return {
    link_intersect: { requests: 0, rowsConsumed: 0, statuses: {} },
    link_status: { requests: 0, rowsConsumed: 0, statuses: {} },
    usage_data: { requests: 0, rowsConsumed: 0, statuses: {} },
  };
}

function assertMonth(month: string): void {
  if (!isMonth(month)) throw new RangeError(`month: must be YYYY-MM, got ${JSON.stringify(month)}`);
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<MozSimulator> {
  const token = options.token ?? 'dev-token';
  const accessId = options.accessId ?? 'dev-access-id';
  const secretKey = options.secretKey ?? 'dev-secret-key';
  const seed = options.seed ?? 'linkgap';
  const errorStyle = options.errorStyle ?? 'message';
  const lastPageToken = options.lastPageToken ?? 'absent';
  const quotaStatus = options.quotaStatus ?? 403;
  const universeSize = options.universeSize ?? 20_000;
  if (!Number.isInteger(universeSize) || universeSize < 1 || universeSize > 1_000_000) {
    throw new RangeError('universeSize: must be an integer between 1 and 1000000');
  }
  let month = options.month ?? '2026-01';
  assertMonth(month);

  const graph: LinkGraph = createLinkGraph(seed, universeSize);
  const tokenSecret = `linkgap-simulator:${String(seed)}:${universeSize}`;
  const injector = new FaultInjector();
  let bucket = options.rateLimit ? new TokenBucket(options.rateLimit) : null;
  let rowQuota = options.rowQuota ?? null;

  let log: RecordedRequest[] = [];
  let requests = 0;
  let rowsConsumed = 0;
  let rateLimited = 0;
  let byRoute = emptyRouteStats();
  let rowsByMonth = new Map<string, number>();

  const errorReply = (status: number, message: string, headers?: Record<string, string>): Reply => ({
    status,
    body: JSON.stringify(
      errorStyle === 'message' ? { message } : { status: String(status), error_message: message },
    ),
    ...(headers ? { headers } : {}),
  });

  const classifyAuth = (req: IncomingMessage): RecordedRequest['auth'] => {
    const provided = req.headers['x-moz-token'];
    const authorization = req.headers.authorization;
    if (typeof provided === 'string' && sameSecret(provided, token)) return 'token';
    if (typeof authorization === 'string' && /^basic /i.test(authorization)) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (
        colon !== -1 &&
        sameSecret(decoded.slice(0, colon), accessId) &&
        sameSecret(decoded.slice(colon + 1), secretKey)
      ) {
        return 'basic';
      }
    }
    return provided !== undefined || authorization !== undefined ? 'bad' : 'none';
  };

  const runIntersect = (body: unknown): Reply => {
    const request = parseOrThrow(intersectRequestSchema, body);
    const rows = graph.intersect(request, month);
    const fingerprint = queryFingerprint(request);
    let offset = 0;
    if (request.next_token != null && request.next_token !== '') {
      const decoded = readToken(tokenSecret, request.next_token, fingerprint, month);
      if (decoded === null || decoded >= rows.length) {
        throw new RequestValidationError('next_token: unknown or stale token');
      }
      offset = decoded;
    }
    const page: IntersectRowOut[] = rows.slice(offset, offset + request.limit);
    const nextOffset = offset + page.length;
    const payload: { results: IntersectRowOut[]; next_token?: string | null } = { results: page };
    if (nextOffset < rows.length) payload.next_token = mintToken(tokenSecret, fingerprint, month, nextOffset);
    else if (lastPageToken === 'empty') payload.next_token = '';
    else if (lastPageToken === 'null') payload.next_token = null;
    return {
      status: 200,
      body: JSON.stringify(payload),
      rowsReturned: page.length,
      rowsMetered: page.length * INTERSECT_ROW_WEIGHT,
    };
  };

  const runLinkStatus = (body: unknown): Reply => {
    const request = parseOrThrow(linkStatusRequestSchema, body);
    const exists = request.sources.map((source) =>
      graph.linksTo(source, request.target, request.source_scope, request.target_scope, month),
    );
    return {
      status: 200,
      body: JSON.stringify({ exists }),
      rowsReturned: exists.length,
      rowsMetered: exists.length * LINK_STATUS_ROW_WEIGHT,
    };
  };

  const runUsage = (body: unknown): Reply => {
    parseOrThrow(usageRequestSchema, body);
    return { status: 200, body: JSON.stringify({ rows_consumed: rowsConsumed }) };
  };

  const execute = (route: SimRoute, raw: string): Reply => {
    let body: unknown;
    try {
      body = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      throw new RequestValidationError('body: must be valid JSON');
    }
    if (route === 'link_intersect') return runIntersect(body);
    if (route === 'link_status') return runLinkStatus(body);
    return runUsage(body);
  };

  const meter = (route: SimRoute, rows: number): void => {
    rowsConsumed += rows;
    byRoute[route].rowsConsumed += rows;
    rowsByMonth.set(month, (rowsByMonth.get(month) ?? 0) + rows);
  };

  const record = (entry: RecordedRequest): void => {
    requests++;
    log.push(entry);
    if (entry.route !== 'unknown') {
      const stats = byRoute[entry.route];
      stats.requests++;
      const key = String(entry.status);
      stats.statuses[key] = (stats.statuses[key] ?? 0) + 1;
    }
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    res.writeHead(reply.status, {
      'content-type': reply.contentType ?? 'application/json',
      ...reply.headers,
    });
    res.end(reply.body);
  };

  const processRequest = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: SimRoute,
    raw: string,
    base: Omit<RecordedRequest, 'status' | 'rowsReturned' | 'rowsMetered' | 'fault'>,
    arrivedAt: number,
  ): Promise<void> => {
    const finish = (reply: Reply, fault: string | null = null, metered = 0): void => {
      record({
        ...base,
        status: reply.status,
        rowsReturned: reply.rowsReturned ?? 0,
        rowsMetered: metered,
        fault,
      });
      send(res, reply);
    };
    if (req.method !== 'POST') {
      finish({ ...errorReply(405, 'Method Not Allowed'), headers: { allow: 'POST' } });
      return;
    }
    if (bucket) {
      const waitMs = bucket.take(arrivedAt);
      if (waitMs > 0) {
        rateLimited++;
        finish(
          errorReply(429, 'Too Many Requests', {
            'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
          }),
          'rate_limit',
        );
        return;
      }
    }
    const faults: FaultDecision = injector.decide(route);
    if (faults.pre?.kind === 'burst429') {
      const retry = faults.pre.retryAfterSeconds;
      finish(
        errorReply(429, 'Too Many Requests', retry === null ? undefined : { 'retry-after': String(retry) }),
        'burst429',
      );
      return;
    }
    if (faults.pre?.kind === '5xx') {
      finish(errorReply(faults.pre.status, 'Service Unavailable'), '5xx');
      return;
    }
    if (faults.pre?.kind === 'html') {
      finish(
        {
          status: 502,
          contentType: 'text/html; charset=utf-8',
          body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
        },
        'html',
      );
      return;
    }
    const slowFault = faults.slowMs > 0 ? 'slow' : null;
    if (faults.slowMs > 0) await sleep(faults.slowMs);

    if (base.auth !== 'token' && base.auth !== 'basic') {
      finish(
        errorReply(401, 'Unauthorized: provide a valid x-moz-token header or Basic credentials'),
        slowFault,
      );
      return;
    }
    let reply: Reply;
    try {
      reply = execute(route, raw);
    } catch (error) {
      if (error instanceof RequestValidationError) {
        finish(errorReply(400, error.message), slowFault);
        return;
      }
      throw error;
    }
    const rows = reply.rowsMetered ?? 0;
    if (rowQuota !== null && rows > 0 && (rowsByMonth.get(month) ?? 0) + rows > rowQuota) {
      finish(errorReply(quotaStatus, 'Monthly row quota exhausted for this account'), slowFault);
      return;
    }
    if (faults.post?.kind === 'drop') {
      const metered = faults.meterFaulted ? rows : 0;
      meter(route, metered);
      record({ ...base, status: 0, rowsReturned: 0, rowsMetered: metered, fault: 'drop' });
      res.socket?.destroy();
      return;
    }
    if (faults.post?.kind === 'malformed') {
      const metered = faults.meterFaulted ? rows : 0;
      meter(route, metered);
      const truncated = reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2)));
      finish(
        { ...reply, body: truncated.length < reply.body.length ? truncated : '{"results": [' },
        'malformed',
        metered,
      );
      return;
    }
    meter(route, rows);
    finish(reply, slowFault, rows);
  };

  const server = createServer((req, res) => {
    const arrivedAt = performance.now();
    const handle = async (): Promise<void> => {
      const raw = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/+$/, '');
      const route = ROUTES[path];
      const auth = classifyAuth(req);
      const provided = req.headers['x-moz-token'];
      const base = {
        route: route ?? ('unknown' as const),
        credentialFingerprint: typeof provided === 'string' ? tokenFingerprint(provided) : null,
        nextToken: route === 'link_intersect' ? nextTokenOf(raw) : null,
        auth,
      };
      if (!route) {
        record({ ...base, status: 404, rowsReturned: 0, rowsMetered: 0, fault: null });
        send(res, errorReply(404, `Not Found: ${path || '/'}`));
        return;
      }
      if (raw === null) {
        record({ ...base, status: 413, rowsReturned: 0, rowsMetered: 0, fault: null });
        send(res, errorReply(413, 'body: too large'));
        return;
      }
      await processRequest(req, res, route, raw, base, arrivedAt);
    };
    handle().catch((error: unknown) => {
      console.error('moz simulator: internal error', error);
      if (!res.headersSent) send(res, errorReply(500, 'Internal Server Error'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const simulator: MozSimulator = {
    baseUrl: `http://127.0.0.1:${port}`,
    get month() {
      return month;
    },
    set month(value: string) {
      assertMonth(value);
      month = value;
    },
    setMonth(value) {
      assertMonth(value);
      month = value;
    },
    setRateLimit(limit) {
      bucket = limit ? new TokenBucket(limit) : null;
    },
    setRowQuota(quota) {
      rowQuota = quota;
    },
    faults: {
      set: (route, spec) => injector.set(route, spec),
      clear: () => injector.clear(),
    },
    stats() {
      const copy = emptyRouteStats();
      for (const key of Object.keys(copy) as SimRoute[]) {
        copy[key] = { ...byRoute[key], statuses: { ...byRoute[key].statuses } };
      }
      return { requests, rowsConsumed, rateLimited, byRoute: copy };
    },
    get log() {
      return log;
    },
    resetUsage() {
      log = [];
      requests = 0;
      rowsConsumed = 0;
      rateLimited = 0;
      byRoute = emptyRouteStats();
      rowsByMonth = new Map();
    },
    truth: createGroundTruth(graph, () => month),
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return simulator;
}
