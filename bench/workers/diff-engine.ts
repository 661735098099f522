/**
 * One engine, one size, in a fresh process: the month-2 diff of `size` prospects against month 1's
 * ledger (90% overlap), then the prospects and changes Parquet files.
 * - linkgap: planDiff, then the prospects and changes files written a row group at a time from
 *   column groups (encodeParquetColumnGroups, hyparquet-writer), as the runner's snapshot writer does.
 * - parquet-wasm: the same plan and column groups as Arrow record batches, written by parquet-wasm.
 * - duckdb: the same two lists appended into tables, anti-joins for new and departed, and
 *   COPY ... TO (FORMAT parquet) for prospects and changes.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { comparableLedger } from '#domain/baseline.ts';
import { changeColumns, diffRun, planDiff, prospectColumns } from '#domain/diff.ts';
import { GapFold } from '#domain/gap-columns.ts';
import { emptyLedgerColumns, ledgerColumnsOf } from '#domain/ledger.ts';
import { toCurrentProspects } from '#domain/prospects.ts';
import { NO_REVIEWS } from '#domain/review.ts';
import { type ColumnSlice, encodeParquetColumnGroups, ROW_GROUP_SIZE } from '#lake/parquet.ts';
import { LAKE_TABLES } from '#lake/schema.ts';
import { encodeWithParquetWasm, type ParquetWasmPhases } from '../support/arrow-parquet.ts';
import { benchCampaign } from '../support/campaigns.ts';
import { reportFromWorker } from '../support/child.ts';
import { syntheticRows } from '../support/synthetic.ts';

const [engine = 'linkgap', sizeArg = '100000'] = process.argv.slice(2);
const size = Number(sizeArg);
const campaign = benchCampaign({ id: 'diff', competitors: 2, sourceScope: 'root_domain' });
const monthOneLedger = () =>
  diffRun({
    campaign,
    runId: 'run-1',
    runDate: '2026-01-01',
    configHash: 'h',
    baseline: undefined,
    current: toCurrentProspects(syntheticRows(size, 1), campaign),
    truncated: false,
    verification: new Map(),
  }).ledger;
// Each engine holds only its own input, as the runner would: objects for DuckDB's appenders; for
// linkgap the ledger in columns (the runner reads it straight into columns) and month 2 folded into
// columns. Holding both made the JS engines collect ≈ 250 MB more live heap at 1M.
const duckdb = engine === 'duckdb';
const previous = duckdb ? monthOneLedger() : { entries: [] };
const previousColumns = duckdb
  ? emptyLedgerColumns({ configHash: 'h', runId: 'run-1', runDate: '2026-01-01' })
  : ledgerColumnsOf(monthOneLedger());
const current = duckdb ? toCurrentProspects(syntheticRows(size, 2), campaign) : [];
const fold = new GapFold(campaign);
if (!duckdb) fold.add(syntheticRows(size, 2));

/** `size` rows as the runner's row groups, each sliced from the columns when the writer asks for it. */
function* rowGroups(size: number, columnsOf: (start: number, end: number) => ColumnSlice) {
  for (let start = 0; start < size; start += ROW_GROUP_SIZE)
    yield columnsOf(start, Math.min(size, start + ROW_GROUP_SIZE));
}

/** Bytes of a file written a row group at a time from columns, as the runner's snapshot writer does. */
function written(
  table: 'prospects' | 'changes',
  size: number,
  columnsOf: (start: number, end: number) => ColumnSlice,
) {
  let bytes = 0;
  for (const chunk of encodeParquetColumnGroups(
    LAKE_TABLES[table].columns,
    rowGroups(size, columnsOf),
    table,
  ))
    bytes += chunk.byteLength;
  return bytes;
}

/** The same file through Arrow record batches and parquet-wasm (the Build 2 candidate). */
function writtenWithParquetWasm(
  table: 'prospects' | 'changes',
  size: number,
  columnsOf: (start: number, end: number) => ColumnSlice,
) {
  const { bytes, phases } = encodeWithParquetWasm(LAKE_TABLES[table].columns, rowGroups(size, columnsOf));
  for (const [phase, ms] of Object.entries(phases)) wasmPhases[phase as keyof ParquetWasmPhases] += ms;
  return bytes.byteLength;
}

/** parquet-wasm's time by phase, both files together. */
const wasmPhases: ParquetWasmPhases = { buildMs: 0, ipcMs: 0, loadMs: 0, writeMs: 0 };

