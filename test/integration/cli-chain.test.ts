// `linkgap run` and the chain, as a user meets it: a back-dated date and an unforceable --force are
// refused in one line with a non-zero exit before any Moz call; --force says what it replaces; a run
// really held by another live process says who holds it and until when, and exits non-zero.
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileCampaignStore, createFileRunStore } from '#adapters/local/file-stores.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { aCampaignInput } from '#test/support/builders.ts';
import { linkgap, tempDir } from '#test/support/cli.ts';

const ID = 'weekly-shoes';
let dir: { path: string; remove(): void };
let env: Record<string, string>;

const run = (...args: string[]) => linkgap(['run', '--campaign', ID, ...args], env);

beforeAll(async () => {
  dir = tempDir('chain');
  env = { LINKGAP_HOME: dir.path };
  await createFileCampaignStore(dir.path).put(
    parseCampaign(aCampaignInput({ id: ID, schedule: { every: 'week', weekday: 'monday' } })),
  );
  expect((await run('--as-of', '2026-11-16')).code).toBe(0);
  expect((await run('--as-of', '2026-11-23')).code).toBe(0);
});
afterAll(() => dir.remove());

describe('linkgap run and the chain of committed runs', () => {
  it('refuses a back-dated date in one line, exit 1, and commits nothing', async () => {
    const result = await run('--as-of', '2026-11-09');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `${ID} 2026-11-09 is before the latest committed run (2026-11-23): linkgap does not back-fill earlier dates`,
    );
    expect(result.stderr.trim().split('\n').at(-1)).toBe('linkgap: 1 campaign run(s) failed or were refused');
    const dates = (await createFileRunStore(dir.path).list(ID)).map((record) => record.runDate);
    expect(dates).toEqual(['2026-11-23', '2026-11-16']);
  });

  it('--force of an older date gives the true reason; of the latest date it says what it replaces', async () => {
    const older = await run('--as-of', '2026-11-16', '--force');
    expect(older.code).toBe(1);
    expect(older.stdout).toContain(
      `cannot force ${ID} 2026-11-16: only the latest run date (2026-11-23) can be replaced`,
    );
    // No announcement of a replacement that will not happen.
    expect(older.stderr).not.toContain('--force: replacing');
    const before = await createFileRunStore(dir.path).get(ID, '2026-11-23');
    const reports = join(dir.path, 'lake', `reports/campaign_id=${ID}/run_date=2026-11-23`);
    expect(readdirSync(reports)).toEqual([`${before?.runId}.html`]);
    const latest = await run('--as-of', '2026-11-23', '--force');
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stderr).toContain(
      `--force: replacing the committed run ${before?.runId} of ${ID} 2026-11-23`,
    );
    const after = await createFileRunStore(dir.path).latest(ID);
    expect(after?.runId).not.toBe(before?.runId);
    // The replaced run's files are removed, its HTML report too.
    expect(readdirSync(reports)).toEqual([`${after?.runId}.html`]);
  });

  it('a run held by another live process exits 1 naming the holder and the lease end', async () => {
    const runs = createFileRunStore(dir.path);
    const leaseUntil = Math.ceil((Date.now() + 3_600_000) / 60_000) * 60_000;
    const held = await runs.claim({
      campaignId: ID,
      runDate: '2026-11-30',
      runId: 'held-elsewhere',
      configHash: 'h',
      now: new Date(leaseUntil - 60_000),
      leaseMs: 60_000,
      owner: { host: hostname(), pid: process.pid }, // alive: this very process
    });
    expect(held.outcome).toBe('claimed');
    const result = await run('--as-of', '2026-11-30');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `linkgap: ${ID} 2026-11-30 is being run by pid ${process.pid} on ${hostname()} until ${new Date(leaseUntil).toISOString().slice(0, 16).replace('T', ' ')} UTC; try again when it is done`,
    );
  });
});
