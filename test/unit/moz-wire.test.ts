import { describe, expect, it } from 'vitest';
import { backoffDelay, intersectBody } from '#moz/client.ts';
import { clientBaseUrl, MozConfigError, mozConfigFromEnv, publicBaseUrl } from '#moz/config.ts';
import { MozBadRequestError } from '#moz/errors.ts';
import { errorMessageOf, isQuotaMessage, parseRetryAfter, redact } from '#moz/http.ts';
import { admitRow } from '#moz/rows.ts';
import type { IntersectQuery } from '#moz/types.ts';
import { RawIntersectResponse, type RawIntersectRow } from '#moz/types.ts';

/** The row as the client hands it on, for a query with one positive target. */
const toIntersectRow = (raw: RawIntersectRow) => {
  const admission = admitRow(raw, 1);
  if (!admission.ok) throw new Error(admission.reason);
  return admission.row;
};

const aQuery = (overrides: Partial<IntersectQuery> = {}): IntersectQuery => ({
  positiveTargets: [{ target: 'competitor-a.example', scope: 'root_domain' }],
  negativeTargets: [],
  sourceScope: 'page',
  ...overrides,
});

const aRow = (overrides: Record<string, unknown> = {}) => ({
  page: 'www.example.com/a',
  title: 'A',
  domain_authority: 40,
  spam_score: 3,
  matching_target_indexes: [0],
  ...overrides,
});

describe('RawIntersectResponse + admitRow', () => {
  it.each([
    { name: 'page key (confirmed)', row: aRow(), source: 'www.example.com/a' },
    {
      name: 'root_domain key',
      row: { ...aRow(), page: undefined, root_domain: 'example.com' },
      source: 'example.com',
    },
    { name: 'url key', row: { ...aRow(), page: undefined, url: 'example.com/u' }, source: 'example.com/u' },
  ])('accepts the source as $name', ({ row, source }) => {
    const parsed = RawIntersectResponse.parse({ results: [row] });
    expect(parsed.results?.map(toIntersectRow)[0]?.source).toBe(source);
  });

  it('maps the row, turning spam -1 into null and missing title into ""', () => {
    const parsed = RawIntersectResponse.parse({
      results: [
        aRow({
          title: undefined,
          spam_score: -1,
          extra_field: { anything: true },
          matching_source_pages: [
            { page: 'example.com/x', page_authority: 12 },
            { page: 'example.com/y', page_authority: 31 },
          ],
        }),
      ],
      next_token: 'abc',
      unknown_top_level: 1,
    });
    const row = parsed.results?.map(toIntersectRow)[0];
    expect(row).toEqual({
      source: 'www.example.com/a',
      title: '',
      domainAuthority: 40,
      spamScore: null,
      pageAuthority: 31,
      matchingTargetIndexes: [0],
      // Best page first.
      sourcePages: [
        { page: 'example.com/y', pageAuthority: 31 },
        { page: 'example.com/x', pageAuthority: 12 },
      ],
    });
  });

  it('accepts link_intersects as an alias for results', () => {
    expect(RawIntersectResponse.parse({ link_intersects: [aRow()] }).link_intersects).toHaveLength(1);
  });

  it.each([{ next_token: undefined }, { next_token: null }, { next_token: '' }, { next_token: 'tok' }])(
    'accepts next_token %o',
    (extra) => {
      expect(RawIntersectResponse.safeParse({ results: [], ...extra }).success).toBe(true);
    },
  );

  it.each([
    { body: { results: [aRow({ domain_authority: '40' })] }, path: ['results', 0, 'domain_authority'] },
    {
      body: { results: [aRow({ matching_target_indexes: 'x' })] },
      path: ['results', 0, 'matching_target_indexes'],
    },
    { body: { results: [aRow({ page: undefined })] }, path: ['results', 0, 'page'] },
    { body: { results: [], next_token: 5 }, path: ['next_token'] },
    { body: { rows: [] }, path: ['results'] },
  ])('rejects wrong types naming the field path $path', ({ body, path }) => {
    const result = RawIntersectResponse.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });
});

