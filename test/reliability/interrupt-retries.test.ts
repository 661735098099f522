// ctrl-C and SIGTERM reach a Moz call that is retrying or waiting for an answer, in a real `linkgap
// run` process against the real simulator: a server answering 429 with a Retry-After of a day, and a
// server that never answers. The process sends nothing after the signal, ends every wait at once,
// abandons an unanswered request after a short grace, exits 130 within seconds with the run paused
// (not FAILED) and its claim released, and a rerun resumes to the clean history paying no row twice.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFileRunStore } from '#adapters/local/file-stores.ts';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { INTERRUPT_GRACE_MS } from '#moz/http.ts';
import { type FaultSpec, type MozSimulator, startSimulator } from '#simulator/server.ts';
import { readLake } from '#test/support/reliability-harness.ts';
import { campaignHomes, savedPages, spawnLinkgapRun, waitFor } from '#test/support/run-process.ts';
import demoCampaign from '../../examples/acme-trail-shoes.json' with { type: 'json' };

const TOKEN = 'interrupt-retries-token-77a1';
const AS_OF = '2026-03-05';
const RUN_DATE = '2026-03-01';
const CAMPAIGN = parseCampaign(demoCampaign);

/**
 * The simulator behind a front that counts every request as it arrives (the simulator records one
 * when it answers, which a hanging answer never does) and, with `hang` on, never answers.
 */
interface Front {
  baseUrl: string;
  arrivals: number;
  hang: boolean;
  close(): Promise<void>;
}

async function startFront(simulator: MozSimulator): Promise<Front> {
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    front.arrivals += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (front.hang) {
        hanging.add(res);
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) =>
          ['content-type', 'accept', 'user-agent', 'x-moz-token', 'authorization'].includes(name),
        ),
      ) as Record<string, string>;
      fetch(`${simulator.baseUrl}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) })
        .then(async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer());
          const kept = ['content-type', 'retry-after'].flatMap((name) => {
            const value = answer.headers.get(name);
            return value === null ? [] : [[name, value] as const];
          });
          res.writeHead(answer.status, Object.fromEntries(kept));
          res.end(body);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const front: Front = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals: 0,
    hang: false,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return front;
}

function linkgapRun(home: string, simulator: { baseUrl: string }) {
  const run = spawnLinkgapRun({
    home,
    campaignId: CAMPAIGN.id,
    asOf: AS_OF,
    mozBaseUrl: simulator.baseUrl,
    mozToken: TOKEN,
    intervalMs: 400,
  });
  children.add(run.child);
  void run.done.then(() => children.delete(run.child));
  return run;
}

/** Every process still running when a test ends is killed: a failing test leaves none behind. */
const children = new Set<ChildProcess>();

/** `done`, or a clear failure after `ms`. */
function within<T>(done: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

async function history(home: string) {
  const lake = await readLake(createFsObjectStore(join(home, 'lake')));
  const rows = Object.values(lake.prospects)
    .flat()
    .map((row) => `${row.run_date} ${row.source} ${row.status}`)
    .sort();
  const manifests = Object.values(lake.manifests).map((m) => ({
    run_date: m.run_date,
    gap_size: m.gap_size,
    rows_consumed: m.rows_consumed,
    pages: m.pages,
  }));
  return { manifests, rows };
}

let simulator: MozSimulator;
let front: Front;
let clean: Awaited<ReturnType<typeof history>>;
let cleanRows: number;
const homes = campaignHomes('interrupt-retries', CAMPAIGN);
const newHome = homes.newHome;

beforeAll(async () => {
  simulator = await startSimulator({ token: TOKEN, seed: 'interrupt-retries', month: RUN_DATE.slice(0, 7) });
  front = await startFront(simulator);
  const home = await newHome();
  const before = simulator.stats().rowsConsumed;
  const run = await linkgapRun(home, front).done;
  expect(run.code, run.stderr).toBe(0);
  cleanRows = simulator.stats().rowsConsumed - before;
  clean = await history(home);
  expect(clean.manifests[0]?.pages).toBeGreaterThan(4);
}, 60_000);

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  simulator.faults.clear();
  front.hang = false;
});

afterAll(async () => {
  await front?.close();
  await simulator?.close();
  homes.removeAll();
});

const RETRY_AFTER_A_DAY: FaultSpec = { burst429: { count: 1_000, retryAfterSeconds: 86_400 } };

const cases = [
  {
    name: 'waiting out a 429 with Retry-After a day',
    breakServer: () => simulator.faults.set('link_intersect', RETRY_AFTER_A_DAY),
    // The retry wait is announced: the call is inside its wait when the signal comes.
    ready: (stderr: string) => /waiting 60 s/.test(stderr),
    withinMs: 3_000,
  },
  {
    name: 'waiting for an answer that never comes',
    breakServer: () => {
      front.hang = true;
    },
    ready: () => true,
    withinMs: INTERRUPT_GRACE_MS + 3_000,
  },
] as const;

describe('interrupting a real linkgap run whose Moz call is retrying or waiting', () => {
  for (const scenario of cases) {
    it.each(['SIGINT', 'SIGTERM'] as const)(
      `%s ${scenario.name}: nothing more is sent, exit 130 within seconds, paused not FAILED; a rerun resumes`,
      async (signal) => {
        const home = await newHome();
        const before = simulator.stats().rowsConsumed;
        const first = linkgapRun(home, front);
        let stderr = '';
        first.child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
        });
        await waitFor(async () => (await savedPages(home)) >= 2, 'two saved pages');
        const arrivalsBefore = front.arrivals;
        scenario.breakServer();
        // The next request meets the broken server; then the call is retrying or waiting for its answer.
        await waitFor(() => front.arrivals > arrivalsBefore, 'a request to the broken server');
        await waitFor(() => scenario.ready(stderr), 'the call to be waiting');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const requestsAtSignal = front.arrivals;
        const signalledAt = Date.now();
        first.child.kill(signal);
        const stopped = await within(first.done, 20_000, `exiting after ${signal}`);

        expect(stopped.exitedAt - signalledAt, stopped.stderr).toBeLessThan(scenario.withinMs);
        expect(stopped.code, stopped.stderr).toBe(130);
        expect(front.arrivals, 'requests sent after the signal').toBe(requestsAtSignal);
        expect(stopped.stderr.trim().split('\n').at(-1)).toMatch(
          new RegExp(
            `^linkgap: interrupted: saved \\d+ page\\(s\\) \\(\\d+ Moz rows\\) of ${CAMPAIGN.id} ${RUN_DATE}; run the same command again to resume$`,
          ),
        );
        const record = await createFileRunStore(home).get(CAMPAIGN.id, RUN_DATE);
        expect(record?.status).toBe('RUNNING');
        expect(record?.leaseUntil).toBeLessThanOrEqual(Date.now());

        simulator.faults.clear();
        front.hang = false;
        const rerun = await linkgapRun(home, front).done;
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(await history(home)).toEqual(clean);
        // 429s are never metered, and the unanswered request never reached Moz: every row paid once.
        expect(simulator.stats().rowsConsumed - before).toBe(cleanRows);
      },
      60_000,
    );
  }
});
