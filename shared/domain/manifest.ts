import type { CallCost } from './call-cost.ts';
import type { DiffResult } from './diff.ts';
import type { RunManifest } from './lake-contract.ts';

/** Everything a run's manifest says, gathered by the pipeline. */
export interface ManifestInput {
  run: { runId: string; campaignId: string; runDate: string; configHash: string; startedAt: string };
  /** The run this one was diffed against; null for a baseline. */
  previousRunId: string | null;
  diff: Pick<DiffResult, 'baseline' | 'counts' | 'closureRate'>;
  pages: number;
  intersectCost: CallCost;
  linkStatusCost: CallCost;
  truncated: boolean;
  maxRowsPerRun: number;
  finishedAt: string;
  /** Where the rows came from: safe to publish (no credentials in it). */
  mozBaseUrl: string;
  softwareVersion: string;
}

/** The run manifest (one row of the `runs` table), in the contract's column order. */
export function buildManifest(input: ManifestInput): RunManifest {
  const { run, diff, intersectCost: intersect, linkStatusCost: linkStatus } = input;
  return {
    run_id: run.runId,
    campaign_id: run.campaignId,
    run_date: run.runDate,
    config_hash: run.configHash,
    previous_run_id: input.previousRunId,
    baseline: diff.baseline,
    status: 'SUCCEEDED',
    truncated: input.truncated,
    pages: input.pages,
    requests: intersect.requests + linkStatus.requests,
    retries: intersect.retries + linkStatus.retries,
    rows_consumed: intersect.rowsConsumed + linkStatus.rowsConsumed,
    rows_consumed_intersect: intersect.rowsConsumed,
    rows_consumed_link_status: linkStatus.rowsConsumed,
    rows_possibly_metered_on_failures:
      intersect.rowsPossiblyMeteredOnFailures + linkStatus.rowsPossiblyMeteredOnFailures,
    max_rows_per_run: input.maxRowsPerRun,
    gap_size: diff.counts.gapSize,
    new_count: diff.counts.new,
    persisting_count: diff.counts.persisting,
    reopened_count: diff.counts.reopened,
    closed_count: diff.counts.closed,
    lost_count: diff.counts.lost,
    unverified_count: diff.counts.unverified,
    previous_gap_size: diff.counts.previousGapSize,
    closure_rate: diff.closureRate,
    started_at: run.startedAt,
    finished_at: input.finishedAt,
    moz_base_url: input.mozBaseUrl,
    software_version: input.softwareVersion,
  };
}
