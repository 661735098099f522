/**
 * A small lake of real files (Parquet from encodeParquet, manifests from encodeManifest) whose answers
 * are worked out by hand: three committed runs of one campaign (a baseline, a month with a close and
 * a loss, a truncated quarter-later run with a close and a reopen), a run that crashed before its
 * manifest, and another campaign. The Athena golden answers and the file-reader tests read it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changesKey, manifestKey, prospectsKey } from '#lake/keys.ts';
import { encodeManifest } from '#lake/manifest.ts';
import { encodeParquet } from '#lake/parquet.ts';
import { LAKE_QUERY_CAMPAIGN_ID } from '#lake/queries.ts';
import type { ChangeRow, ProspectRow, RunManifest } from '#lake/schema.ts';

export const CAMPAIGN = LAKE_QUERY_CAMPAIGN_ID;
export const OTHER_CAMPAIGN = 'other-campaign';

export interface FixtureRun {
  readonly manifest: RunManifest | undefined;
  readonly campaignId: string;
  readonly runId: string;
  readonly runDate: string;
  readonly prospects: ProspectRow[];
  readonly changes: ChangeRow[];
}

function manifestOf(
  campaignId: string,
  runId: string,
  runDate: string,
  counts: Partial<RunManifest>,
): RunManifest {
  return {
    run_id: runId,
    campaign_id: campaignId,
    run_date: runDate,
    config_hash: 'c0ffee',
    previous_run_id: null,
    baseline: false,
    status: 'SUCCEEDED',
    truncated: false,
    pages: 1,
    requests: 2,
    retries: 0,
    rows_consumed: 0,
    rows_consumed_intersect: 0,
    rows_consumed_link_status: 0,
    rows_possibly_metered_on_failures: 0,
    max_rows_per_run: 5000,
    gap_size: 0,
    new_count: 0,
    persisting_count: 0,
    reopened_count: 0,
    closed_count: 0,
    lost_count: 0,
    unverified_count: 0,
    previous_gap_size: null,
    closure_rate: null,
    started_at: `${runDate}T06:00:00.000Z`,
    finished_at: `${runDate}T06:04:30.250Z`,
    moz_base_url: 'https://lsapi.seomoz.com',
    software_version: '0.1.0',
    ...counts,
  };
}

function prospect(
  run: { campaignId: string; runId: string; runDate: string },
  source: string,
  values: Partial<ProspectRow>,
): ProspectRow {
  return {
    campaign_id: run.campaignId,
    run_id: run.runId,
    run_date: run.runDate,
    source,
    source_root_domain: source,
    title: `Links at ${source}`,
    domain_authority: 40,
    page_authority: null,
    spam_score: null,
    matched_targets: ['rival-a.example', 'rival-b.example'],
    matched_count: 2,
    score: 50,
    status: 'new',
    first_seen_date: run.runDate,
    runs_seen: 1,
    review_state: 'to_review',
    category: null,
    ...values,
  };
}

function change(
  run: { campaignId: string; runId: string; runDate: string },
  source: string,
  values: Partial<ChangeRow> & Pick<ChangeRow, 'change'>,
): ChangeRow {
  return {
    campaign_id: run.campaignId,
    run_id: run.runId,
    run_date: run.runDate,
    source,
    previous_domain_authority: null,
    current_domain_authority: null,
    previous_matched_count: null,
    current_matched_count: null,
    days_in_gap: null,
    review_state: 'to_review',
    ...values,
  };
}

const r1 = { campaignId: CAMPAIGN, runId: 'r1', runDate: '2025-01-01' };
const r2 = { campaignId: CAMPAIGN, runId: 'r2', runDate: '2025-02-01' };
const r3 = { campaignId: CAMPAIGN, runId: 'r3', runDate: '2025-04-01' };
const crashed = { campaignId: CAMPAIGN, runId: 'r4-crashed', runDate: '2025-05-01' };
const other = { campaignId: OTHER_CAMPAIGN, runId: 'o1', runDate: '2025-02-01' };

export const FIXTURE_RUNS: readonly FixtureRun[] = [
  {
    ...r1,
    manifest: manifestOf(CAMPAIGN, 'r1', '2025-01-01', {
      baseline: true,
      gap_size: 3,
      new_count: 3,
      rows_consumed: 15,
      rows_consumed_intersect: 15,
    }),
    prospects: [
      prospect(r1, 'a.example', {
        domain_authority: 50,
        score: 70.5,
        first_seen_date: '2024-10-01',
        runs_seen: 4,
        status: 'persisting',
        spam_score: 3,
        page_authority: 41,
      }),
      prospect(r1, 'b.example', { domain_authority: 40, score: 55 }),
      prospect(r1, 'c.example', { domain_authority: 31, score: 30.25, matched_targets: ['rival-a.example'] }),
    ],
    changes: [],
  },
  {
    ...r2,
    manifest: manifestOf(CAMPAIGN, 'r2', '2025-02-01', {
      previous_run_id: 'r1',
      gap_size: 2,
      new_count: 1,
      persisting_count: 1,
      closed_count: 1,
      lost_count: 1,
      previous_gap_size: 3,
      closure_rate: 0.3333,
      rows_consumed: 14,
      rows_consumed_intersect: 10,
      rows_consumed_link_status: 4,
    }),
    prospects: [
      prospect(r2, 'a.example', {
        domain_authority: 52,
        score: 72,
        first_seen_date: '2024-10-01',
        runs_seen: 5,
        status: 'persisting',
      }),
      prospect(r2, 'd.example', { domain_authority: 60, score: 80, title: 'Ünïcode “title”' }),
    ],
    changes: [
      change(r2, 'b.example', { change: 'closed', days_in_gap: 31, previous_domain_authority: 40 }),
      change(r2, 'c.example', { change: 'lost', previous_domain_authority: 31, previous_matched_count: 1 }),
      change(r2, 'd.example', { change: 'new', current_domain_authority: 60, current_matched_count: 2 }),
    ],
  },
  {
    ...r3,
    manifest: manifestOf(CAMPAIGN, 'r3', '2025-04-01', {
      previous_run_id: 'r2',
      truncated: true,
      gap_size: 2,
      persisting_count: 1,
      reopened_count: 1,
      closed_count: 1,
      previous_gap_size: 2,
      closure_rate: 0.5,
      rows_consumed: 12,
      rows_consumed_intersect: 10,
      rows_consumed_link_status: 2,
    }),
    prospects: [
      prospect(r3, 'a.example', {
        domain_authority: 53,
        score: 73,
        first_seen_date: '2024-10-01',
        runs_seen: 6,
        status: 'persisting',
        matched_targets: [],
        matched_count: 0,
      }),
      prospect(r3, 'b.example', { domain_authority: 41, score: 56, status: 'reopened', runs_seen: 2 }),
    ],
    changes: [
      change(r3, 'd.example', { change: 'closed', days_in_gap: 59, previous_domain_authority: 60 }),
      change(r3, 'b.example', { change: 'reopened', current_domain_authority: 41 }),
    ],
  },
  {
    ...crashed,
    manifest: undefined,
    prospects: [prospect(crashed, 'z.example', { domain_authority: 99, score: 99, runs_seen: 9 })],
    changes: [change(crashed, 'a.example', { change: 'closed', days_in_gap: 212 })],
  },
  {
    ...other,
    manifest: manifestOf(OTHER_CAMPAIGN, 'o1', '2025-02-01', {
      gap_size: 1,
      previous_gap_size: 1,
      closed_count: 1,
      closure_rate: 1,
    }),
    prospects: [prospect(other, 'y.example', { domain_authority: 90, score: 95, runs_seen: 7 })],
    changes: [change(other, 'x.example', { change: 'closed', days_in_gap: 5 })],
  },
];

/** Writes the fixture lake under `root` at the real lake keys; returns the relative keys written. */
export function writeFixtureLake(root: string): string[] {
  const written: string[] = [];
  const put = (key: string, bytes: Uint8Array) => {
    const path = join(root, ...key.split('/'));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes);
    written.push(key);
  };
  for (const run of FIXTURE_RUNS) {
    put(prospectsKey(run.campaignId, run.runDate, run.runId), encodeParquet('prospects', run.prospects));
    put(changesKey(run.campaignId, run.runDate, run.runId), encodeParquet('changes', run.changes));
    if (run.manifest) put(manifestKey(run.campaignId, run.runDate, run.runId), encodeManifest(run.manifest));
  }
  return written;
}
