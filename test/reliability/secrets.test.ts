// Promise 6: secrets stay secret. Whatever path a run takes (faults, rejected credentials, a bad
// request, an exhausted quota, a server that echoes our headers back), no token, secret key,
// access id + key pair or Basic header value appears in logs, errors, run records, manifests or files.
import { Buffer } from 'node:buffer';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeParquet } from '#lake/parquet.ts';
import type { MozCredentials } from '#shared/ports.ts';
import type { FaultSpec, SimulatorOptions } from '#simulator/server.ts';
import { allFiles, everythingAbout, type Harness, startHarness } from '#test/support/reliability-harness.ts';

const TOKEN = 'tok-SECRET-4b1d9e7c2a55f0e3';
const WRONG_TOKEN = 'tok-WRONG-SECRET-90ad7713be';
const ACCESS_ID = 'mozscape-ACCESSID-5e8f21';
const SECRET_KEY = 'SECRETKEY-c0ffee-77f1e2d9b3';

const pair = (credentials: MozCredentials & { kind: 'basic' }) =>
  `${credentials.accessId}:${credentials.secretKey}`;
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Every spelling of a credential that must never be written anywhere. */
function forbiddenStrings(credentials: MozCredentials): string[] {
  if (credentials.kind === 'token') return [credentials.token];
  return [credentials.secretKey, credentials.accessId, pair(credentials), base64(pair(credentials))];
}

const TOKEN_CREDENTIALS: MozCredentials = { kind: 'token', token: TOKEN };
const BASIC_CREDENTIALS: MozCredentials = { kind: 'basic', accessId: ACCESS_ID, secretKey: SECRET_KEY };
const ALL_FAULTS: FaultSpec = {
  error5xxRate: 0.3,
  htmlErrorRate: 0.1,
  slowRate: 0.1,
  slowMs: 800,
  dropRate: 0.1,
  malformedRate: 0.1,
  burst429: { count: 2, retryAfterSeconds: 0 },
  meterFaulted: true,
  seed: 3,
};

// A server that answers every request with an error quoting the request's credential headers:
// the worst case for leaking them through an error message.
let echo: Server;
let echoUrl: string;
let echoStatus = 400;

function echoedHeaders(headers: IncomingHttpHeaders): string {
  return `you sent x-moz-token=${headers['x-moz-token'] ?? '-'} and authorization=${headers.authorization ?? '-'}`;
}

