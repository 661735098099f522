/**
 * Scale: dispatchDue over 10,000 campaigns (in-memory stores, the memory queue), and runCampaign's own
 * cost with a Moz client that answers instantly, at 1k → 1M prospects, each size in a fresh process.
 * The pipeline worker is bundled as the Lambda's code is (scripts/bundle-lambda.ts: esbuild, minified)
 * and run by plain node with the runner function's NODE_OPTIONS and GLIBC_TUNABLES, so its RSS is what
 * the function ships, not the TypeScript sources through tsx's loader.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryQueue } from '#adapters/local/memory-queue.ts';
import { dispatchDue } from '#pipeline/dispatch.ts';
import { silentLog } from '#shared/observability.ts';
import { RUNNER_GLIBC_TUNABLES } from '../infra/process-settings.ts';
import { bundleLambda } from '../scripts/bundle-lambda.ts';
import { benchCampaign } from './support/campaigns.ts';
import { runWorker } from './support/child.ts';
import { createMemoryCampaignStore, createMemoryRunStore } from './support/memory-ports.ts';
import {
  type BenchCheck,
  type BenchResult,
  type BenchTable,
  round,
  runIfMain,
  timed,
} from './support/result.ts';

const CAMPAIGNS = 10_000;
/** V8's old-space limit for each pipeline child, as bench/README.md section 3b measured it since issue 14. */
const PIPELINE_HEAP_MB = 480;
/** 1M takes ≈ 1 min and ≈ 560 MB on 2 cores (bench/README.md 3d): opt in with BENCH_FULL=1. */
const SIZES = process.env.BENCH_FULL === '1' ? [1_000, 10_000, 100_000, 1_000_000] : [1_000, 10_000, 100_000];
const WORKER = 'bench/workers/pipeline-size.ts';
/** The flags the runner function's NODE_OPTIONS sets (infra/constructs/linkgap-function.ts). */
const LAMBDA_NODE_FLAGS = ['--enable-source-maps'];
/** The runner function's malloc settings (infra/constructs/runner.ts). */
const RUNNER_ENV = { GLIBC_TUNABLES: RUNNER_GLIBC_TUNABLES };

async function dispatch() {
  const campaigns = createMemoryCampaignStore(
    Array.from({ length: CAMPAIGNS }, (_, index) =>
      benchCampaign({ id: `c-${index}`, competitors: 2 + (index % 4), sourceScope: 'root_domain' }),
    ),
  );
  const queue = createMemoryQueue();
  const { value, ms } = await timed(() =>
    dispatchDue({ today: '2026-02-01' }, { campaigns, runs: createMemoryRunStore(), queue, log: silentLog }),
  );
  return { enqueued: value.enqueued.length, queued: queue.pending.length, ms };
}

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const d = await dispatch();
  const dispatchTable: BenchTable = {
    title: `dispatchDue over ${CAMPAIGNS.toLocaleString('en-US')} campaigns (memory stores + memory queue)`,
    columns: ['campaigns', 'messages', 'ms', 'messages/s'],
    rows: [[CAMPAIGNS, d.queued, Math.round(d.ms), Math.round(d.enqueued / (d.ms / 1000))]],
  };

  const sizeTable: BenchTable = {
    title:
      'runCampaign bundled as the runner ships it, with an instant fake Moz, in-memory stores and a folder lake (month 2: diff vs month 1, 10% departed verified)',
    columns: ['prospects', 'baseline ms', 'month-2 ms', 'µs/prospect', 'ms per 1k', 'peak RSS MB', 'lake MB'],
    rows: [],
  };
  const notes: string[] = [];
  const perRow: number[] = [];
  const bySize = new Map<number, { micros: number; maxRssMb: number }>();
  const bundleDir = await mkdtemp(join(tmpdir(), 'linkgap-bench-scale-bundle-'));
  await bundleLambda(WORKER, bundleDir);
  for (const size of SIZES) {
    try {
      const m = await runWorker<{ baselineMs: number; diffMs: number; lakeBytes: number }>(
        join(bundleDir, 'index.mjs'),
        [String(size)],
        {
          timeoutMs: 240_000,
          // The heap a 512 MB function leaves the pipeline (Node's own memory and buffers are outside
          // it): with more headroom V8 simply collects later and RSS says little about what a run needs.
          maxOldSpaceMb: PIPELINE_HEAP_MB,
          tsx: false,
          nodeFlags: LAMBDA_NODE_FLAGS,
          env: RUNNER_ENV,
        },
      );
      const micros = (m.diffMs * 1000) / size;
      perRow.push(micros);
      bySize.set(size, { micros, maxRssMb: m.maxRssMb });
      sizeTable.rows.push([
        size,
        Math.round(m.baselineMs),
        Math.round(m.diffMs),
        micros.toFixed(1),
        ((m.diffMs * 1000) / size).toFixed(1),
        m.maxRssMb,
        (m.lakeBytes / 1024 / 1024).toFixed(1),
      ]);
    } catch (error) {
      sizeTable.rows.push([size, null, null, null, null, null, null]);
      notes.push(`${size} prospects did not finish: ${String(error).slice(0, 200)}`);
    }
  }
  await rm(bundleDir, { recursive: true, force: true });
  const checks: BenchCheck[] = [];
  const first = perRow[1] ?? perRow[0];
  const last = perRow.at(-1);
  if (first !== undefined && last !== undefined) {
    const growth = last / first;
    checks.push({
      figure: `per-prospect cost, largest size ÷ 10k (linear = 1)`,
      value: Number(growth.toFixed(2)),
      target: '≤ 1.5',
      pass: growth <= 1.5,
    });
  }
  checks.push({
    figure: 'dispatch messages/s',
    value: Math.round(d.enqueued / (d.ms / 1000)),
    target: '≥ 10,000',
    pass: d.enqueued / (d.ms / 1000) >= 10_000,
  });
  const goals: Record<string, number> = {};
  const at100k = bySize.get(100_000);
  const at1m = bySize.get(1_000_000);
  if (at1m) goals.pipeline_1m_peak_rss_mb = at1m.maxRssMb;
  if (at1m && at100k) goals.pipeline_us_per_prospect_ratio_1m_vs_100k = round(at1m.micros / at100k.micros, 2);
  notes.push(
    'µs/prospect and ms per 1k are the same figure in two units; flat across sizes = linear growth.',
    'each size runs in a fresh `node` child (month 1 baseline, then month 2), so peak RSS is that size alone.',
    `each child runs the pipeline bundled as the Lambda's code is (esbuild, minified, plain node ${LAMBDA_NODE_FLAGS.join(' ')}, GLIBC_TUNABLES=${RUNNER_GLIBC_TUNABLES} as the runner function sets them) with --max-old-space-size=${PIPELINE_HEAP_MB} (a 512 MB function); peak RSS includes Node, off-heap buffers and the runner's own composition root (functions/runner/deps.ts coldStartDeps: its init graph and AWS clients, built and kept, never called).`,
  );
  return {
    name: 'scale',
    summary:
      'dispatch 10k campaigns; pipeline overhead at 1k / 10k / 100k (1M with BENCH_FULL=1) prospects (fake instant Moz).',
    tables: [dispatchTable, sizeTable],
    checks,
    notes:
      process.env.BENCH_FULL === '1'
        ? notes
        : [...notes, '1M prospects skipped (BENCH_FULL=1 runs it; ≈ 2.5 min).'],
    goals,
    durationMs: performance.now() - started,
  };
}

await runIfMain(import.meta.url, run);
