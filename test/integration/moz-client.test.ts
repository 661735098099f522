import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { addCost, type CallCost, NO_COST } from '#domain/call-cost.ts';
import { MAX_MISSED_SLOTS } from '#moz/call.ts';
import {
  createMozClient,
  intersectBody,
  type MozClient,
  type MozClientConfig,
  type MozLogEvent,
} from '#moz/client.ts';
import {
  MozAuthError,
  MozBadRequestError,
  MozDeadlineError,
  type MozError,
  MozNetworkError,
  MozQuotaExhaustedError,
  MozRateLimitedError,
  MozResponseFormatError,
  MozServerError,
  MozTimeoutError,
} from '#moz/errors.ts';
import { createIntervalRateGate, type RateGate, RateSlotMissedError } from '#moz/rate-gate.ts';
import { admitRow } from '#moz/rows.ts';
import { type IntersectQuery, type IntersectRow, RawIntersectResponse } from '#moz/types.ts';
import { type MozSimulator, type SimulatorOptions, startSimulator } from '#simulator/server.ts';

const TOKEN = 'tok-SUPERSECRET-0123456789';
const ACCESS_ID = 'acc-IDENT-4567';
const SECRET_KEY = 'key-SUPERSECRET-89abcdef';
const BASIC_HEADER = Buffer.from(`${ACCESS_ID}:${SECRET_KEY}`).toString('base64');
const SECRET_SOURCE = 'Secrets Manager secret linkgap/moz';

const competitorsQuery = (overrides: Partial<IntersectQuery> = {}): IntersectQuery => ({
  positiveTargets: [
    { target: 'competitor-a.com', scope: 'root_domain' },
    { target: 'competitor-b.com', scope: 'root_domain' },
  ],
  negativeTargets: [{ target: 'mysite.com', scope: 'root_domain' }],
  sourceScope: 'page',
  ...overrides,
});

const simOptions = (extra: SimulatorOptions = {}): SimulatorOptions => ({
  token: TOKEN,
  accessId: ACCESS_ID,
  secretKey: SECRET_KEY,
  universeSize: 2000,
  ...extra,
});

/** Every row the simulator would return for `query`, mapped the way the client maps rows. */
function truthRows(sim: MozSimulator, query: IntersectQuery): IntersectRow[] {
  const raw = sim.truth.intersect(intersectBody(query, 50, null));
  return (RawIntersectResponse.parse({ results: raw }).results ?? []).flatMap((row) => {
    const admission = admitRow(row, query.positiveTargets.length);
    return admission.ok ? [admission.row] : [];
  });
}

/** The pipeline's page loop in miniature: pages until Moz has no more, deduplicating by source. */
async function allPages(
  client: MozClient,
  query: IntersectQuery,
  pageSize = 50,
  startToken: string | null = null,
): Promise<{ rows: IntersectRow[]; pages: number; cost: CallCost }> {
  const rows: IntersectRow[] = [];
  const seen = new Set<string>();
  let cost = NO_COST;
  let pages = 0;
  let token = startToken;
  do {
    const page = await client.intersectPage(query, { limit: pageSize, nextToken: token });
    pages += 1;
    cost = addCost(cost, page.cost);
    for (const row of page.rows) {
      if (seen.has(row.source)) continue;
      seen.add(row.source);
      rows.push(row);
    }
    token = page.nextToken;
  } while (token !== null && pages < 1000);
  return { rows, pages, cost };
}

interface Harness {
  client: MozClient;
  sleeps: number[];
  logs: MozLogEvent[];
}

const openClients: MozClient[] = [];

/** A client whose backoff sleeps return at once (recorded), with jitter fixed at half the ceiling. */
function clientFor(sim: MozSimulator, overrides: Partial<MozClientConfig> = {}): Harness {
  const sleeps: number[] = [];
  const logs: MozLogEvent[] = [];
  const client = createMozClient({
    baseUrl: sim.baseUrl,
    credentials: async () => ({ kind: 'token', token: TOKEN }),
    credentialSource: SECRET_SOURCE,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    timeoutMs: 2_000,
    log: (event) => logs.push(event),
    ...overrides,
  });
  openClients.push(client);
  return { client, sleeps, logs };
}

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((c) => c.close()));
});

