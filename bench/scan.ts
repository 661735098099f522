/**
 * Scan efficiency: a synthetic lake of 100 campaigns × 24 monthly runs in the hive layout, and for
 * each saved query the bytes Athena would read with partition projection pinning campaign_id (and
 * optionally one run_date) and Parquet column pruning, against the whole lake. Athena bills bytes
 * scanned ($5/TB), so the ratio is the bill's ratio.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { comparableBaseline } from '#domain/baseline.ts';
import { NO_COST } from '#domain/call-cost.ts';
import type { Campaign } from '#domain/campaign.ts';
import { diffRun } from '#domain/diff.ts';
import type { Ledger } from '#domain/ledger.ts';
import { buildManifest } from '#domain/manifest.ts';
import { toCurrentProspects } from '#domain/prospects.ts';
import { REVIEW_CATEGORIES, type ReviewEvent, RUN_AUTHOR } from '#domain/review.ts';
import { openLake } from '#lake/duckdb.ts';
import { changesKey, manifestKey, prospectsKey, reviewEventKey } from '#lake/keys.ts';
import { encodeManifest } from '#lake/manifest.ts';
import { encodeParquet } from '#lake/parquet.ts';
import { athenaNamedQueries, withCampaign } from '#lake/queries.ts';
import { encodeReviewEvents } from '#lake/review-events.ts';
import { LAKE_TABLES, PARTITION_KEYS, REVIEW_PARTITION_KEYS } from '#lake/schema.ts';
import type { IntersectRow } from '#moz/types.ts';
import { benchCampaign } from './support/campaigns.ts';
import { type BenchCheck, type BenchResult, type BenchTable, mb, runIfMain } from './support/result.ts';

const CAMPAIGNS = 100;
/** Campaigns generated row by row; the others are byte copies of them under their own partitions. */
const GENERATED = 10;
const MONTHS = 24;
type Table = 'prospects' | 'changes' | 'runs' | 'reviews';
const TABLES: Table[] = ['prospects', 'changes', 'runs', 'reviews'];
/** Review events per campaign and month: a few prospects approved, then won when their gap closes. */
const REVIEWED_PER_MONTH = 3;