beforeAll(async () => {
  echo = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body =
        echoStatus === 502
          ? `<html><head><title>Bad gateway: ${echoedHeaders(req.headers)}</title></head></html>`
          : JSON.stringify({ message: `Rejected: ${echoedHeaders(req.headers)}` });
      res.writeHead(echoStatus, { 'content-type': echoStatus === 502 ? 'text/html' : 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});

afterAll(async () => {
  echo.closeAllConnections();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

interface SecretScenario {
  name: string;
  /** What the client sends. */
  credentials: MozCredentials;
  simulator?: SimulatorOptions;
  faults?: FaultSpec;
  /** Point the client at the echoing server with this status instead of the simulator. */
  echoStatus?: number;
  /** The run is expected to fail (and the error is scanned too). */
  fails: boolean;
}

const simulatorCredentials = { token: TOKEN, accessId: ACCESS_ID, secretKey: SECRET_KEY };

const SCENARIOS: SecretScenario[] = [
  {
    name: 'a fault-ridden run with a token',
    credentials: TOKEN_CREDENTIALS,
    faults: ALL_FAULTS,
    fails: false,
  },
  {
    name: 'a fault-ridden run with Basic credentials',
    credentials: BASIC_CREDENTIALS,
    faults: ALL_FAULTS,
    fails: false,
  },
  { name: 'a rejected token (401)', credentials: { kind: 'token', token: WRONG_TOKEN }, fails: true },
  {
    name: 'rejected Basic credentials (401)',
    credentials: { kind: 'basic', accessId: ACCESS_ID, secretKey: `${SECRET_KEY}-stale` },
    fails: true,
  },
  {
    name: 'an exhausted quota (429)',
    credentials: TOKEN_CREDENTIALS,
    simulator: { rowQuota: 100, quotaStatus: 429 },
    fails: true,
  },
  {
    name: 'an exhausted quota (403) with Basic credentials',
    credentials: BASIC_CREDENTIALS,
    simulator: { rowQuota: 100, quotaStatus: 403 },
    fails: true,
  },
  { name: 'a 400 that echoes the token', credentials: TOKEN_CREDENTIALS, echoStatus: 400, fails: true },
  {
    name: 'a 400 that echoes the Basic header',
    credentials: BASIC_CREDENTIALS,
    echoStatus: 400,
    fails: true,
  },
  { name: 'a 401 that echoes the token', credentials: TOKEN_CREDENTIALS, echoStatus: 401, fails: true },
  {
    name: 'a 429 that echoes the Basic header',
    credentials: BASIC_CREDENTIALS,
    echoStatus: 429,
    fails: true,
  },
  { name: '503s that echo the token', credentials: TOKEN_CREDENTIALS, echoStatus: 503, fails: true },
  {
    name: 'a 502 HTML page that echoes the Basic header',
    credentials: BASIC_CREDENTIALS,
    echoStatus: 502,
    fails: true,
  },
];

/** Everything the run left behind, as text: files (decompressed and decoded too), records, logs, errors. */
async function everythingWritten(harness: Harness, thrown: unknown): Promise<Record<string, string>> {
  const written: Record<string, string> = {
    logs: harness.log.text(),
    error: thrown === undefined ? '' : everythingAbout(thrown),
    errorStack:
      thrown instanceof Error ? `${thrown.stack}\n${(thrown.cause as Error | undefined)?.stack}` : '',
    runRecords: everythingAbout(await harness.runs.list('acme-trail-shoes', 100)),
  };
  for (const [path, bytes] of await allFiles(harness.home)) {
    written[path] = bytes.toString('latin1');
    if (path.endsWith('.gz')) written[`${path} (gunzipped)`] = gunzipSync(bytes).toString('utf8');
    if (path.endsWith('.parquet')) {
      const table = path.startsWith('lake/prospects/') ? 'prospects' : 'changes';
      written[`${path} (decoded)`] = JSON.stringify(await decodeParquet(table, bytes));
    }
  }
  return written;
}

describe('Promise 6: secrets stay secret', () => {
  it.each(SCENARIOS)(
    '$name: no credential in logs, errors, run records, manifests or any file',
    async (scenario) => {
      echoStatus = scenario.echoStatus ?? 400;
      const harness = await startHarness({
        universeSize: 2_000,
        credentials: scenario.credentials,
        simulator: { ...simulatorCredentials, ...scenario.simulator },
        client: {
          maxAttempts: scenario.echoStatus ? 3 : 12,
          ...(scenario.echoStatus ? { baseUrl: echoUrl } : {}),
        },
      });
      try {
        if (scenario.faults) {
          harness.simulator.faults.set('link_intersect', scenario.faults);
          harness.simulator.faults.set('link_status', { ...scenario.faults, seed: 4 });
        }
        await harness.putCampaign();
        let thrown: unknown;
        for (const runDate of ['2026-01-01', '2026-02-01']) {
          try {
            await harness.run(runDate);
          } catch (error) {
            thrown = error;
            break;
          }
        }
        expect(
          thrown !== undefined,
          scenario.fails ? 'the run should have failed' : 'the run should have succeeded',
        ).toBe(scenario.fails);
        // The client did send the credentials, or this scenario proved nothing.
        if (!scenario.echoStatus)
          expect(harness.simulator.log.some((entry) => entry.auth !== 'none')).toBe(true);
        expect(harness.log.entries.length).toBeGreaterThan(0);

        const forbidden = [...forbiddenStrings(scenario.credentials), ...forbiddenStrings(TOKEN_CREDENTIALS)];
        const written = await everythingWritten(harness, thrown);
        expect(
          Object.keys(written).some((path) => path.startsWith('runs/') || path.startsWith('lake/')),
        ).toBe(true);
        for (const [where, text] of Object.entries(written)) {
          for (const secret of forbidden)
            expect(text.includes(secret), `${secret} found in ${where}`).toBe(false);
        }
      } finally {
        await harness.close();
      }
    },
  );
});
