import { createHash } from 'node:crypto';
import { changeColumns, type DiffPlan, nextLedgerEntries, prospectColumns } from '#domain/diff.ts';
import {
  changesKey,
  ledgerKey,
  manifestKey,
  parseLakeKey,
  prospectsKey,
  reportKey,
  tablePrefix,
} from '#lake/keys.ts';
import { encodeLedgerStream } from '#lake/ledger-file.ts';
import { decodeManifest, encodeManifest } from '#lake/manifest.ts';
import type { ColumnSlice } from '#lake/parquet.ts';
import { LAKE_TABLES, type RunManifest, type RunTableName } from '#lake/schema.ts';
import type { ObjectStore } from '#shared/ports.ts';
import type { RunRef } from './checkpoints.ts';
import type { RunDeps } from './run-deps.ts';

export class LakeConflictError extends Error {
  override name = 'LakeConflictError';
}

/** The keys of one run's files; the manifest is the commit marker for readers. */
export function runFileKeys(run: RunRef) {
  return {
    prospects: prospectsKey(run.campaignId, run.runDate, run.runId),
    changes: changesKey(run.campaignId, run.runDate, run.runId),
    ledger: ledgerKey(run.campaignId, run.runId),
    manifest: manifestKey(run.campaignId, run.runDate, run.runId),
  };
}

/**
 * Writes the run's files, each write-once: prospects, changes and the ledger, then the manifest.
 * Each file is streamed: columns are made and encoded a row group at a time from the diff plan, and the
 * ledger entry by entry. Returns the manifest that stands (one written by an attempt that crashed
 * before its commit).
 */
export async function writeSnapshot(
  ports: Pick<RunDeps, 'lake' | 'afterStep'>,
  run: RunRef,
  plan: DiffPlan,
  manifest: RunManifest,
): Promise<RunManifest> {
  const keys = runFileKeys(run);
  // The Parquet writer (and the reader beside it) loads when a run first writes, not at every cold start.
  const { encodeParquetColumnGroups, ROW_GROUP_SIZE } = await import('#lake/parquet.ts');
  // Each table's columns are made and encoded one row group at a time.
  const writeTable = async (
    table: 'prospects' | 'changes',
    rows: number,
    columnsOf: (from: DiffPlan, start: number, end: number) => ColumnSlice,
  ) => {
    const groups = rowGroups(rows, ROW_GROUP_SIZE, (start, end) => columnsOf(plan, start, end));
    await writeOnce(
      ports.lake,
      keys[table],
      encodeParquetColumnGroups(LAKE_TABLES[table].columns, groups, table),
    );
    await ports.afterStep?.('file-written', table);
  };
  await writeTable('prospects', plan.prospectOrder.length, prospectColumns);
  await writeTable('changes', plan.changeRef.length, changeColumns);
  const { configHash, runId, runDate } = { ...plan.input, configHash: manifest.config_hash };
  await writeOnce(
    ports.lake,
    keys.ledger,
    encodeLedgerStream({ configHash, runId, runDate }, nextLedgerEntries(plan)),
  );
  await ports.afterStep?.('file-written', 'ledger');
  const written = await writeManifest(ports.lake, keys.manifest, manifest);
  await ports.afterStep?.('manifest-written');
  return written;
}

function* rowGroups<T>(
  size: number,
  groupSize: number,
  sliceOf: (start: number, end: number) => T,
): Generator<T> {
  for (let start = 0; start < size; start += groupSize)
    yield sliceOf(start, Math.min(size, start + groupSize));
}

/**
 * Writes a snapshot file once, streamed. A resumed run may find it already there: then it must be
 * byte-identical (the inputs, checkpoints and the same baseline, are the same), compared by SHA-256.
 */
