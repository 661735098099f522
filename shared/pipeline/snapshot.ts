import type { Campaign } from '#domain/campaign.ts';
import type { DiffResult } from '#domain/diff.ts';
import type { Ledger } from '#domain/ledger.ts';
import { ledgerKey, parseLakeKey, tablePrefix } from '#lake/keys.ts';
import { decodeManifest, encodeManifest } from '#lake/manifest.ts';
import type { LakeTableName, RunManifest } from '#lake/schema.ts';
import type { ObjectStore, RunRecord } from '#shared/ports.ts';
import { type PageCheckpoint, type RunRef, sumCosts, type VerifyCheckpoint } from './checkpoints.ts';
import type { RunDeps } from './run-campaign.ts';

export class LakeConflictError extends Error {
  override name = 'LakeConflictError';
}

/** Writes a snapshot file once. A resumed run may find it already there: then it must be byte-identical. */
export async function writeOnce(deps: RunDeps, key: string, body: Uint8Array): Promise<void> {
  const outcome = await deps.lake.put(key, body, { ifNoneMatch: true });
  if (outcome === 'created') return;
  // A resumed run rewrites the same bytes: the inputs (checkpoints) are the same.
  const existing = await deps.lake.get(key);
  if (!existing || Buffer.compare(Buffer.from(existing), Buffer.from(body)) !== 0) {
    throw new LakeConflictError(`${key} already exists with different content; snapshot files are immutable`);
  }
}

/** The manifest is the commit marker for readers; one written by a crashed attempt stands. */
export async function writeManifest(key: string, manifest: RunManifest, deps: RunDeps): Promise<RunManifest> {
  const outcome = await deps.lake.put(key, encodeManifest(manifest), {
    ifNoneMatch: true,
    contentType: 'application/json',
  });
  if (outcome === 'created') return manifest;
  // Written by an attempt that crashed before committing: that manifest stands.
  const existing = await deps.lake.get(key);
  if (!existing) throw new LakeConflictError(`${key} vanished while reading it back`);
  return decodeManifest(existing);
}

export function buildManifest(
  record: RunRecord,
  campaign: Campaign,
  diff: DiffResult,
  pages: readonly PageCheckpoint[],
  batches: readonly VerifyCheckpoint[],
  truncated: boolean,
  deps: RunDeps,
  previous: Ledger | undefined,
): RunManifest {
  const intersect = sumCosts(pages.map((page) => page.cost));
  const linkStatus = sumCosts(batches.map((batch) => batch.cost));
  const total = sumCosts([intersect, linkStatus]);
  return {
    run_id: record.runId,
    campaign_id: record.campaignId,
    run_date: record.runDate,
    config_hash: record.configHash,
    previous_run_id: previous?.runId ?? null,
    baseline: diff.baseline,
    status: 'SUCCEEDED',
    truncated,
    pages: pages.length,
    requests: total.requests,
    retries: total.retries,
    rows_consumed: total.rowsConsumed,
    rows_consumed_intersect: intersect.rowsConsumed,
    rows_consumed_link_status: linkStatus.rowsConsumed,
    rows_possibly_metered_on_failures: total.rowsPossiblyMeteredOnFailures,
    max_rows_per_run: campaign.maxRowsPerRun,
    gap_size: diff.counts.gapSize,
    new_count: diff.counts.new,
    persisting_count: diff.counts.persisting,
    reopened_count: diff.counts.reopened,
    closed_count: diff.counts.closed,
    lost_count: diff.counts.lost,
    unverified_count: diff.counts.unverified,
    previous_gap_size: diff.counts.previousGapSize,
    closure_rate: diff.closureRate,
    started_at: record.startedAt,
    finished_at: deps.clock().toISOString(),
    moz_base_url: deps.mozBaseUrl,
    software_version: deps.softwareVersion,
  };
}

/**
 * After a commit, removes every other run's snapshot files for the same (campaign, run_date): the run
 * a `--force` replaced, or an attempt abandoned when the config changed. The manifest goes first, so
 * readers that join `runs` stop seeing the old run before its data files disappear. Returns the
 * keys it removed.
 */
export async function removeSupersededRuns(lake: ObjectStore, run: RunRef): Promise<string[]> {
  const others = async (table: LakeTableName) =>
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
