/**
 * The snapshot writer's encoder: row groups given as columns (no object per row), strings handed to
 * hyparquet-writer as UTF-8 bytes, and the footer of an empty file. Bytes must not depend on which
 * path wrote them (write-once puts compare them when a run resumes).
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { LakeEncodeError } from '#lake/errors.ts';
import {
  type ColumnSlice,
  decodeParquet,
  encodeParquet,
  encodeParquetColumnGroups,
  encodeParquetGroups,
  PARQUET_CREATED_BY,
  parquetSchema,
} from '#lake/parquet.ts';
import { type ChangeRow, LAKE_TABLES } from '#lake/schema.ts';

const CHANGE_COLUMNS = LAKE_TABLES.changes.columns;

function aChangeRow(index: number, overrides: Partial<ChangeRow> = {}): ChangeRow {
  return {
    campaign_id: 'acme',
    run_id: 'run-2',
    run_date: '2026-02-01',
    source: `site-${index}.example/page`,
    change: index % 3 === 0 ? 'closed' : 'new',
    previous_domain_authority: index % 3 === 0 ? 40 + (index % 50) : null,
    current_domain_authority: index % 3 === 0 ? null : 30 + (index % 60),
    previous_matched_count: index % 3 === 0 ? 2 : null,
    current_matched_count: index % 3 === 0 ? null : 1,
    days_in_gap: index % 3 === 0 ? index % 90 : null,
    review_state: index % 7 === 0 ? 'approved' : 'to_review',
    ...overrides,
  };
}

function columnsOf(rows: readonly ChangeRow[]): ColumnSlice {
  return Object.fromEntries(
    CHANGE_COLUMNS.map((column) => [column.name, rows.map((row) => row[column.name])]),
  );
}

const concat = (chunks: Iterable<Uint8Array>) => new Uint8Array(Buffer.concat([...chunks]));
const rows = Array.from({ length: 3000 }, (_, index) => aChangeRow(index));

describe('encodeParquetColumnGroups', () => {
  it('writes the same bytes as the row path for the same values, every time', () => {
    const fromRows = concat(encodeParquetGroups(CHANGE_COLUMNS, [rows.slice(0, 1000), rows.slice(1000)]));
    const fromColumns = concat(
      encodeParquetColumnGroups(CHANGE_COLUMNS, [
        columnsOf(rows.slice(0, 1000)),
        columnsOf(rows.slice(1000)),
      ]),
    );
    expect(Buffer.from(fromColumns).equals(Buffer.from(fromRows))).toBe(true);
    const again = concat(
      encodeParquetColumnGroups(CHANGE_COLUMNS, [
        columnsOf(rows.slice(0, 1000)),
        columnsOf(rows.slice(1000)),
      ]),
    );
    expect(Buffer.from(again).equals(Buffer.from(fromColumns))).toBe(true);
  });

  it('writes what hyparquet-writer writes from JS strings (UTF-8 handed over as bytes changes nothing)', () => {
    expect(Buffer.from(encodeParquet('changes', rows)).equals(Buffer.from(fromStrings(rows, 100_000)))).toBe(
      true,
    );
  });

  it("keeps each row group's statistics its own when the next group is encoded (several groups, one file)", () => {
    // Column min/max are kept until the footer: bytes reused by a later group must not change them.
    const groups = [rows.slice(0, 1000), rows.slice(1000, 2000), rows.slice(2000)];
    const ours = concat(encodeParquetColumnGroups(CHANGE_COLUMNS, groups.map(columnsOf)));
    expect(Buffer.from(ours).equals(Buffer.from(fromStrings(rows, 1000)))).toBe(true);
  });
});

/** The file hyparquet-writer writes itself from the rows' JS values, `groupSize` rows per group. */
function fromStrings(values: readonly ChangeRow[], groupSize: number): Uint8Array {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchema('changes'),
    codec: 'SNAPPY',
    createdBy: PARQUET_CREATED_BY,
  });
  parquet.write({
    columnData: CHANGE_COLUMNS.map((column) => ({
      name: column.name,
      data: values.map((row) => row[column.name]),
    })),
    rowGroupSize: groupSize,
  });
  parquet.finish();
  return writer.getBytes();
}

describe('encodeParquetColumnGroups, continued', () => {
  it('round-trips non-ASCII strings, a repeated one included, with the same bytes every time', async () => {
    const text = ['café.example', '日本語.example/ページ', 'emoji-🦀.example', 'café.example'];
    const unicode = text.map((source, index) => aChangeRow(index, { source }));
    const bytes = concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [columnsOf(unicode)]));
    expect(await decodeParquet('changes', bytes)).toEqual(unicode);
    expect(concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [columnsOf(unicode)]))).toEqual(bytes);
  });

  it('refuses a value outside the contract with the row number across groups, in zod words', () => {
    const bad = columnsOf([aChangeRow(0), aChangeRow(1, { days_in_gap: 1.5 })]);
    expect(() =>
      concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [columnsOf(rows.slice(0, 5)), bad], 'changes')),
    ).toThrow(
      new LakeEncodeError(
        'changes row 6 does not fit the lake contract: days_in_gap: Invalid input: expected int, received number',
      ),
    );
  });

  it('refuses a slice with a missing or short column', () => {
    const { review_state: _, ...missing } = columnsOf(rows.slice(0, 2));
    expect(() => concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [missing], 'changes'))).toThrow(
      /changes: column review_state is missing or not 2 values long/,
    );
    const short = { ...columnsOf(rows.slice(0, 2)), source: ['one.example'] };
    expect(() => concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [short], 'changes'))).toThrow(
      /column source is missing or not 2 values long/,
    );
  });
});

describe('a file with no rows', () => {
  it('is read by Arrow (Rust parquet) as well as hyparquet, with the same bytes every time', async () => {
    const bytes = encodeParquet('changes', []);
    expect(() => readParquet(bytes)).not.toThrow();
    expect(await decodeParquet('changes', bytes)).toEqual([]);
    expect(concat(encodeParquetColumnGroups(CHANGE_COLUMNS, []))).toEqual(bytes);
    expect(encodeParquet('changes', [])).toEqual(bytes);
  });

  it('leaves files with rows alone', () => {
    const bytes = encodeParquet('changes', rows.slice(0, 3));
    expect(() => readParquet(bytes)).not.toThrow();
  });
});
