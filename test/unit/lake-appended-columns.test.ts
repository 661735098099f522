// Columns are only ever appended (DESIGN.md section 4), so a lake holds files written before a column
// existed. Readers must take them as Athena does: the missing column reads as null. That only works
// when every appended column is nullable, which this test holds for every column added after 0.1.0.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLake } from '#lake/duckdb.ts';
import { prospectsKey } from '#lake/keys.ts';
import { decodeParquet, encodeParquet, encodeParquetRows } from '#lake/parquet.ts';
import { CHANGE_COLUMNS, PROSPECT_COLUMNS, RUN_COLUMNS } from '#lake/schema.ts';

/** How many columns each table had in the first release (linkgap 0.1.0). */
const FIRST_RELEASE = { prospects: 15, changes: 10, runs: 29 } as const;

const oldProspect = {
  campaign_id: 'acme',
  run_id: 'r1',
  run_date: '2026-01-01',
  source: 'old.example',
  source_root_domain: 'old.example',
  title: '',
  domain_authority: 40,
  page_authority: null,
  spam_score: null,
  matched_targets: ['rival.example'],
  matched_count: 1,
  score: 12.5,
  status: 'new',
  first_seen_date: '2026-01-01',
  runs_seen: 1,
};

describe('appended lake columns', () => {
  it.each([
    ['prospects', PROSPECT_COLUMNS],
    ['changes', CHANGE_COLUMNS],
    ['runs', RUN_COLUMNS],
  ] as const)('every %s column added after the first release is nullable', (table, columns) => {
    const appended = columns.slice(FIRST_RELEASE[table]);
    for (const column of appended)
      expect(column, `${table}.${column.name}`).toMatchObject({ nullable: true });
  });

  it('a prospects file written before the review columns reads them as null', async () => {
    const firstRelease = PROSPECT_COLUMNS.slice(0, FIRST_RELEASE.prospects);
    const bytes = encodeParquetRows(firstRelease, [oldProspect]);
    const [row] = await decodeParquet('prospects', bytes);
    expect(row).toEqual({ ...oldProspect, review_state: null, category: null });
  });

  it('a file that lacks a column which was never appended is refused, naming it', async () => {
    const withoutScore = PROSPECT_COLUMNS.filter((column) => column.name !== 'score');
    const { score: _score, ...row } = { ...oldProspect, review_state: 'to_review', category: null };
    await expect(decodeParquet('prospects', encodeParquetRows(withoutScore, [row]))).rejects.toThrow(
      'prospects: the file has no column score',
    );
  });

  it.each([
    ['only files from before the review columns', false],
    ['old and new files side by side', true],
  ])('the DuckDB views read %s, the missing columns as NULL', async (_what, withNewFile) => {
    const root = await mkdtemp(join(tmpdir(), 'linkgap-appended-'));
    try {
      const put = async (key: string, bytes: Uint8Array) => {
        await mkdir(dirname(join(root, key)), { recursive: true });
        await writeFile(join(root, key), bytes);
      };
      const firstRelease = PROSPECT_COLUMNS.slice(0, FIRST_RELEASE.prospects);
      await put(prospectsKey('acme', '2026-01-01', 'r1'), encodeParquetRows(firstRelease, [oldProspect]));
      if (withNewFile) {
        const newer = {
          ...oldProspect,
          run_id: 'r2',
          run_date: '2026-02-01',
          review_state: 'won',
          category: 'editorial',
        };
        await put(prospectsKey('acme', '2026-02-01', 'r2'), encodeParquet('prospects', [newer]));
      }
      const lake = await openLake(root);
      try {
        const rows = await lake.query(
          "SELECT run_id, review_state, category FROM prospects WHERE campaign_id = 'acme' ORDER BY run_id",
        );
        expect(rows).toEqual([
          { run_id: 'r1', review_state: null, category: null },
          ...(withNewFile ? [{ run_id: 'r2', review_state: 'won', category: 'editorial' }] : []),
        ]);
      } finally {
        lake.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
