/**
 * One campaign, two months, `size` prospects, fake instant Moz and in-memory ports, in a fresh process
 * (for a clean peak RSS). Prints month-1 (baseline) and month-2 (diff + verify) times. bench/scale.ts
 * runs it bundled by esbuild, as the Lambda runs its code; `npx tsx` runs it from source.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { coldStartDeps } from '../../functions/runner/deps.ts';
import { benchCampaign } from '../support/campaigns.ts';
import { reportFromWorker } from '../support/child.ts';
import { createMemoryCampaignStore, createMemoryRunStore } from '../support/memory-ports.ts';
import { benchRunDeps, runToCommit } from '../support/pipeline.ts';
import { instantMoz, syntheticPage } from '../support/synthetic.ts';

const size = Number(process.argv[2] ?? 1000);
// What the runner function holds besides the run: its whole init graph and the AWS clients its
// composition root builds (nothing is sent; the names are placeholders). Kept live to the end, so
// peak RSS counts them as the Lambda's would.
const lambdaDeps = coldStartDeps({
  LINKGAP_TABLE: 'bench-table',
  LINKGAP_BUCKET: 'bench-bucket',
  LINKGAP_QUEUE_URL: 'http://127.0.0.1:9/queue',
  MOZ_SECRET_ID: 'bench-secret',
  AWS_REGION: 'us-east-1',
});
// Pages are made when asked for and the lake is a folder (as a local run, or S3 from Lambda): the
// process's peak RSS is the pipeline's, not the test data's.
let month = 0;
const pages = (which: 1 | 2) => ({
  total: size,
  page: (offset: number, limit: number) => syntheticPage(size, which, offset, limit),
});
const campaign = benchCampaign({ id: 'scale', competitors: 2, sourceScope: 'root_domain' });
const root = await mkdtemp(join(tmpdir(), 'linkgap-bench-scale-'));
const lake = createFsObjectStore(root);
const deps = benchRunDeps({
  campaigns: createMemoryCampaignStore([campaign]),
  runs: createMemoryRunStore(),
  lake,
  moz: instantMoz(() => pages(month === 0 ? 1 : 2)),
});
const times: number[] = [];
for (const runDate of ['2026-01-01', '2026-02-01']) {
  const started = performance.now();
  const { outcome } = await runToCommit({ campaignId: campaign.id, runDate }, deps, 1);
  times.push(performance.now() - started);
  if (outcome.manifest.gap_size !== size) throw new Error(`gap ${outcome.manifest.gap_size} ≠ ${size}`);
  month += 1;
}
// One file at a time: reading every file at once would add the lake's size to the peak RSS measured.
let lakeBytes = 0;
for (const key of await lake.list('')) lakeBytes += (await lake.get(key))?.byteLength ?? 0;
await rm(root, { recursive: true, force: true });
reportFromWorker({ size, baselineMs: times[0], diffMs: times[1], lakeBytes, holds: Boolean(lambdaDeps) });