describe('intersectBody', () => {
  it('builds the documented v2 body, omitting absent fields', () => {
    expect(intersectBody(aQuery(), 50, null)).toEqual({
      positive_targets: [{ target: 'competitor-a.example', scope: 'root_domain' }],
      source_scope: 'page',
      limit: 50,
    });
  });

  it('keeps the documented key order and sends every field when present', () => {
    const body = intersectBody(
      aQuery({
        positiveTargets: [
          { target: 'https://www.Bücher.example/', scope: 'root_domain' },
          { target: 'shop.example/straße/ä', scope: 'page' },
        ],
        negativeTargets: [{ target: 'mine.example', scope: 'root_domain' }],
        minMatchingTargets: 2,
        sort: 'source_domain_authority',
      }),
      10,
      'tok',
    );
    expect(Object.keys(body)).toEqual([
      'positive_targets',
      'negative_targets',
      'min_matching_targets',
      'source_scope',
      'sort',
      'limit',
      'next_token',
    ]);
    expect(body.positive_targets).toEqual([
      { target: 'xn--bcher-kva.example', scope: 'root_domain' },
      { target: 'shop.example/stra%C3%9Fe/%C3%A4', scope: 'page' },
    ]);
  });

  it.each([
    {
      name: 'too many targets',
      query: aQuery({ negativeTargets: Array(6).fill({ target: 'x.example', scope: 'page' }) }),
    },
    { name: 'no positive targets', query: aQuery({ positiveTargets: [] }) },
    { name: 'min above positives', query: aQuery({ minMatchingTargets: 2 }) },
    {
      name: 'unnormalizable target',
      query: aQuery({ positiveTargets: [{ target: 'ftp://x.example', scope: 'page' }] }),
    },
  ])('refuses to send $name', ({ query }) => {
    expect(() => intersectBody(query, 5, null)).toThrow(MozBadRequestError);
  });
});

