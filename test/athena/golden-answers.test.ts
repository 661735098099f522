/**
 * Golden answers: every cookbook query over a small lake of real files (fixture-lake.ts), worked out
 * by hand, read through the same DuckDB views `linkgap query` uses. DuckDB runs with
 * `integer_division = true`, Trino's semantics for `/` on integers, so a query that would answer 0
 * in Athena answers 0 here too. The other functions the library uses either agree in both engines
 * for the arguments the lint allows (date_diff('day') on DATEs, concat over non-NULL values), or are
 * kept out by the lint (test/athena/trino-sql.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lake, openLake } from '#lake/duckdb.ts';
import { findLakeQuery, LAKE_QUERIES, withCampaign } from '#lake/queries.ts';
import { OTHER_CAMPAIGN, writeFixtureLake } from './fixture-lake.ts';

const GOLDEN: Record<string, Record<string, unknown>[]> = {
  'gap-trend': [
    {
      run_date: '2025-01-01',
      gap_size: 3,
      new_prospects: 2,
      reopened_prospects: 0,
      avg_domain_authority: 40.3,
    },
    {
      run_date: '2025-02-01',
      gap_size: 2,
      new_prospects: 1,
      reopened_prospects: 0,
      avg_domain_authority: 56,
    },
    {
      run_date: '2025-04-01',
      gap_size: 4,
      new_prospects: 2,
      reopened_prospects: 1,
      // (53 + 41 + 35 + 30) / 4 = 39.75
      avg_domain_authority: 39.8,
    },
  ],
  'monthly-closure-rate': [
    { month: '2025-02', closed: 1, previous_gap_size: 3, closure_rate: 0.3333 },
    { month: '2025-04', closed: 1, previous_gap_size: 2, closure_rate: 0.5 },
  ],
  'closure-rate-by-quarter': [
    { quarter: '2025-Q1', runs: 1, closed: 1, lost: 1, gap_at_start_of_runs: 3, closure_rate: 0.3333 },
    { quarter: '2025-Q2', runs: 1, closed: 1, lost: 0, gap_at_start_of_runs: 2, closure_rate: 0.5 },
  ],
  'open-six-months': [
    {
      source: 'a.example',
      domain_authority: 53,
      matched_count: 0,
      score: 73,
      first_seen_date: '2024-10-01',
      runs_seen: 6,
      // 2024-10-01 to 2025-04-01: 92 + 90 days.
      days_open: 182,
    },
  ],
  'top-open-prospects': [
    {
      source: 'a.example',
      title: 'Links at a.example',
      domain_authority: 53,
      spam_score: null,
      matched_count: 0,
      score: 73,
      status: 'persisting',
      first_seen_date: '2024-10-01',
    },
    {
      source: 'b.example',
      title: 'Links at b.example',
      domain_authority: 41,
      spam_score: null,
      matched_count: 2,
      score: 56,
      status: 'reopened',
      first_seen_date: '2025-04-01',
    },
    {
      source: 'e.example',
      title: 'Links at e.example',
      domain_authority: 35,
      spam_score: null,
      matched_count: 3,
      score: 45,
      status: 'new',
      first_seen_date: '2025-04-01',
    },
    {
      source: 'f.example',
      title: 'Links at f.example',
      domain_authority: 30,
      spam_score: null,
      matched_count: 2,
      score: 40,
      status: 'new',
      first_seen_date: '2025-04-01',
    },
  ],
  'time-to-close': [
    { open_for: '1: up to 1 month', closed: 1, min_days: 31, max_days: 31, avg_days: 31 },
    { open_for: '2: 2-3 months', closed: 1, min_days: 59, max_days: 59, avg_days: 59 },
  ],
  'closed-vs-lost': [
    { run_date: '2025-02-01', closed: 1, lost: 1, unverified: 0, new: 1, reopened: 0 },
    { run_date: '2025-04-01', closed: 1, lost: 0, unverified: 0, new: 0, reopened: 1 },
  ],
  // The latest run (r3) lists a, b, e and f. Now: a is contacted (its last applied event, version 2;
  // the skipped promotion at the same version does not count), b is won, f was rejected after the
  // run, e was never reviewed. Unreviewed first, then by stage.
  'review-queue': [
    {
      source: 'e.example',
      state: 'to_review',
      category: null,
      score: 45,
      domain_authority: 35,
      matched_count: 3,
      status: 'new',
      first_seen_date: '2025-04-01',
      note: '',
    },
    {
      source: 'a.example',
      state: 'contacted',
      category: 'resource_page',
      score: 73,
      domain_authority: 53,
      matched_count: 0,
      status: 'persisting',
      first_seen_date: '2024-10-01',
      note: 'mailed the editor',
    },
  ],
  // b (resource_page) by run r2 and c (no category) by hand in Q1; d (editorial) won, undone and won
  // again in Q2: one link. The other campaign's win is not counted.
  'won-by-category': [
    { quarter: '2025-Q1', category: 'resource_page', links_won: 1 },
    { quarter: '2025-Q1', category: 'uncategorised', links_won: 1 },
    { quarter: '2025-Q2', category: 'editorial', links_won: 1 },
  ],
  // r3's prospects with two or more competitors: e (3), then b and f (2) by score; a (0) is not.
  'multi-competitor-prospects': [
    {
      source: 'e.example',
      title: 'Links at e.example',
      matched_count: 3,
      matched_targets: ['rival-a.example', 'rival-b.example', 'rival-c.example'],
      domain_authority: 35,
      score: 45,
      review_state: 'to_review',
      category: null,
    },
    {
      source: 'b.example',
      title: 'Links at b.example',
      matched_count: 2,
      matched_targets: ['rival-a.example', 'rival-b.example'],
      domain_authority: 41,
      score: 56,
      review_state: 'won',
      category: 'resource_page',
    },
    {
      source: 'f.example',
      title: 'Links at f.example',
      matched_count: 2,
      matched_targets: ['rival-a.example', 'rival-b.example'],
      domain_authority: 30,
      score: 40,
      review_state: 'to_review',
      category: null,
    },
  ],
  'moz-rows-by-month': [
    {
      month: '2025-01',
      runs: 1,
      rows_consumed: 15,
      rows_intersect: 15,
      rows_link_status: 0,
      truncated_runs: 0,
    },
    {
      month: '2025-02',
      runs: 1,
      rows_consumed: 14,
      rows_intersect: 10,
      rows_link_status: 4,
      truncated_runs: 0,
    },
    {
      month: '2025-04',
      runs: 1,
      rows_consumed: 12,
      rows_intersect: 10,
      rows_link_status: 2,
      truncated_runs: 1,
    },
  ],
};

let root: string;
let lake: Lake;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'linkgap-athena-golden-'));
  writeFixtureLake(root);
  lake = await openLake(root);
  await lake.connection.run('SET integer_division = true');
});

afterAll(() => {
  lake?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('cookbook golden answers (DuckDB with Trino integer division, over real lake files)', () => {
  it('has a golden answer for every cookbook query', () => {
    expect(Object.keys(GOLDEN).sort()).toEqual(LAKE_QUERIES.map((query) => query.id).sort());
  });

  it.each(LAKE_QUERIES.map((query) => [query.id, query.sql]))('%s', async (id, sql) => {
    expect(await lake.query(sql)).toEqual(GOLDEN[id]);
  });

  it('another campaign answers from its own files only', async () => {
    const sql = withCampaign(findLakeQuery('closed-vs-lost')?.sql ?? '', OTHER_CAMPAIGN);
    expect(await lake.query(sql)).toEqual([
      { run_date: '2025-02-01', closed: 1, lost: 0, unverified: 0, new: 0, reopened: 0 },
    ]);
  });

  it("another campaign's review events answer for that campaign only", async () => {
    const sql = withCampaign(findLakeQuery('won-by-category')?.sql ?? '', OTHER_CAMPAIGN);
    expect(await lake.query(sql)).toEqual([{ quarter: '2025-Q1', category: 'directory', links_won: 1 }]);
  });

  it('answers as Trino would for integer division: without its CAST the closure rate becomes 0', async () => {
    const sql = findLakeQuery('monthly-closure-rate')?.sql ?? '';
    const uncast = sql.replace('CAST(sum(coalesce(k.closed, 0)) AS DOUBLE)', 'sum(coalesce(k.closed, 0))');
    expect(uncast).not.toBe(sql);
    const rates = (await lake.query(uncast)).map((row) => row.closure_rate);
    expect(rates).toEqual([0, 0]);
  });
});
