/**
 * The committed runs of a campaign, read from any ObjectStore (the local folder or S3). A run counts
 * only once its manifest sits under runs/: prospects or changes files without one belong to a run
 * that crashed half-way and are never handed to people.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LakeKeyError } from '#lake/errors.ts';
import { changesKey, parseLakeKey, prospectsKey, tablePrefix } from '#lake/keys.ts';
import { decodeManifest } from '#lake/manifest.ts';
import type { RunManifest, RunTableName } from '#lake/schema.ts';
import type { ObjectStore } from '#shared/ports.ts';
import { UsageError } from './errors.ts';

export interface CommittedRun {
  campaignId: string;
  runDate: string;
  runId: string;
  manifestKey: string;
  manifest: RunManifest;
}

/** The lake key of one table's file of a committed run. */
export function tableKeyOf(run: CommittedRun, table: RunTableName): string {
  if (table === 'runs') return run.manifestKey;
  return table === 'prospects'
    ? prospectsKey(run.campaignId, run.runDate, run.runId)
    : changesKey(run.campaignId, run.runDate, run.runId);
}

/** Every committed run of the campaign, oldest first (run date, then finish time). */
export async function committedRuns(lake: ObjectStore, campaignId: string): Promise<CommittedRun[]> {
  let prefix: string;
  try {
    prefix = tablePrefix('runs', campaignId);
  } catch (error) {
    if (error instanceof LakeKeyError) throw new UsageError(error.message);
    throw error;
  }
  const runs: CommittedRun[] = [];
  for (const key of await lake.list(prefix)) {
    const parts = parseLakeKey(key);
    if (parts?.table !== 'runs' || parts.campaignId !== campaignId) continue;
    const bytes = await lake.get(key);
    if (bytes === undefined) continue;
    runs.push({
      campaignId,
      runDate: parts.runDate,
      runId: parts.runId,
      manifestKey: key,
      manifest: decodeManifest(bytes),
    });
  }
  return runs.sort(
    (a, b) =>
      a.runDate.localeCompare(b.runDate) ||
      a.manifest.finished_at.localeCompare(b.manifest.finished_at) ||
      a.runId.localeCompare(b.runId),
  );
}

/**
 * Copies the given keys from the lake into `folder`, keeping the key layout (hive partitions), so the
 * folder is a lake `linkgap query --lake` and `openLake` read. Returns the files written.
 */
export async function copyKeys(
  lake: ObjectStore,
  keys: readonly string[],
  folder: string,
  onFile?: (key: string) => void,
): Promise<string[]> {
  const written: string[] = [];
  for (const key of keys) {
    const bytes = await lake.get(key);
    if (bytes === undefined) throw new Error(`lake object ${key} disappeared while downloading`);
    const target = join(folder, ...key.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
    written.push(target);
    onFile?.(key);
  }
  return written;
}
