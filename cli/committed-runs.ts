/**
 * The committed runs of a campaign, read from any ObjectStore (the local folder or S3). A run counts
 * only once its manifest sits under runs/: prospects or changes files without one belong to a run
 * that crashed half-way and are never handed to people.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type CommittedRun, listCommittedRuns } from '#lake/committed-runs.ts';
import { LakeKeyError } from '#lake/errors.ts';
import type { ObjectStore } from '#shared/ports.ts';
import { UsageError } from './errors.ts';

export { type CommittedRun, tableKeyOf } from '#lake/committed-runs.ts';

/** Every committed run of the campaign, oldest first (run date, then finish time). */
export async function committedRuns(lake: ObjectStore, campaignId: string): Promise<CommittedRun[]> {
  try {
    return await listCommittedRuns(lake, campaignId);
  } catch (error) {
    if (error instanceof LakeKeyError) throw new UsageError(error.message);
    throw error;
  }
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
