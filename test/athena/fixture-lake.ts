/**
 * A small lake of real files (Parquet from encodeParquet, manifests from encodeManifest) whose answers
 * are worked out by hand: three committed runs of one campaign (a baseline, a month with a close and
 * a loss, a truncated quarter-later run with a close and a reopen), a run that crashed before its
 * manifest, and another campaign; plus the review events of both campaigns (REVIEW_EVENTS: wins with
 * and without a category, a source won twice, a run's skipped promotion, reviews changed after the
 * latest run). The Athena golden answers and the file-reader tests read it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReviewEvent } from '#domain/review.ts';
import { changesKey, manifestKey, prospectsKey, reviewEventKey } from '#lake/keys.ts';
import { encodeManifest } from '#lake/manifest.ts';
import { encodeParquet } from '#lake/parquet.ts';
import { LAKE_QUERY_CAMPAIGN_ID } from '#lake/queries.ts';
import { encodeReviewEvents } from '#lake/review-events.ts';
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
      gap_size: 4,
      new_count: 2,
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
        // Approved before the run; contacted after it (REVIEW_EVENTS).
        review_state: 'approved',
        category: 'resource_page',
      }),
      // Won in February (the run promoted it), then back in the gap.
      prospect(r3, 'b.example', {
        domain_authority: 41,
        score: 56,
        status: 'reopened',
        runs_seen: 2,
        review_state: 'won',
        category: 'resource_page',
      }),
      prospect(r3, 'e.example', {
        domain_authority: 35,
        score: 45,
        matched_targets: ['rival-a.example', 'rival-b.example', 'rival-c.example'],
        matched_count: 3,
      }),
      // Rejected after the run (REVIEW_EVENTS): out of the queue before the next run leaves it out.
      prospect(r3, 'f.example', { domain_authority: 30, score: 40 }),
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

function reviewEvent(
  source: string,
  changedAt: string,
  values: Partial<ReviewEvent> & Pick<ReviewEvent, 'from_state' | 'to_state' | 'version'>,
): ReviewEvent {
  return {
    campaign_id: CAMPAIGN,
    event_date: changedAt.slice(0, 10),
    event_id: `e-${source.replace(/[^a-z0-9]/g, '')}-${values.version}-${values.outcome ?? 'applied'}`,
    source,
    changed_at: changedAt,
    changed_by: 'dana',
    origin: 'cli',
    from_category: null,
    to_category: null,
    note: '',
    outcome: 'applied',
    run_id: null,
    ...values,
  };
}

const ran = (runId: string) => ({ changed_by: 'linkgap-run', origin: 'run' as const, run_id: runId });

/**
 * The review events. Won: b.example (resource_page, 2025-Q1, by run r2), c.example (no category,
 * 2025-Q1, by hand), d.example (editorial, 2025-Q2, by run r3, then undone and won again by hand: one
 * link). After r3: a.example contacted (and a skipped promotion at the same version), f.example
 * rejected. The other campaign won y.example.
 */
export const REVIEW_EVENTS: readonly ReviewEvent[] = [
  reviewEvent('b.example', '2025-01-20T10:00:00.000Z', {
    from_state: 'to_review',
    to_state: 'approved',
    to_category: 'resource_page',
    version: 1,
  }),
  reviewEvent('b.example', '2025-02-01T06:05:00.000Z', {
    ...ran('r2'),
    from_state: 'approved',
    to_state: 'won',
    from_category: 'resource_page',
    to_category: 'resource_page',
    version: 2,
  }),
  reviewEvent('d.example', '2025-02-10T09:30:00.000Z', {
    from_state: 'to_review',
    to_state: 'contacted',
    to_category: 'editorial',
    note: 'wrote to the editor',
    version: 1,
  }),
  reviewEvent('c.example', '2025-03-20T16:00:00.000Z', {
    origin: 'import',
    from_state: 'to_review',
    to_state: 'won',
    version: 1,
  }),
  reviewEvent('a.example', '2025-03-01T08:00:00.000Z', {
    from_state: 'to_review',
    to_state: 'approved',
    to_category: 'resource_page',
    version: 1,
  }),
  reviewEvent('d.example', '2025-04-01T06:05:00.000Z', {
    ...ran('r3'),
    from_state: 'contacted',
    to_state: 'won',
    from_category: 'editorial',
    to_category: 'editorial',
    note: 'wrote to the editor',
    version: 2,
  }),
  reviewEvent('f.example', '2025-04-02T11:00:00.000Z', {
    origin: 'import',
    from_state: 'to_review',
    to_state: 'rejected',
    note: 'spam farm',
    version: 1,
  }),
  reviewEvent('a.example', '2025-04-03T12:00:00.000Z', {
    origin: 'import',
    from_state: 'approved',
    to_state: 'contacted',
    from_category: 'resource_page',
    to_category: 'resource_page',
    note: 'mailed the editor',
    version: 2,
  }),
  // A later run found a.example closed but the review had changed meanwhile: skipped, same version.
  reviewEvent('a.example', '2025-04-03T12:00:00.000Z', {
    ...ran('r3b'),
    from_state: 'contacted',
    to_state: 'contacted',
    from_category: 'resource_page',
    to_category: 'resource_page',
    note: 'mailed the editor',
    outcome: 'skipped',
    version: 2,
  }),
  reviewEvent('d.example', '2025-04-10T10:00:00.000Z', {
    from_state: 'won',
    to_state: 'contacted',
    from_category: 'editorial',
    to_category: 'editorial',
    version: 3,
  }),
  reviewEvent('d.example', '2025-04-11T10:00:00.000Z', {
    from_state: 'contacted',
    to_state: 'won',
    from_category: 'editorial',
    to_category: 'editorial',
    version: 4,
  }),
  {
    ...reviewEvent('y.example', '2025-02-05T10:00:00.000Z', {
      from_state: 'contacted',
      to_state: 'won',
      to_category: 'directory',
      version: 2,
    }),
    campaign_id: OTHER_CAMPAIGN,
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
  for (const event of REVIEW_EVENTS)
    put(reviewEventKey(event.campaign_id, event.changed_at, event.event_id), encodeReviewEvents([event]));
  return written;
}
