/**
 * The committed runs of a campaign, read from any ObjectStore (the local folder or S3). A run counts
 * only once its manifest sits under runs/: prospects or changes files without one belong to a run
 * that crashed half-way and are never handed to people.
 */
import type { ObjectStore } from '#shared/ports.ts';
import { changesKey, parseLakeKey, prospectsKey, tablePrefix } from './keys.ts';
import { decodeManifest } from './manifest.ts';
import { readObjects } from './read-objects.ts';
import type { RunManifest, RunTableName } from './schema.ts';

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

/** Every committed run of the campaign, oldest first (run date, then finish time). Throws LakeKeyError for a bad id. */
export async function listCommittedRuns(lake: ObjectStore, campaignId: string): Promise<CommittedRun[]> {
  const prefix = tablePrefix('runs', campaignId);
  const manifests = (await lake.list(prefix)).flatMap((key) => {
    const parts = parseLakeKey(key);
    return parts?.table === 'runs' && parts.campaignId === campaignId ? [{ key, parts }] : [];
  });
  const files = await readObjects(
    lake,
    manifests.map((manifest) => manifest.key),
  );
  const runs: CommittedRun[] = [];
  manifests.forEach(({ key, parts }, index) => {
    const bytes = files[index];
    if (bytes === undefined) return; // listed, then gone
    runs.push({
      campaignId,
      runDate: parts.runDate,
      runId: parts.runId,
      manifestKey: key,
      manifest: decodeManifest(bytes),
    });
  });
  return runs.sort(
    (a, b) =>
      a.runDate.localeCompare(b.runDate) ||
      a.manifest.finished_at.localeCompare(b.manifest.finished_at) ||
      a.runId.localeCompare(b.runId),
  );
}
