// The Moz client against a hostile server (test/support/hostile-moz.ts): every answer below is one a
// broken or malicious API could give. The client must stay bounded in time and memory, fail with a
// classified error, keep out of the lake what the contract forbids, and never repeat a secret.
import { Buffer } from 'node:buffer';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMozClient, type MozClient, type MozClientConfig, type MozLogEvent } from '#moz/client.ts';
import { MozConfigError } from '#moz/config.ts';
import {
  MozAuthError,
  MozBadRequestError,
  MozDeadlineError,
  type MozError,
  MozRateLimitedError,
  MozResponseFormatError,
  MozServerError,
} from '#moz/errors.ts';
import { createIntervalRateGate } from '#moz/rate-gate.ts';
import type { IntersectQuery, LinkStatusRequest, MozCredentials } from '#moz/types.ts';
import { retryWait } from '#pipeline/progress.ts';
import {
  ECHO_ENCODINGS,
  GOOD_ROWS,
  type HostileMode,
  type HostileMoz,
  OUT_OF_RANGE_ROWS,
  startHostileMoz,
} from '../support/hostile-moz.ts';

const TOKEN = 'Zq7xTOKEN-0123456789abcdef';
const BASIC = { kind: 'basic', accessId: 'acc-Wm9-77', secretKey: 'sk-Wm9-secret-4242' } as const;
const query: IntersectQuery = {
  positiveTargets: [
    { target: 'rival-a.example', scope: 'root_domain' },
    { target: 'rival-b.example', scope: 'root_domain' },
  ],
  negativeTargets: [{ target: 'mine.example', scope: 'root_domain' }],
  sourceScope: 'page',
};
const linkStatusRequest: LinkStatusRequest = {
  target: 'mine.example',
  targetScope: 'root_domain',
  sourceScope: 'page',
  sources: ['a.example/x'],
};

let moz: HostileMoz;
const clients: MozClient[] = [];

