/**
 * A hostile stand-in for the Moz Links API: a tiny real HTTP server on 127.0.0.1 (a free port) that
 * answers the three v2 endpoints the way a broken or malicious server might. Tests start one per mode
 * (or switch modes with `setMode`) and point a Moz client, or `linkgap run`, at its `baseUrl`.
 *
 * Every mode is bounded on the server side too: the endless body stops when the client hangs up (and
 * at 1 GiB in any case), and no mode keeps per-request state that grows without limit.
 */
import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in misbehaves. Link Status and Usage Data answer normally unless the mode says otherwise. */
export type HostileMode =
  /** Every page carries a brand-new next_token, forever; pages are empty or hold one fresh row. */
  | { kind: 'endless-pages'; rowsPerPage: 0 | 1 }
  /** Every page (one row) names the same next_token again. */
  | { kind: 'repeating-token' }
  /** next_tokens go round a cycle of 2 or 3 (t0 → t1 → t2 → t0 ...), one row per page. */
  | { kind: 'token-cycle'; length: 2 | 3 }
  /** Every request is answered 429 or 503 with Retry-After a day away, or an HTTP date years away. */
  | { kind: 'absurd-retry-after'; status: 429 | 503; retryAfter: 'a-day-in-seconds' | 'a-date-years-away' }
  /** link_intersect answers `status` and then whitespace that never ends (until the client disconnects). */
  | { kind: 'endless-body'; status: 200 | 503 }
  /** A page mixing good rows with rows the Moz schema allows but the lake contract does not. */
  | { kind: 'out-of-range-rows' }
  /** One good row whose matching_source_pages has `pages` entries (default 200,000). */
  | { kind: 'huge-matching-pages'; pages?: number }
  /** Terminal escape sequences in row titles and sources ('rows') or in every error message ('errors'). */
  | { kind: 'control-characters'; in: 'rows' | 'errors' }
  /** Every endpoint answers `status` (default 400) echoing the x-moz-token / Authorization header back. */
  | { kind: 'echo-credentials'; encoding: EchoEncoding; status?: number };

/** Every way the echo-credentials mode spells the secret back (the test runs each). */
export const ECHO_ENCODINGS = [
  'verbatim',
  'base64',
  'base64url',
  'percent',
  'json',
  'text',
  'html',
  'html-character-references',
] as const;
export type EchoEncoding = (typeof ECHO_ENCODINGS)[number];

export interface HostileRequest {
  path: string;
  /** The next_token the request asked for, if any. */
  nextToken: string | undefined;
  limit: number | undefined;
}

export interface HostileMoz {
  /** e.g. http://127.0.0.1:41234 (pass as the client's baseUrl or MOZ_API_BASE_URL). */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: readonly HostileRequest[];
  /** Bytes of endless body written so far (all requests together). */
  readonly endlessBytesWritten: number;
  /** Resolves when no endless body is being written any more. */
  endlessBodiesStopped(): Promise<void>;
  setMode(mode: HostileMode): void;
  close(): Promise<void>;
}

/** Bad rows served by 'out-of-range-rows', each with what is wrong (the query has 2 positive targets). */
export const OUT_OF_RANGE_ROWS = [
  { why: 'DA 150', row: aRow('da-150.example', { domain_authority: 150 }) },
  { why: 'DA 37.5', row: aRow('da-fraction.example', { domain_authority: 37.5 }) },
  {
    why: 'PA -3',
    row: aRow('pa-negative.example', {
      matching_source_pages: [{ page: 'pa-negative.example/a', page_authority: -3 }],
    }),
  },
  { why: 'index 9 with 2 competitors', row: aRow('index-9.example', { matching_target_indexes: [0, 9] }) },
  { why: 'a formula, not a URL', row: aRow('=HYPERLINK("http://evil.example","click")') },
  { why: 'a javascript: URL', row: aRow('javascript:alert(1)//x.example') },
  { why: 'markup in the path', row: aRow('evil.example/"><script>alert(1)</script>') },
] as const;
/** Good rows served around the bad ones. */
export const GOOD_ROWS = [aRow('good-one.example'), aRow('good-two.example')] as const;

/** What 'control-characters' puts in titles, sources and error messages. */
export const ESCAPES = {
  clipboard: '\u001b]52;c;ZWNobyBwd25lZA==\u0007',
  clearScreen: '\u001b[2J',
  hyperlink: '\u001b]8;;https://evil.example/\u001b\\click me\u001b]8;;\u001b\\',
  bell: '\u0007',
} as const;

