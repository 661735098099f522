// Interrupts sent to a real `linkgap run` process: ctrl-C (SIGINT) and SIGTERM stop at a safe point,
// say what was saved in one line and exit 130; SIGKILL stops it dead. Either way, running the same
// command again at once resumes (the claim names the dead or departed process), spends no Moz row
// twice, and leaves the same history as a run that was never interrupted.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileRunStore } from '#adapters/local/file-stores.ts';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { readLake } from '#test/support/reliability-harness.ts';
import { campaignHomes, savedPages, spawnLinkgapRun, waitFor } from '#test/support/run-process.ts';
import demoCampaign from '../../examples/acme-trail-shoes.json' with { type: 'json' };

const TOKEN = 'signals-token-5c1e';
const AS_OF = '2026-03-05';
const RUN_DATE = '2026-03-01';
const CAMPAIGN = parseCampaign(demoCampaign);

/** `linkgap run` as a real process, its requests spaced so that a run takes a few seconds. */
const linkgapRun = (home: string, simulator: MozSimulator) =>
  spawnLinkgapRun({
    home,
    campaignId: CAMPAIGN.id,
    asOf: AS_OF,
    mozBaseUrl: simulator.baseUrl,
    mozToken: TOKEN,
    intervalMs: 150,
  });

/** The history a reader sees: per run date, the counts, and every (source, status|change) row. */
async function history(home: string) {
  const lake = await readLake(createFsObjectStore(join(home, 'lake')));
  const rows = (table: Record<string, { run_date: string; source: string }[]>, field: 'status' | 'change') =>
    Object.values(table)
      .flat()
      .map((row) => `${row.run_date} ${row.source} ${(row as unknown as Record<string, string>)[field]}`)
      .sort();
  const manifests = Object.values(lake.manifests).map((m) => ({
    run_date: m.run_date,
    gap_size: m.gap_size,
    new_count: m.new_count,
    closed_count: m.closed_count,
    lost_count: m.lost_count,
    rows_consumed: m.rows_consumed,
    pages: m.pages,
  }));
  return { manifests, prospects: rows(lake.prospects, 'status'), changes: rows(lake.changes, 'change') };
}

let simulator: MozSimulator;
let clean: Awaited<ReturnType<typeof history>>;
let cleanRows: number;
const homes = campaignHomes('signals', CAMPAIGN);
const newHome = homes.newHome;

beforeAll(async () => {
  simulator = await startSimulator({ token: TOKEN, seed: 'signals', month: RUN_DATE.slice(0, 7) });
  const home = await newHome();
  const before = simulator.stats().rowsConsumed;
  const run = linkgapRun(home, simulator);
  expect((await run.done).code).toBe(0);
  cleanRows = simulator.stats().rowsConsumed - before;
  clean = await history(home);
  expect(clean.manifests[0]?.pages).toBeGreaterThan(4);
}, 60_000);

afterAll(async () => {
  await simulator?.close();
  homes.removeAll();
});

describe('interrupting a real linkgap run', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s mid-fetch: one line, exit 130, claim released; a rerun at once resumes to the clean history',
    async (signal) => {
      const home = await newHome();
      const before = simulator.stats().rowsConsumed;
      const first = linkgapRun(home, simulator);
      await waitFor(async () => (await savedPages(home)) >= 2, 'two saved pages');
      first.child.kill(signal);
      const stopped = await first.done;
      expect(stopped.code).toBe(130);
      const lines = stopped.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(
        new RegExp(
          `^linkgap: interrupted: saved \\d+ page\\(s\\) \\(\\d+ Moz rows\\) of ${CAMPAIGN.id} ${RUN_DATE}; run the same command again to resume$`,
        ),
      );
      const record = await createFileRunStore(home).get(CAMPAIGN.id, RUN_DATE);
      expect(record?.status).toBe('RUNNING');
      expect(record?.leaseUntil).toBeLessThanOrEqual(Date.now()); // released, not held for 16 minutes

      const rerun = await linkgapRun(home, simulator).done;
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(await history(home)).toEqual(clean);
      expect(simulator.stats().rowsConsumed - before).toBe(cleanRows);
    },
    60_000,
  );

  it('SIGKILL mid-fetch: a rerun at once takes the dead process claim over and ends with the clean history', async () => {
    const home = await newHome();
    const before = simulator.stats().rowsConsumed;
    const first = linkgapRun(home, simulator);
    await waitFor(async () => (await savedPages(home)) >= 2, 'two saved pages');
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const record = await createFileRunStore(home).get(CAMPAIGN.id, RUN_DATE);
    expect(record?.status).toBe('RUNNING');
    expect(record?.leaseUntil).toBeGreaterThan(Date.now()); // the lease alone would lock the user out

    const rerun = await linkgapRun(home, simulator).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await history(home)).toEqual(clean);
    // At most the page in flight when the process died is paid for twice.
    expect(simulator.stats().rowsConsumed - before).toBeLessThanOrEqual(cleanRows + 250);
  }, 60_000);
});
