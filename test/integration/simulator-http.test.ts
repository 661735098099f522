import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MozSimulator, startSimulator, tokenFingerprint } from '../../simulator/server.ts';

const TOKEN = 'test-token';
const ACCESS_ID = 'test-access';
const SECRET = 'test-secret';

let sim: MozSimulator;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => Record<string, unknown>;
}

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = { 'x-moz-token': TOKEN },
  base = sim.baseUrl,
): Promise<Reply> {
  const res = await fetch(`${base}/v2/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

const gapBody = {
  positive_targets: [
    { target: 'rival-one.com', scope: 'root_domain' },
    { target: 'rivaltwo.io', scope: 'root_domain' },
    { target: 'blog.thirdcompetitor.co.uk', scope: 'subdomain' },
  ],
  negative_targets: [{ target: 'mysite.com', scope: 'root_domain' }],
};

async function pageThrough(
  body: Record<string, unknown>,
  limit: number,
  base = sim.baseUrl,
): Promise<{ rows: unknown[]; tokens: string[] }> {
  const rows: unknown[] = [];
  const tokens: string[] = [];
  let token: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const reply = await post(
      'link_intersect',
      { ...body, limit, ...(token ? { next_token: token } : {}) },
      undefined,
      base,
    );
    expect(reply.status).toBe(200);
    const json = reply.json() as { results: unknown[]; next_token?: string | null };
    rows.push(...json.results);
    if (typeof json.next_token !== 'string' || json.next_token === '') return { rows, tokens };
    token = json.next_token;
    tokens.push(token);
  }
  throw new Error('pagination did not end');
}

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, accessId: ACCESS_ID, secretKey: SECRET, universeSize: 5_000 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  sim.faults.clear();
  sim.setRateLimit(null);
  sim.setRowQuota(null);
  sim.setMonth('2026-01');
  sim.resetUsage();
});

describe('validation', () => {
  const target = { target: 'a.com', scope: 'root_domain' };
  it.each([
    ['no positive targets', { positive_targets: [] }, 'positive_targets'],
    ['missing positive targets', {}, 'positive_targets'],
    [
      'bad target scope',
      { positive_targets: [target, { target: 'b.com', scope: 'domain' }] },
      'positive_targets[1].scope',
    ],
    [
      'bad negative scope',
      { positive_targets: [target], negative_targets: [{ target: 'x.com' }] },
      'negative_targets[0].scope',
    ],
    [
      'too many targets',
      { positive_targets: [target, target, target, target], negative_targets: [target, target, target] },
      'positive_targets + negative_targets',
    ],
    ['bad source_scope', { positive_targets: [target], source_scope: 'subdomain' }, 'source_scope'],
    ['bad sort', { positive_targets: [target], sort: 'page_authority' }, 'sort'],
    ['limit too high', { positive_targets: [target], limit: 51 }, 'limit'],
    ['limit zero', { positive_targets: [target], limit: 0 }, 'limit'],
    ['limit fractional', { positive_targets: [target], limit: 2.5 }, 'limit'],
    [
      'non-ASCII target',
      { positive_targets: [{ target: 'bücher.de', scope: 'root_domain' }] },
      'positive_targets[0].target',
    ],
    [
      'min_matching too high',
      { positive_targets: [target], min_matching_targets: 2 },
      'min_matching_targets',
    ],
    ['min_matching zero', { positive_targets: [target], min_matching_targets: 0 }, 'min_matching_targets'],
    [
      'unknown next_token',
      { positive_targets: [target], next_token: 'AAAAAAAAAAAAAAAAAAAAAA' },
      'next_token',
    ],
  ])('link_intersect 400 for %s names the field', async (_name, body, field) => {
    const reply = await post('link_intersect', body);
    expect(reply.status).toBe(400);
    expect(String(reply.json().message).startsWith(`${field}:`)).toBe(true);
  });

  it.each([
    ['no sources', { target: 'a.com', sources: [] }, 'sources'],
    [
      'too many sources',
      { target: 'a.com', sources: Array.from({ length: 51 }, (_, i) => `s${i}.com`) },
      'sources',
    ],
    ['missing target', { sources: ['a.com'] }, 'target'],
    ['bad target_scope', { target: 'a.com', sources: ['b.com'], target_scope: 'domain' }, 'target_scope'],
    ['bad source_scope', { target: 'a.com', sources: ['b.com'], source_scope: 'x' }, 'source_scope'],
  ])('link_status 400 for %s names the field', async (_name, body, field) => {
    const reply = await post('link_status', body);
    expect(reply.status).toBe(400);
    expect(String(reply.json().message).startsWith(`${field}:`)).toBe(true);
  });

  it('usage_data rejects start >= end and non-integer strings', async () => {
    expect((await post('usage_data', { start: '200', end: '100' })).json().message).toMatch(/^start:/);
    expect((await post('usage_data', { start: 'yesterday' })).json().message).toMatch(/^start:/);
    expect((await post('usage_data', { start: '100', end: '200' })).status).toBe(200);
  });

  it('rejects invalid JSON, unknown routes and non-POST methods', async () => {
    expect((await post('link_intersect', '{"positive_targets": [')).status).toBe(400);
    expect((await post('nope', {})).status).toBe(404);
    const get = await fetch(`${sim.baseUrl}/v2/link_intersect`, { headers: { 'x-moz-token': TOKEN } });
    expect(get.status).toBe(405);
  });

  it('ignores unknown fields and the content type', async () => {
    const reply = await post(
      'link_intersect',
      { ...gapBody, limit: 2, extra: true },
      {
        'x-moz-token': TOKEN,
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(reply.status).toBe(200);
  });
});

describe('auth', () => {
  const basic = (user: string, pass: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
  });

  it.each([
    ['missing credentials', {}],
    ['wrong token', { 'x-moz-token': 'nope' }],
    ['wrong basic password', basic(ACCESS_ID, 'wrong')],
  ])('401 for %s without echoing the credential', async (_name, headers) => {
    const reply = await post('usage_data', {}, headers);
    expect(reply.status).toBe(401);
    expect(typeof reply.json().message).toBe('string');
    expect(reply.text).not.toContain('nope');
    expect(reply.text).not.toContain('wrong');
  });

  it('accepts Basic auth and records fingerprints, never credentials', async () => {
    expect((await post('usage_data', {}, basic(ACCESS_ID, SECRET))).status).toBe(200);
    await post('usage_data', {});
    expect(sim.log.map((r) => r.auth)).toEqual(['basic', 'token']);
    expect(sim.log[1]?.credentialFingerprint).toBe(tokenFingerprint(TOKEN));
    expect(JSON.stringify(sim.log)).not.toContain(TOKEN);
  });
});

describe('link_intersect', () => {
  it('pages through results equal to the ground truth, with stable tokens', async () => {
    const first = await pageThrough(gapBody, 50);
    const second = await pageThrough(gapBody, 50);
    expect(first.rows).toEqual(sim.truth.intersect(gapBody));
    expect(first.rows.length).toBeGreaterThan(100);
    expect(second.tokens).toEqual(first.tokens);
  });

  it('accepts a different limit on later pages (offset-based tokens)', async () => {
    const firstPage = (await post('link_intersect', { ...gapBody, limit: 10 })).json();
    const next = await post('link_intersect', { ...gapBody, limit: 5, next_token: firstPage.next_token });
    expect(next.json().results).toEqual(sim.truth.intersect(gapBody).slice(10, 15));
  });

  it('rejects a token from another query, a tampered token and a stale month', async () => {
    const { next_token: token } = (await post('link_intersect', { ...gapBody, limit: 5 })).json() as {
      next_token: string;
    };
    const otherQuery = await post('link_intersect', {
      ...gapBody,
      sort: 'source_spam_score',
      next_token: token,
    });
    expect(otherQuery.json().message).toBe('next_token: unknown or stale token');
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await post('link_intersect', { ...gapBody, next_token: tampered })).status).toBe(400);
    sim.setMonth('2026-02');
    const stale = await post('link_intersect', { ...gapBody, next_token: token });
    expect(stale.status).toBe(400);
    expect(stale.json().message).toBe('next_token: unknown or stale token');
  });

  it('serves the current simulated month', async () => {
    sim.month = '2026-06';
    const rows = (await pageThrough(gapBody, 50)).rows;
    expect(rows).toEqual(sim.truth.intersect(gapBody, '2026-06'));
    expect(rows).not.toEqual(sim.truth.intersect(gapBody, '2026-01'));
  });

  it('returns v2 row shapes at page and root_domain scope', async () => {
    const page = (await post('link_intersect', { ...gapBody, limit: 3 })).json().results as Record<
      string,
      unknown
    >[];
    expect(Object.keys(page[0] ?? {}).sort()).toEqual(
      ['domain_authority', 'matching_target_indexes', 'page', 'spam_score', 'title'].sort(),
    );
    expect(String(page[0]?.page)).not.toMatch(/^https?:/);
    const root = (await post('link_intersect', { ...gapBody, source_scope: 'root_domain', limit: 3 })).json()
      .results as Record<string, unknown>[];
    expect(root[0]?.title).toBe('');
    const sourcePages = root[0]?.matching_source_pages as { page: string; page_authority: number }[];
    expect(sourcePages.length).toBeGreaterThan(0);
    expect(sourcePages[0]?.page.includes(String(root[0]?.page))).toBe(true);
    expect(typeof sourcePages[0]?.page_authority).toBe('number');
  });

  it.each([
    ['absent', (json: Record<string, unknown>) => expect('next_token' in json).toBe(false)],
    ['empty', (json: Record<string, unknown>) => expect(json.next_token).toBe('')],
    ['null', (json: Record<string, unknown>) => expect(json.next_token).toBeNull()],
  ] as const)('signals the last page with next_token %s', async (variant, check) => {
    const other = await startSimulator({ token: TOKEN, universeSize: 2_000, lastPageToken: variant });
    try {
      const reply = await post(
        'link_intersect',
        { positive_targets: [{ target: 'a.com/x', scope: 'page' }], limit: 50 },
        undefined,
        other.baseUrl,
      );
      const json = reply.json();
      expect((json.results as unknown[]).length).toBeLessThan(50);
      check(json);
    } finally {
      await other.close();
    }
  });
});

describe('metering and limits', () => {
  it('meters 5x intersect rows and 2x link_status sources, reported by usage_data', async () => {
    await post('link_intersect', { ...gapBody, limit: 7 });
    await post('link_status', { target: 'mysite.com', sources: ['a.com', 'b.com', 'c.com'] });
    await post('link_intersect', { positive_targets: [{ target: 'a.com' }] }); // 400: not metered
    const usage = (await post('usage_data', {})).json();
    expect(usage).toEqual({ rows_consumed: 7 * 5 + 3 * 2 });
    expect(sim.stats().rowsConsumed).toBe(41);
    expect(sim.stats().byRoute.link_intersect.statuses).toEqual({ '200': 1, '400': 1 });
  });

  it('answers link_status in request order, matching the ground truth', async () => {
    const rows = sim.truth.intersect({ ...gapBody, source_scope: 'root_domain' }).slice(0, 3);
    const sources = [...rows.map((r) => r.page), 'not-in-universe.example'];
    const reply = await post('link_status', {
      target: 'rival-one.com',
      sources,
      source_scope: 'root_domain',
      target_scope: 'root_domain',
    });
    const expected = sources.map((s) => sim.truth.linksTo(s, 'rival-one.com'));
    expect(reply.json()).toEqual({ exists: expected });
    expect(expected.at(-1)).toBe(false);
  });

  it('rate limits with 429 + Retry-After before auth, and not for a client spaced at the limit', async () => {
    sim.setRateLimit({ requests: 1, perMs: 1_500 });
    expect((await post('usage_data', {})).status).toBe(200);
    const limited = await post('usage_data', {}, {});
    expect(limited.status).toBe(429);
    expect(limited.json()).toEqual({ message: 'Too Many Requests' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sim.stats().rateLimited).toBe(1);

    sim.setRateLimit({ requests: 4, perMs: 1_000 });
    let lastSent = performance.now();
    for (let i = 0; i < 4; i++) {
      const wait = lastSent + 250 - performance.now();
      if (i > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastSent = performance.now();
      expect((await post('usage_data', {})).status).toBe(200);
    }
  });

  it('answers the quota status once the monthly row quota is exhausted', async () => {
    sim.setRowQuota(30);
    expect((await post('link_intersect', { ...gapBody, limit: 5 })).status).toBe(200);
    const over = await post('link_intersect', { ...gapBody, limit: 2 });
    expect(over.status).toBe(403);
    expect(String(over.json().message)).toContain('quota');
    expect((await post('link_intersect', { ...gapBody, limit: 1 })).status).toBe(200);
    sim.setMonth('2026-02');
    expect((await post('link_intersect', { ...gapBody, limit: 5 })).status).toBe(200);
  });
});

describe('faults', () => {
  const intersect = { ...gapBody, limit: 4 };

  it('injects 5xx without metering', async () => {
    sim.faults.set('link_intersect', { error5xxRate: 1, status5xx: 500 });
    expect((await post('link_intersect', intersect)).status).toBe(500);
    expect((await post('usage_data', {})).json()).toEqual({ rows_consumed: 0 });
  });

  it('injects a 502 HTML page', async () => {
    sim.faults.set('*', { htmlErrorRate: 1 });
    const reply = await post('link_status', { target: 'a.com', sources: ['b.com'] });
    expect(reply.status).toBe(502);
    expect(reply.headers.get('content-type')).toContain('text/html');
  });

  it('injects a burst of 429s, with and without Retry-After', async () => {
    sim.faults.set('link_intersect', { burst429: { count: 2, retryAfterSeconds: 3 } });
    const first = await post('link_intersect', intersect);
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '3']);
    expect((await post('link_intersect', intersect)).status).toBe(429);
    expect((await post('link_intersect', intersect)).status).toBe(200);
    sim.faults.set('link_intersect', { burst429: { count: 1, retryAfterSeconds: null } });
    expect((await post('link_intersect', intersect)).headers.get('retry-after')).toBeNull();
  });

  it('injects slow responses', async () => {
    sim.faults.set('usage_data', { slowRate: 1, slowMs: 150 });
    const started = performance.now();
    expect((await post('usage_data', {})).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(sim.log.at(-1)?.fault).toBe('slow');
  });

  it('drops connections, metering them only with meterFaulted', async () => {
    sim.faults.set('link_intersect', { dropRate: 1 });
    await expect(post('link_intersect', intersect)).rejects.toThrow();
    expect(sim.stats().rowsConsumed).toBe(0);
    sim.faults.set('link_intersect', { dropRate: 1, meterFaulted: true });
    await expect(post('link_intersect', intersect)).rejects.toThrow();
    expect(sim.stats().rowsConsumed).toBe(20);
    expect(sim.log.map((r) => r.fault)).toEqual(['drop', 'drop']);
  });

  it('returns malformed JSON, metered only with meterFaulted', async () => {
    sim.faults.set('link_intersect', { malformedRate: 1 });
    const reply = await post('link_intersect', intersect);
    expect(reply.status).toBe(200);
    expect(() => reply.json()).toThrow();
    expect(sim.stats().rowsConsumed).toBe(0);
    sim.faults.set('link_intersect', { malformedRate: 1, meterFaulted: true });
    await post('link_intersect', intersect);
    expect(sim.stats().rowsConsumed).toBe(20);
  });

  it('makes deterministic decisions from the fault seed', async () => {
    const run = async () => {
      sim.faults.set('usage_data', { error5xxRate: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await post('usage_data', {})).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 503]));
  });
});

describe('error style', () => {
  it("uses {status, error_message} bodies with errorStyle 'error_message'", async () => {
    const other = await startSimulator({ universeSize: 1_000, errorStyle: 'error_message' });
    try {
      const reply = await post('usage_data', {}, { 'x-moz-token': 'bad' }, other.baseUrl);
      expect(reply.json()).toEqual({ status: '401', error_message: expect.any(String) });
    } finally {
      await other.close();
    }
  });
});
