import type { DiffResult } from '#domain/diff.ts';
import { encodeGzipJson } from '#lake/json.ts';
import { changesKey, ledgerKey, manifestKey, parseLakeKey, prospectsKey, tablePrefix } from '#lake/keys.ts';
import { decodeManifest, encodeManifest } from '#lake/manifest.ts';
import { encodeParquet } from '#lake/parquet.ts';
import type { RunManifest, RunTableName } from '#lake/schema.ts';
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
 * Returns the manifest that stands (one written by an attempt that crashed before its commit).
 */
export async function writeSnapshot(
  ports: Pick<RunDeps, 'lake' | 'afterStep'>,
  run: RunRef,
  diff: DiffResult,
  manifest: RunManifest,
): Promise<RunManifest> {
  const keys = runFileKeys(run);
  await writeOnce(ports.lake, keys.prospects, encodeParquet('prospects', diff.prospects));
  await ports.afterStep?.('file-written', 'prospects');
  await writeOnce(ports.lake, keys.changes, encodeParquet('changes', diff.changes));
  await ports.afterStep?.('file-written', 'changes');
  await writeOnce(ports.lake, keys.ledger, encodeGzipJson(diff.ledger));
  await ports.afterStep?.('file-written', 'ledger');
  const written = await writeManifest(ports.lake, keys.manifest, manifest);
  await ports.afterStep?.('manifest-written');
  return written;
}

/** Writes a snapshot file once. A resumed run may find it already there: then it must be byte-identical. */
async function writeOnce(lake: ObjectStore, key: string, body: Uint8Array): Promise<void> {
  const outcome = await lake.put(key, body, { ifNoneMatch: true });
  if (outcome === 'created') return;
  // A resumed run rewrites the same bytes: the inputs (checkpoints, the same baseline) are the same.
  const existing = await lake.get(key);
  if (!existing || Buffer.compare(Buffer.from(existing), Buffer.from(body)) !== 0) {
    throw new LakeConflictError(`${key} already exists with different content; snapshot files are immutable`);
  }
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
  if (manifests.length > 0) await lake.delete(manifests);
  if (data.length > 0) await lake.delete([...data, ...ledgers]);
  return [...manifests, ...data];
}