beforeAll(async () => {
  moz = await startHostileMoz({ kind: 'repeating-token' });
});
afterAll(async () => {
  await moz.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** A client on the hostile server whose clock only moves when it sleeps (recorded). */
function hostileClient(mode: HostileMode, overrides: Partial<MozClientConfig> = {}) {
  moz.setMode(mode);
  const clock = { now: 1_700_000_000_000, sleeps: [] as number[] };
  const logs: MozLogEvent[] = [];
  const client = createMozClient({
    baseUrl: moz.baseUrl,
    credentials: async () => ({ kind: 'token', token: TOKEN }),
    maxAttempts: 3,
    timeoutMs: 5_000,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.now += ms;
    },
    log: (event) => logs.push(event),
    ...overrides,
  });
  clients.push(client);
  return { client, clock, logs };
}

async function failureOf(promise: Promise<unknown>): Promise<MozError> {
  try {
    await promise;
  } catch (error) {
    return error as MozError;
  }
  throw new Error('expected the call to fail');
}

describe('an absurd Retry-After', () => {
  it.each([
    [429, 'a-day-in-seconds', MozRateLimitedError],
    [429, 'a-date-years-away', MozRateLimitedError],
    [503, 'a-day-in-seconds', MozServerError],
    [503, 'a-date-years-away', MozServerError],
  ] as const)(
    'HTTP %i with %s: waits a minute at most, then fails cleanly',
    async (status, retryAfter, type) => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      const gateSleeps: number[] = [];
      let now = 1_700_000_000_000;
      const rateGate = createIntervalRateGate({
        requests: 1,
        intervalMs: 10,
        now: () => now,
        sleep: async (ms) => {
          gateSleeps.push(ms);
          now += ms;
        },
      });
      const { client, clock } = hostileClient(
        { kind: 'absurd-retry-after', status, retryAfter },
        { rateGate },
      );
      clock.now = now;
      const started = Date.now();

      const error = await failureOf(client.intersectPage(query, { limit: 5 }));

      process.off('warning', onWarning);
      expect(error).toBeInstanceOf(type);
      expect(error).toMatchObject({ status, attempts: 3, cost: { requests: 3, retries: 2 } });
      expect(clock.sleeps).toEqual([60_000, 60_000]);
      expect(Math.max(...gateSleeps)).toBeLessThanOrEqual(60_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(warnings.filter((warning) => warning.name === 'TimeoutOverflowWarning')).toEqual([]);
    },
  );

  it.each([
    [
      429,
      'a-day-in-seconds',
      /^Moz answered 429 Too Many Requests with Retry-After 86400 s \(1 day\); linkgap caps the wait at 60 s$/,
    ],
    [
      429,
      'a-date-years-away',
      /^Moz answered 429 Too Many Requests with Retry-After \d+ s \(\d+ days\); linkgap caps the wait at 60 s$/,
    ],
    [
      503,
      'a-day-in-seconds',
      /^Moz answered HTTP 503 with Retry-After 86400 s \(1 day\); linkgap caps the wait at 60 s$/,
    ],
  ] as const)(
    'HTTP %i with %s: the announced wait says the server asked for more, and the cap',
    async (status, retryAfter, said) => {
      const { client, logs } = hostileClient({ kind: 'absurd-retry-after', status, retryAfter });
      await failureOf(client.intersectPage(query, { limit: 5 }));
      const waits = logs.map(retryWait).filter((wait) => wait !== undefined);
      expect(waits).toHaveLength(2);
      for (const wait of waits) {
        expect(wait).toMatchObject({ kind: 'wait', waitMs: 60_000, reason: 'retry-after' });
        expect(wait.kind === 'wait' ? wait.detail : '').toMatch(said);
      }
    },
  );

  it('gives up at once when even the capped wait would pass the deadline', async () => {
    const { client, clock } = hostileClient({
      kind: 'absurd-retry-after',
      status: 429,
      retryAfter: 'a-date-years-away',
    });
    const error = await failureOf(client.intersectPage(query, { limit: 5, deadline: clock.now + 30_000 }));
    expect(error).toBeInstanceOf(MozDeadlineError);
    expect((error as MozDeadlineError).lastCause).toBeInstanceOf(MozRateLimitedError);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('a body that never ends', () => {
  it('a 200: fails as malformed once 8 MiB are read, and the server stops writing', async () => {
    const before = moz.endlessBytesWritten;
    const { client } = hostileClient({ kind: 'endless-body', status: 200 }, { maxAttempts: 2 });
    const started = Date.now();
    const error = await failureOf(client.intersectPage(query, { limit: 50 }));
    expect(error).toBeInstanceOf(MozResponseFormatError);
    expect(error.message).toContain('8 MiB response size cap');
    expect(error).toMatchObject({
      attempts: 2,
      cost: { requests: 2, rowsPossiblyMeteredOnFailures: 2 * 250 },
    });
    await moz.endlessBodiesStopped();
    expect(Date.now() - started).toBeLessThan(10_000);
    // Two attempts of 8 MiB each, plus what sat in socket buffers: nowhere near the 1 GiB on offer.
    expect(moz.endlessBytesWritten - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('an error status: quotes nothing past 64 KiB and fails with the classified error', async () => {
    const before = moz.endlessBytesWritten;
    const { client } = hostileClient({ kind: 'endless-body', status: 503 }, { maxAttempts: 2 });
    const error = await failureOf(client.intersectPage(query, { limit: 50 }));
    expect(error).toBeInstanceOf(MozServerError);
    expect(error.message).toMatch(/HTTP 503: Service Unavailable/);
    expect(error.message.length).toBeLessThan(700);
    await moz.endlessBodiesStopped();
    expect(moz.endlessBytesWritten - before).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('hostile pagination reaches the caller as it is, with each page costed', () => {
  it('endless empty pages: a new next_token every time, nothing metered', async () => {
    const { client } = hostileClient({ kind: 'endless-pages', rowsPerPage: 0 });
    const tokens: (string | null)[] = [];
    let token: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const result = await client.intersectPage(query, { limit: 50, nextToken: token });
      expect(result).toMatchObject({ rows: [], cost: { rowsConsumed: 0, requests: 1 } });
      tokens.push(result.nextToken);
      token = result.nextToken;
    }
    expect(new Set(tokens).size).toBe(5);
    expect(moz.requests.slice(-4).map((request) => request.nextToken)).toEqual(tokens.slice(0, 4));
  });

  it('endless one-row pages: each row metered at 5', async () => {
    const { client } = hostileClient({ kind: 'endless-pages', rowsPerPage: 1 });
    const first = await client.intersectPage(query, { limit: 50 });
    const second = await client.intersectPage(query, { limit: 50, nextToken: first.nextToken });
    expect([first.cost.rowsConsumed, second.cost.rowsConsumed]).toEqual([5, 5]);
    expect(first.nextToken).not.toBe(second.nextToken);
  });

  it('a repeating next_token comes back unchanged, so the page loop can see it', async () => {
    const { client } = hostileClient({ kind: 'repeating-token' });
    const first = await client.intersectPage(query, { limit: 50 });
    const second = await client.intersectPage(query, { limit: 50, nextToken: first.nextToken });
    expect([first.nextToken, second.nextToken]).toEqual(['again', 'again']);
  });

  it.each([2, 3] as const)('a next_token cycle of %i repeats with that period', async (length) => {
    const { client } = hostileClient({ kind: 'token-cycle', length });
    const tokens: (string | null)[] = [];
    let token: string | null = null;
    for (let page = 0; page < length + 1; page += 1) {
      token = (await client.intersectPage(query, { limit: 50, nextToken: token })).nextToken;
      tokens.push(token);
    }
    expect(tokens[length]).toBe(tokens[0]);
    expect(new Set(tokens.slice(0, length)).size).toBe(length);
  });
});

describe('rows the Moz schema allows but the lake contract does not', () => {
  it('drops each bad row with a counted warning, keeps the good ones, meters them all, never retries', async () => {
    const { client, logs } = hostileClient({ kind: 'out-of-range-rows' });
    const before = moz.requests.length;
    const page = await client.intersectPage(query, { limit: 50 });
    expect(page.rows.map((row) => row.source)).toEqual(GOOD_ROWS.map((row) => row.page));
    expect(page.droppedRows).toBe(OUT_OF_RANGE_ROWS.length);
    expect(page.cost).toEqual({
      rowsConsumed: (GOOD_ROWS.length + OUT_OF_RANGE_ROWS.length) * 5,
      requests: 1,
      retries: 0,
      rowsPossiblyMeteredOnFailures: 0,
    });
    expect(moz.requests.length - before).toBe(1);
    const warning = JSON.stringify(logs.filter((event) => event.level === 'warn'));
    for (const reason of [
      'domain_authority 150',
      'domain_authority 37.5',
      'page_authority -3',
      'holds 9',
      'source is not a URL',
    ]) {
      expect(warning).toContain(reason);
    }
    expect(client.stats().droppedRows).toBe(OUT_OF_RANGE_ROWS.length);
  });

  it('a source with 200,000 matching pages: the row is kept, its pages bounded, in bounded time', async () => {
    const { client } = hostileClient({ kind: 'huge-matching-pages' });
    const started = Date.now();
    const page = await client.intersectPage(query, { limit: 50 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(page.rows).toHaveLength(1);
    expect(page.rows[0]?.pageAuthority).toBe(90);
    expect(page.rows[0]?.sourcePages.length).toBeLessThanOrEqual(10);
  });
});

describe('control characters from the server', () => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point.
  const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

  it('titles lose their escape sequences; a source holding one is dropped', async () => {
    const { client, logs } = hostileClient({ kind: 'control-characters', in: 'rows' });
    const page = await client.intersectPage(query, { limit: 50 });
    expect(page.rows.map((row) => row.title)).toEqual(['Read me', 'click me and a bell']);
    expect(page.droppedRows).toBe(1);
    expect(JSON.stringify(page)).not.toMatch(CONTROL);
    for (const event of logs) expect(JSON.stringify(event)).not.toMatch(/\\u001b|\\u0007/);
  });

  it.each([
    ['link_intersect', (client: MozClient) => client.intersectPage(query, { limit: 5 })],
    ['link_status', (client: MozClient) => client.linkStatus(linkStatusRequest)],
    ['usage_data', (client: MozClient) => client.usageData()],
  ])('an error message on %s is quoted without them', async (_endpoint, callOn) => {
    const { client } = hostileClient({ kind: 'control-characters', in: 'errors' });
    const error = await failureOf(callOn(client));
    expect(error).toBeInstanceOf(MozBadRequestError);
    expect(error.message).toContain('bad request');
    expect(error.message).not.toMatch(CONTROL);
    expect((error as MozBadRequestError).serverMessage).not.toMatch(CONTROL);
  });
});

describe('credentials echoed back', () => {
  const endpoints = [
    ['link_intersect', (client: MozClient) => client.intersectPage(query, { limit: 5 })],
    ['link_status', (client: MozClient) => client.linkStatus(linkStatusRequest)],
    ['usage_data', (client: MozClient) => client.usageData()],
  ] as const;
  const cases = ECHO_ENCODINGS.flatMap((encoding) =>
    endpoints.flatMap(([endpoint, callOn]) =>
      (['token', 'basic'] as const).map((kind) => ({ encoding, endpoint, callOn, kind })),
    ),
  );

  it.each(cases)(
    '$encoding on $endpoint ($kind credentials): no secret in the error or the logs',
    async ({ encoding, callOn, kind }) => {
      const credentials: MozCredentials = kind === 'token' ? { kind: 'token', token: TOKEN } : BASIC;
      const { client, logs } = hostileClient(
        { kind: 'echo-credentials', encoding },
        { credentials: async () => credentials },
      );
      const error = await failureOf(callOn(client));
      expect(error).toBeInstanceOf(MozBadRequestError);
      const dump = [
        String(error),
        JSON.stringify(error),
        inspect(error, { depth: 5 }),
        JSON.stringify(logs),
      ].join('\n');
      expect(leakedSecret(dump, secretsFor(credentials))).toBeUndefined();
    },
  );

  it.each([401, 503])(
    'HTTP %i echoing the token in JSON: the classified error carries no secret',
    async (status) => {
      const { client } = hostileClient(
        { kind: 'echo-credentials', encoding: 'json', status },
        { maxAttempts: 2 },
      );
      const error = await failureOf(client.intersectPage(query, { limit: 5 }));
      expect(error).toBeInstanceOf(status === 401 ? MozAuthError : MozServerError);
      expect(error.message).toContain('[redacted]');
      expect(leakedSecret(`${String(error)} ${JSON.stringify(error)}`, [TOKEN])).toBeUndefined();
    },
  );

  it('a base URL carrying a password is refused, without repeating it', () => {
    const attempt = () =>
      createMozClient({
        baseUrl: moz.baseUrl.replace('http://', 'http://user:pass-w0rd-99@'),
        credentials: async () => ({ kind: 'token', token: TOKEN }),
      });
    expect(attempt).toThrow(MozConfigError);
    expect(attempt).toThrow(/use|MOZ_TOKEN/);
    expect(attempt).not.toThrow(/pass-w0rd-99/);
  });
});

function secretsFor(credentials: MozCredentials): string[] {
  if (credentials.kind === 'token') return [credentials.token];
  const pair = `${credentials.accessId}:${credentials.secretKey}`;
  return [credentials.secretKey, pair, Buffer.from(pair).toString('base64')];
}

/**
 * The first secret found in `text`, verbatim, percent-encoded, or inside any base64 / base64url run
 * (decoded at every alignment): a leak is any 8 characters of a secret in a row.
 */
function leakedSecret(text: string, secrets: readonly string[]): string | undefined {
  const decoded = [...text.matchAll(/[A-Za-z0-9+/_-]{8,}/g)].flatMap(([run]) =>
    [0, 1, 2, 3].map((skip) => Buffer.from(run.slice(skip), 'base64').toString('latin1')),
  );
  const haystacks = [text, decodeURIComponentSafe(text), decodeCharacterReferences(text), ...decoded];
  for (const secret of secrets) {
    for (let start = 0; start + 8 <= secret.length; start += 1) {
      const piece = secret.slice(start, start + 8);
      if (haystacks.some((haystack) => haystack.includes(piece))) return `${secret} (${piece})`;
    }
  }
  return undefined;
}

/** Numeric (decimal, hex, with or without `;`) and the few named HTML references a test server uses. */
function decodeCharacterReferences(text: string): string {
  const named: Record<string, string> = { colon: ':', sol: '/', equals: '=', plus: '+', amp: '&' };
  return text
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#([0-9]+);?/g, (_, decimal: string) => String.fromCodePoint(Number(decimal)))
    .replace(/&([a-z]+);/gi, (match, name: string) => named[name] ?? match);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}
