// A real `linkgap run` against a server that does not answer, or starts an answer and never finishes
// it: while the request is in flight the command says so (how long so far, and why), through the
// same progress lines as the rate and retry waits, and the failure says which of the two happened.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCampaign } from '#domain/campaign.ts';
import { campaignHomes, type FinishedRun, spawnLinkgapRun } from '#test/support/run-process.ts';
import demoCampaign from '../../examples/acme-trail-shoes.json' with { type: 'json' };

const CAMPAIGN = parseCampaign(demoCampaign);
/** Long enough for one "so far" notice (5 s), short enough for a quick test. */
const TIMEOUT_MS = 7_000;

type Mode = 'hang' | 'trickle';
let mode: Mode = 'hang';
let server: Server;
let baseUrl: string;
const open = new Set<ServerResponse>();
const children = new Set<ChildProcess>();
const homes = campaignHomes('slow-answers', CAMPAIGN);

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      open.add(res);
      if (mode === 'hang') return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"results":[');
      const timer = setInterval(() => res.write(' '), 500);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const res of open) res.destroy();
  open.clear();
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  homes.removeAll();
});

/** The exit code, stderr (progress, the last line) and stdout (the outcome table, with the error). */
async function linkgapRun(): Promise<FinishedRun> {
  const run = spawnLinkgapRun({
    home: await homes.newHome(),
    campaignId: CAMPAIGN.id,
    asOf: '2026-03-05',
    mozBaseUrl: baseUrl,
    mozToken: 'slow-answers-token-1f3e',
    env: { MOZ_TIMEOUT_MS: String(TIMEOUT_MS), MOZ_MAX_ATTEMPTS: '1' },
  });
  children.add(run.child);
  return run.done.finally(() => children.delete(run.child));
}

describe('a request in flight longer than the announce threshold', () => {
  it('no answer at all: says it is waiting for the answer, then that Moz did not answer in time', async () => {
    mode = 'hang';
    const run = await linkgapRun();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /waiting for Moz's answer: 5 s so far \(no answer yet; linkgap gives up at 7 s\)/,
    );
    expect(run.stdout).toMatch(new RegExp(`did not answer within ${TIMEOUT_MS} ms`));
  }, 30_000);

  it('an answer that starts and never finishes: says so while waiting, and in the failure', async () => {
    mode = 'trickle';
    const run = await linkgapRun();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /waiting for Moz's answer: 5 s so far \(HTTP 200 came but the body has not finished; linkgap gives up at 7 s\)/,
    );
    expect(run.stdout).toMatch(
      new RegExp(`answered HTTP 200 but did not finish the body within ${TIMEOUT_MS} ms`),
    );
    expect(run.stdout).not.toMatch(/did not answer within/);
  }, 30_000);
});
