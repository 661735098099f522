import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbTypeOf } from '#lake/duckdb.ts';
import {
  type AthenaNamedQuery,
  athenaNamedQueries,
  LAKE_QUERY_CAMPAIGN_ID,
  withCampaign,
} from '#lake/queries.ts';
import { LAKE_TABLES, type LakeTableName } from '#lake/schema.ts';

/**
 * The Athena named queries the stack saves (built from shared/lake/queries.ts, comment note
 * included) are the SQL people run in Athena and, through `linkgap query`, in DuckDB. Here they
 * run in DuckDB over tables shaped by the lake contract, holding two committed runs, a
 * half-written run (files, no manifest) and another campaign: only the committed runs may count.
 */

type Row = Record<string, string | number | boolean | null | string[]>;
const CAMPAIGN = LAKE_QUERY_CAMPAIGN_ID;

const sqlValue = (value: Row[string] | undefined): string => {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return `[${value.map(sqlValue).join(', ')}]`;
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return String(value);
};

async function insert(connection: DuckDBConnection, table: LakeTableName, rows: Row[]): Promise<void> {
  const columns = LAKE_TABLES[table].columns.map((column) => column.name);
  for (const row of rows) {
    const values = columns.map((name) => sqlValue(row[name]));
    await connection.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values.join(', ')})`);
  }
}

const run = (campaignId: string, runId: string, runDate: string, extra: Row): Row => ({
  run_id: runId,
  campaign_id: campaignId,
  run_date: runDate,
  status: 'SUCCEEDED',
  baseline: false,
  truncated: false,
  started_at: `${runDate} 06:00:00`,
  finished_at: `${runDate} 06:30:00`,
  ...extra,
});

const prospect = (
  campaignId: string,
  runId: string,
  runDate: string,
  source: string,
  score: number,
  status: string,
): Row => ({
  campaign_id: campaignId,
  run_id: runId,
  run_date: runDate,
  source,
  source_root_domain: source,
  domain_authority: Math.round(score),
  matched_targets: ['rival-a.example', 'rival-b.example'],
  matched_count: 2,
  score,
  status,
  first_seen_date: '2025-01-01',
  runs_seen: 1,
});

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  for (const [name, table] of Object.entries(LAKE_TABLES)) {
    const columns = table.columns.map((column) => `${column.name} ${duckdbTypeOf(column)}`).join(', ');
    await connection.run(`CREATE TABLE ${name} (${columns})`);
  }
  await insert(connection, 'runs', [
    run(CAMPAIGN, 'r1', '2025-01-01', { baseline: true, gap_size: 3, previous_gap_size: null }),
    run(CAMPAIGN, 'r2', '2025-02-01', { gap_size: 2, previous_gap_size: 3, closed_count: 1 }),
    run('other-campaign', 'o1', '2025-02-01', { gap_size: 1, previous_gap_size: 1, closed_count: 1 }),
    // r3 (2025-03-01) crashed before its manifest: no runs row.
  ]);
  await insert(connection, 'prospects', [
    prospect(CAMPAIGN, 'r1', '2025-01-01', 'a.example', 50, 'new'),
    prospect(CAMPAIGN, 'r1', '2025-01-01', 'b.example', 40, 'new'),
    prospect(CAMPAIGN, 'r1', '2025-01-01', 'c.example', 30, 'new'),
    prospect(CAMPAIGN, 'r2', '2025-02-01', 'a.example', 55, 'persisting'),
    prospect(CAMPAIGN, 'r2', '2025-02-01', 'd.example', 70, 'new'),
    prospect(CAMPAIGN, 'r3', '2025-03-01', 'e.example', 99, 'new'),
    prospect('other-campaign', 'o1', '2025-02-01', 'z.example', 90, 'new'),
  ]);
  await insert(connection, 'changes', [
    {
      campaign_id: CAMPAIGN,
      run_id: 'r2',
      run_date: '2025-02-01',
      source: 'b.example',
      change: 'closed',
      days_in_gap: 31,
    },
    { campaign_id: CAMPAIGN, run_id: 'r2', run_date: '2025-02-01', source: 'c.example', change: 'lost' },
    { campaign_id: CAMPAIGN, run_id: 'r2', run_date: '2025-02-01', source: 'd.example', change: 'new' },
    {
      campaign_id: CAMPAIGN,
      run_id: 'r3',
      run_date: '2025-03-01',
      source: 'a.example',
      change: 'closed',
      days_in_gap: 59,
    },
    {
      campaign_id: 'other-campaign',
      run_id: 'o1',
      run_date: '2025-02-01',
      source: 'y.example',
      change: 'closed',
      days_in_gap: 5,
    },
  ]);
});

afterAll(() => {
  connection?.closeSync();
  instance?.closeSync();
});

async function rowsOf(query: AthenaNamedQuery, campaignId = CAMPAIGN): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(withCampaign(query.sql, campaignId));
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

const saved = (id: string): AthenaNamedQuery => {
  const query = athenaNamedQueries().find((q) => q.id === id);
  if (!query) throw new Error(`no saved query ${id}`);
  return query;
};

describe('saved queries in DuckDB', () => {
  it('gap trend counts committed runs only', async () => {
    expect(await rowsOf(saved('gap-trend'))).toEqual([
      {
        run_date: '2025-01-01',
        gap_size: '3',
        new_prospects: '3',
        reopened_prospects: '0',
        avg_domain_authority: 40,
      },
      {
        run_date: '2025-02-01',
        gap_size: '2',
        new_prospects: '1',
        reopened_prospects: '0',
        avg_domain_authority: 62.5,
      },
    ]);
  });

  it('monthly closure rate divides evidence-backed closures by the previous gap', async () => {
    expect(await rowsOf(saved('monthly-closure-rate'))).toEqual([
      { month: '2025-02', closed: '1', previous_gap_size: '3', closure_rate: 0.3333 },
    ]);
  });

  it('top open prospects lists the latest committed run by score', async () => {
    const rows = await rowsOf(saved('top-open-prospects'));
    expect(rows.map((row) => [row.source, row.score])).toEqual([
      ['d.example', 70],
      ['a.example', 55],
    ]);
  });

  it('time to close ignores the half-written run', async () => {
    expect(await rowsOf(saved('time-to-close'))).toEqual([
      { open_for: '1: up to 1 month', closed: '1', min_days: 31, max_days: 31, avg_days: 31 },
    ]);
  });

  it('runs for another campaign once its id is substituted', async () => {
    expect(await rowsOf(saved('gap-trend'), 'other-campaign')).toEqual([
      {
        run_date: '2025-02-01',
        gap_size: '1',
        new_prospects: '1',
        reopened_prospects: '0',
        avg_domain_authority: 90,
      },
    ]);
  });
});