const ENDLESS_BODY_LIMIT = 1024 ** 3;
const ENDLESS_CHUNK = Buffer.alloc(64 * 1024, ' ');

/** Starts the stand-in. Close it with `close()` (afterAll). */
export async function startHostileMoz(initial: HostileMode): Promise<HostileMoz> {
  let mode = initial;
  const requests: HostileRequest[] = [];
  const endless = { bytes: 0, active: 0, waiters: [] as (() => void)[] };
  let endlessPage = 0;

  const server = createServer((req, res) => {
    readJson(req).then(
      (body) => {
        const request = {
          path: req.url ?? '',
          nextToken: stringField(body, 'next_token'),
          limit: limitOf(body),
        };
        requests.push(request);
        const context = { req, res, body, request, endless, mode, nextPage: () => endlessPage++ };
        answer(context);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    get endlessBytesWritten() {
      return endless.bytes;
    },
    endlessBodiesStopped: () =>
      endless.active === 0 ? Promise.resolve() : new Promise((resolve) => endless.waiters.push(resolve)),
    setMode(next) {
      mode = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  body: unknown;
  request: HostileRequest;
  endless: { bytes: number; active: number; waiters: (() => void)[] };
  mode: HostileMode;
  nextPage: () => number;
}

/** A finished answer: status, headers and the whole body. */
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

function answer(context: Context): void {
  const { mode, request, res } = context;
  if (request.path === '/v2/link_intersect' && mode.kind === 'endless-body') {
    endlessBody(context, mode.status);
    return;
  }
  const reply = replyTo(context);
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

function replyTo(context: Context): Reply {
  const { mode, request } = context;
  if (mode.kind === 'echo-credentials') return echoCredentials(context, mode.encoding, mode.status ?? 400);
  if (mode.kind === 'absurd-retry-after') return absurdRetryAfter(mode);
  if (mode.kind === 'control-characters' && mode.in === 'errors') {
    return json(400, { message: `bad ${ESCAPES.clipboard}request${ESCAPES.clearScreen}${ESCAPES.bell}` });
  }
  if (request.path === '/v2/link_status') {
    const sources = (context.body as { sources?: unknown[] }).sources ?? [];
    return json(200, { exists: sources.map(() => false) });
  }
  if (request.path === '/v2/usage_data') return json(200, { rows_consumed: 0 });
  if (request.path !== '/v2/link_intersect') return json(404, { message: 'no such endpoint' });
  const page = intersectPage(mode, request, context.nextPage);
  return json(200, { results: page.results.slice(0, request.limit ?? 50), next_token: page.nextToken });
}

function intersectPage(
  mode: HostileMode,
  request: HostileRequest,
  nextPage: () => number,
): { results: unknown[]; nextToken: string | null } {
  switch (mode.kind) {
    case 'endless-pages': {
      const n = nextPage();
      return {
        results: mode.rowsPerPage === 1 ? [aRow(`endless-${n}.example`)] : [],
        nextToken: `page-${n + 1}`,
      };
    }
    case 'repeating-token':
      return { results: [aRow('same.example')], nextToken: 'again' };
    case 'token-cycle': {
      const at = request.nextToken === undefined ? 0 : Number(request.nextToken.slice(1)) + 1;
      return { results: [aRow(`cycle-${at % mode.length}.example`)], nextToken: `t${at % mode.length}` };
    }
    case 'out-of-range-rows':
      return {
        results: [GOOD_ROWS[0], ...OUT_OF_RANGE_ROWS.map((bad) => bad.row), GOOD_ROWS[1]],
        nextToken: null,
      };
    case 'huge-matching-pages':
      return { results: [hugeRow(mode.pages ?? 200_000)], nextToken: null };
    case 'control-characters':
      return { results: controlCharacterRows(), nextToken: null };
    default:
      return { results: [], nextToken: null };
  }
}

function controlCharacterRows(): unknown[] {
  return [
    aRow('titles.example/a', { title: `Read ${ESCAPES.clipboard}me${ESCAPES.clearScreen}` }),
    aRow('titles.example/b', { title: `${ESCAPES.hyperlink} and a bell${ESCAPES.bell}` }),
    aRow(`evil.example/${ESCAPES.clearScreen}`),
  ];
}

function hugeRow(pages: number): unknown {
  // Short page strings keep the body under the client's 8 MiB cap: the row is valid, just absurd.
  const matching = Array.from({ length: pages }, (_, i) => ({
    page: `h/${i.toString(36)}`,
    page_authority: 1 + (i % 90),
  }));
  return aRow('huge.example', { matching_source_pages: matching });
}

function absurdRetryAfter(mode: Extract<HostileMode, { kind: 'absurd-retry-after' }>): Reply {
  const yearsAway = new Date(Date.now() + 30 * 365 * 24 * 3600 * 1000).toUTCString();
  const retryAfter = mode.retryAfter === 'a-day-in-seconds' ? '86400' : yearsAway;
  const message = mode.status === 429 ? 'Too many requests' : 'Service Unavailable';
  return json(mode.status, { message }, { 'retry-after': retryAfter });
}

function endlessBody(context: Context, status: number): void {
  const { res, endless } = context;
  res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain' });
  endless.active += 1;
  let written = 0;
  let open = true;
  const stop = () => {
    if (!open) return;
    open = false;
    endless.active -= 1;
    if (endless.active === 0) for (const resolve of endless.waiters.splice(0)) resolve();
  };
  res.on('close', stop);
  const pump = () => {
    // Writes until the socket pushes back, then waits for 'drain'; stops when the client hangs up.
    while (open && written < ENDLESS_BODY_LIMIT) {
      written += ENDLESS_CHUNK.length;
      endless.bytes += ENDLESS_CHUNK.length;
      if (!res.write(ENDLESS_CHUNK)) return void res.once('drain', pump);
    }
    if (open) res.end();
  };
  res.write(status === 200 ? '{"results": [' : 'Service Unavailable');
  pump();
}

function echoCredentials(context: Context, encoding: EchoEncoding, status: number): Reply {
  const { req } = context;
  const token = req.headers['x-moz-token'];
  const header =
    typeof token === 'string' ? `x-moz-token: ${token}` : `authorization: ${req.headers.authorization}`;
  const value = typeof token === 'string' ? token : String(req.headers.authorization ?? '');
  const text = (body: string, type: string): Reply => ({ status, headers: { 'content-type': type }, body });
  switch (encoding) {
    case 'verbatim':
      return text(value, 'text/plain');
    case 'base64':
      return json(status, { message: `you sent ${Buffer.from(header).toString('base64')}` });
    case 'base64url':
      return json(status, { message: `you sent ${Buffer.from(value).toString('base64url')}` });
    case 'percent':
      return json(status, { message: `see /debug?credential=${encodeURIComponent(value)}` });
    case 'json':
      return json(status, { message: `credential ${value} refused`, headers: req.headers });
    case 'text':
      return text(`Refused.\n${header}\n`, 'text/plain');
    case 'html':
      return text(
        `<html><head><title>Refused ${value}</title></head><body>${header}</body></html>`,
        'text/html',
      );
    case 'html-character-references':
      return text(
        `<html><head><title>Refused ${characterReferences(value)}</title></head></html>`,
        'text/html',
      );
  }
}

/**
 * Every character as an HTML character reference, in turn decimal, hex with leading zeros, decimal
 * without the `;`, and named where HTML has a name: the spellings a browser decodes the same.
 */
function characterReferences(value: string): string {
  const named: Record<string, string> = {
    '-': '&#45;',
    ':': '&colon;',
    '/': '&sol;',
    '=': '&equals;',
    '+': '&plus;',
  };
  return [...value]
    .map((char, index) => {
      const code = char.codePointAt(0) ?? 0;
      const name = named[char];
      if (name !== undefined && index % 2 === 0) return name;
      if (index % 3 === 0) return `&#${code};`;
      if (index % 3 === 1) return `&#x00${code.toString(16).toUpperCase()};`;
      return `&#00${code}`;
    })
    .join('');
}

function aRow(page: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    page,
    title: `Title of ${page}`,
    domain_authority: 40,
    spam_score: 2,
    matching_target_indexes: [0],
    ...overrides,
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  for await (const chunk of req) {
    raw += String(chunk);
    if (raw.length > 1_000_000) throw new Error('request body too large');
  }
  try {
    return raw === '' ? {} : (JSON.parse(raw) as unknown);
  } catch {
    return {};
  }
}

function stringField(body: unknown, key: string): string | undefined {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function limitOf(body: unknown): number | undefined {
  const value = typeof body === 'object' && body !== null ? (body as { limit?: unknown }).limit : undefined;
  return typeof value === 'number' ? value : undefined;
}