async function captureError(promise: Promise<unknown>): Promise<MozError> {
  try {
    await promise;
  } catch (error) {
    return error as MozError;
  }
  throw new Error('expected the call to fail');
}

const intersectRequests = (sim: MozSimulator) => sim.log.filter((entry) => entry.route === 'link_intersect');

describe('Moz client against the simulator', () => {
  let sim: MozSimulator;
  beforeAll(async () => {
    sim = await startSimulator(simOptions());
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.faults.clear();
    sim.setRateLimit(null);
    sim.setRowQuota(null);
    sim.resetUsage();
  });

  describe('pagination', () => {
    it('pages to completion and returns exactly the simulator truth, each page with its cost', async () => {
      const { client } = clientFor(sim);
      const query = competitorsQuery();
      const expected = truthRows(sim, query);
      expect(expected.length).toBeGreaterThan(60);

      const result = await allPages(client, query, 20);

      expect(result.rows).toEqual(expected);
      expect(result.pages).toBe(Math.ceil(expected.length / 20));
      expect(result.cost).toEqual({
        rowsConsumed: expected.length * 5,
        requests: result.pages,
        retries: 0,
        rowsPossiblyMeteredOnFailures: 0,
      });
      expect(intersectRequests(sim)).toHaveLength(result.pages);
      expect(client.stats()).toMatchObject(result.cost);
    });

    it('maps root_domain sources with their best page authority', async () => {
      const { client } = clientFor(sim);
      const query = competitorsQuery({ sourceScope: 'root_domain', negativeTargets: [] });
      const result = await allPages(client, query);
      expect(result.rows).toEqual(truthRows(sim, query));
      const withPages = result.rows.find((row) => row.sourcePages.length > 0);
      expect(withPages?.pageAuthority).toBe(
        Math.max(...(withPages?.sourcePages ?? []).map((p) => p.pageAuthority)),
      );
    });

    it('a next_token resumes where the previous page stopped, and no page is fetched twice', async () => {
      const { client } = clientFor(sim);
      const query = competitorsQuery();
      const expected = truthRows(sim, query);
      const first = await client.intersectPage(query, { limit: 20 });
      expect(first.rows).toEqual(expected.slice(0, 20));
      expect(first.nextToken).toEqual(expect.any(String));
      expect(first).toMatchObject({ droppedRows: 0, cost: { rowsConsumed: 100, requests: 1 } });

      const rest = await allPages(client, query, 20, first.nextToken);
      expect([...first.rows, ...rest.rows]).toEqual(expected);
      expect(intersectRequests(sim)).toHaveLength(Math.ceil(expected.length / 20));
      expect(sim.stats().rowsConsumed).toBe(expected.length * 5);
    });
  });

  describe('retries', () => {
    it('honours Retry-After on 429 as a floor and pauses the shared gate', async () => {
      const paused: number[] = [];
      const gate: RateGate = { acquire: async () => {}, pause: (ms) => paused.push(ms) };
      const { client, sleeps } = clientFor(sim, { rateGate: gate, baseDelayMs: 100 });
      sim.faults.set('link_intersect', { burst429: { count: 2, retryAfterSeconds: 3 } });

      const page = await client.intersectPage(competitorsQuery(), { limit: 5 });

      expect(page.rows).toHaveLength(5);
      expect(page.cost).toEqual({
        rowsConsumed: 25,
        requests: 3,
        retries: 2,
        rowsPossiblyMeteredOnFailures: 0,
      });
      expect(sleeps).toEqual([3000, 3000]);
      expect(paused).toEqual([3000, 3000]);
      expect(client.stats()).toMatchObject({ requests: 3, retries: 2, rateLimited: 2, rowsConsumed: 25 });
    });

    it('backs off exponentially with full jitter when 429 has no Retry-After', async () => {
      const { client, sleeps } = clientFor(sim, { baseDelayMs: 100, random: () => 0.99 });
      sim.faults.set('link_intersect', { burst429: { count: 3, retryAfterSeconds: null } });
      await client.intersectPage(competitorsQuery(), { limit: 5 });
      expect(sleeps).toEqual([99, 198, 396]);
    });

    it('gives up on 429 after maxAttempts with MozRateLimitedError', async () => {
      const { client } = clientFor(sim, { maxAttempts: 3, baseDelayMs: 1 });
      sim.faults.set('link_intersect', { burst429: { count: 10, retryAfterSeconds: 1 } });
      const error = await captureError(client.intersectPage(competitorsQuery(), { limit: 5 }));
      expect(error).toBeInstanceOf(MozRateLimitedError);
      expect(error).toMatchObject({ status: 429, retryable: true, attempts: 3 });
      expect(intersectRequests(sim)).toHaveLength(3);
    });

    it.each([
      {
        name: '5xx',
        spec: { error5xxRate: 1, status5xx: 503 },
        type: MozServerError,
        message: /HTTP 503.*Service Unavailable/,
        metered: 0,
      },
      {
        name: 'an HTML error page',
        spec: { htmlErrorRate: 1 },
        type: MozServerError,
        message: /HTTP 502.*502 Bad Gateway/,
        metered: 0,
      },
      {
        name: 'a malformed 200 body',
        spec: { malformedRate: 1 },
        type: MozResponseFormatError,
        message: /invalid JSON/,
        metered: 3 * 5 * 5,
      },
      {
        name: 'a dropped connection',
        spec: { dropRate: 1 },
        type: MozNetworkError,
        message: /connection failed/,
        metered: 3 * 5 * 5,
      },
      {
        name: 'a response slower than timeoutMs',
        spec: { slowRate: 1, slowMs: 600 },
        type: MozTimeoutError,
        message: /within 150 ms/,
        metered: 3 * 5 * 5,
      },
    ])('retries $name, then surfaces it as the typed error', async ({ spec, type, message, metered }) => {
      const { client, sleeps } = clientFor(sim, { maxAttempts: 3, baseDelayMs: 10, timeoutMs: 150 });
      sim.faults.set('link_intersect', spec);
      const error = await captureError(client.intersectPage(competitorsQuery(), { limit: 5 }));
      expect(error).toBeInstanceOf(type);
      expect(error.message).toMatch(message);
      expect(error).toMatchObject({ retryable: true, attempts: 3 });
      // The failed call still reports what it cost.
      expect(error.cost).toEqual({
        rowsConsumed: 0,
        requests: 3,
        retries: 2,
        rowsPossiblyMeteredOnFailures: metered,
      });
      expect(sleeps).toHaveLength(2);
      expect(client.stats()).toMatchObject({
        requests: 3,
        retries: 2,
        rowsPossiblyMeteredOnFailures: metered,
      });
      // The simulator logs a slow request when it answers, after the client has given up on it: wait
      // (bounded) for that answer rather than a fixed time, which a loaded machine can outlast.
      await vi.waitFor(() => expect(intersectRequests(sim)).toHaveLength(3), { timeout: 5_000 });
    });

    it('recovers when a transient failure clears', async () => {
      const { client } = clientFor(sim, { baseDelayMs: 1 });
      sim.faults.set('link_intersect', { burst429: { count: 1, retryAfterSeconds: null } });
      const result = await allPages(client, competitorsQuery());
      expect(result.rows).toEqual(truthRows(sim, competitorsQuery()));
      expect(result.cost.retries).toBe(1);
    });

    it('returns exactly the fault-free rows with 30% injected transient faults', async () => {
      const query = competitorsQuery();
      const clean = await allPages(clientFor(sim).client, query, 10);
      sim.resetUsage();
      sim.faults.set('*', {
        error5xxRate: 0.1,
        dropRate: 0.08,
        malformedRate: 0.07,
        slowRate: 0.05,
        slowMs: 300,
        meterFaulted: true,
        seed: 42,
      });
      const { client } = clientFor(sim, { maxAttempts: 12, baseDelayMs: 1, timeoutMs: 150 });

      const faulty = await allPages(client, query, 10);

      expect(faulty.rows).toEqual(clean.rows);
      expect(faulty.cost.rowsConsumed).toBe(clean.cost.rowsConsumed);
      const faults = sim.log.filter((entry) => entry.fault !== null);
      expect(faults.length).toBeGreaterThan(3);
      await new Promise((resolve) => setTimeout(resolve, 350)); // let slow responses finish metering
      const stats = client.stats();
      expect(stats.retries).toBeGreaterThan(0);
      // The client's totals are the sum of the per-call costs it returned.
      expect(stats).toMatchObject(faulty.cost);
      // What Moz metered lies between what we saw and what we may have caused.
      expect(sim.stats().rowsConsumed).toBeGreaterThanOrEqual(stats.rowsConsumed);
      expect(sim.stats().rowsConsumed).toBeLessThanOrEqual(
        stats.rowsConsumed + stats.rowsPossiblyMeteredOnFailures,
      );
    });

    it('throws MozDeadlineError instead of sleeping past the deadline, carrying the last cause', async () => {
      let now = 1_000_000;
      const { client, sleeps } = clientFor(sim, {
        now: () => now,
        sleep: async (ms) => {
          sleeps.push(ms);
          now += ms;
        },
      });
      sim.faults.set('link_intersect', { burst429: { count: 5, retryAfterSeconds: 30 } });
      const error = await captureError(
        client.intersectPage(competitorsQuery(), { limit: 5, deadline: 1_000_000 + 10_000 }),
      );
      expect(error).toBeInstanceOf(MozDeadlineError);
      expect((error as MozDeadlineError).lastCause).toBeInstanceOf(MozRateLimitedError);
      expect(sleeps).toEqual([]);
      expect(intersectRequests(sim)).toHaveLength(1);
      expect(error.cost).toMatchObject({ requests: 1, retries: 0 });
    });

    it('takes the deadline per call: another call on the same client has its own', async () => {
      let now = 1_000_000;
      const { client } = clientFor(sim, {
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      });
      sim.faults.set('link_intersect', { burst429: { count: 1, retryAfterSeconds: 30 } });
      const late = await captureError(
        client.intersectPage(competitorsQuery(), { limit: 5, deadline: now + 10_000 }),
      );
      expect(late).toBeInstanceOf(MozDeadlineError);
      const page = await client.intersectPage(competitorsQuery(), { limit: 5, deadline: now + 60_000 });
      expect(page.rows).toHaveLength(5);
    });

    it('does not start a first attempt once the deadline has passed', async () => {
      const { client } = clientFor(sim);
      const error = await captureError(
        client.intersectPage(competitorsQuery(), { limit: 5, deadline: Date.now() - 1 }),
      );
      expect(error).toBeInstanceOf(MozDeadlineError);
      expect(sim.log).toHaveLength(0);
    });
  });

  describe('failing fast', () => {
    it('fails a 400 after one request with the server message', async () => {
      const { client, sleeps } = clientFor(sim);
      const error = await captureError(
        client.intersectPage(competitorsQuery(), { limit: 5, nextToken: 'not-a-real-token' }),
      );
      expect(error).toBeInstanceOf(MozBadRequestError);
      expect(error).toMatchObject({
        status: 400,
        retryable: false,
        serverMessage: 'next_token: unknown or stale token',
      });
      expect(error.message).toContain('next_token: unknown or stale token');
      expect(sim.log).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('fails a 401 after one request, naming the credential source', async () => {
      const { client } = clientFor(sim, {
        credentials: async () => ({ kind: 'token', token: 'wrong-token-value' }),
      });
      const error = await captureError(client.intersectPage(competitorsQuery(), { limit: 5 }));
      expect(error).toBeInstanceOf(MozAuthError);
      expect(error).toMatchObject({ status: 401, retryable: false, credentialSource: SECRET_SOURCE });
      expect(error.message).toContain('rejected the credentials');
      expect(error.message).toContain(SECRET_SOURCE);
      expect(sim.log).toHaveLength(1);
    });

    it('refreshes rotated credentials once after a 401 and retries', async () => {
      let refreshes = 0;
      const { client } = clientFor(sim, {
        credentials: async () => ({ kind: 'token', token: 'stale-token-value' }),
        refreshCredentials: async () => {
          refreshes += 1;
          return { kind: 'token', token: TOKEN };
        },
      });
      const page = await client.intersectPage(competitorsQuery(), { limit: 5 });
      expect(page.rows).toHaveLength(5);
      expect(refreshes).toBe(1);
      expect(sim.log.map((entry) => entry.status)).toEqual([401, 200]);
    });

    it('stops after one refresh when the refreshed secret is still wrong', async () => {
      let refreshes = 0;
      const { client } = clientFor(sim, {
        credentials: async () => ({ kind: 'token', token: 'stale-token-value' }),
        refreshCredentials: async () => {
          refreshes += 1;
          return { kind: 'token', token: 'still-wrong-value' };
        },
      });
      const error = await captureError(client.intersectPage(competitorsQuery(), { limit: 5 }));
      expect(error).toBeInstanceOf(MozAuthError);
      expect(refreshes).toBe(1);
      expect(sim.log).toHaveLength(2);
    });

    it('authenticates with legacy Basic credentials', async () => {
      const { client } = clientFor(sim, {
        credentials: async () => ({ kind: 'basic', accessId: ACCESS_ID, secretKey: SECRET_KEY }),
      });
      const page = await client.intersectPage(competitorsQuery(), { limit: 3 });
      expect(page.rows).toHaveLength(3);
      expect(sim.log[0]).toMatchObject({ auth: 'basic', status: 200, credentialFingerprint: null });
    });

    it('does not retry when the monthly quota is used up', async () => {
      sim.setRowQuota(40);
      const { client } = clientFor(sim);
      const error = await captureError(allPages(client, competitorsQuery(), 5));
      expect(error).toBeInstanceOf(MozQuotaExhaustedError);
      expect(error).toMatchObject({ status: 403, retryable: false });
      expect(sim.log.map((entry) => entry.status)).toEqual([200, 403]);
    });
  });

  describe('link_status', () => {
    it('checks 50 sources in one request, matching the ground truth, at 2 rows each', async () => {
      const { client } = clientFor(sim);
      const linking = truthRows(sim, competitorsQuery({ negativeTargets: [] })).map((row) => row.source);
      const sources = [
        ...linking.slice(0, 40),
        ...Array.from({ length: 10 }, (_, i) => `nobody-${i}.example`),
      ];

      const result = await client.linkStatus({
        target: 'competitor-a.com',
        targetScope: 'root_domain',
        sourceScope: 'page',
        sources,
      });

      expect(sim.log.filter((entry) => entry.route === 'link_status')).toHaveLength(1);
      const truth = sources.map((source) =>
        sim.truth.linksTo(source, 'competitor-a.com', { sourceScope: 'page', targetScope: 'root_domain' }),
      );
      expect(result).toEqual({
        exists: truth,
        cost: { rowsConsumed: 100, requests: 1, retries: 0, rowsPossiblyMeteredOnFailures: 0 },
      });
      expect(truth.some(Boolean)).toBe(true);
    });

    it.each([0, 51])('refuses %i sources without sending anything', async (count) => {
      const { client } = clientFor(sim);
      const sources = Array.from({ length: count }, (_, i) => `site-${i}.example`);
      const error = await captureError(
        client.linkStatus({
          target: 'mysite.com',
          targetScope: 'root_domain',
          sourceScope: 'root_domain',
          sources,
        }),
      );
      expect(error).toBeInstanceOf(MozBadRequestError);
      expect(error.message).toContain(`1 to 50 entries (got ${count})`);
      expect(sim.log).toHaveLength(0);
    });
  });

  describe('metering', () => {
    it('counts exactly what the simulator meters and what usage_data reports', async () => {
      const { client } = clientFor(sim);
      const pages = [
        await client.intersectPage(competitorsQuery(), { limit: 25 }),
        await client.intersectPage(competitorsQuery(), { limit: 25, nextToken: 'unused' }).catch(() => null),
      ];
      expect(pages[1]).toBeNull(); // a stale token: a 400, nothing metered
      const status = await client.linkStatus({
        target: 'mysite.com',
        targetScope: 'root_domain',
        sourceScope: 'root_domain',
        sources: ['a.example', 'b.example', 'c.example'],
      });
      const usage = await client.usageData({ start: new Date('2026-01-01T00:00:00Z'), end: new Date() });
      const simulated = sim.stats();
      expect(pages[0]?.cost.rowsConsumed).toBe(125);
      expect(status.cost.rowsConsumed).toBe(6);
      expect(client.stats().rowsConsumed).toBe(125 + 6);
      expect(simulated.rowsConsumed).toBe(131);
      expect(usage.rowsConsumed).toBe(131);
    });
  });

  describe('normalization', () => {
    it('sends IDN targets as punycode (the simulator refuses non-ASCII)', async () => {
      const raw = await request(`${sim.baseUrl}/v2/link_intersect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-moz-token': TOKEN },
        body: JSON.stringify({
          positive_targets: [{ target: 'bücher.example', scope: 'root_domain' }],
          limit: 5,
        }),
      });
      expect(raw.statusCode).toBe(400);
      expect(await raw.body.text()).toMatch(/ASCII/);

      const { client } = clientFor(sim);
      const query = competitorsQuery({
        positiveTargets: [{ target: 'https://www.Bücher.example/', scope: 'root_domain' }],
        negativeTargets: [{ target: 'shop.example/straße/ä', scope: 'page' }],
      });
      const result = await allPages(client, query);
      const asPunycode = competitorsQuery({
        positiveTargets: [{ target: 'xn--bcher-kva.example', scope: 'root_domain' }],
        negativeTargets: [{ target: 'shop.example/stra%C3%9Fe/%C3%A4', scope: 'page' }],
      });
      expect(result.rows).toEqual(truthRows(sim, asPunycode));
      expect(result.rows.length).toBeGreaterThan(0);
    });
  });

  describe('rate gate', () => {
    it('tells the gate when each request is written, and hands back a slot nothing was written in', async () => {
      const events: string[] = [];
      let reservedAt = 0;
      const writes: number[] = [];
      const gate: RateGate = {
        acquire: async () => {
          throw new Error('the client reserves');
        },
        reserve: async () => {
          reservedAt = Date.now();
          events.push('reserve');
          return {
            write: () => {
              events.push('written');
              writes.push(Date.now() - reservedAt);
              return true;
            },
            unused: () => events.push('unused'),
          };
        },
        pause: () => {},
      };
      const { client } = clientFor(sim, { rateGate: gate });
      await client.intersectPage(competitorsQuery(), { limit: 5 });
      // The permit is settled by the write; the client's closing `unused` is then a no-op for the gate.
      expect(events).toEqual(['reserve', 'written', 'unused']);
      expect(writes[0]).toBeGreaterThanOrEqual(0);
      expect(writes[0]).toBeLessThan(1_000);

      events.length = 0;
      const refused = clientFor(sim, {
        rateGate: gate,
        baseUrl: 'http://127.0.0.1:9',
        maxAttempts: 1,
      }).client;
      await expect(refused.intersectPage(competitorsQuery(), { limit: 5 })).rejects.toThrow();
      expect(events).toEqual(['reserve', 'unused']);
    });

    /** A gate whose permits answer the write with `answers` in turn (then true), recording what happened. */
    function scriptedGate(answers: boolean[]) {
      const events: string[] = [];
      const gate: RateGate = {
        acquire: async () => {
          throw new Error('the client reserves');
        },
        reserve: async () => {
          events.push('reserve');
          let answered = false;
          return {
            write: () => {
              const ok = answered || (answers.shift() ?? true);
              answered = true;
              events.push(ok ? 'written' : 'refused');
              return ok;
            },
            unused: () => events.push('unused'),
          };
        },
        pause: () => {},
      };
      return { gate, events };
    }

    it('a write the gate refuses (slot passed) sends nothing and is not an attempt: the client books again', async () => {
      const connections: unknown[] = [];
      const onConnection = (message: unknown) => connections.push(message);
      subscribe('undici:client:connected', onConnection);
      try {
        const { gate, events } = scriptedGate([false, false]);
        const { client } = clientFor(sim, { rateGate: gate, maxAttempts: 1 });
        const page = await client.intersectPage(competitorsQuery(), { limit: 5 });
        expect(page.rows.length).toBeGreaterThan(0);
        expect(events).toEqual([
          'reserve',
          'refused',
          'unused',
          'reserve',
          'refused',
          'unused',
          'reserve',
          'written',
          'unused',
        ]);
        // One request reached the server, counted once, no retry spent (maxAttempts 1 still succeeded).
        expect(intersectRequests(sim)).toHaveLength(1);
        expect(page.cost).toMatchObject({ requests: 1, retries: 0, rowsPossiblyMeteredOnFailures: 0 });
        // Refused before the write, the connection was kept: a new one would cost a handshake per miss.
        expect(connections).toHaveLength(1);
      } finally {
        unsubscribe('undici:client:connected', onConnection);
      }
    });

    it('opens its connection before booking a slot, so a handshake never eats the slot (and sends nothing)', async () => {
      const events: string[] = [];
      const onConnection = () => events.push('connected');
      subscribe('undici:client:connected', onConnection);
      try {
        const { gate, events: gateEvents } = scriptedGate([]);
        const record: RateGate = {
          ...gate,
          reserve: async (signal) => {
            events.push('reserve');
            const permit = await gate.reserve?.(signal);
            if (!permit) throw new Error('the scripted gate reserves');
            return permit;
          },
        };
        const { client } = clientFor(sim, { rateGate: record });
        await client.intersectPage(competitorsQuery(), { limit: 5 });
        await client.intersectPage(competitorsQuery(), { limit: 5 });
        // The connection was up before the first slot was booked, and reused for the second request.
        expect(events).toEqual(['connected', 'reserve', 'reserve']);
        expect(gateEvents.filter((event) => event === 'written')).toHaveLength(2);
        // Opening the connection wrote nothing: the server saw exactly the two requests.
        expect(intersectRequests(sim)).toHaveLength(2);
        expect(client.stats()).toMatchObject({ requests: 2, retries: 0 });
      } finally {
        unsubscribe('undici:client:connected', onConnection);
      }
    });

    it(`gives up after ${MAX_MISSED_SLOTS} missed slots in a row with a typed error, having sent nothing`, async () => {
      const { gate, events } = scriptedGate(Array(MAX_MISSED_SLOTS).fill(false));
      const { client } = clientFor(sim, { rateGate: gate });
      await expect(client.intersectPage(competitorsQuery(), { limit: 5 })).rejects.toThrow(
        RateSlotMissedError,
      );
      expect(events.filter((event) => event === 'refused')).toHaveLength(MAX_MISSED_SLOTS);
      expect(intersectRequests(sim)).toHaveLength(0);
      expect(client.stats()).toMatchObject({ requests: 0, retries: 0 });
    });

    it('spacing requests under the simulated limit never meets a 429', async () => {
      // The gate spaces sends; the server sees arrivals. A margin absorbs network and scheduling jitter.
      sim.setRateLimit({ requests: 1, perMs: 50 });
      const rateGate = createIntervalRateGate({ requests: 1, intervalMs: 100 });
      const { client } = clientFor(sim, { rateGate });
      const result = await allPages(client, competitorsQuery(), 20);
      expect(result.pages).toBeGreaterThan(2);
      expect(sim.stats().rateLimited).toBe(0);
      expect(client.stats().retries).toBe(0);
    });
  });

  describe('secrets', () => {
    it('never puts the token, secret key or Basic header in errors or logs', async () => {
      const errors: unknown[] = [];
      const logs: MozLogEvent[] = [];
      const tokenClient = clientFor(sim, {
        maxAttempts: 2,
        baseDelayMs: 1,
        timeoutMs: 100,
        log: (event) => logs.push(event),
      }).client;
      const basicClient = clientFor(sim, {
        maxAttempts: 2,
        baseDelayMs: 1,
        timeoutMs: 100,
        credentials: async () => ({ kind: 'basic', accessId: ACCESS_ID, secretKey: SECRET_KEY }),
        log: (event) => logs.push(event),
      }).client;
      const collect = async (call: () => Promise<unknown>) => {
        try {
          await call();
        } catch (error) {
          errors.push(error);
        }
      };
      for (const client of [tokenClient, basicClient]) {
        for (const spec of [
          { error5xxRate: 1 },
          { htmlErrorRate: 1 },
          { malformedRate: 1 },
          { dropRate: 1 },
          { slowRate: 1, slowMs: 300 },
          { burst429: { count: 5, retryAfterSeconds: 0 } },
        ]) {
          sim.faults.set('*', spec);
          await collect(() => client.intersectPage(competitorsQuery(), { limit: 2 }));
        }
        sim.faults.clear();
        await collect(() => client.intersectPage(competitorsQuery(), { limit: 2, nextToken: 'bogus' }));
        await collect(() => allPages(client, competitorsQuery()));
        sim.setRowQuota(1);
        await collect(() => client.intersectPage(competitorsQuery(), { limit: 2 }));
        sim.setRowQuota(null);
      }
      const badAuth = clientFor(sim, {
        credentials: async () => ({ kind: 'basic', accessId: ACCESS_ID, secretKey: `${SECRET_KEY}-old` }),
        refreshCredentials: async () => ({ kind: 'token', token: `${TOKEN}-old` }),
        log: (event) => logs.push(event),
      }).client;
      await collect(() => badAuth.intersectPage(competitorsQuery(), { limit: 2 }));
      const deadline = clientFor(sim, { log: (event) => logs.push(event) }).client;
      await collect(() => deadline.intersectPage(competitorsQuery(), { limit: 2, deadline: 0 }));

      const names = new Set(errors.map((error) => (error as Error).name));
      expect([...names].sort()).toEqual(
        [
          'MozAuthError',
          'MozBadRequestError',
          'MozDeadlineError',
          'MozNetworkError',
          'MozQuotaExhaustedError',
          'MozRateLimitedError',
          'MozResponseFormatError',
          'MozServerError',
          'MozTimeoutError',
        ].sort(),
      );
      const dump = [
        JSON.stringify(errors),
        JSON.stringify(logs),
        ...errors.map((error) => inspect(error, { depth: 10, showHidden: true })),
        ...errors.map((error) => String(error)),
      ].join('\n');
      for (const secret of [TOKEN, SECRET_KEY, BASIC_HEADER, `${ACCESS_ID}:${SECRET_KEY}`]) {
        expect(dump).not.toContain(secret);
      }
      expect(dump).not.toMatch(/Basic [A-Za-z0-9+/]{12,}/);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let slow responses finish
    });
  });
});

describe('Moz client against simulator variants', () => {
  it.each(['absent', 'empty', 'null'] as const)(
    'treats a last-page next_token that is %s as the end',
    async (variant) => {
      const sim = await startSimulator(simOptions({ lastPageToken: variant }));
      try {
        const { client } = clientFor(sim);
        const query = competitorsQuery();
        const result = await allPages(client, query, 40);
        expect(result.rows).toEqual(truthRows(sim, query));
        expect(intersectRequests(sim)).toHaveLength(result.pages);
      } finally {
        await sim.close();
      }
    },
  );

  it.each([403, 429] as const)(
    'recognises a quota answered with HTTP %s in error_message style',
    async (status) => {
      const sim = await startSimulator(
        simOptions({ rowQuota: 10, quotaStatus: status, errorStyle: 'error_message' }),
      );
      try {
        const { client } = clientFor(sim);
        const error = await captureError(client.intersectPage(competitorsQuery(), { limit: 5 }));
        expect(error).toBeInstanceOf(MozQuotaExhaustedError);
        expect(error.message).toContain('Monthly row quota exhausted');
        expect(sim.log).toHaveLength(1);
      } finally {
        await sim.close();
      }
    },
  );

  it('carries an error_message-style 400 message', async () => {
    const sim = await startSimulator(simOptions({ errorStyle: 'error_message' }));
    try {
      const { client } = clientFor(sim);
      const error = await captureError(
        client.intersectPage(competitorsQuery(), { limit: 5, nextToken: 'nope' }),
      );
      expect(error).toBeInstanceOf(MozBadRequestError);
      expect((error as MozBadRequestError).serverMessage).toBe('next_token: unknown or stale token');
    } finally {
      await sim.close();
    }
  });
});