describe('error bodies', () => {
  it.each([
    { text: '{"message":"positive_targets[0].scope: bad"}', expected: 'positive_targets[0].scope: bad' },
    { text: '{"status":"400","error_message":"limit too big"}', expected: 'limit too big' },
    {
      text: '{"error":{"code":-32652,"message":"Please include a query"}}',
      expected: 'Please include a query',
    },
    { text: '{"error":"Internal error","data":{}}', expected: 'Internal error' },
    { text: '<html><title>502 Bad Gateway</title></html>', expected: 'HTML page "502 Bad Gateway"' },
    { text: '', expected: '' },
    { text: 'plain words', expected: 'plain words' },
  ])('extracts the message from $text', ({ text, expected }) => {
    expect(errorMessageOf(text)).toBe(expected);
  });

  it.each([
    ['Monthly row quota exceeded', true],
    ['You have exceeded your row limit for this month', true],
    ['quota exhausted', true],
    ['Rate limit exceeded', false],
    ['Too many requests, slow down', false],
    ['Forbidden', false],
    ['', false],
  ])('isQuotaMessage(%j) = %s', (message, expected) => {
    expect(isQuotaMessage(message)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['7', 7000],
    ['1.5', 1500],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 00:00:00 GMT', 0],
    ['soon', undefined],
    // Absurd waits are capped at a minute: a day, a date years away (past Node's 2^31 ms timers).
    ['86400', 60_000],
    ['99999999999999999999', 60_000],
    ['Fri, 01 Jan 2100 00:00:00 GMT', 60_000],
  ])('%j → %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('backoffDelay (full jitter)', () => {
  it.each([
    { attempt: 1, random: 0.999, max: 1000 },
    { attempt: 3, random: 0.999, max: 4000 },
    { attempt: 20, random: 0.999, max: 60_000 },
    { attempt: 4, random: 0, max: 0 },
  ])('attempt $attempt stays within [0, $max]', ({ attempt, random, max }) => {
    const delay = backoffDelay(attempt, 1000, 60_000, () => random);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(max);
    if (random > 0.9) expect(delay).toBeGreaterThan(max * 0.99);
  });
});

describe('redact', () => {
  it('removes secrets and Basic/Bearer values', () => {
    expect(redact('token secret-token-123 and Basic ZGV2OnNlY3JldA== ok', ['secret-token-123'])).toBe(
      'token [redacted] and Basic [redacted] ok',
    );
  });
});

describe('mozConfigFromEnv', () => {
  it('applies defaults', () => {
    expect(mozConfigFromEnv({})).toEqual({
      baseUrl: 'https://lsapi.seomoz.com',
      publicBaseUrl: 'https://lsapi.seomoz.com',
      credentials: undefined,
      rateLimit: { requests: 1, intervalMs: 10_000 },
      timeoutMs: 30_000,
      maxAttempts: 6,
    });
  });

  it('reads a token, or basic credentials, and numbers', () => {
    expect(
      mozConfigFromEnv({
        MOZ_API_BASE_URL: 'http://127.0.0.1:9999',
        MOZ_TOKEN: 't0ken',
        MOZ_REQUESTS_PER_INTERVAL: '3',
        MOZ_INTERVAL_MS: '1000',
        MOZ_TIMEOUT_MS: '500',
        MOZ_MAX_ATTEMPTS: '2',
      }),
    ).toMatchObject({
      baseUrl: 'http://127.0.0.1:9999',
      credentials: { kind: 'token', token: 't0ken' },
      rateLimit: { requests: 3, intervalMs: 1000 },
      timeoutMs: 500,
      maxAttempts: 2,
    });
    expect(mozConfigFromEnv({ MOZ_ACCESS_ID: 'id', MOZ_SECRET_KEY: 'key' }).credentials).toEqual({
      kind: 'basic',
      accessId: 'id',
      secretKey: 'key',
    });
  });

  it.each([
    { MOZ_API_BASE_URL: 'not a url' },
    { MOZ_API_BASE_URL: 'https://user:SEKRET-VALUE@lsapi.example' },
    { MOZ_API_BASE_URL: 'https://SEKRET-VALUE@lsapi.example' },
    { MOZ_API_BASE_URL: 'https://lsapi.example/?token=SEKRET-VALUE' },
    { MOZ_ACCESS_ID: 'id-only' },
    { MOZ_SECRET_KEY: 'SEKRET-VALUE' },
    { MOZ_MAX_ATTEMPTS: '0', MOZ_TOKEN: 'SEKRET-VALUE' },
    { MOZ_TIMEOUT_MS: 'soon', MOZ_TOKEN: 'SEKRET-VALUE' },
  ])('rejects %o without echoing values', (env) => {
    expect(() => mozConfigFromEnv(env)).toThrow(MozConfigError);
    expect(() => mozConfigFromEnv(env)).not.toThrow(/SEKRET-VALUE/);
  });
});

describe('base URLs', () => {
  it('refuses a user name or password in MOZ_API_BASE_URL, pointing at MOZ_TOKEN', () => {
    expect(() => mozConfigFromEnv({ MOZ_API_BASE_URL: 'https://me:pw-123456@lsapi.example' })).toThrow(
      /must not contain a user name or password; put the API token in MOZ_TOKEN/,
    );
    expect(() => clientBaseUrl('https://me:pw-123456@lsapi.example')).toThrow(MozConfigError);
  });

  it.each([
    ['https://lsapi.seomoz.com/', 'https://lsapi.seomoz.com'],
    ['https://lsapi.seomoz.com/v2/', 'https://lsapi.seomoz.com'],
    [' http://127.0.0.1:8080/moz ', 'http://127.0.0.1:8080/moz'],
  ])('clientBaseUrl(%j) = %j', (raw, expected) => {
    expect(clientBaseUrl(raw)).toBe(expected);
  });

  it.each([
    ['https://user:pa55word@moz.example/v2?token=abc#frag', 'https://moz.example/v2'],
    ['https://lsapi.seomoz.com/', 'https://lsapi.seomoz.com'],
    ['http://127.0.0.1:9999', 'http://127.0.0.1:9999'],
    ['file:user:pa55word@host', '(not an http(s) URL)'],
    ['//pa55word@ not a url', '(not a URL)'],
  ])('publicBaseUrl(%j) = %j', (raw, expected) => {
    expect(publicBaseUrl(raw)).toBe(expected);
    expect(publicBaseUrl(raw)).not.toContain('pa55word');
  });

  it('the parsed config records the public form', () => {
    expect(mozConfigFromEnv({ MOZ_API_BASE_URL: 'https://lsapi.example/v2/' })).toMatchObject({
      baseUrl: 'https://lsapi.example',
      publicBaseUrl: 'https://lsapi.example',
    });
  });
});
