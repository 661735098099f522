// Shapes the simulator does not produce (overlapping pages, unconfirmed field variants, odd headers),
// served by a tiny scripted node:http server.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMozClient, type MozClient, type MozClientConfig } from '#moz/client.ts';
import { MozAuthError, MozResponseFormatError } from '#moz/errors.ts';
import type { IntersectQuery } from '#moz/types.ts';

interface Scripted {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

const TOKEN = 'stub-token-SECRET-42';
const query: IntersectQuery = {
  positiveTargets: [{ target: 'competitor.example', scope: 'root_domain' }],
  negativeTargets: [],
  sourceScope: 'page',
};
const row = (page: string, extra: Record<string, unknown> = {}) => ({
  page,
  title: `T ${page}`,
  domain_authority: 50,
  spam_score: 1,
  matching_target_indexes: [0],
  ...extra,
});

let server: Server;
let baseUrl: string;
let script: Scripted[] = [];
let received: Received[] = [];
const clients: MozClient[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: raw === '' ? {} : JSON.parse(raw) });
      const next = script.shift() ?? { status: 500, body: { message: 'script exhausted' } };
      res.writeHead(next.status ?? 200, { 'content-type': 'application/json', ...next.headers });
      res.end(typeof next.body === 'string' ? next.body : JSON.stringify(next.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(async () => {
  script = [];
  received = [];
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function stubClient(overrides: Partial<MozClientConfig> = {}) {
  const sleeps: number[] = [];
  const client = createMozClient({
    baseUrl: `${baseUrl}/v2/`,
    credentials: async () => ({ kind: 'token', token: TOKEN }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    maxAttempts: 3,
    ...overrides,
  });
  clients.push(client);
  return { client, sleeps };
}

describe('Moz client against scripted responses', () => {
  it('passes each page and its next_token through as Moz sent them, metering every returned row', async () => {
    script = [
      { body: { results: [row('a.example/1'), row('b.example/2'), row('c.example/3')], next_token: 't1' } },
      { body: { results: [row('c.example/3'), row('d.example/4')], next_token: 't1' } },
    ];
    const { client } = stubClient();
    const first = await client.intersectPage(query, { limit: 3 });
    const second = await client.intersectPage(query, { limit: 3, nextToken: first.nextToken });
    expect(first.rows.map((r) => r.source)).toEqual(['a.example/1', 'b.example/2', 'c.example/3']);
    // Repeats across pages and a next_token already seen are the page loop's to judge: both reach it.
    expect(second.rows.map((r) => r.source)).toEqual(['c.example/3', 'd.example/4']);
    expect([first.nextToken, second.nextToken]).toEqual(['t1', 't1']);
    expect([first.cost.rowsConsumed, second.cost.rowsConsumed]).toEqual([15, 10]);
    expect(received.map((r) => r.body.next_token)).toEqual([undefined, 't1']);
    expect(received.every((r) => r.path === '/v2/link_intersect')).toBe(true);
  });

  it('sends a JSON POST with the token header and the documented body', async () => {
    script = [{ body: { results: [] } }];
    const { client } = stubClient();
    await client.intersectPage({ ...query, minMatchingTargets: 1, sort: 'source_spam_score' }, { limit: 7 });
    const [request] = received;
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-moz-token']).toBe(TOKEN);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({
      positive_targets: [{ target: 'competitor.example', scope: 'root_domain' }],
      min_matching_targets: 1,
      source_scope: 'page',
      sort: 'source_spam_score',
      limit: 7,
    });
  });

  it('accepts the link_intersects alias, root_domain/url source keys and unknown fields', async () => {
    script = [
      {
        body: {
          link_intersects: [
            { ...row('x'), page: undefined, root_domain: 'rooted.example', surprise: [1, 2] },
            { ...row('y'), page: undefined, url: 'by-url.example/p', title: null, spam_score: -1 },
          ],
          next_token: '',
          meta: { whatever: true },
        },
      },
    ];
    const { client } = stubClient();
    const result = await client.intersectPage(query, { limit: 2 });
    expect(result.nextToken).toBeNull();
    expect(result.rows.map((r) => [r.source, r.title, r.spamScore])).toEqual([
      ['rooted.example', 'T x', 1],
      ['by-url.example/p', '', null],
    ]);
  });

  it('retries a schema mismatch, then reports the field path', async () => {
    const bad = { results: [row('a'), row('b', { domain_authority: 'high' })] };
    script = [{ body: bad }, { body: bad }, { body: bad }];
    const { client } = stubClient();
    const error = await client.intersectPage(query, { limit: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MozResponseFormatError);
    expect(error).toMatchObject({ path: 'results.1.domain_authority', attempts: 3 });
    expect((error as Error).message).toContain('results.1.domain_authority');
    expect(client.stats().rowsPossiblyMeteredOnFailures).toBe(3 * 10 * 5);
    expect((error as MozResponseFormatError).cost).toEqual({
      rowsConsumed: 0,
      requests: 3,
      retries: 2,
      rowsPossiblyMeteredOnFailures: 3 * 10 * 5,
    });
  });

  it('treats more rows than the limit as a format error', async () => {
    script = [{ body: { results: [row('a'), row('b')] } }];
    const { client } = stubClient({ maxAttempts: 1 });
    await expect(client.intersectPage(query, { limit: 1 })).rejects.toThrow(/2 rows for limit 1/);
  });

  it('drops a row whose values are outside the lake contract, counts it, and still meters it', async () => {
    const logs: unknown[] = [];
    script = [
      {
        body: {
          results: [row('a.example/1'), row('b.example/2', { domain_authority: 150 }), row('c.example/3')],
          next_token: 'n',
        },
      },
    ];
    const { client } = stubClient({ log: (event) => logs.push(event) });
    const page = await client.intersectPage(query, { limit: 3 });
    expect(page.rows.map((r) => r.source)).toEqual(['a.example/1', 'c.example/3']);
    expect(page).toMatchObject({ droppedRows: 1, nextToken: 'n', cost: { rowsConsumed: 15, requests: 1 } });
    expect(client.stats()).toMatchObject({ droppedRows: 1, rowsConsumed: 15 });
    expect(JSON.stringify(logs)).toContain('domain_authority 150 is not an integer from 1 to 100');
    expect(received).toHaveLength(1); // never retried: the same page would come back
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    script = [
      { status: 503, body: { message: 'busy' }, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:12 GMT' } },
      { body: { results: [row('a')] } },
    ];
    const { client, sleeps } = stubClient({ now: () => now });
    await client.intersectPage(query, { limit: 1 });
    expect(sleeps).toEqual([12_000]);
  });

  it('redacts credentials a server echoes back in its error message', async () => {
    const basic = Buffer.from('my-access-id:my-secret-key-123').toString('base64');
    script = [
      { status: 401, body: { message: `bad token ${TOKEN}` } },
      { status: 403, body: { error_message: `bad header Basic ${basic} for my-secret-key-123` } },
    ];
    const token = await stubClient({ credentialSource: 'env MOZ_TOKEN' })
      .client.intersectPage(query, { limit: 1 })
      .catch((e: unknown) => e);
    const legacy = await stubClient({
      credentials: async () => ({ kind: 'basic', accessId: 'my-access-id', secretKey: 'my-secret-key-123' }),
    })
      .client.intersectPage(query, { limit: 1 })
      .catch((e: unknown) => e);
    expect(token).toBeInstanceOf(MozAuthError);
    expect(legacy).toBeInstanceOf(MozAuthError);
    const text = `${String(token)} ${String(legacy)} ${JSON.stringify([token, legacy])}`;
    expect(text).toContain('env MOZ_TOKEN');
    for (const secret of [TOKEN, basic, 'my-secret-key-123']) expect(text).not.toContain(secret);
    expect(received[1]?.headers.authorization).toBe(`Basic ${basic}`);
  });

  it('rejects a link_status answer whose length does not match the batch', async () => {
    script = [{ body: { exists: [true] } }];
    const { client } = stubClient({ maxAttempts: 1 });
    await expect(
      client.linkStatus({
        target: 'mine.example',
        targetScope: 'root_domain',
        sourceScope: 'page',
        sources: ['a.example/x', 'b.example/y'],
      }),
    ).rejects.toThrow(/1 answers for 2 sources/);
  });

  it('reads rows_consumed and sends the usage window as unix-second strings', async () => {
    script = [{ body: { rows_consumed: '254' } }];
    const { client } = stubClient();
    const usage = await client.usageData({
      start: new Date(1_700_000_000_000),
      end: new Date(1_700_000_100_000),
    });
    expect(usage).toEqual({ rowsConsumed: 254 });
    expect(received[0]?.body).toEqual({ start: '1700000000', end: '1700000100' });
  });
});
