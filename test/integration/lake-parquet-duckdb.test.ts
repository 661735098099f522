import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbTypeOf, type Lake, openLake } from '#lake/duckdb.ts';
import { LakeDecodeError, LakeEncodeError } from '#lake/errors.ts';
import { changesKey, manifestKey, prospectsKey } from '#lake/keys.ts';
import { encodeManifest } from '#lake/manifest.ts';
import { decodeParquet, decodeParquetRows, encodeParquet, encodeParquetRows } from '#lake/parquet.ts';
import {
  CHANGE_COLUMNS,
  type ChangeRow,
  type Column,
  LAKE_TABLES,
  type LakeTableName,
  PROSPECT_COLUMNS,
  type ProspectRow,
  RUN_COLUMNS,
  type RunManifest,
} from '#lake/schema.ts';

const CAMPAIGN = 'acme-trail-shoes';
const RUN_DATE = '2024-03-01';
const RUN_ID = '01HQZ8J5K2M3N4P5Q6R7S8T9V0';

function aProspectRow(overrides: Partial<ProspectRow> = {}): ProspectRow {
  return {
    campaign_id: CAMPAIGN,
    run_id: RUN_ID,
    run_date: RUN_DATE,
    source: 'blog.example',
    source_root_domain: 'blog.example',
    title: 'Trail running blog',
    domain_authority: 40,
    page_authority: 35,
    spam_score: 2,
    matched_targets: ['rival-a.example', 'rival-b.example'],
    matched_count: 2,
    score: 61.25,
    status: 'new',
    first_seen_date: RUN_DATE,
    runs_seen: 1,
    review_state: 'to_review',
    category: null,
    ...overrides,
  };
}

function aChangeRow(overrides: Partial<ChangeRow> = {}): ChangeRow {
  return {
    campaign_id: CAMPAIGN,
    run_id: RUN_ID,
    run_date: RUN_DATE,
    source: 'closed.example',
    change: 'closed',
    previous_domain_authority: 50,
    current_domain_authority: null,
    previous_matched_count: 2,
    current_matched_count: null,
    days_in_gap: 58,
    review_state: 'to_review',
    ...overrides,
  };
}

function aRunManifest(overrides: Partial<RunManifest> = {}): RunManifest {
  return {
    run_id: RUN_ID,
    campaign_id: CAMPAIGN,
    run_date: RUN_DATE,
    config_hash: 'c0ffee',
    previous_run_id: null,
    baseline: true,
    status: 'SUCCEEDED',
    truncated: false,
    pages: 1,
    requests: 2,
    retries: 1,
    rows_consumed: 9_007_199_254_740_991,
    rows_consumed_intersect: 15,
    rows_consumed_link_status: 4,
    rows_possibly_metered_on_failures: 5,
    max_rows_per_run: 5000,
    gap_size: 3,
    new_count: 3,
    persisting_count: 0,
    reopened_count: 0,
    closed_count: 0,
    lost_count: 0,
    unverified_count: 0,
    previous_gap_size: null,
    closure_rate: null,
    started_at: '2024-03-01T03:00:00.000Z',
    finished_at: '2024-03-01T03:04:05.678Z',
    moz_base_url: 'https://lsapi.seomoz.com/v2',
    software_version: '0.1.0',
    ...overrides,
  };
}

const prospects: ProspectRow[] = [
  aProspectRow(),
  aProspectRow({
    source: 'xn--mnchen-3ya.example/laufen',
    source_root_domain: 'xn--mnchen-3ya.example',
    title: 'Über Läufer, "Trail" — 跑步 🏃\nzweite Zeile',
    page_authority: null,
    spam_score: null,
    matched_targets: [],
    matched_count: 0,
    score: 0,
    status: 'reopened',
    first_seen_date: '2023-12-31',
    runs_seen: 4,
  }),
  aProspectRow({
    source: 'forum.example',
    title: '',
    domain_authority: 1,
    matched_targets: ['rival-a.example'],
    matched_count: 1,
  }),
];
const changes: ChangeRow[] = [
  aChangeRow(),
  aChangeRow({
    source: 'xn--mnchen-3ya.example/laufen',
    change: 'new',
    previous_domain_authority: null,
    current_domain_authority: 40,
    previous_matched_count: null,
    current_matched_count: 1,
    days_in_gap: null,
  }),
];
const manifest = aRunManifest();