async function writeOnce(
  lake: ObjectStore,
  key: string,
  body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const hash = createHash('sha256');
  const hashed = async function* () {
    for await (const chunk of body) {
      hash.update(chunk);
      yield chunk;
    }
  };
  const chunks = hashed();
  const outcome = await putChunks(lake, key, chunks, { ifNoneMatch: true });
  if (outcome === 'created') return;
  for await (const _ of chunks); // a store that answered before reading everything: hash the rest
  const existing = await lake.get(key);
  const ours = hash.digest('hex');
  if (!existing || createHash('sha256').update(existing).digest('hex') !== ours) {
    throw new LakeConflictError(`${key} already exists with different content; snapshot files are immutable`);
  }
}

/** `putStream` when the store has it; otherwise the chunks gathered and `put`. */
export async function putChunks(
  lake: ObjectStore,
  key: string,
  body: AsyncIterable<Uint8Array>,
  options: { contentType?: string; ifNoneMatch?: boolean },
): Promise<'created' | 'exists'> {
  if (lake.putStream) return lake.putStream(key, body, options);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return lake.put(key, new Uint8Array(Buffer.concat(chunks)), options);
}

/** The manifest is the commit marker for readers; one written by a crashed attempt stands. */
async function writeManifest(lake: ObjectStore, key: string, manifest: RunManifest): Promise<RunManifest> {
  const outcome = await lake.put(key, encodeManifest(manifest), {
    ifNoneMatch: true,
    contentType: 'application/json',
  });
  if (outcome === 'created') return manifest;
  const existing = await lake.get(key);
  if (!existing) throw new LakeConflictError(`${key} vanished while reading it back`);
  return decodeManifest(existing);
}

/**
 * Removes the files of an uncommitted attempt that was diffed against another baseline than the one
 * this attempt will use (the chain moved between attempts): they would otherwise stand, or conflict.
 * Only ever called by the run's owner, before it writes, and only for its own uncommitted run.
 */
export async function discardStaleSnapshot(
  lake: ObjectStore,
  run: RunRef,
  previousRunId: string | null,
): Promise<boolean> {
  const keys = runFileKeys(run);
  const bytes = await lake.get(keys.manifest);
  if (!bytes || decodeManifest(bytes).previous_run_id === previousRunId) return false;
  await lake.delete([keys.manifest]);
  await lake.delete([keys.prospects, keys.changes, keys.ledger]);
  return true;
}

/**
 * Removes every other run's snapshot files for the same (campaign, run_date): the run a `--force`
 * replaced, or an attempt abandoned when the config changed. Manifests go first, so readers that join
 * `runs` stop seeing the old run before its data files disappear. Idempotent: a later run calls it
 * again to repair a replacement that was killed between its commit and this clean-up.
 */
export async function removeSupersededRuns(lake: ObjectStore, run: RunRef): Promise<string[]> {
  const others = async (table: RunTableName) =>
    (await lake.list(tablePrefix(table, run.campaignId, run.runDate))).filter((key) => {
      const parts = parseLakeKey(key);
      return parts !== undefined && parts.runId !== run.runId;
    });
  const manifests = await others('runs');
  const data = [...(await others('prospects')), ...(await others('changes'))];
  const ledgers = [...new Set([...manifests, ...data].map((key) => parseLakeKey(key)?.runId))]
    .filter((runId): runId is string => runId !== undefined)
    .map((runId) => ledgerKey(run.campaignId, runId));
  // The superseded runs' HTML reports go too (README: the old run's files are removed): every report
  // in the folder of this run's own report, but that one.
  const ownReport = reportKey(run.campaignId, run.runDate, run.runId);
  const reports = (await lake.list(ownReport.slice(0, ownReport.lastIndexOf('/') + 1))).filter(
    (key) => key.endsWith('.html') && key !== ownReport,
  );
  if (manifests.length > 0) await lake.delete(manifests);
  if (data.length > 0) await lake.delete([...data, ...ledgers]);
  if (reports.length > 0) await lake.delete(reports);
  return [...manifests, ...data, ...reports];
}