function monthDate(index: number): string {
  return `${2024 + Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

/** A gap list of `size` sources drawn from a pool that drifts month to month (≈10% churn). */
function gapRows(campaignIndex: number, month: number, size: number): IntersectRow[] {
  const rows: IntersectRow[] = [];
  const start = month * Math.floor(size / 10);
  for (let i = start; i < start + size; i++) {
    rows.push({
      source: `c${campaignIndex}-site-${i.toString(36)}.example`,
      title: `Site ${i} about trail running`,
      domainAuthority: 1 + ((i * 7) % 97),
      spamScore: i % 7 === 0 ? null : i % 30,
      pageAuthority: null,
      matchingTargetIndexes: i % 3 === 0 ? [0, 1] : [i % 2],
      sourcePages: [],
    });
  }
  return rows;
}

async function writeCampaign(root: string, campaign: Campaign, index: number): Promise<void> {
  let previous: Ledger | undefined;
  const baseSize = 200 + ((index * 397) % 1801); // 200–2,000 prospects per run
  for (let month = 0; month < MONTHS; month++) {
    const runDate = monthDate(month);
    const runId = `run-${index}-${month}`;
    const size = Math.round(baseSize * (1 + 0.1 * Math.sin(month)));
    const current = toCurrentProspects(gapRows(index, month, size), campaign);
    const present = new Set(current.map((prospect) => prospect.source));
    const verification = new Map<string, boolean>();
    previous?.entries.forEach((entry, n) => {
      if (entry.status === 'open' && !present.has(entry.source)) verification.set(entry.source, n % 3 === 0);
    });
    const diff = diffRun({
      campaign,
      runId,
      runDate,
      configHash: 'h',
      baseline: comparableBaseline(previous, { configHash: 'h', ignore: campaign.ignore }),
      current,
      truncated: false,
      verification,
    });
    const files: [string, Uint8Array][] = [
      [prospectsKey(campaign.id, runDate, runId), encodeParquet('prospects', diff.prospects)],
      [changesKey(campaign.id, runDate, runId), encodeParquet('changes', diff.changes)],
      [
        manifestKey(campaign.id, runDate, runId),
        encodeManifest(
          buildManifest({
            run: {
              runId,
              campaignId: campaign.id,
              runDate,
              configHash: 'h',
              startedAt: `${runDate}T06:00:00.000Z`,
            },
            previousRunId: previous?.runId ?? null,
            diff,
            pages: Math.ceil(size / 50),
            intersectCost: {
              rowsConsumed: size * 5,
              requests: Math.ceil(size / 50),
              retries: 0,
              rowsPossiblyMeteredOnFailures: 0,
            },
            linkStatusCost: NO_COST,
            truncated: false,
            maxRowsPerRun: 100_000,
            finishedAt: `${runDate}T06:05:00.000Z`,
            mozBaseUrl: 'https://lsapi.seomoz.com',
            softwareVersion: 'bench',
          }),
        ),
      ],
    ];
    files.push(...reviewEventFiles(campaign.id, runDate, runId, diff.prospects.slice(0, REVIEWED_PER_MONTH)));
    for (const [key, body] of files) {
      const path = join(root, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body);
      // Byte copies for the campaigns that are not generated, under their own partition keys.
      for (let copy = index + GENERATED; copy < CAMPAIGNS; copy += GENERATED) {
        const copyPath = join(root, key.replace(`campaign_id=${campaign.id}/`, `campaign_id=scan-${copy}/`));
        await mkdir(dirname(copyPath), { recursive: true });
        await writeFile(copyPath, body);
      }
    }
    previous = diff.ledger;
  }
}

/**
 * The month's review events, one file each as people and runs write them: the first prospects approved
 * on the run date (by a person, categorised), and won a day later (by the run).
 */
function reviewEventFiles(
  campaignId: string,
  runDate: string,
  runId: string,
  reviewed: readonly { source: string }[],
): [string, Uint8Array][] {
  const wonDate = `${runDate.slice(0, 8)}02`;
  return reviewed.flatMap(({ source }, n) => {
    const category = REVIEW_CATEGORIES[n % REVIEW_CATEGORIES.length] ?? null;
    const event = (step: 'approved' | 'won'): ReviewEvent => {
      const changedAt = `${step === 'approved' ? runDate : wonDate}T09:00:0${n}.000Z`;
      return {
        campaign_id: campaignId,
        event_date: changedAt.slice(0, 10),
        event_id: `${runId}-${n}-${step}`,
        source,
        changed_at: changedAt,
        changed_by: step === 'approved' ? 'ana@example.com' : RUN_AUTHOR,
        origin: step === 'approved' ? 'cli' : 'run',
        from_state: step === 'approved' ? 'to_review' : 'approved',
        to_state: step,
        from_category: step === 'approved' ? null : category,
        to_category: category,
        note: '',
        outcome: 'applied',
        run_id: step === 'approved' ? null : runId,
        version: step === 'approved' ? 1 : 2,
      };
    };
    return (['approved', 'won'] as const).map((step): [string, Uint8Array] => {
      const reviewEvent = event(step);
      return [
        reviewEventKey(campaignId, reviewEvent.changed_at, reviewEvent.event_id),
        encodeReviewEvents([reviewEvent]),
      ];
    });
  });
}

async function filesUnder(root: string, prefix: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.push({ path, size: (await stat(path)).size });
    }
  };
  await walk(join(root, prefix));
  return out;
}

const sum = (files: { size: number }[]) => files.reduce((total, file) => total + file.size, 0);

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'linkgap-bench-lake-'));
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  try {
    for (let index = 0; index < GENERATED; index++) {
      await writeCampaign(
        root,
        benchCampaign({ id: `scan-${index}`, competitors: 2, sourceScope: 'root_domain' }),
        index,
      );
    }
    const pinned = 'scan-3';
    const lastMonth = monthDate(MONTHS - 1);
    const whole: Record<Table, number> = { prospects: 0, changes: 0, runs: 0, reviews: 0 };
    for (const table of TABLES) whole[table] = sum(await filesUnder(root, LAKE_TABLES[table].prefix));
    const lakeBytes = whole.prospects + whole.changes + whole.runs + whole.reviews;

    /** Compressed bytes of the named columns in the Parquet files under `prefix` (footer excluded). */
    const columnBytes = async (table: Table, prefix: string, columns: string[]): Promise<number> => {
      if (LAKE_TABLES[table].format !== 'parquet') return sum(await filesUnder(root, prefix));
      const glob = join(root, prefix, '**', '*.parquet');
      const list = columns.map((name) => `'${name}'`).join(', ');
      const reader = await connection.runAndReadAll(
        `SELECT coalesce(sum(total_compressed_size), 0)::BIGINT AS bytes FROM parquet_metadata('${glob}') WHERE split_part(path_in_schema, ', ', 1) IN (${list})`,
      );
      return Number(reader.getRowObjectsJS()[0]?.bytes ?? 0);
    };

    const table: BenchTable = {
      title: `bytes read per saved query, lake = ${CAMPAIGNS} campaigns × ${MONTHS} months = ${mb(lakeBytes)} MB`,
      columns: [
        'query',
        'tables',
        'whole lake MB',
        'campaign MB',
        'campaign + columns MB',
        'ratio',
        '+ one month MB',
        'ratio',
      ],
      rows: [],
    };
    const checks: BenchCheck[] = [];
    const lake = await openLake(root);
    const queryRows: string[] = [];
    try {
      for (const query of athenaNamedQueries()) {
        const sql = withCampaign(query.sql, pinned);
        const tables = TABLES.filter((name) => new RegExp(`\\b${name}\\b`).test(sql.replace(/--.*$/gm, '')));
        const partitionKeys = new Set<string>(
          [...PARTITION_KEYS, ...REVIEW_PARTITION_KEYS].map((key) => key.name),
        );
        let wholeBytes = 0;
        let campaignBytes = 0;
        let columnsBytes = 0;
        let monthBytes = 0;
        for (const name of tables) {
          const columns = LAKE_TABLES[name].columns
            .map((column) => column.name)
            .filter((column) => !partitionKeys.has(column) && new RegExp(`\\b${column}\\b`).test(sql));
          const campaignPrefix = `${LAKE_TABLES[name].prefix}/campaign_id=${pinned}/`;
          wholeBytes += whole[name];
          campaignBytes += sum(await filesUnder(root, campaignPrefix));
          columnsBytes += await columnBytes(name, campaignPrefix, columns);
          // The table's date partition: run_date, or event_date (the day) for review events.
          const datePartition = LAKE_TABLES[name].partitionKeys[1].name;
          monthBytes += await columnBytes(name, `${campaignPrefix}${datePartition}=${lastMonth}/`, columns);
        }
        const ratio = columnsBytes / wholeBytes;
        table.rows.push([
          query.id,
          tables.join('+'),
          mb(wholeBytes),
          mb(campaignBytes),
          (columnsBytes / 1024 / 1024).toFixed(2),
          ratio.toFixed(4),
          (monthBytes / 1024 / 1024).toFixed(3),
          (monthBytes / wholeBytes).toFixed(5),
        ]);
        checks.push({
          figure: `${query.id}: bytes read ÷ whole lake`,
          value: Number(ratio.toFixed(4)),
          target: `≤ ${(1.5 / CAMPAIGNS).toFixed(3)}`,
          pass: ratio <= 1.5 / CAMPAIGNS,
        });
        const rows = await lake.query(sql);
        queryRows.push(`${query.id}: ${rows.length} rows`);
      }
    } finally {
      lake.close();
    }
    const files = (await filesUnder(root, '')).length;
    return {
      name: 'scan',
      summary: `${CAMPAIGNS} campaigns × ${MONTHS} months, 200–2,000 prospects per run, ${files.toLocaleString('en-US')} files; pinned campaign ${pinned}.`,
      tables: [table],
      checks,
      notes: [
        `campaign MB: every file under campaign_id=${pinned} (partition projection); + columns: only the Parquet column chunks the SQL names (Athena reads those; the runs table is JSON, read whole); + one month: the same with run_date pinned to ${lastMonth} (the saved queries span all months, so this is what a dashboard query pinned to one month would read).`,
        `${GENERATED} campaigns are generated row by row; the other ${CAMPAIGNS - GENERATED} are byte copies of them under their own campaign_id partitions (for bytes scanned only sizes matter).`,
        `each saved query also ran in DuckDB over the lake: ${queryRows.join(', ')}.`,
        `whole lake as written: prospects ${mb(whole.prospects)} MB, changes ${mb(whole.changes)} MB, runs ${mb(whole.runs)} MB, review events ${mb(whole.reviews)} MB (${REVIEWED_PER_MONTH} prospects a month approved then won, one file per event) (${relative(root, root) || 'temp dir, removed after'}).`,
      ],
      durationMs: performance.now() - started,
    };
  } finally {
    connection.closeSync();
    duck.closeSync();
    await rm(root, { recursive: true, force: true });
  }
}

await runIfMain(import.meta.url, run);
