// The free tier allows one Moz request per 10 s, shared by every runner through the DynamoDB gate,
// which lets a write be at most `spacing × margin` late. A wait that long outlives an idle
// connection, so the next request needs a new one; paid inside the slot, a slow handshake (DNS, TCP,
// TLS across continents) made the write miss it, and so every slot after it: the call failed after
// 20 misses. The client now reconnects shortly before the slot. Scaled down here: 1 request per
// 1.5 s (30 ms of allowed lateness), connections idle out after 700 ms, each handshake takes 150 ms.

import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Agent, buildConnector } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDynamoRateGate } from '#adapters/aws/rate-gate.ts';
import { createMozClient, type MozLogEvent } from '#moz/client.ts';
import type { IntersectQuery } from '#moz/types.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';

const moto = useMoto();
const TOKEN = 'tok-RECONNECT-0123456789';
const HANDSHAKE_MS = 150;
const IDLE_MS = 700;

const query: IntersectQuery = {
  positiveTargets: [{ target: 'competitor-a.com', scope: 'root_domain' }],
  negativeTargets: [{ target: 'mysite.com', scope: 'root_domain' }],
  sourceScope: 'page',
};

/** An undici Agent whose every new connection takes HANDSHAKE_MS and idles out after IDLE_MS. */
function slowHandshakeAgent(): Agent {
  const connect = buildConnector({});
  return new Agent({
    keepAliveTimeout: IDLE_MS,
    // The server's Keep-Alive hint (5 s) would otherwise keep the connection longer.
    keepAliveMaxTimeout: IDLE_MS,
    connect: (options, callback) => {
      setTimeout(() => connect(options, callback), HANDSHAKE_MS);
    },
  });
}

describeAws('Moz client behind the shared DynamoDB gate, at a slow rate', () => {
  let stack: TestStack;
  let sim: MozSimulator;
  beforeAll(async () => {
    stack = await createTestStack(moto);
    sim = await startSimulator({ token: TOKEN, universeSize: 2_000 });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('reconnects before each slot when the wait outlived the connection, so no slot is missed', async () => {
    const rateGate = createDynamoRateGate({
      doc: stack.clients.doc,
      tableName: stack.names.tableName,
      name: `gate-${randomUUID()}`,
      requests: 1,
      intervalMs: 1_500,
    });
    const logs: MozLogEvent[] = [];
    const dispatcher = slowHandshakeAgent();
    const client = createMozClient({
      baseUrl: sim.baseUrl,
      credentials: async () => ({ kind: 'token', token: TOKEN }),
      rateGate,
      dispatcher,
      timeoutMs: 5_000,
      log: (event) => logs.push(event),
    });
    let connections = 0;
    const onConnection = () => {
      connections += 1;
    };
    subscribe('undici:client:connected', onConnection);
    try {
      // Bounded: before the fix each slot was missed until the call gave up (20 × 1.5 s).
      const pages = await Promise.race([
        (async () => {
          for (let page = 0; page < 3; page++) await client.intersectPage(query, { limit: 5 });
          return 3;
        })(),
        new Promise<number>((resolve) => setTimeout(() => resolve(0), 12_000)),
      ]);
      expect(logs.filter((event) => event.msg.includes('missed its rate slot'))).toEqual([]);
      expect(pages).toBe(3);
      expect(sim.stats().requests).toBe(3);
      // Each wait outlived the connection: one new connection per request, none of them in a slot.
      expect(connections).toBe(3);
    } finally {
      unsubscribe('undici:client:connected', onConnection);
      await client.close();
      await dispatcher.close();
    }
  }, 20_000);
});
