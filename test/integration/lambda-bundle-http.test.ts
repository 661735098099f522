import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleLambda } from '../../scripts/bundle-lambda.ts';

/**
 * The Lambda bundles replace undici's entry point with the two things the Moz client uses
 * (scripts/esbuild-plugins.ts). This sends real calls through shared/moz/call.ts as bundled (its own
 * Agent, the shim's request, the write-reporting interceptor), so a plugin that broke the request
 * would fail here rather than in Lambda.
 */
let dir = '';
let url = '';
const received: { method?: string; path?: string; token?: string; body: string }[] = [];
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on('end', () => {
    received.push({ method: req.method, path: req.url, token: String(req.headers['x-moz-token']), body });
    if (req.url?.includes('limited')) {
      res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
      res.end('{"message":"too many requests"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"results":[]}');
  });
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'linkgap-bundle-http-'));
  await bundleLambda('shared/moz/call.ts', dir);
  await bundleLambda('shared/adapters/webhook-channel.ts', join(dir, 'webhook'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

it('the bundled client-only undici sends the same requests and reports each write', async () => {
  type Call = typeof import('../../shared/moz/call.ts');
  const bundled = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as Call;
  const events: string[] = [];
  const caller = bundled.createCaller({
    baseUrl: url,
    credentials: async () => ({ kind: 'token', token: 'tok-0123456789' }),
    maxAttempts: 2,
    baseDelayMs: 1,
    sleep: async () => {}, // Retry-After is honoured by the gate's pause, asserted below
    rateGate: {
      acquire: async () => {},
      reserve: async () => ({ write: () => events.push('written') > 0, unused: () => events.push('unused') }),
      pause: (ms) => events.push(`pause ${ms}`),
    },
  });
  const spec = (endpoint: string) => ({
    endpoint,
    body: { limit: 5 },
    parse: (json: unknown) => ({ ok: true as const, value: json }),
    weightedLimit: 5,
    meter: () => 0,
  });
  try {
    const answer = await bundled.call(caller, spec('/link_intersect'));
    expect(answer.value).toEqual({ results: [] });
    await expect(bundled.call(caller, spec('/limited'))).rejects.toMatchObject({
      name: 'MozRateLimitedError',
    });
  } finally {
    await caller.settings.dispatcher.close();
  }
  expect(events).toEqual(['written', 'unused', 'written', 'unused', 'pause 2000', 'written', 'unused']);
  expect(
    received.map(({ method, path, token, body }) => [method, path?.replace(/^\/v2/, ''), token, body]),
  ).toEqual([
    ['POST', '/link_intersect', 'tok-0123456789', '{"limit":5}'],
    ['POST', '/limited', 'tok-0123456789', '{"limit":5}'],
    ['POST', '/limited', 'tok-0123456789', '{"limit":5}'],
  ]);
});

it("the bundled webhook channel posts a digest with undici's default dispatcher (no dispatcher of its own)", async () => {
  type Webhook = typeof import('../../shared/adapters/webhook-channel.ts');
  const bundled = (await import(pathToFileURL(join(dir, 'webhook', 'index.mjs')).href)) as Webhook;
  const channel = bundled.createWebhookChannel({ url: async () => `${url}/hooks/team`, source: 'a test' });
  const before = received.length;
  await channel.send({ subject: 's', text: 'three new prospects', attributes: {} } as never);
  expect(received.slice(before)).toEqual([
    { method: 'POST', path: '/hooks/team', token: 'undefined', body: '{"text":"three new prospects"}' },
  ]);
  const refused = bundled.createWebhookChannel({ url: async () => `${url}/limited`, source: 'a test' });
  await expect(refused.send({ subject: 's', text: 't', attributes: {} } as never)).rejects.toThrow(
    'the webhook in a test answered HTTP 429',
  );
});
