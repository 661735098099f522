// Promise 7: the history stays consistent. Over random sequences of months, injected faults and
// config changes, every committed run agrees with its files and with the runs before it.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignInput } from '#domain/campaign.ts';
import type { ChangeRow, ProspectRow, RunManifest } from '#lake/schema.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { readLake, SIM_TOKEN, startHarness } from '#test/support/reliability-harness.ts';

const rivals = (...names: string[]) =>
  names.map((name) => ({ target: `${name}.example`, scope: 'root_domain' as const }));

/** Config variants: the first two share a config hash (a budget is not part of it); the others do not. */
const CONFIGS: Record<string, Partial<CampaignInput>> = {
  base: { competitors: rivals('rival-a', 'rival-b'), minMatchingTargets: 1 },
  // 303: the cap cuts the gap list and leaves one link_status check, whose "no" must not mean lost.
  capped: { competitors: rivals('rival-a', 'rival-b'), minMatchingTargets: 1, maxRowsPerRun: 303 },
  threshold: { competitors: rivals('rival-a', 'rival-b', 'rival-c'), minMatchingTargets: 2 },
  competitor: { competitors: rivals('rival-a', 'rival-b', 'rival-c'), minMatchingTargets: 1 },
};

const step = fc.record({
  monthsLater: fc.integer({ min: 1, max: 3 }),
  config: fc.constantFrom(...Object.keys(CONFIGS)),
  faults: fc.boolean(),
});

let simulator: MozSimulator;
beforeAll(async () => {
  simulator = await startSimulator({ token: SIM_TOKEN, seed: 'reliability-history', universeSize: 3_000 });
});
afterAll(async () => {
  await simulator?.close();
});

function addMonths(month: string, count: number): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, monthNumber - 1 + count, 1)).toISOString().slice(0, 10);
}

interface Seen {
  firstSeen: string;
  runsSeen: number;
}

/** Checks every invariant over the committed runs, oldest first. */
function checkHistory(
  manifests: RunManifest[],
  prospectsOf: (runId: string) => ProspectRow[],
  changesOf: (runId: string) => ChangeRow[],
) {
  let baselineMemory = new Map<string, Seen>();
  let previous: RunManifest | undefined;
  let previousSources = new Set<string>();
  for (const manifest of manifests) {
    const prospects = prospectsOf(manifest.run_id);
    const changes = changesOf(manifest.run_id);
    const count = <T>(rows: T[], test: (row: T) => boolean) => rows.filter(test).length;
    const where = `run ${manifest.run_date} (${manifest.config_hash})`;

    // The manifest agrees with its files.
    expect(prospects.length, `${where}: gap_size`).toBe(manifest.gap_size);
    expect(
      count(prospects, (row) => row.status === 'new'),
      `${where}: new`,
    ).toBe(manifest.new_count);
    expect(
      count(prospects, (row) => row.status === 'persisting'),
      `${where}: persisting`,
    ).toBe(manifest.persisting_count);
    expect(
      count(prospects, (row) => row.status === 'reopened'),
      `${where}: reopened`,
    ).toBe(manifest.reopened_count);
    for (const kind of ['new', 'reopened', 'closed', 'lost', 'unverified'] as const) {
      expect(
        count(changes, (row) => row.change === kind),
        `${where}: ${kind} changes`,
      ).toBe(manifest[`${kind}_count`]);
    }
    expect(new Set(prospects.map((row) => row.source)).size, `${where}: one row per source`).toBe(
      prospects.length,
    );
    for (const row of [...prospects, ...changes]) expect(row.run_id).toBe(manifest.run_id);

    // Closure rate in [0, 1], closed over the previous gap.
    if (manifest.closure_rate !== null) {
      expect(manifest.closure_rate).toBeGreaterThanOrEqual(0);
      expect(manifest.closure_rate).toBeLessThanOrEqual(1);
      expect(manifest.closure_rate).toBeCloseTo(
        manifest.closed_count / (manifest.previous_gap_size ?? Number.NaN),
      );
    }
    // Nothing lost in a truncated run.
    if (manifest.truncated) expect(manifest.lost_count, `${where}: lost in a truncated run`).toBe(0);

    // A config-hash change starts a new baseline.
    const newBaseline = previous === undefined || previous.config_hash !== manifest.config_hash;
    expect(manifest.baseline, `${where}: baseline`).toBe(newBaseline);
    if (newBaseline) {
      expect(manifest.previous_run_id).toBeNull();
      expect(manifest.closure_rate).toBeNull();
      expect(
        prospects.every(
          (row) => row.status === 'new' && row.runs_seen === 1 && row.first_seen_date === manifest.run_date,
        ),
      ).toBe(true);
      expect(changes.every((row) => row.change === 'new')).toBe(true);
      baselineMemory = new Map();
      previousSources = new Set();
    } else {
      expect(manifest.previous_run_id).toBe(previous?.run_id);
    }

    // runs_seen and first_seen are monotone per source within a baseline.
    for (const row of prospects) {
      const seen = baselineMemory.get(row.source);
      expect(row.first_seen_date <= manifest.run_date).toBe(true);
      if (!seen) {
        expect(row.status, `${where}: ${row.source}`).toBe('new');
        expect(row.runs_seen).toBe(1);
        expect(row.first_seen_date).toBe(manifest.run_date);
      } else {
        expect(row.status, `${where}: ${row.source}`).toBe(
          previousSources.has(row.source) ? 'persisting' : 'reopened',
        );
        expect(row.first_seen_date, `${where}: first_seen of ${row.source}`).toBe(seen.firstSeen);
        expect(row.runs_seen, `${where}: runs_seen of ${row.source}`).toBe(seen.runsSeen + 1);
      }
      baselineMemory.set(row.source, { firstSeen: row.first_seen_date, runsSeen: row.runs_seen });
    }
    previous = manifest;
    previousSources = new Set(prospects.map((row) => row.source));
  }
}

describe('Promise 7: the history stays consistent', () => {
  it('over random sequences of months, faults and config changes', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 4 }), async (steps) => {
        const harness = await startHarness({ sharedSimulator: simulator });
        try {
          let month = '2025-12';
          for (const [index, { monthsLater, config, faults }] of steps.entries()) {
            const runDate = addMonths(month, monthsLater);
            month = runDate.slice(0, 7);
            await harness.putCampaign(CONFIGS[config]);
            simulator.faults.clear();
            if (faults) {
              const spec = {
                error5xxRate: 0.3,
                dropRate: 0.1,
                malformedRate: 0.1,
                meterFaulted: true,
                seed: index + 1,
              };
              simulator.faults.set('link_intersect', spec);
              simulator.faults.set('link_status', {
                ...spec,
                burst429: { count: 1, retryAfterSeconds: null },
              });
            }
            expect((await harness.run(runDate)).outcome).toBe('committed');
          }
          simulator.faults.clear();

          const lake = await readLake(harness.lake);
          const manifests = Object.values(lake.manifests).sort((a, b) => (a.run_date < b.run_date ? -1 : 1));
          expect(manifests).toHaveLength(steps.length);
          const byRun =
            <T extends { run_id: string }>(tables: Record<string, T[]>) =>
            (runId: string) =>
              Object.values(tables)
                .flat()
                .filter((row) => row.run_id === runId);
          checkHistory(manifests, byRun(lake.prospects), byRun(lake.changes));
        } finally {
          simulator.faults.clear();
          await harness.close();
        }
      }),
      { numRuns: 12 },
    );
  });
});
