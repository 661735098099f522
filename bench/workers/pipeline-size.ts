/**
 * One campaign, two months, `size` prospects, fake instant Moz and in-memory ports, in a fresh process
 * (for a clean peak RSS). Prints month-1 (baseline) and month-2 (diff + verify) times.
 */
import { benchCampaign } from '../support/campaigns.ts';
import { reportFromWorker } from '../support/child.ts';
import {
  createMemoryCampaignStore,
  createMemoryObjectStore,
  createMemoryRunStore,
} from '../support/memory-ports.ts';
import { benchRunDeps, runToCommit } from '../support/pipeline.ts';
import { instantMoz, syntheticRows } from '../support/synthetic.ts';

const size = Number(process.argv[2] ?? 1000);
const months = [syntheticRows(size, 1), syntheticRows(size, 2)];
let month = 0;
const campaign = benchCampaign({ id: 'scale', competitors: 2, sourceScope: 'root_domain' });
const lake = createMemoryObjectStore();
const deps = benchRunDeps({
  campaigns: createMemoryCampaignStore([campaign]),
  runs: createMemoryRunStore(),
  lake,
  moz: instantMoz(() => months[month] ?? []),
});
const times: number[] = [];
for (const runDate of ['2026-01-01', '2026-02-01']) {
  const started = performance.now();
  const { outcome } = await runToCommit({ campaignId: campaign.id, runDate }, deps, 1);
  times.push(performance.now() - started);
  if (outcome.manifest.gap_size !== size) throw new Error(`gap ${outcome.manifest.gap_size} ≠ ${size}`);
  month += 1;
}
reportFromWorker({ size, baselineMs: times[0], diffMs: times[1], lakeBytes: lake.bytes() });
