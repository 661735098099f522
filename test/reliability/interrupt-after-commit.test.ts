// A signal that reaches a real `linkgap run` after the last Moz request it needed (here: while Moz
// answers its only link_status batch, after which the run commits without another stop check) pauses
// nothing: the run commits and publishes, and the output must not ask to resume nor exit 130.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileCampaignStore, createFileRunStore } from '#adapters/local/file-stores.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { tempDir } from '#test/support/cli.ts';
import { spawnLinkgapRun } from '#test/support/run-process.ts';
import demoCampaign from '../../examples/acme-trail-shoes.json' with { type: 'json' };

const TOKEN = 'after-commit-token-7d2a';
const CAMPAIGN = parseCampaign(demoCampaign);

let simulator: MozSimulator;
let proxy: Server;
let proxyUrl: string;
/** Called while the proxy holds a link_status request, before it forwards it. */
let onLinkStatus: (() => Promise<void>) | undefined;
const home = tempDir('after-commit');

/** Forwards every request to the simulator; link_status requests first go through onLinkStatus. */
function startProxy(target: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url?.includes('link_status')) await onLinkStatus?.();
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host',
      ),
    );
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' ? undefined : Buffer.concat(chunks),
    });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const run = (asOf: string) =>
  spawnLinkgapRun({
    home: home.path,
    campaignId: CAMPAIGN.id,
    asOf,
    mozBaseUrl: proxyUrl,
    mozToken: TOKEN,
    intervalMs: 20,
  });

beforeAll(async () => {
  simulator = await startSimulator({ token: TOKEN, seed: 'after-commit', month: '2026-07' });
  proxy = await startProxy(simulator.baseUrl);
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  await createFileCampaignStore(home.path).put(CAMPAIGN);
  const first = run('2026-07-05');
  expect((await first.done).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await simulator?.close();
  home.remove();
});

describe('a signal after the work finished', () => {
  it('SIGTERM during the last link_status batch: committed, exit 0, and nothing to resume', async () => {
    simulator.setMonth('2026-08');
    const linkStatusBefore = simulator.stats().byRoute.link_status.requests;
    const second = run('2026-08-05');
    let signalled = false;
    onLinkStatus = async () => {
      if (signalled) return;
      signalled = true;
      second.child.kill('SIGTERM');
      // Bounded: the child handles the signal while it waits for this answer.
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    const finished = await second.done;
    expect(signalled).toBe(true);
    expect(simulator.stats().byRoute.link_status.requests - linkStatusBefore).toBe(1);
    const record = await createFileRunStore(home.path).get(CAMPAIGN.id, '2026-08-01');
    expect(record?.status).toBe('SUCCEEDED');
    const lines = finished.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe('linkgap: interrupted after every run had finished; nothing needs resuming');
    expect(finished.stderr).not.toContain('resume');
    expect(finished.code).toBe(0);
  }, 60_000);
});
