// Every run store enforces the chain in its own conditional commit (DESIGN.md section 4): the file
// store, the benchmarks' memory store and DynamoDB alike. The pipeline never asks for a commit that
// breaks it; these tests ask anyway, as a stale or racing worker would.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { createFileRunStore } from '#adapters/local/file-stores.ts';
import { ChainConflictError, type RunRecord, type RunStore } from '#shared/ports.ts';
import { aRunSummary } from '#test/support/builders.ts';
import { createTestStack, useMoto } from '#test/support/moto.ts';
import { createMemoryRunStore } from '../../bench/support/memory-ports.ts';

const moto = useMoto();
const homes: string[] = [];
afterAll(async () => {
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

const stores: [string, () => Promise<RunStore>][] = [
  [
    'file store',
    async () => {
      const home = await mkdtemp(join(tmpdir(), 'linkgap-chain-'));
      homes.push(home);
      return createFileRunStore(home);
    },
  ],
  ['memory store', async () => createMemoryRunStore()],
];
if (moto.available) {
  stores.push([
    'DynamoDB (moto)',
    async () => {
      const stack = await createTestStack(moto);
      return createDynamoRunStore({ doc: stack.clients.doc, tableName: stack.names.tableName });
    },
  ]);
}

const CAMPAIGN = 'chain';
const at = (runDate: string) => new Date(`${runDate}T06:00:00Z`);

async function claim(runs: RunStore, runDate: string, force = false): Promise<RunRecord> {
  const result = await runs.claim({
    campaignId: CAMPAIGN,
    runDate,
    runId: `run-${runDate}-${randomUUID().slice(0, 8)}`,
    configHash: 'h',
    now: at(runDate),
    leaseMs: 60_000,
    force,
  });
  if (result.outcome !== 'claimed') throw new Error(`claim of ${runDate}: ${result.outcome}`);
  return result.record;
}

function commit(
  runs: RunStore,
  record: RunRecord,
  expectedLatestRunId: string | null,
  previousRunId = expectedLatestRunId,
) {
  return runs.commit({
    record,
    summary: aRunSummary({ manifestKey: 'm' }),
    pointer: {
      campaignId: CAMPAIGN,
      runId: record.runId,
      runDate: record.runDate,
      configHash: 'h',
      manifestKey: 'm',
      ledgerKey: 'l',
      previousRunId,
    },
    expectedLatestRunId,
    now: new Date(at(record.runDate).getTime() + 1_000),
  });
}

describe.each(stores)('the %s keeps the chain in its conditional commit', (_name, open) => {
  it('commits in date order and refuses an older date or a stale predecessor, leaving the loser uncommitted', async () => {
    const runs = await open();
    const january = await claim(runs, '2026-01-01');
    const february = await claim(runs, '2026-02-01');
    const march = await claim(runs, '2026-03-01');
    await commit(runs, january, null);
    // March diffed against January while February was still running: February commits first.
    await commit(runs, february, january.runId);
    await expect(commit(runs, march, january.runId)).rejects.toBeInstanceOf(ChainConflictError);
    expect((await runs.get(CAMPAIGN, '2026-03-01'))?.status).toBe('RUNNING');
    expect((await runs.latest(CAMPAIGN))?.runId).toBe(february.runId);
    await commit(runs, march, february.runId);
    expect((await runs.latest(CAMPAIGN))?.runId).toBe(march.runId);

    // A run of an earlier date can never commit behind the latest one.
    const late = await runs.claim({
      campaignId: CAMPAIGN,
      runDate: '2026-01-15',
      runId: 'late',
      configHash: 'h',
      now: at('2026-03-02'),
      leaseMs: 60_000,
    });
    if (late.outcome !== 'claimed') throw new Error('claim failed');
    await expect(commit(runs, late.record, march.runId)).rejects.toBeInstanceOf(ChainConflictError);
    expect((await runs.latest(CAMPAIGN))?.runDate).toBe('2026-03-01');
  });

  it('a commit repeated after a crash is idempotent; a forced replacement of the latest date chains to its predecessor', async () => {
    const runs = await open();
    const january = await claim(runs, '2026-01-01');
    await commit(runs, january, null);
    const february = await claim(runs, '2026-02-01');
    await commit(runs, february, january.runId);
    await commit(runs, february, january.runId); // the same commit again: nothing changes
    expect((await runs.get(CAMPAIGN, '2026-02-01'))?.status).toBe('SUCCEEDED');

    const forced = await claim(runs, '2026-02-01', true);
    await commit(runs, forced, february.runId, january.runId);
    expect(await runs.latest(CAMPAIGN)).toMatchObject({ runId: forced.runId, previousRunId: january.runId });
  });
});