if (engine === 'linkgap' || engine === 'parquet-wasm') {
  // The runner's path: the gap list in columns (folded as pages arrive), the ledger in columns, the
  // diff planned as a merge, the two files written a row group at a time.
  const started = performance.now();
  const plan = planDiff({
    campaign,
    runId: 'run-2',
    runDate: '2026-02-01',
    previous: comparableLedger(previousColumns, { configHash: 'h', ignore: campaign.ignore }),
    current: fold.columns,
    truncated: false,
    verification: new Map(),
    reviews: NO_REVIEWS,
  });
  const diffMs = performance.now() - started;
  const bytes =
    engine === 'linkgap'
      ? written('prospects', plan.prospectOrder.length, (start, end) => prospectColumns(plan, start, end)) +
        written('changes', plan.changeRef.length, (start, end) => changeColumns(plan, start, end))
      : writtenWithParquetWasm('prospects', plan.prospectOrder.length, (start, end) =>
          prospectColumns(plan, start, end),
        ) +
        writtenWithParquetWasm('changes', plan.changeRef.length, (start, end) =>
          changeColumns(plan, start, end),
        );
  const totalMs = performance.now() - started;
  reportFromWorker({
    engine,
    size,
    loadMs: 0,
    diffMs,
    writeMs: totalMs - diffMs,
    totalMs,
    newCount: plan.counts.new,
    departed: plan.counts.unverified,
    bytes,
    ...(engine === 'parquet-wasm' ? { wasmPhases } : {}),
  });
} else {
  const dir = await mkdtemp(join(tmpdir(), 'linkgap-bench-duckdb-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const started = performance.now();
  await connection.run(
    'CREATE TABLE ledger (source VARCHAR, status VARCHAR, first_seen_date VARCHAR, runs_seen INTEGER, domain_authority DOUBLE, matched_count INTEGER)',
  );
  await connection.run(
    'CREATE TABLE cur (source VARCHAR, source_root_domain VARCHAR, title VARCHAR, domain_authority DOUBLE, spam_score DOUBLE, matched_targets VARCHAR, matched_count INTEGER)',
  );
  const ledger = await connection.createAppender('ledger');
  for (const entry of previous.entries) {
    ledger.appendVarchar(entry.source);
    ledger.appendVarchar(entry.status);
    ledger.appendVarchar(entry.firstSeenDate);
    ledger.appendInteger(entry.runsSeen);
    ledger.appendDouble(entry.domainAuthority);
    ledger.appendInteger(entry.matchedCount);
    ledger.endRow();
  }
  ledger.closeSync();
  const cur = await connection.createAppender('cur');
  for (const prospect of current) {
    cur.appendVarchar(prospect.source);
    cur.appendVarchar(prospect.sourceRootDomain);
    cur.appendVarchar(prospect.title);
    cur.appendDouble(prospect.domainAuthority);
    if (prospect.spamScore === null) cur.appendNull();
    else cur.appendDouble(prospect.spamScore);
    cur.appendVarchar(prospect.matchedTargets.join(','));
    cur.appendInteger(prospect.matchedCount);
    cur.endRow();
  }
  cur.closeSync();
  const loadMs = performance.now() - started;
  const prospectsFile = join(dir, 'prospects.parquet');
  const changesFile = join(dir, 'changes.parquet');
  // prospects: every current row with its status from the ledger (left join), scored, sorted.
  await connection.run(`COPY (
    SELECT 'diff' AS campaign_id, 'run-2' AS run_id, DATE '2026-02-01' AS run_date, c.source, c.source_root_domain,
      c.title, c.domain_authority, c.spam_score, string_split(c.matched_targets, ',') AS matched_targets, c.matched_count,
      round(0.6 * c.domain_authority + 30 * c.matched_count / 2 + 10 * (1 - coalesce(c.spam_score, 50) / 100), 1) AS score,
      CASE WHEN l.source IS NULL THEN 'new' WHEN l.status = 'open' THEN 'persisting' ELSE 'reopened' END AS status,
      coalesce(l.first_seen_date, '2026-02-01') AS first_seen_date, coalesce(l.runs_seen, 0) + 1 AS runs_seen
    FROM cur c LEFT JOIN ledger l USING (source)
    ORDER BY score DESC, source
  ) TO '${prospectsFile}' (FORMAT parquet, COMPRESSION snappy)`);
  // changes: new (anti-join ledger) and departed (anti-join current).
  await connection.run(`COPY (
    SELECT * FROM (
      SELECT c.source, 'new' AS change, NULL::DOUBLE AS previous_domain_authority, c.domain_authority AS current_domain_authority
      FROM cur c ANTI JOIN ledger l USING (source)
      UNION ALL
      SELECT l.source, 'unverified' AS change, l.domain_authority, NULL::DOUBLE
      FROM ledger l ANTI JOIN cur c USING (source) WHERE l.status = 'open'
    ) ORDER BY change, source
  ) TO '${changesFile}' (FORMAT parquet, COMPRESSION snappy)`);
  const totalMs = performance.now() - started;
  const counts = await connection.runAndReadAll(
    `SELECT count(*) FILTER (WHERE change = 'new') AS n, count(*) FILTER (WHERE change <> 'new') AS d FROM '${changesFile}'`,
  );
  const [row] = counts.getRowObjectsJS();
  const bytes = (await stat(prospectsFile)).size + (await stat(changesFile)).size;
  connection.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
  reportFromWorker({
    engine,
    size,
    loadMs,
    diffMs: totalMs - loadMs,
    writeMs: 0,
    totalMs,
    newCount: Number(row?.n ?? 0),
    departed: Number(row?.d ?? 0),
    bytes,
  });
}