let lakeRoot: string;
let lake: Lake;

function put(key: string, bytes: Uint8Array): void {
  const path = join(lakeRoot, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

async function describeView(target: Lake, table: string): Promise<{ name: unknown; type: unknown }[]> {
  const rows = await target.query(`DESCRIBE ${table}`);
  return rows.map((row) => ({ name: row.column_name, type: row.column_type }));
}

function contractShape(table: LakeTableName): { name: string; type: string }[] {
  const columns: readonly Column[] = LAKE_TABLES[table].columns;
  return columns.map((column) => ({ name: column.name, type: duckdbTypeOf(column) }));
}

const bySource = (a: { source: string }, b: { source: string }) => a.source.localeCompare(b.source);

beforeAll(async () => {
  lakeRoot = mkdtempSync(join(tmpdir(), 'linkgap-lake-'));
  put(prospectsKey(CAMPAIGN, RUN_DATE, RUN_ID), encodeParquet('prospects', prospects));
  put(changesKey(CAMPAIGN, RUN_DATE, RUN_ID), encodeParquet('changes', changes));
  put(manifestKey(CAMPAIGN, RUN_DATE, RUN_ID), encodeManifest(manifest));
  // A second campaign whose run found nothing: zero-row files must read as valid, empty partitions.
  put(prospectsKey('empty-campaign', '2024-04-01', 'r2'), encodeParquet('prospects', []));
  put(changesKey('empty-campaign', '2024-04-01', 'r2'), encodeParquet('changes', []));
  put(
    manifestKey('empty-campaign', '2024-04-01', 'r2'),
    encodeManifest(
      aRunManifest({ campaign_id: 'empty-campaign', run_date: '2024-04-01', run_id: 'r2', gap_size: 0 }),
    ),
  );
  lake = await openLake(lakeRoot);
});

afterAll(() => {
  lake?.close();
  if (lakeRoot) rmSync(lakeRoot, { recursive: true, force: true });
});

describe('duckdbTypeOf', () => {
  it.each([
    ['string', 'VARCHAR'],
    ['int', 'INTEGER'],
    ['bigint', 'BIGINT'],
    ['double', 'DOUBLE'],
    ['boolean', 'BOOLEAN'],
    ['date', 'DATE'],
    ['timestamp', 'TIMESTAMP'],
    ['array<string>', 'VARCHAR[]'],
  ] as const)('%s reads as %s', (type, expected) => {
    expect(duckdbTypeOf({ name: 'x', type, comment: '' })).toBe(expected);
  });
});

describe('DuckDB views over the lake', () => {
  it.each(['prospects', 'changes', 'runs'] as const)(
    '%s has exactly the contract columns, types and order',
    async (table) => {
      expect(await describeView(lake, table)).toEqual(contractShape(table));
    },
  );

  it('reads prospects back value for value, partition keys as strings', async () => {
    const rows = await lake.query(
      `SELECT * FROM prospects WHERE campaign_id = '${CAMPAIGN}' AND run_date = '${RUN_DATE}'`,
    );
    expect([...rows].sort((a, b) => bySource(a as ProspectRow, b as ProspectRow))).toEqual(
      [...prospects].sort(bySource),
    );
  });

  it('reads changes back value for value', async () => {
    const rows = await lake.query(`SELECT * FROM changes WHERE campaign_id = '${CAMPAIGN}'`);
    expect([...rows].sort((a, b) => bySource(a as ChangeRow, b as ChangeRow))).toEqual(
      [...changes].sort(bySource),
    );
  });

  it('reads the manifest as one run, timestamps as TIMESTAMP values', async () => {
    const rows = await lake.query(`SELECT * FROM runs WHERE campaign_id = '${CAMPAIGN}'`);
    expect(rows).toEqual([manifest]);
    const [typed] = await lake.query(
      `SELECT typeof(started_at) AS t, finished_at - started_at AS took, epoch_ms(finished_at) AS ms FROM runs WHERE campaign_id = '${CAMPAIGN}'`,
    );
    expect(typed).toMatchObject({ t: 'TIMESTAMP', ms: Date.parse(manifest.finished_at) });
  });

  it('counts zero-row files as valid empty partitions', async () => {
    expect(
      await lake.query(`SELECT count(*) AS n FROM prospects WHERE campaign_id = 'empty-campaign'`),
    ).toEqual([{ n: 0 }]);
    expect(
      await lake.query(`SELECT count(*) AS n FROM changes WHERE campaign_id = 'empty-campaign'`),
    ).toEqual([{ n: 0 }]);
    expect(await lake.query(`SELECT gap_size FROM runs WHERE campaign_id = 'empty-campaign'`)).toEqual([
      { gap_size: 0 },
    ]);
  });

  it('joins prospects to committed runs the way the cookbook does', async () => {
    const rows = await lake.query(`
      SELECT r.run_date, count(*) AS prospects, list_sort(flatten(list(p.matched_targets))) AS targets
      FROM prospects p JOIN runs r USING (campaign_id, run_id)
      WHERE p.campaign_id IN ('${CAMPAIGN}') AND p.spam_score IS NULL
      GROUP BY r.run_date`);
    expect(rows).toEqual([{ run_date: RUN_DATE, prospects: 1, targets: [] }]);
  });
});

describe('an empty lake', () => {
  it('still has all three views, with the contract columns and no rows', async () => {
    const emptyRoot = mkdtempSync(join(tmpdir(), 'linkgap-empty-lake-'));
    const empty = await openLake(emptyRoot);
    try {
      for (const table of ['prospects', 'changes', 'runs'] as const) {
        expect(await describeView(empty, table)).toEqual(contractShape(table));
        expect(await empty.query(`SELECT count(*) AS n FROM ${table}`)).toEqual([{ n: 0 }]);
      }
      // the view was built before the first file; refresh() picks up the table
      const late = join(emptyRoot, prospectsKey(CAMPAIGN, RUN_DATE, 'late'));
      mkdirSync(dirname(late), { recursive: true });
      writeFileSync(late, encodeParquet('prospects', prospects));
      await empty.refresh();
      expect(await empty.query('SELECT count(*) AS n FROM prospects')).toEqual([{ n: prospects.length }]);
    } finally {
      empty.close();
      rmSync(emptyRoot, { recursive: true, force: true });
    }
  });
});

describe('encodeParquet / decodeParquet', () => {
  it('round-trips prospects and changes', async () => {
    expect(await decodeParquet('prospects', encodeParquet('prospects', prospects))).toEqual(prospects);
    expect(await decodeParquet('changes', encodeParquet('changes', changes))).toEqual(changes);
  });

  it('gives identical bytes for identical rows', () => {
    const copy = structuredClone(prospects);
    expect(encodeParquet('prospects', copy)).toEqual(encodeParquet('prospects', prospects));
  });

  it('writes a valid file with the schema for zero rows', async () => {
    const bytes = encodeParquet('changes', []);
    expect(await decodeParquet('changes', bytes)).toEqual([]);
    const path = join(lakeRoot, 'zero.parquet');
    writeFileSync(path, bytes);
    const described = await lake.query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    expect(described.map((row) => ({ name: row.column_name, type: row.column_type }))).toEqual(
      contractShape('changes'),
    );
  });

  it('writes the standard 3-level LIST and required/optional repetition from the contract', async () => {
    const path = join(lakeRoot, 'schema-check.parquet');
    writeFileSync(path, encodeParquet('prospects', prospects));
    const schema = await lake.query(
      `SELECT name, repetition_type, converted_type, logical_type FROM parquet_schema('${path}')`,
    );
    const byName = (name: string) => schema.filter((row) => row.name === name);
    expect(byName('matched_targets')).toEqual([
      {
        name: 'matched_targets',
        repetition_type: 'REQUIRED',
        converted_type: 'LIST',
        logical_type: 'ListType()',
      },
    ]);
    expect(byName('list')).toMatchObject([{ repetition_type: 'REPEATED' }]);
    expect(byName('element')).toMatchObject([{ repetition_type: 'OPTIONAL', converted_type: 'UTF8' }]);
    expect(byName('page_authority')).toMatchObject([{ repetition_type: 'OPTIONAL' }]);
    expect(byName('domain_authority')).toMatchObject([{ repetition_type: 'REQUIRED' }]);
    expect(byName('first_seen_date')).toMatchObject([{ converted_type: 'DATE' }]);
    const [meta] = await lake.query(
      `SELECT f.created_by, m.compression FROM parquet_file_metadata('${path}') f, parquet_metadata('${path}') m LIMIT 1`,
    );
    expect(meta).toEqual({ created_by: 'linkgap', compression: 'SNAPPY' });
  });

  it('maps every contract type to the DuckDB type the views promise', async () => {
    const allTypes: readonly Column[] = [
      { name: 's', type: 'string', comment: '' },
      { name: 'i', type: 'int', comment: '' },
      { name: 'b', type: 'bigint', comment: '' },
      { name: 'd', type: 'double', comment: '' },
      { name: 'f', type: 'boolean', comment: '' },
      { name: 'dt', type: 'date', comment: '' },
      { name: 'ts', type: 'timestamp', comment: '' },
      { name: 'a', type: 'array<string>', comment: '' },
      { name: 'n', type: 'timestamp', nullable: true, comment: '' },
    ];
    const rows = [
      {
        s: 'ü',
        i: -2_147_483_648,
        b: 9_007_199_254_740_991,
        d: 0.1,
        f: true,
        dt: '1999-12-31',
        ts: '2024-02-29T23:59:59.999Z',
        a: ['x', ''],
        n: null,
      },
      {
        s: '',
        i: 2_147_483_647,
        b: -1,
        d: -1e300,
        f: false,
        dt: '2038-01-19',
        ts: '1970-01-01T00:00:00.000Z',
        a: [],
        n: '2024-03-01T00:00:00.000Z',
      },
    ];
    const bytes = encodeParquetRows(allTypes, rows);
    expect(await decodeParquetRows(allTypes, bytes)).toEqual(rows);
    const path = join(lakeRoot, 'all-types.parquet');
    writeFileSync(path, bytes);
    const described = await lake.query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    expect(described.map((row) => ({ name: row.column_name, type: row.column_type }))).toEqual(
      allTypes.map((column) => ({ name: column.name, type: duckdbTypeOf(column) })),
    );
    expect(await lake.query(`SELECT * FROM read_parquet('${path}')`)).toEqual(rows);
  });

  it.each([
    ['a null in a required column', [aProspectRow({ title: null as unknown as string })], /title/],
    ['a fractional int', [aProspectRow({ domain_authority: 40.5 })], /domain_authority/],
    ['a bad date', [aProspectRow({ first_seen_date: '2024-02-30' })], /first_seen_date/],
    ['an unknown column', [{ ...aProspectRow(), extra: 1 } as ProspectRow], /extra/],
  ])('refuses to write %s', (_what, rows, message) => {
    expect(() => encodeParquet('prospects', rows)).toThrow(LakeEncodeError);
    expect(() => encodeParquet('prospects', rows)).toThrow(message);
  });

  it('refuses to read bytes that are not Parquet, or a file of another table', async () => {
    await expect(decodeParquet('prospects', new TextEncoder().encode('not parquet'))).rejects.toThrow(
      LakeDecodeError,
    );
    await expect(decodeParquet('prospects', encodeParquet('changes', changes))).rejects.toThrow(
      LakeDecodeError,
    );
  });
});

it('the contract tables are the ones the views cover', () => {
  expect(Object.keys(LAKE_TABLES)).toEqual(['prospects', 'changes', 'runs', 'reviews']);
  // Columns are only ever appended: review_state + category (prospects), review_state (changes).
  expect([PROSPECT_COLUMNS.length, CHANGE_COLUMNS.length, RUN_COLUMNS.length]).toEqual([17, 11, 29]);
});
